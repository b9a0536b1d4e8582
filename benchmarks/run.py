"""Training-throughput benchmarks of lstm_ms models on synthetic data.

Usage, from the repository root: ``python benchmarks/run.py --model sentiment [--json out.json]``.
A benchmark, not a test: it times training steps and prints numbers to read (see
benchmarks/README.md). A model adds itself with a ``bench_<name>(args) -> dict`` function
registered in ``BENCHMARKS``.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_v", "3")  # silence MindSpore's C++ logging; must precede its import
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mindspore as ms  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from lstm_ms.engine.trainer import build_optimizer, build_train_step  # noqa: E402
from lstm_ms.nn.sentiment import SentimentNet  # noqa: E402
from lstm_ms.reference.torch_nets import TorchSentimentNet, copy_to_torch, sentiment_param_map  # noqa: E402
from lstm_ms.tasks import get_task  # noqa: E402

BUCKETS = [64, 128, 256, 384, 500]  # the project's padded bucket lengths (max_len 500 last)
LAYERS, DIRS, CLASSES = 2, 2, 2     # SentimentNet as configured: 2-layer BiLSTM, 2 classes


# ------------------------------------------------------------------------------ helpers
def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_counters():
    """(wall s, busy CPU s of the whole machine, CPU s of this process), to detect competing load
    (other processes, or the hypervisor's steal time)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    own = os.times()
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return time.perf_counter(), busy, own.user + own.system


def others_share(start):
    """Share of the machine's CPU capacity that other processes used since ``start = cpu_counters()``."""
    now = cpu_counters()
    other = (now[1] - start[1]) - (now[2] - start[2])
    return max(0.0, other / ((now[0] - start[0]) * os.cpu_count()))


def cpu_peak():
    """fp32 peak FLOP/s = cores x clock x FLOPs/cycle/core, from what the OS reports.

    Cores: os.cpu_count() (logical CPUs; SMT siblings would count twice). Clock: lscpu's
    "CPU max MHz" when present, else the mean "cpu MHz" of /proc/cpuinfo. FLOPs/cycle from the ISA
    flags, assuming 2 FMA units per core, an FMA being 2 FLOPs: avx512f -> 2x16x2 = 64,
    avx2+fma -> 2x8x2 = 32, otherwise 8.
    """
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    fields = [line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line]
    first = {}
    for key, value in fields:
        first.setdefault(key.strip(), value.strip())
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        lscpu = ""
    max_mhz = [float(line.split(":")[1]) for line in lscpu.splitlines() if line.startswith("CPU max MHz:")]
    if max_mhz:
        mhz, mhz_source = max_mhz[0], "lscpu 'CPU max MHz'"
    else:
        cur = [float(v) for k, v in fields if k.strip() == "cpu MHz"]
        mhz, mhz_source = (statistics.mean(cur) if cur else float("nan")), "/proc/cpuinfo 'cpu MHz' (mean)"
    flags = set(first.get("flags", "").split())
    if "avx512f" in flags:
        per_cycle, isa = 64, "avx512f: 2 FMA units x 16 fp32 lanes x 2"
    elif {"avx2", "fma"} <= flags:
        per_cycle, isa = 32, "avx2+fma: 2 FMA units x 8 fp32 lanes x 2"
    else:
        per_cycle, isa = 8, "no avx2/fma: assumed 8"
    cores = os.cpu_count()
    return {"cpu": first.get("model name", "?"), "cores": cores, "mhz": mhz, "mhz_source": mhz_source,
            "flops_per_cycle": per_cycle, "isa": isa, "peak_gflops": cores * mhz * 1e-3 * per_cycle}


def sentiment_step_flops(tokens, batch, embed, hidden):
    """FLOPs of one SentimentNet training step, matmuls only (elementwise gates, losses and the
    frozen embedding lookup ignored).

    A [1, in] x [in, 4H] matmul is 2*in*4H FLOPs, so one LSTM layer-direction costs, per token,
    2*4H*in (input projection) + 2*4H*H (recurrence) = 8H(in + H) forward; in = E for layer 0,
    in = 2H (both directions) above. The Dense head costs 2*(2H)*C per sample. Backward ~ 2x
    forward (gradients w.r.t. inputs and weights), so a step is 3x forward. ``tokens`` is the
    number of positions actually computed: B*T for MindSpore's fused cells (padding included),
    the sum of lengths for PyTorch's packed sequences.
    """
    ins = [embed] + [DIRS * hidden] * (LAYERS - 1)
    per_token = DIRS * sum(8 * hidden * (i + hidden) for i in ins)
    return 3 * (tokens * per_token + batch * 2 * DIRS * hidden * CLASSES)


def random_batch(rng, lengths, padded_len, vocab):
    """ids [B, padded_len] random in [1, vocab) up to each length, 0 (padding) after; labels 0/1."""
    ids = rng.integers(1, vocab, size=(len(lengths), padded_len)).astype(np.int32)
    ids[np.arange(padded_len)[None, :] >= lengths[:, None]] = 0
    return ids, lengths.astype(np.int32), rng.integers(0, CLASSES, size=len(lengths)).astype(np.int32)


# ------------------------------------------------------------------------------ sentiment
def build_sentiment(args, rng):
    """The MindSpore train step (as the trainer builds it) and its PyTorch twin with equal weights."""
    embedding = (rng.standard_normal((args.vocab, args.embed_size)) * 0.1).astype(np.float32)
    net = SentimentNet(args.vocab, args.embed_size, args.hidden, num_layers=LAYERS, bidirectional=True,
                       num_classes=CLASSES, embedding=embedding)
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.9, "weight_decay": 0.0},
                          net.trainable_params(), np.full(100000, 0.1, np.float32))
    step = build_train_step(net, ms.nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt)
    if args.dynamic_shape:  # as the trainer with dynamic_shape: true; default: one graph per padded shape
        step.set_inputs(*get_task("sentiment").input_specs())
    tnet = copy_to_torch(net, TorchSentimentNet(args.vocab, args.embed_size, args.hidden, LAYERS, True, CLASSES),
                         sentiment_param_map(LAYERS, True))
    topt = torch.optim.SGD([p for p in tnet.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    tloss = torch.nn.CrossEntropyLoss()

    def ms_step(batch):
        tensors = [ms.Tensor(a) for a in batch]
        return lambda: step(*tensors).asnumpy()

    def torch_step(batch):
        ids, lengths, labels = (torch.from_numpy(a).long() for a in batch)

        def run():
            topt.zero_grad()
            loss = tloss(tnet(ids, lengths), labels)
            loss.backward()
            topt.step()
            return loss.item()
        return run
    return ms_step, torch_step


def compare_frameworks(args, rng, ms_step, torch_step):
    """Section 1: warm both up, then interleave one MindSpore and one PyTorch step per repeat."""
    B, T = args.batch_size, args.seq_len
    batch = random_batch(rng, rng.integers(T // 2, T + 1, size=B), T, args.vocab)
    run_ms, run_torch = ms_step(batch), torch_step(batch)
    first_call = timed(run_ms)  # graph compilation + one step
    for _ in range(args.warmup):
        run_ms()
        run_torch()
    ms_times, torch_times = [], []
    start = cpu_counters()
    for _ in range(args.repeats):
        ms_times.append(timed(run_ms))
        torch_times.append(timed(run_torch))
    res = {"batch_size": B, "seq_len": T, "real_tokens": int(batch[1].sum()), "ms_first_call_s": first_call,
           "others_cpu_share": others_share(start)}
    for name, times in (("mindspore", ms_times), ("pytorch", torch_times)):
        res[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
                     "samples_per_s": B / statistics.median(times)}
    res["ratio_ms_over_torch"] = res["mindspore"]["samples_per_s"] / res["pytorch"]["samples_per_s"]
    print(f"\n== 1. Training step, MindSpore vs PyTorch (B={B}, T={T}, E={args.embed_size}, H={args.hidden}, "
          f"2-layer BiLSTM; lengths uniform in [{T // 2}, {T}]) ==")
    print(f"MindSpore first call (graph compile + step): {first_call:.2f} s; then {args.warmup} warm-up steps "
          f"each, {args.repeats} interleaved repeats; torch threads {torch.get_num_threads()}")
    print(f"{'':<10} {'median s/step':>14} {'min..max s':>16} {'samples/s':>10}")
    for name in ("mindspore", "pytorch"):
        r = res[name]
        print(f"{name:<10} {r['median_s']:>14.4f} {r['min_s']:>7.4f}..{r['max_s']:<7.4f} {r['samples_per_s']:>10.1f}")
    print(f"ratio (MindSpore samples/s / PyTorch samples/s): {res['ratio_ms_over_torch']:.2f}")
    print(f"other processes used {res['others_cpu_share']:.0%} of the CPU meanwhile (want ~0%)")
    return res


def fraction_of_peak(args, step_res):
    """Section 2: analytic FLOPs per step over the measured step time, against the CPU's fp32 peak."""
    peak = cpu_peak()
    B, T = args.batch_size, args.seq_len
    executed = {"mindspore": sentiment_step_flops(B * T, B, args.embed_size, args.hidden),
                "pytorch": sentiment_step_flops(step_res["real_tokens"], B, args.embed_size, args.hidden)}
    print("\n== 2. Fraction of the CPU's fp32 peak ==")
    print(f"CPU: {peak['cpu']}; cores (os.cpu_count) {peak['cores']}; clock {peak['mhz']:.0f} MHz "
          f"from {peak['mhz_source']}; {peak['flops_per_cycle']} FLOPs/cycle/core ({peak['isa']})")
    print(f"peak = {peak['cores']} x {peak['mhz'] / 1e3:.3f} GHz x {peak['flops_per_cycle']} = "
          f"{peak['peak_gflops']:.1f} GFLOP/s (assumes all cores at that clock, 2 FMA units, no throttling)")
    print("FLOPs/step = 3 x (tokens x 2 dirs x sum over layers 8H(in+H) + B x 2 x 2H x 2), in = E then 2H; "
          "matmuls only, backward = 2x forward;\n  tokens = B*T for MindSpore (fused cells compute padding), "
          "sum of lengths for PyTorch (packed sequences)")
    print(f"{'':<10} {'GFLOP/step':>11} {'GFLOP/s':>9} {'of peak':>8}")
    res = {"cpu": peak}
    for name in ("mindspore", "pytorch"):
        gflops = executed[name] / 1e9 / step_res[name]["median_s"]
        res[name] = {"gflop_per_step": executed[name] / 1e9, "gflops": gflops,
                     "fraction_of_peak": gflops / peak["peak_gflops"]}
        print(f"{name:<10} {executed[name] / 1e9:>11.2f} {gflops:>9.1f} {res[name]['fraction_of_peak']:>8.1%}")
    return res


def padding_waste(args, rng, ms_step):
    """Section 3: one synthetic epoch padded to 500 vs bucketed, costed with measured MindSpore steps."""
    B = args.batch_size
    # aclImdb-like token lengths: log-normal with median 175 and mean 235 (before clipping)
    sigma = math.sqrt(2 * math.log(235 / 175))
    lengths = np.clip(np.rint(rng.lognormal(math.log(175), sigma, args.epoch_reviews)), 10, 500).astype(np.int64)
    # batches as the training pipeline forms them: full batches only (drop_remainder), per bucket
    bucket_of = np.searchsorted(BUCKETS, lengths)  # smallest bucket length >= review length
    plans = {"padded_500": {500: lengths[: len(lengths) // B * B]},
             "bucketed": {p: lengths[bucket_of == i][: (bucket_of == i).sum() // B * B] for i, p in enumerate(BUCKETS)}}
    step_s, start = {}, cpu_counters()
    for p in sorted({p for plan in plans.values() for p, kept in plan.items() if len(kept)}):
        # MindSpore computes every padded position, so the step cost depends on p, not on the lengths
        run = ms_step(random_batch(rng, rng.choice(lengths[lengths <= p], B), p, args.vocab))
        run()  # first call at a new shape compiles (static shapes) or resizes kernels (dynamic)
        step_s[p] = statistics.median(timed(run) for _ in range(args.shape_repeats))
    print(f"\n== 3. Padding waste: every batch padded to 500 vs bucketed {BUCKETS} (MindSpore, B={B}) ==")
    print(f"{args.epoch_reviews} synthetic review lengths, log-normal (median 175, mean 235 tokens, like aclImdb), "
          f"clipped to [10, 500]: sample median {np.median(lengths):.0f}, mean {lengths.mean():.0f}")
    print("measured s/step (median of {}): {}".format(
        args.shape_repeats, ", ".join(f"T={p}: {s:.3f}" for p, s in step_s.items())))
    print(f"{'':<11} {'batches':>8} {'real tokens':>12} {'computed':>10} {'padding':>8} {'epoch s':>8} "
          f"{'real tok/s':>11}")
    res = {"step_s_by_len": {str(p): s for p, s in step_s.items()}, "length_median": float(np.median(lengths)),
           "length_mean": float(lengths.mean()), "others_cpu_share": others_share(start)}
    for name, plan in plans.items():
        batches = {p: len(kept) // B for p, kept in plan.items()}
        real = int(sum(kept.sum() for kept in plan.values()))
        computed = sum(n * B * p for p, n in batches.items())
        seconds = sum(n * step_s[p] for p, n in batches.items() if n)
        res[name] = {"batches": sum(batches.values()), "batches_by_len": {str(p): n for p, n in batches.items()},
                     "real_tokens": real, "computed_positions": computed, "padding_fraction": 1 - real / computed,
                     "epoch_s": seconds, "real_tokens_per_s": real / seconds}
        r = res[name]
        print(f"{name:<11} {r['batches']:>8} {real:>12} {computed:>10} {r['padding_fraction']:>8.1%} "
              f"{seconds:>8.1f} {r['real_tokens_per_s']:>11.0f}")
    res["bucketed_speedup"] = res["bucketed"]["real_tokens_per_s"] / res["padded_500"]["real_tokens_per_s"]
    print(f"bucketing: {res['bucketed_speedup']:.2f}x real tokens/s; other processes used "
          f"{res['others_cpu_share']:.0%} of the CPU meanwhile (want ~0%)")
    return res


def bench_sentiment(args):
    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_device("CPU")
    ms.set_seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count())
    rng = np.random.default_rng(args.seed)
    ms_step, torch_step = build_sentiment(args, rng)
    res = {"config": {k: v for k, v in vars(args).items() if k != "json"}}
    res["step"] = compare_frameworks(args, rng, ms_step, torch_step)
    res["peak"] = fraction_of_peak(args, res["step"])
    res["padding"] = padding_waste(args, rng, ms_step)
    s, p, w = res["step"], res["peak"], res["padding"]
    print("\n== Summary ==")
    print(f"train step B={s['batch_size']} T={s['seq_len']}: MindSpore {s['mindspore']['samples_per_s']:.1f} "
          f"samples/s, PyTorch {s['pytorch']['samples_per_s']:.1f} samples/s, ratio {s['ratio_ms_over_torch']:.2f}")
    print(f"fraction of fp32 peak ({p['cpu']['peak_gflops']:.0f} GFLOP/s): MindSpore "
          f"{p['mindspore']['fraction_of_peak']:.1%}, PyTorch {p['pytorch']['fraction_of_peak']:.1%}")
    print(f"epoch real tokens/s: padded-to-500 {w['padded_500']['real_tokens_per_s']:.0f} "
          f"({w['padded_500']['padding_fraction']:.0%} padding), bucketed {w['bucketed']['real_tokens_per_s']:.0f} "
          f"({w['bucketed']['padding_fraction']:.0%} padding): {w['bucketed_speedup']:.2f}x")
    if max(s["others_cpu_share"], w["others_cpu_share"]) > 0.05:
        print("WARNING: other processes competed for the CPU; times are inflated (PyTorch's most: its threads "
              "synchronise at every time step). Rerun on an idle machine.")
    return res


class StockSeqLengthNet(ms.nn.Cell):
    """SentimentNet's shape with the stock multi-layer ``nn.LSTM`` given ``seq_length`` (the design
    that ``PaddedRNN`` replaces): embedding -> 2-layer BiLSTM(seq_length) -> last layer's final
    states -> Dense."""

    def __init__(self, vocab, embed, hidden, embedding):
        super().__init__()
        self.embedding = ms.nn.Embedding(vocab, embed, embedding_table=ms.Tensor(embedding))
        self.embedding.embedding_table.requires_grad = False
        self.rnn = ms.nn.LSTM(embed, hidden, LAYERS, batch_first=True, bidirectional=True)
        self.decoder = ms.nn.Dense(DIRS * hidden, CLASSES)

    def construct(self, ids, lengths):
        _, (h, _) = self.rnn(self.embedding(ids), seq_length=lengths)
        return self.decoder(ms.ops.concat((h[-2], h[-1]), -1))


def bench_stock_seq_length(args):
    """Compile time (first step) and median step time of the stock ``nn.LSTM(seq_length=...)`` against
    ``PaddedRNN`` (SentimentNet) at the same shapes, one framework, same batch."""
    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_device("CPU")
    ms.set_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    embedding = (rng.standard_normal((args.vocab, args.embed_size)) * 0.1).astype(np.float32)
    lengths = rng.integers(args.seq_len // 2, args.seq_len + 1, size=args.batch_size)
    batch = [ms.Tensor(a) for a in random_batch(rng, lengths, args.seq_len, args.vocab)]
    res = {"config": {k: v for k, v in vars(args).items() if k != "json"}}
    nets = {"PaddedRNN (SentimentNet)": SentimentNet(args.vocab, args.embed_size, args.hidden, num_layers=LAYERS,
                                                     bidirectional=True, num_classes=CLASSES, embedding=embedding),
            "stock nn.LSTM(seq_length=...)": StockSeqLengthNet(args.vocab, args.embed_size, args.hidden, embedding)}
    for name, net in nets.items():
        opt = build_optimizer({"optimizer": "momentum", "momentum": 0.9, "weight_decay": 0.0},
                              net.trainable_params(), np.full(100000, 0.1, np.float32))
        step = build_train_step(net, ms.nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt)
        first = timed(lambda: step(*batch).asnumpy())
        for _ in range(args.warmup):
            step(*batch).asnumpy()
        times = [timed(lambda: step(*batch).asnumpy()) for _ in range(args.repeats)]
        res[name] = {"first_step_s": first, "step_s_median": statistics.median(times)}
        print(f"{name}: first step (compile + run) {first:.1f} s, then {statistics.median(times):.3f} s/step "
              f"(median of {args.repeats}) at B={args.batch_size}, T={args.seq_len}", flush=True)
    return res


BENCHMARKS = {"sentiment": bench_sentiment, "stock_seq_length": bench_stock_seq_length}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(BENCHMARKS))
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--seq_len", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=10, help="interleaved timed steps per framework")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per framework after compilation")
    parser.add_argument("--embed_size", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--vocab", type=int, default=20000)
    parser.add_argument("--epoch_reviews", type=int, default=2000, help="synthetic reviews in the padding epoch")
    parser.add_argument("--shape_repeats", type=int, default=3, help="timed steps per padded length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dynamic_shape", action="store_true",
                        help="one dynamic-shape training graph (the trainer's dynamic_shape: true)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.epoch_reviews < args.batch_size:
        parser.error("--epoch_reviews must be at least --batch_size")
    results = BENCHMARKS[args.model](args)
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, **results}, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
