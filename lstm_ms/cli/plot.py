"""``python -m lstm_ms.cli.plot CKPT_PATH [--out PNG]``: draw the training curves of metrics.jsonl."""
import argparse
import json
from pathlib import Path

from . import log, run
from ..core.atomic import atomic_path
from ..core.errors import UserError


def read_metrics(path):
    records = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise UserError(path, "not a JSON line", line=n) from None
    if not records:
        raise UserError(path, "no epochs recorded yet")
    return records


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m lstm_ms.cli.plot", description=__doc__)
    parser.add_argument("ckpt_path", help="the training's --ckpt_path (holds metrics.jsonl)")
    parser.add_argument("--out", default="", help="PNG to write (default: <ckpt_path>/curves.png)")
    args = parser.parse_args(argv)
    metrics = Path(args.ckpt_path) / "metrics.jsonl"
    if not metrics.is_file():
        raise UserError(metrics, "not found (has training run with this --ckpt_path?)")
    records = read_metrics(metrics)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("matplotlib", "not installed; pip install 'lstm_ms[plot]'") from None

    epochs = [r["epoch"] for r in records]
    panels = [("training loss (epoch mean)", [r["loss"] for r in records]),
              ("learning rate (end of epoch)", [r["lr"] for r in records]),
              ("samples/s", [r["samples_per_s"] for r in records])]
    dev = [r["dev"] for r in records if r.get("dev")]
    if dev:
        key = "accuracy" if "accuracy" in dev[0] else next(k for k, v in dev[0].items() if isinstance(v, float))
        panels.insert(1, (f"dev {key}", [r["dev"][key] if r.get("dev") else float("nan") for r in records]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2))
    for ax, (title, values) in zip(axes, panels):
        ax.plot(epochs, values, marker="o")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(args.out) if args.out else Path(args.ckpt_path) / "curves.png"
    with atomic_path(out, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100)
    log(f"curves written to {out}")
    return 0


if __name__ == "__main__":
    run(main)
