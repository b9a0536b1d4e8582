"""``python -m lstm_ms.cli.sample --model NAME --out DIR``: write a small generated dataset in the
real on-disk format of the model's dataset, and print the flags that point the commands at it."""
import argparse

from . import log, run


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m lstm_ms.cli.sample", description=__doc__, allow_abbrev=False)
    parser.add_argument("--model", default="sentiment")
    parser.add_argument("--out", default="./sample_data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=float, default=1.0, help="scale of the default sample size")
    args = parser.parse_args(argv)
    from ..tasks import get_task

    paths = get_task(args.model).make_sample(args.out, seed=args.seed, size=args.size)
    log(f"sample data for {args.model} written under {args.out}; use: "
        + " ".join(f"--{k} {v}" for k, v in paths.items()))
    return 0


if __name__ == "__main__":
    run(main)
