"""Whole commands as a user waits for them: wall time and peak RSS of train.py, eval.py and
predict.py from process start to exit (imports, preprocessing, compilation and per-epoch dev
evaluation included), on generated data of the real dataset's size.

Usage, from the repository root:

    python benchmarks/commands.py --model ner [--epochs 30] [--size 6.37] [--json out.json]
    python benchmarks/commands.py --model sentiment --epochs 1 --aclimdb_path DIR --glove_path DIR

``--model ner`` generates ResumeNER-sized data (``lstm_ms.cli.sample --model ner --size 6.37``:
3,821 / 463 / 477 sentences, ResumeNER's length profile) unless ``--data_path`` is given.
``--model seq2seq`` generates Multi30k-sized timing data (``write_multi30k_sized``: 29,000 / 1,014 /
1,000 pairs, its lengths and vocabulary sizes) unless ``--data_path`` is given.
``--model ctc`` generates a TIMIT-format subset (``write_timit``: 8 speakers per dialect region x 8 SI/SX
sentences = 512 training utterances of 1-2.5 s; ``--speakers`` changes it) and ``--model deepspeech2``
AN4-sized data (``write_an4``: 948 / 50 / 130 utterances of 0.8-2.5 s), unless ``--data_path`` is given;
``--config_path`` picks another config (e.g. ``models/deepspeech2/config_an4.yaml``).
``--model sentiment`` needs an aclImdb-sized dataset (``--aclimdb_path``, ``--glove_path``), or
``--scale S`` generates one at S x aclImdb's size (``write_aclimdb_sized``); a full-size one can be
written by ``lstm_ms.data.synthetic.write_aclimdb(root, 25000, 25000, mean_len=200)`` and
``write_glove(path, 300, extra_words=[...400,000 words])``. A benchmark, not a test: nothing is
asserted.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREDICT_INPUT = {"ner": "高勇，男，中国国籍，无境外居留权。", "sentiment": "A wonderful, moving film. Brilliant!",
                 "seq2seq": "Ein Mann fährt Fahrrad."}
# Multi30k (WMT16 multimodal task 1): 29,000 / 1,014 / 1,000 pairs; after Moses tokenisation ~12-13 tokens
# per sentence (longest ~40), and with min frequency 2 vocabularies of ~7,850 (de) and ~5,900 (en) words.
MULTI30K = {"train": 29000, "val": 1014, "test_2016_flickr": 1000}


def write_multi30k_sized(root, seed=0, types=(13700, 7000)):
    """Multi30k-shaped timing data: random Zipf-distributed words (chosen so that min frequency 2 keeps
    about Multi30k's vocabulary sizes) in sentences of its length profile. Not learnable; for timing."""
    import numpy as np

    rng = np.random.default_rng(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    words = {lang: [f"{lang}w{i}" for i in range(n)] for lang, n in zip(("de", "en"), types)}
    for split, n in MULTI30K.items():
        n_de = np.clip(rng.normal(11.5, 4.0, n).round(), 3, 40).astype(int)
        n_en = np.clip(n_de + rng.integers(-2, 4, n), 3, 40)
        for lang, lengths in (("de", n_de), ("en", n_en)):
            vocab = words[lang]
            ranks = np.minimum(rng.zipf(1.15, int(lengths.sum())) - 1, len(vocab) - 1)
            lines, at = [], 0
            for k in lengths:
                lines.append(" ".join(vocab[r] for r in ranks[at:at + k]) + " .")
                at += k
            (root / f"{split}.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root



def write_aclimdb_sized(root, scale, seed=0):
    """aclImdb-shaped folders at ``scale`` x its 25,000 + 25,000 reviews, of its mean length (~230 tokens),
    and a GloVe file (300d) covering their words -> (aclImdb path, GloVe folder)."""
    from lstm_ms.data import synthetic

    n = int(round(25000 * scale))
    acl = synthetic.write_aclimdb(Path(root) / "aclImdb", n, n, mean_len=230, seed=seed)
    glove = synthetic.write_glove(Path(root) / "glove" / "glove.6B.300d.txt", dim=300, seed=seed)
    return str(acl), str(glove.parent)


def timed_command(argv, cwd, log_path):
    """Run ``argv``; returns (exit status, wall s, peak RSS MiB of that process), output to log_path."""
    env = dict(os.environ, GLOG_v="3", PYTHONPATH=str(ROOT))
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def first_epoch_compile(log_text):
    """(first epoch s, median later epoch s) from the trainer's per-epoch summary lines."""
    secs = [float(s) for s in re.findall(r"^epoch \d+: .*, ([0-9.]+) s(?:,|$)", log_text, re.M)]
    if not secs:
        return None, None
    later = sorted(secs[1:])
    return secs[0], (later[len(later) // 2] if later else None)


def speech_data(args, work):
    """(data path, an audio file for predict.py) of generated speech data, or of ``--data_path``."""
    from lstm_ms.data import an4, synthetic

    if args.model == "ctc":
        root = Path(args.data_path) if args.data_path else synthetic.write_timit(
            work / "timit", speakers_per_region=args.speakers,
            sentences=("sa1", "si1", "si2", "si3", "sx1", "sx2", "sx3", "sx4", "sx5"), seed=0)
        return str(root), str(sorted(Path(root).rglob("*.[Ww][Aa][Vv]"))[0])
    root = Path(args.data_path) if args.data_path else synthetic.write_an4(
        work / "an4", n_train=948, n_val=50, n_test=130, seed=0, speakers=(40, 3, 10))
    return str(root), str(an4.find_split(root, "test")[0].wav)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("ner", "sentiment", "seq2seq", "ctc", "deepspeech2"), required=True)
    parser.add_argument("--speakers", type=int, default=8, help="ctc: generated speakers per dialect region")
    parser.add_argument("--config_path", default="", help="a config other than the model's config_cpu.yaml")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--size", type=float, default=6.37, help="ner sample scale (6.37: ResumeNER-sized)")
    parser.add_argument("--data_path", default="", help="ner: a ResumeNER folder instead of generated data")
    parser.add_argument("--scale", type=float, default=0.0,
                        help="sentiment: generate aclImdb-shaped data at this fraction of its 25,000 + 25,000 "
                             "reviews (reviews of ~230 tokens) instead of --aclimdb_path/--glove_path")
    parser.add_argument("--aclimdb_path", default="")
    parser.add_argument("--glove_path", default="")
    parser.add_argument("--work", default="", help="working folder (default: a new temporary one)")
    parser.add_argument("--json", default="", help="also write the results here")
    args = parser.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix=f"bench-{args.model}-"))
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    if args.model == "ner":
        data = args.data_path
        if not data:
            subprocess.run([py, "-m", "lstm_ms.cli.sample", "--model", "ner", "--size", str(args.size),
                            "--out", str(work / "data")], cwd=ROOT, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
            data = str(work / "data" / "ResumeNER")
        data_flags = ["--model", "ner", "--data_path", data]
        ckpt = work / "ckpt_ner" / "ner-best.ckpt"
    elif args.model == "seq2seq":
        data = args.data_path or str(write_multi30k_sized(work / "multi30k"))
        data_flags = ["--model", "seq2seq", "--data_path", data]
        ckpt = work / "ckpt_seq2seq" / "seq2seq-best.ckpt"
    elif args.model in ("ctc", "deepspeech2"):
        data, predict_input = speech_data(args, work)
        data_flags = ["--model", args.model, "--data_path", data]
        ckpt = work / f"ckpt_{args.model}" / f"{args.model}-best.ckpt"
    else:
        if args.scale > 0 and not args.aclimdb_path:
            args.aclimdb_path, args.glove_path = write_aclimdb_sized(work / "sentiment", args.scale)
        if not (args.aclimdb_path and args.glove_path):
            parser.error("--model sentiment needs --aclimdb_path and --glove_path, or --scale")
        data_flags = ["--aclimdb_path", args.aclimdb_path, "--glove_path", args.glove_path]
        ckpt = work / "ckpt" / "lstm-best.ckpt"
    if args.config_path:
        data_flags += ["--config_path", args.config_path]
    predict_input = predict_input if args.model in ("ctc", "deepspeech2") else PREDICT_INPUT[args.model]
    commands = [
        ("train.py", [py, str(ROOT / "train.py"), *data_flags, "--num_epochs", str(args.epochs), "--progress", "false"]),
        ("eval.py", [py, str(ROOT / "eval.py"), *data_flags, "--ckpt_file", str(ckpt)]),
        ("predict.py (1 input)", [py, str(ROOT / "predict.py"), "--model", args.model, "--ckpt_file", str(ckpt),
                                  predict_input]),
    ]
    results = []
    for name, cmd in commands:
        log = work / (name.split()[0].replace(".py", "") + ".log")
        status, wall, rss = timed_command(cmd, work, log)
        row = {"command": name, "status": status, "wall_s": round(wall, 1), "peak_rss_mib": round(rss)}
        if name == "train.py":
            first, later = first_epoch_compile(log.read_text(encoding="utf-8", errors="replace"))
            row.update({"epochs": args.epochs, "first_epoch_s": first, "median_later_epoch_s": later})
        results.append(row)
        print(json.dumps(row), flush=True)
        if status != 0:
            print(f"{name} failed; see {log}", file=sys.stderr)
            break
    print(f"\n| {args.model} command | wall s | peak RSS MiB |\n|---|---|---|")
    for r in results:
        print(f"| {r['command']} | {r['wall_s']} | {r['peak_rss_mib']} |")
    if results and results[0].get("first_epoch_s") is not None:
        r = results[0]
        print(f"\nfirst epoch {r['first_epoch_s']:.1f} s (graph compilation included), later epochs "
              f"{r['median_later_epoch_s']} s (median, dev evaluation excluded); logs in {work}")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, "work": str(work), "results": results}, indent=2))
    return 0 if all(r["status"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
