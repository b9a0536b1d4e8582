"""Every model of the zoo against its PyTorch twin, in one command.

    python benchmarks/run.py [--models a,b,...] [--quick] [--json PATH] [--no_recipe] [shape flags]

Default: every registered model (``lstm_ms.tasks.names()``). Each model runs in a process of its own
(``--child``): our network (graph mode) and its twin (``lstm_ms/reference``, torch CPU) with the same
shapes, hyperparameters and initial weights, interleaved after warm-up, several repetitions:

1. the training step (samples/s and the natural unit: tokens, characters, audio seconds), our step
   first alone (compile, warm-up, peak RSS before PyTorch is imported), median and min..max;
2. analytic FLOPs of one step and the fraction of this CPU's fp32 peak (its inputs printed);
3. inference at batch 1 (a 30-token review, 30-character sentence, 12-word source, 3 s utterance)
   and at the training batch, the checkpoint network against the twin;
4. the same inference through the exported MINDIR (``mindspore.load`` + ``nn.GraphCell``, the CPU
   runner's path) in a fresh process without PyTorch: latency and that process's peak RSS;
5. the data path: preprocessing throughput and one epoch of the training pipeline against the
   step's demand;
6. (not with ``--quick`` or ``--no_recipe``) the whole recipe as a user runs it:
   ``benchmarks/commands.py`` times train.py, eval.py and predict.py (wall clock, peak RSS) on
   generated data of a stated, reduced size (``RECIPES``).

Prints a markdown table (one row per model, its registry name first) and writes it with the JSON
to ``--results_dir`` (default benchmarks/results/: ``quick.md``/``quick.json`` or
``full.md``/``full.json``). ``--quick``: small shapes, fewer repetitions, no recipe (a few minutes on
2 cores). A benchmark, not a test: nothing is asserted; see benchmarks/README.md.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_v", "3")  # silence MindSpore's C++ logging; must precede its import
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (module, function) of each entry, the module holding its DEFAULTS and QUICK shapes; ``stock_seq_length``
# is an experiment, not a model: run it with --models stock_seq_length
ENTRIES = {"sentiment": ("bench_sentiment", "bench_sentiment"), "ner": ("bench_ner", "bench_ner"),
           "seq2seq": ("bench_seq2seq", "bench_seq2seq"), "ctc": ("bench_speech", "bench_ctc"),
           "deepspeech2": ("bench_speech", "bench_deepspeech2"),
           "stock_seq_length": ("bench_sentiment", "bench_stock_seq_length")}
# the whole recipe at a reduced, stated size: benchmarks/commands.py flags and what they mean
RECIPES = {"sentiment": (["--epochs", "1", "--scale", "0.2"], "1 epoch, 5,000 + 5,000 reviews (1/5 of aclImdb)"),
           "ner": (["--epochs", "30", "--size", "6.37"], "30 epochs, ResumeNER-sized (3,821 / 463 / 477 sentences)"),
           "seq2seq": (["--epochs", "1"], "1 epoch, Multi30k-sized (29,000 / 1,014 / 1,000 pairs)"),
           "ctc": (["--epochs", "2"], "2 epochs, 512 TIMIT-format utterances"),
           "deepspeech2": (["--epochs", "1"], "1 epoch, AN4-sized (948 / 50 / 130 utterances)")}
SHAPE_FLAGS = (("batch_size", int, ""), ("seq_len", int, "padded length (seq2seq: source and target; speech: frames)"),
               ("repeats", int, "interleaved timed calls per framework"),
               ("warmup", int, "untimed calls per framework after compilation"),
               ("embed_size", int, ""), ("hidden", int, ""), ("vocab", int, "(seq2seq: source vocabulary)"),
               ("tgt_vocab", int, "seq2seq: target vocabulary"), ("seg_size", int, "ner: soft-word embedding"),
               ("num_features", int, "speech: features per frame"),
               ("num_classes", int, "ner: tags; speech: classes, blank included"),
               ("num_layers", int, "ner, speech: LSTM layers (deepspeech2 at AN4's size: --hidden 1024 "
                                   "--num_layers 5)"),
               ("conv_channels", int, "deepspeech2: channels of both convolutions"),
               ("dropout", float, "ner, seq2seq, ctc: dropout in the training step"),
               ("infer_len", int, "batch-1 inference input: tokens (sentiment, ner) or frames (speech)"),
               ("max_decode_len", int, "seq2seq: decoding steps"),
               ("epoch_reviews", int, "sentiment: synthetic reviews in the padding epoch"),
               ("shape_repeats", int, "sentiment: timed steps per padded length"),
               ("data_size", float, "size of the generated data of the data path (the task's make_sample)"))
COMMON = {"max_decode_len": 30, "beam_size": 5, "length_penalty": 0.6, "epoch_reviews": 2000,
          "shape_repeats": 3, "data_size": 1.0}
INFER_LEN = {"sentiment": 30, "ner": 30, "ctc": 300, "deepspeech2": 300}
QUICK_COMMON = {"data_size": 0.25}


def entry(model):
    import importlib

    module, func = ENTRIES[model]
    mod = importlib.import_module(f"benchmarks.{module}")
    defaults = getattr(mod, "DEFAULTS", {})
    quick = getattr(mod, "QUICK", {})
    if model in defaults:  # a module with several entries keys its tables by model
        defaults, quick = defaults[model], quick.get(model, {})
    return getattr(mod, func), defaults, quick


def settle(args):
    """Fill the flags left at None: what every entry shares, overridden by the model's defaults, overridden
    by its --quick shapes."""
    _, defaults, quick = entry(args.model)
    merged = {**COMMON, "infer_len": INFER_LEN.get(args.model, 30), **defaults}
    if args.quick:
        merged.update({**QUICK_COMMON, **quick})
    for key, value in merged.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)


# ------------------------------------------------------------------------------ one model (child)
def run_child(args):
    """One model in this process: its entry, the MINDIR process, the data path -> JSON at args.child_out;
    the files they wrote are removed."""
    settle(args)
    with tempfile.TemporaryDirectory(prefix=f"bench-{args.model}-") as work:  # MINDIRs, their inputs, sample data
        args.work = work
        res = measure_one(args)
    Path(args.child_out).write_text(json.dumps(res, indent=2, default=float))


def measure_one(args):
    """Sections 1-5 of ``args.model``, with its files under ``args.work`` -> the results."""
    func, _, _ = entry(args.model)
    res = func(args)
    if res.get("exports"):
        cases = Path(args.work) / "cases.json"
        cases.write_text(json.dumps(res["exports"]))
        out = Path(args.work) / "mindir.json"
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "mindir_child.py"), str(cases), str(out),
                        str(args.repeats)], check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        res["mindir"] = json.loads(out.read_text())
        print_mindir(res["mindir"])
    if "summary" in res:
        from benchmarks import datapath

        res["data"] = datapath.measure(args.model, args.data_size, args.work, res["summary"]["ours_per_s"])
    return res


def print_mindir(m):
    print("\n== 4. The exported MINDIR (mindspore.load + nn.GraphCell, the CPU runner's path), a fresh process ==")
    print(f"{'case':<44} {'load s':>7} {'first s':>8} {'median ms':>10} {'ms/sample':>10}")
    for c in m["cases"]:
        print(f"{c['what']:<44} {c['load_s']:>7.2f} {c['first_call_s']:>8.2f} {1e3 * c['median_s']:>10.2f} "
              f"{c['ms_per_sample']:>10.2f}")
    print(f"peak RSS of the inference process: {m['peak_rss_mib']:.0f} MiB")


# ------------------------------------------------------------------------------ all models (parent)
def run_recipe(model, work):
    flags, what = RECIPES[model]
    out = Path(work) / f"recipe-{model}.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "commands.py"), "--model", model, *flags, "--json", str(out),
           "--work", str(Path(work) / f"recipe-{model}")]
    print(f"\n== 6. Whole recipe ({what}): {' '.join(cmd[1:])} ==", flush=True)
    subprocess.run(cmd, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    if not out.is_file():
        return {"what": what, "error": "commands.py wrote no results"}
    return {"what": what, **json.loads(out.read_text())}


COLUMNS = ["model", "train ours", "train twin", "ratio", "% of fp32 peak (ours / twin)", "latency b1 ours / twin",
           "MINDIR b1", "RSS train / inference"]


def row(model, res):
    """The table's row of one model's results (a dash where a part is missing)."""
    s = res.get("summary")
    if s is None:
        return [model] + ["-"] * (len(COLUMNS) - 1)
    unit = s["unit"]
    one = next((c for c in res.get("mindir", {}).get("cases", []) if c["batch_size"] == 1), None)
    rss_inf = res.get("mindir", {}).get("peak_rss_mib")
    rss_train = s["train_peak_rss_mib"]
    recipe_rss = next((r["peak_rss_mib"] for r in res.get("recipe", {}).get("results", [])
                       if r["command"] == "train.py"), None)
    if recipe_rss is not None:
        rss_train = max(rss_train, recipe_rss)
    return [model, f"{s['ours_per_s']:.1f} {unit}/s", f"{s['twin_per_s']:.1f} {unit}/s", f"{s['ratio']:.2f}x",
            f"{pct(s['peak_ours'])} / {pct(s['peak_twin'])}", f"{s['b1_ours_ms']:.1f} / {s['b1_twin_ms']:.1f} ms",
            f"{1e3 * one['median_s']:.1f} ms" if one else "-",
            f"{rss_train / 1024:.2f} / {rss_inf / 1024:.2f} GiB" if rss_inf else f"{rss_train / 1024:.2f} GiB / -"]


def pct(x):
    return f"{x:.1%}" if x >= 0.01 else f"{x:.2%}"


def table(results):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row(m, r)) + " |" for m, r in results.items()]
    return "\n".join(lines)


def describe(results, quick):
    """The lines under the table: what each row's numbers are."""
    out = []
    for model, res in results.items():
        cfg, s = res.get("config", {}), res.get("summary")
        if not s:
            continue
        shape = ", ".join(f"{k} {cfg[k]}" for k in ("batch_size", "seq_len", "embed_size", "hidden", "num_layers",
                                                    "conv_channels", "vocab") if cfg.get(k) is not None)
        data = res.get("data")
        extra = (f"; data path: preprocessing {data['examples_per_s']:.0f} {data['unit']}/s, pipeline "
                 f"{data['samples_per_s']:.0f} {data['unit']}/s ({data['headroom']:.1f}x the step's demand)") if data else ""
        recipe = res.get("recipe")
        if recipe and recipe.get("results"):
            r = {x["command"]: x for x in recipe["results"]}
            train = r.get("train.py", {})
            extra += (f"; recipe ({recipe['what']}): train.py {train.get('wall_s')} s, peak RSS "
                      f"{train.get('peak_rss_mib')} MiB")
        out.append(f"- `{model}`: train step at {shape}; batch 1 = {s['b1_what']}{extra}.")
    rss = ("RSS train: peak resident memory of the benchmark process after our training step ran alone (compiled "
           "graph, one batch; before PyTorch is imported)" + ("" if quick else ", or of the recipe's train.py when "
                                                              "larger") + "; inference: the MINDIR process's peak.")
    return "\n".join(out + [f"- ratio: our samples/s over the twin's (above 1: we are faster). {rss}"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated registry names (default: every registered "
                                                     "model); also: stock_seq_length")
    parser.add_argument("--model", default="", help="one model (same as --models NAME)")
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 repeats, no recipe")
    parser.add_argument("--no_recipe", action="store_true", help="skip section 6 (the whole recipe)")
    parser.add_argument("--json", help="also write all results to this JSON file")
    parser.add_argument("--update", action="store_true",
                        help="keep the other models' rows of the results already in --results_dir (same mode) and "
                             "replace only the models run now")
    parser.add_argument("--results_dir", default=str(ROOT / "benchmarks" / "results"))
    for name, kind, text in SHAPE_FLAGS:
        parser.add_argument(f"--{name}", type=kind, default=None, help=(text + "; " if text else "") +
                            "default: the model's (DEFAULTS in its bench_*.py module)")
    parser.add_argument("--beam_size", type=int, default=None, help="seq2seq: beam width of the beam-search timing")
    parser.add_argument("--length_penalty", type=float, default=None, help="seq2seq: beam search's alpha")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dynamic_shape", action="store_true",
                        help="sentiment: one dynamic-shape training graph (the trainer's dynamic_shape: true)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child_out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.model = args.child
        return run_child(args)
    from lstm_ms.tasks import names

    models = [m for m in (args.models or args.model).split(",") if m] or names()
    unknown = [m for m in models if m not in ENTRIES]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)} (known: {', '.join(ENTRIES)})")
    passed = strip_parent_flags(sys.argv[1:] if argv is None else argv)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    results, start = {}, time.perf_counter()
    for model in models:
        out = work / f"{model}.json"
        print(f"\n########## {model} ##########", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", model, "--child_out", str(out),
                               *passed], env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
        results[model] = json.loads(out.read_text()) if proc.returncode == 0 and out.is_file() else {
            "error": f"exit status {proc.returncode}"}
        results[model]["wall_s"] = time.perf_counter() - t0
        if model in RECIPES and not (args.quick or args.no_recipe) and "error" not in results[model]:
            results[model]["recipe"] = run_recipe(model, work)
    from benchmarks.common import cpu_peak

    peak = cpu_peak()
    mode = "quick" if args.quick else "full"
    updated = ""
    previous = Path(args.results_dir) / f"{mode}.json"
    if args.update and previous.is_file():
        kept = {m: r for m, r in json.loads(previous.read_text())["models"].items() if m not in results}
        results = dict(sorted({**kept, **results}.items()))
        updated = f"; rows of {', '.join(sorted(kept))} kept from the previous run" if kept else ""
    head = (f"lstm_ms benchmarks ({mode}), {time.strftime('%Y-%m-%d')}: {peak['cpu']}, {peak['cores']} cores, fp32 "
            f"peak {peak['peak_gflops']:.1f} GFLOP/s ({peak['cores']} x {peak['mhz'] / 1e3:.2f} GHz x "
            f"{peak['flops_per_cycle']} FLOPs/cycle); MindSpore {version('mindspore')}, torch {version('torch')}; "
            f"{time.perf_counter() - start:.0f} s{updated}")
    text = f"{head}\n\n{table(results)}\n\n{describe(results, args.quick)}\n"
    print("\n" + text)
    failed = [m for m, r in results.items() if "error" in r]
    if any("recipe" in r for r in results.values()):
        print(f"the recipes' data, logs and checkpoints are in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    write_results(args, mode, text, {"mode": mode, "cpu": peak, "models": results})
    return 1 if failed else 0


def strip_parent_flags(argv):
    """``argv`` without the flags only the parent reads (--models/--model/--json/--results_dir and values)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if name in ("--models", "--model", "--json", "--results_dir"):
            skip = "=" not in a
            continue
        out.append(a)
    return out


def version(module):
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(module)
    except PackageNotFoundError:
        return "?"


def write_results(args, mode, text, data):
    from lstm_ms.core.atomic import write_json, write_text

    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    write_text(results_dir / f"{mode}.md", text)
    write_json(results_dir / f"{mode}.json", data)
    if args.json:
        write_json(args.json, data)
    print(f"wrote {results_dir / f'{mode}.md'} and {results_dir / f'{mode}.json'}" +
          (f" and {args.json}" if args.json else ""))


if __name__ == "__main__":
    sys.exit(main())
