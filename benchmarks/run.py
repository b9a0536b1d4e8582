"""Training-throughput benchmarks of lstm_ms models on synthetic data.

Usage, from the repository root: ``python benchmarks/run.py --model sentiment|seq2seq|ctc|deepspeech2
[--json out.json]``. ``--model deepspeech2`` defaults to models/deepspeech2/config_cpu.yaml's network
(H 256, 3 layers); ``--model deepspeech2 --hidden 1024 --num_layers 5`` times the AN4 reference size
(config_an4.yaml).
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


def start_run(args):
    """Graph mode on CPU, seeds, all cores for torch -> (numpy generator, results dict with the config)."""
    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_device("CPU")
    ms.set_seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count())
    return np.random.default_rng(args.seed), {"config": {k: v for k, v in vars(args).items() if k != "json"}}


def summarise_peak(peak_res):
    print(f"fraction of fp32 peak ({peak_res['cpu']['peak_gflops']:.0f} GFLOP/s): MindSpore "
          f"{peak_res['mindspore']['fraction_of_peak']:.1%}, PyTorch {peak_res['pytorch']['fraction_of_peak']:.1%}")


def warn_if_busy(*shares):
    if max(shares) > 0.05:
        print("WARNING: other processes competed for the CPU; times are inflated (PyTorch's most: its threads "
              "synchronise at every time step). Rerun on an idle machine.")


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
    return 3 * bilstm_forward_flops(tokens, batch, embed, hidden, LAYERS, CLASSES)


def bilstm_forward_flops(tokens, head_rows, in_size, hidden, layers, classes, summed=False):
    """Forward matmul FLOPs of a ``layers``-deep BiLSTM over ``tokens`` positions, 8H(in + H) per
    token and layer-direction (in = ``in_size`` for layer 0, 2H above), plus a Dense 2H -> ``classes``
    head applied to ``head_rows`` rows (2 * 2H * classes each). ``summed``: each layer's two directions
    are summed (DeepSpeech2), so the layers above the first and the head read H, not 2H."""
    width = hidden if summed else DIRS * hidden
    ins = [in_size] + [width] * (layers - 1)
    per_token = DIRS * sum(8 * hidden * (i + hidden) for i in ins)
    return tokens * per_token + head_rows * 2 * width * classes


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


def time_interleaved(args, run_ms, run_torch):
    """MindSpore's first call (graph compile + one step), ``args.warmup`` untimed calls of each, then
    ``args.repeats`` timed calls alternating one MindSpore, one PyTorch (so that drift in machine load
    hits both alike) -> {"ms_first_call_s", "others_cpu_share", "mindspore"/"pytorch": {median_s, ...}}."""
    first_call = timed(run_ms)
    for _ in range(args.warmup):
        run_ms()
        run_torch()
    ms_times, torch_times = [], []
    start = cpu_counters()
    for _ in range(args.repeats):
        ms_times.append(timed(run_ms))
        torch_times.append(timed(run_torch))
    res = {"ms_first_call_s": first_call, "others_cpu_share": others_share(start)}
    for name, times in (("mindspore", ms_times), ("pytorch", torch_times)):
        res[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
    return res


def report_step(args, res, title, samples, tokens=None, token_label="tokens/s"):
    """Adds samples/s (and ``tokens``/s when given) and the ratio to ``res`` from ``time_interleaved``,
    and prints section 1's table under ``title``."""
    for name in ("mindspore", "pytorch"):
        res[name]["samples_per_s"] = samples / res[name]["median_s"]
        if tokens is not None:
            res[name]["tokens_per_s"] = tokens / res[name]["median_s"]
    res["ratio_ms_over_torch"] = res["mindspore"]["samples_per_s"] / res["pytorch"]["samples_per_s"]
    print(f"\n== 1. {title} ==")
    print(f"MindSpore first call (graph compile + step): {res['ms_first_call_s']:.2f} s; then {args.warmup} warm-up "
          f"steps each, {args.repeats} interleaved repeats; torch threads {torch.get_num_threads()}")
    extra = f" {token_label:>12}" if tokens is not None else ""
    print(f"{'':<10} {'median s/step':>14} {'min..max s':>16} {'samples/s':>10}{extra}")
    for name in ("mindspore", "pytorch"):
        r = res[name]
        extra = f" {r['tokens_per_s']:>12.0f}" if tokens is not None else ""
        print(f"{name:<10} {r['median_s']:>14.4f} {r['min_s']:>7.4f}..{r['max_s']:<7.4f} {r['samples_per_s']:>10.1f}"
              f"{extra}")
    print(f"ratio (MindSpore samples/s / PyTorch samples/s): {res['ratio_ms_over_torch']:.2f}")
    print(f"other processes used {res['others_cpu_share']:.0%} of the CPU meanwhile (want ~0%)")
    return res


def compare_frameworks(args, rng, ms_step, torch_step):
    """Section 1: warm both up, then interleave one MindSpore and one PyTorch step per repeat."""
    B, T = args.batch_size, args.seq_len
    batch = random_batch(rng, rng.integers(T // 2, T + 1, size=B), T, args.vocab)
    res = {"batch_size": B, "seq_len": T, "real_tokens": int(batch[1].sum())}
    res.update(time_interleaved(args, ms_step(batch), torch_step(batch)))
    title = (f"Training step, MindSpore vs PyTorch (B={B}, T={T}, E={args.embed_size}, H={args.hidden}, "
             f"2-layer BiLSTM; lengths uniform in [{T // 2}, {T}])")
    return report_step(args, res, title, B)


def report_peak(step_res, executed, formula):
    """Section 2's table: ``executed[framework]`` analytic FLOPs per step over the step's median time,
    against the CPU's fp32 peak; ``formula`` (text) says how the FLOPs were counted."""
    peak = cpu_peak()
    print("\n== 2. Fraction of the CPU's fp32 peak ==")
    print(f"CPU: {peak['cpu']}; cores (os.cpu_count) {peak['cores']}; clock {peak['mhz']:.0f} MHz "
          f"from {peak['mhz_source']}; {peak['flops_per_cycle']} FLOPs/cycle/core ({peak['isa']})")
    print(f"peak = {peak['cores']} x {peak['mhz'] / 1e3:.3f} GHz x {peak['flops_per_cycle']} = "
          f"{peak['peak_gflops']:.1f} GFLOP/s (assumes all cores at that clock, 2 FMA units, no throttling)")
    print(formula)
    print(f"{'':<10} {'GFLOP/step':>11} {'GFLOP/s':>9} {'of peak':>8}")
    res = {"cpu": peak}
    for name in ("mindspore", "pytorch"):
        gflops = executed[name] / 1e9 / step_res[name]["median_s"]
        res[name] = {"gflop_per_step": executed[name] / 1e9, "gflops": gflops,
                     "fraction_of_peak": gflops / peak["peak_gflops"]}
        print(f"{name:<10} {executed[name] / 1e9:>11.2f} {gflops:>9.1f} {res[name]['fraction_of_peak']:>8.1%}")
    return res


def fraction_of_peak(args, step_res):
    """Section 2: analytic FLOPs per step over the measured step time, against the CPU's fp32 peak."""
    B, T = args.batch_size, args.seq_len
    executed = {"mindspore": sentiment_step_flops(B * T, B, args.embed_size, args.hidden),
                "pytorch": sentiment_step_flops(step_res["real_tokens"], B, args.embed_size, args.hidden)}
    return report_peak(step_res, executed,
                       "FLOPs/step = 3 x (tokens x 2 dirs x sum over layers 8H(in+H) + B x 2 x 2H x 2), "
                       "in = E then 2H; matmuls only, backward = 2x forward;\n  tokens = B*T for MindSpore "
                       "(fused cells compute padding), sum of lengths for PyTorch (packed sequences)")


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
    rng, res = start_run(args)
    ms_step, torch_step = build_sentiment(args, rng)
    res["step"] = compare_frameworks(args, rng, ms_step, torch_step)
    res["peak"] = fraction_of_peak(args, res["step"])
    res["padding"] = padding_waste(args, rng, ms_step)
    s, p, w = res["step"], res["peak"], res["padding"]
    print("\n== Summary ==")
    print(f"train step B={s['batch_size']} T={s['seq_len']}: MindSpore {s['mindspore']['samples_per_s']:.1f} "
          f"samples/s, PyTorch {s['pytorch']['samples_per_s']:.1f} samples/s, ratio {s['ratio_ms_over_torch']:.2f}")
    summarise_peak(p)
    print(f"epoch real tokens/s: padded-to-500 {w['padded_500']['real_tokens_per_s']:.0f} "
          f"({w['padded_500']['padding_fraction']:.0%} padding), bucketed {w['bucketed']['real_tokens_per_s']:.0f} "
          f"({w['bucketed']['padding_fraction']:.0%} padding): {w['bucketed_speedup']:.2f}x")
    warn_if_busy(s["others_cpu_share"], w["others_cpu_share"])
    return res


# ------------------------------------------------------------------------------ seq2seq
def seq2seq_step_flops(src_tokens, batch, src_len, tgt_len, embed, hidden, attn, tgt_vocab):
    """FLOPs of one Seq2SeqNet training step (teacher forced), matmuls only: elementwise gates, tanh,
    softmax, the loss and the embedding lookups are ignored. A [1, in] x [in, out] matmul is 2*in*out.

    Forward, with S, T the padded source and target lengths and A the attention size:
      encoder BiGRU: 2 directions x 2*3H*(E + H) per source token (3 gates; input + recurrence);
      bridge: 2*(2H)*H per sentence;
      attention keys: 2*(2H)*A per source position, once (padding included in both frameworks);
      per decoder step and sentence: query 2*H*A, energies v^T tanh(.) 2*S*A, context 2*S*(2H),
      GRUCell 2*3H*((E + 2H) + H), output layer 2*(3H + E)*V; B*T decoder steps in both frameworks.
    Backward ~ 2x forward, so a step is 3x forward. ``src_tokens`` is B*S for MindSpore (PaddedRNN
    computes padded positions), the sum of source lengths for PyTorch (packed sequences).
    """
    H, E, A, S = hidden, embed, attn, src_len
    encoder = src_tokens * 2 * 2 * 3 * H * (E + H)
    once = batch * 2 * (2 * H) * H + batch * S * 2 * (2 * H) * A
    per_step = 2 * H * A + 2 * S * A + 2 * S * 2 * H + 2 * 3 * H * (E + 3 * H) + 2 * (3 * H + E) * tgt_vocab
    return 3 * (encoder + once + batch * tgt_len * per_step)


def seq2seq_batch(rng, batch, padded_len, src_vocab, tgt_vocab):
    """(src, src_len, tgt_in, tgt) as the seq2seq pipeline feeds them: random ids, source and target
    lengths (<eos> included) uniform in [padded_len/2, padded_len], padded with PAD_ID; tgt = words +
    <eos>, tgt_in = <sos> + words."""
    from lstm_ms.tasks.seq2seq import EOS_ID, PAD_ID, SOS_ID

    def lengths():
        return rng.integers(padded_len // 2, padded_len + 1, size=batch)

    src, src_len, _ = random_batch(rng, lengths(), padded_len, src_vocab)
    tgt, tgt_len, _ = random_batch(rng, lengths(), padded_len, tgt_vocab)
    tgt[np.arange(batch), tgt_len - 1] = EOS_ID
    tgt_in = np.concatenate((np.full((batch, 1), SOS_ID, np.int32), tgt[:, :-1]), 1)
    tgt_in[np.arange(padded_len)[None, :] >= tgt_len[:, None]] = PAD_ID
    return src, src_len, tgt_in, tgt


def seq2seq_net(args):
    from lstm_ms.nn.seq2seq import Seq2SeqNet
    from lstm_ms.tasks.seq2seq import PAD_ID, SOS_ID

    return Seq2SeqNet(args.vocab, args.tgt_vocab, args.embed_size, args.hidden, 1, None, args.dropout,
                      teacher_forcing=1.0, sos_id=SOS_ID, pad_id=PAD_ID)


def seq2seq_training(args, rng):
    """Section 1 for seq2seq: the trainer's Adam + clip-norm step against TorchSeq2Seq with torch Adam,
    clip_grad_norm_ and the masked token-mean cross-entropy, same weights, same batch."""
    from lstm_ms.nn.seq2seq import Seq2SeqLoss
    from lstm_ms.reference.torch_seq2seq import TorchSeq2Seq, seq2seq_param_map
    from lstm_ms.tasks.seq2seq import PAD_ID

    B, T = args.batch_size, args.seq_len
    net = seq2seq_net(args)
    opt = build_optimizer({"optimizer": "adam", "weight_decay": 0.0}, net.trainable_params(),
                          np.full(100000, 1e-3, np.float32))
    step = build_train_step(net, Seq2SeqLoss(PAD_ID), opt, clip_norm=1.0)
    # TorchSeq2Seq applies one nn.Dropout(p) at the same three places: source embedding, target
    # embedding, output layer's input (its encoder has one layer, so no dropout between layers)
    tnet = copy_to_torch(net, TorchSeq2Seq(args.vocab, args.tgt_vocab, args.embed_size, args.hidden, 1, None,
                                           args.dropout), seq2seq_param_map(1)).train()
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)  # betas (0.9, 0.999), eps 1e-8: nn.Adam's defaults
    batch = seq2seq_batch(rng, B, T, args.vocab, args.tgt_vocab)
    tensors = [ms.Tensor(a) for a in batch]
    src, src_len, tgt_in, tgt = (torch.from_numpy(a).long() for a in batch)

    def run_ms():
        return step(*tensors).asnumpy()

    def run_torch():
        topt.zero_grad()
        logits, _ = tnet(src, src_len, tgt_in)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                                 ignore_index=PAD_ID)  # mean over non-pad target tokens
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tnet.parameters(), 1.0)
        topt.step()
        return loss.item()

    res = {"batch_size": B, "seq_len": T, "src_real_tokens": int(batch[1].sum()),
           "tgt_real_tokens": int((batch[3] != PAD_ID).sum())}
    res.update(time_interleaved(args, run_ms, run_torch))
    title = (f"Training step, MindSpore vs PyTorch (B={B}, S=T={T}, E={args.embed_size}, H={args.hidden}, "
             f"BiGRU encoder + attention GRUCell decoder, V={args.vocab}/{args.tgt_vocab}, dropout {args.dropout}, "
             f"teacher forcing 1.0, Adam, clip-norm 1.0;\n   source and target lengths uniform in [{T // 2}, {T}]; "
             f"tgt tok/s counts the {res['tgt_real_tokens']} non-pad target tokens)")
    return report_step(args, res, title, B, res["tgt_real_tokens"], "tgt tok/s")


def seq2seq_peak(args, step_res):
    B, T, H = args.batch_size, args.seq_len, args.hidden
    flops = {"mindspore": B * T, "pytorch": step_res["src_real_tokens"]}
    executed = {k: seq2seq_step_flops(v, B, T, T, args.embed_size, H, H, args.tgt_vocab) for k, v in flops.items()}
    return report_peak(step_res, executed,
                       "FLOPs/step = 3 x (src tokens x 2 dirs x 2*3H(E+H) + B x 2*2H*H + B*S x 2*2H*A\n"
                       "  + B*T x (2HA + 2SA + 2S*2H + 2*3H(E+2H+H) + 2(3H+E)V)), A = H, matmuls only, backward = "
                       "2x forward;\n  src tokens = B*S for MindSpore (PaddedRNN computes padding), sum of source "
                       "lengths for PyTorch (packed); decoder B*T steps in both")


def seq2seq_decoding(args, rng):
    """Section 3: Seq2SeqTask.translate (what eval.py runs) greedy and beam, and the GreedyDecoder export graph."""
    from lstm_ms.nn.seq2seq import GreedyDecoder
    from lstm_ms.tasks.seq2seq import EOS_ID, Seq2SeqTask, strip_ids

    B, T, L, reps = args.batch_size, args.seq_len, args.max_decode_len, args.decode_repeats
    net = seq2seq_net(args)
    net.set_train(False)
    task = Seq2SeqTask()
    src, src_len, _, _ = seq2seq_batch(rng, B, T, args.vocab, args.tgt_vocab)
    one_src, one_len = np.zeros((1, 16), np.int32), np.array([12], np.int32)
    one_src[0, :12] = rng.integers(4, args.vocab, size=12)
    out, hyps = {}, {}
    start = cpu_counters()

    def translate(source, lengths, beam, alpha, key):
        def run():
            hyps[key] = task.translate(net, source, lengths, L, beam, alpha)
        return run

    cases = [("greedy (alpha 0)", "greedy", B, translate(src, src_len, 1, 0.0, "greedy")),
             (f"beam {args.beam_size} (alpha {args.length_penalty})", "beam", B,
              translate(src, src_len, args.beam_size, args.length_penalty, "beam")),
             ("greedy (alpha 0)", "greedy_1", 1, translate(one_src, one_len, 1, 0.0, "greedy_1"))]
    print(f"\n== 3. Decoding, randomly initialised network (eval mode), max_len {L} ==")
    print(f"Seq2SeqTask().translate (eval.py's path: encoder graph + dynamic-shape decoder step graph, search in "
          f"numpy); sources uniform in [{T // 2}, {T}] padded to {T};\nbatch 1: a 12-token source padded to 16. "
          f"One warm-up call each (compilation), then the median of {reps}.")
    print(f"{'':<28} {'batch':>5} {'median s':>9} {'sent/s':>8} {'ms/sent':>8} {'mean len':>9}")

    def time_case(label, batch, run):
        """One warm-up call, the median of ``reps`` more; prints the row's timing columns."""
        first = timed(run)
        med = statistics.median(timed(run) for _ in range(reps))
        print(f"{label:<28} {batch:>5} {med:>9.3f} {batch / med:>8.1f} {1e3 * med / batch:>8.1f}", end="")
        return {"batch": batch, "first_call_s": first, "median_s": med, "sentences_per_s": batch / med,
                "ms_per_sentence": 1e3 * med / batch}

    for name, key, batch, run in cases:
        r = out[f"translate_{key}"] = time_case("translate " + name, batch, run)
        r["mean_hyp_len"] = float(np.mean([len(h) for h in hyps[key]]))
        print(f" {r['mean_hyp_len']:>9.1f}")
    graph = GreedyDecoder(net, L, EOS_ID)
    for key, batch, source, lengths in (("greedy_1", 1, one_src, one_len), ("greedy", B, src, src_len)):
        inputs = (ms.Tensor(source), ms.Tensor(lengths))
        ids = {}

        def run():
            ids["out"] = graph(*inputs).asnumpy()
        r = out[f"graph_{key}"] = time_case("GreedyDecoder graph", batch, run)
        r["rows_equal_to_translate"] = int(sum(strip_ids(row) == h for row, h in zip(ids["out"], hyps[key])))
        print(f" {'':>9}  (compile + first call {r['first_call_s']:.1f} s; {r['rows_equal_to_translate']}/{batch} "
              "rows = translate's)")
    out["others_cpu_share"] = others_share(start)
    no_eos = all(v["mean_hyp_len"] >= L for k, v in out.items() if k.startswith("translate"))
    print("translate's first calls (compile + run): " + ", ".join(
        f"{k[len('translate_'):]} {v['first_call_s']:.1f} s" for k, v in out.items() if k.startswith("translate")))
    print(f"no hypothesis ended before max_len: every call ran all {L} decoder steps, the worst case for decoding "
          "speed" if no_eos else f"some hypotheses ended (<eos>) before max_len {L}: calls may have stopped early")
    print(f"other processes used {out['others_cpu_share']:.0%} of the CPU meanwhile (want ~0%)")
    return out


def bench_seq2seq(args):
    rng, res = start_run(args)
    res["step"] = seq2seq_training(args, rng)
    res["peak"] = seq2seq_peak(args, res["step"])
    res["decoding"] = seq2seq_decoding(args, rng)
    s, p, d = res["step"], res["peak"], res["decoding"]
    print("\n== Summary ==")
    print(f"train step B={s['batch_size']} T={s['seq_len']}: MindSpore {s['mindspore']['samples_per_s']:.1f} "
          f"samples/s ({s['mindspore']['tokens_per_s']:.0f} tgt tok/s), PyTorch {s['pytorch']['samples_per_s']:.1f} "
          f"samples/s ({s['pytorch']['tokens_per_s']:.0f} tgt tok/s), ratio {s['ratio_ms_over_torch']:.2f}")
    summarise_peak(p)
    print(f"decoding {args.max_decode_len} steps, B={s['batch_size']}: translate greedy "
          f"{d['translate_greedy']['sentences_per_s']:.1f} sent/s, beam {args.beam_size} "
          f"{d['translate_beam']['sentences_per_s']:.1f} sent/s, GreedyDecoder graph "
          f"{d['graph_greedy']['sentences_per_s']:.1f} sent/s; batch 1: translate greedy "
          f"{d['translate_greedy_1']['ms_per_sentence']:.0f} ms/sent, graph "
          f"{d['graph_greedy_1']['ms_per_sentence']:.0f} ms/sent")
    warn_if_busy(s["others_cpu_share"], d["others_cpu_share"])
    return res


# ------------------------------------------------------------------------------ speech: ctc, deepspeech2
FRAME_S = 0.010  # 10 ms frame shift: frames x FRAME_S = seconds of audio


def ctc_batch(rng, batch, padded_len, num_features, num_classes, lengths=None):
    """(features [B, T, F], frames [B], packed [B, T - 1]) as the speech pipelines feed them: standard-normal
    features (zeros past each utterance's frames), frame counts uniform in [T/2, T] unless given,
    label lengths rint(frames / 8) (TIMIT: about one phone per 8 frames of 10 ms; AN4: one character per
    7-9), labels random in 1..C-1 (0 is the blank), packed as ``CTCTaskLoss`` expects and padded to T like
    the features."""
    from lstm_ms.nn.ctc import pack_labels

    if lengths is None:
        lengths = rng.integers(padded_len // 2, padded_len + 1, size=batch)
    lengths = np.asarray(lengths, np.int32)
    feats = rng.standard_normal((batch, padded_len, num_features)).astype(np.float32)
    feats[np.arange(padded_len)[None, :] >= lengths[:, None]] = 0.0
    label_len = np.maximum(1, np.rint(lengths / 8)).astype(np.int32)
    labels = rng.integers(1, num_classes, size=(batch, padded_len - 2)).astype(np.int32)
    labels[np.arange(padded_len - 2)[None, :] >= label_len[:, None]] = 0
    return feats, lengths, pack_labels(labels, label_len)


class ReturnsLengths(torch.nn.Module):
    """Wraps a twin that returns log-probs only (its time axis is not shortened) so that it returns
    ``(log_probs, lengths)``, as the MindSpore speech networks and ``TorchDeepSpeech2Net`` do."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, features, lengths):
        return self.net(features, lengths), lengths


def ctc_nets(args):
    """CTCAcousticNet (the ctc task's network, no conv front-end) and TorchCTCAcousticNet with its
    weights (wrapped in ``ReturnsLengths``). The twin has no dropout of its own; for the training step
    its nn.LSTM gets the same between-layer dropout and a Dropout before its Linear, as PaddedRNN and
    CTCAcousticNet apply."""
    from lstm_ms.nn.ctc import CTCAcousticNet
    from lstm_ms.reference.torch_ctc import TorchCTCAcousticNet, ctc_param_map

    net = CTCAcousticNet(args.num_features, args.num_classes, args.hidden, args.num_layers, args.dropout, 0)
    tnet = copy_to_torch(net, TorchCTCAcousticNet(args.num_features, args.num_classes, args.hidden, args.num_layers,
                                                  0), ctc_param_map(args.num_layers, False))
    tnet.lstm.dropout = args.dropout
    tnet.proj = torch.nn.Sequential(torch.nn.Dropout(args.dropout), tnet.proj)
    return net, ReturnsLengths(tnet)


def ds2_nets(args):
    """DeepSpeech2Net (the deepspeech2 task's network: on CPU its two convolutions are ``PatchConv2d``,
    gather-free matmuls; LSTM layers with directions summed; masked batch norms) and
    TorchDeepSpeech2Net (nn.Conv2d, packed nn.LSTM) with its weights. Neither has dropout."""
    from lstm_ms.nn.deepspeech2 import DeepSpeech2Net
    from lstm_ms.reference.torch_deepspeech2 import TorchDeepSpeech2Net, deepspeech2_param_map

    shape = (args.num_features, args.num_classes, args.hidden, args.num_layers, "LSTM", args.conv_channels)
    net = DeepSpeech2Net(*shape)
    return net, copy_to_torch(net, TorchDeepSpeech2Net(*shape), deepspeech2_param_map(args.num_layers, "LSTM"))


def speech_training(args, net, tnet, batch, recipe):
    """Section 1 of a speech entry: the trainer's Adam + clip-norm step with CTCTaskLoss against the twin
    with torch Adam, clip_grad_norm_ and F.ctc_loss (mean over label lengths, zero_infinity) on the twin's
    output lengths, same weights, same ``batch`` (from ``ctc_batch``). ``recipe``: lr, weight_decay,
    clip_norm, and for the title ``network`` (its description) and ``labels`` (what a label is)."""
    from lstm_ms.nn.ctc import CTCTaskLoss

    B, T = args.batch_size, args.seq_len
    lr, decay, clip = recipe["lr"], recipe["weight_decay"], recipe["clip_norm"]
    opt = build_optimizer({"optimizer": "adam", "weight_decay": decay}, net.trainable_params(),
                          np.full(100000, lr, np.float32))
    step = build_train_step(net, CTCTaskLoss(0), opt, clip_norm=clip)
    tnet.train()
    # nn.Adam adds decay x weight to the gradient of every parameter not named gamma/beta (the batch
    # norms'), as torch Adam's weight_decay does to the parameters of its first group
    norm_ids = {id(p) for m in tnet.modules() if "BatchNorm" in type(m).__name__ for p in m.parameters(False)}
    groups = [{"params": [p for p in tnet.parameters() if id(p) not in norm_ids]},
              {"params": [p for p in tnet.parameters() if id(p) in norm_ids], "weight_decay": 0.0}]
    # betas (0.9, 0.999), eps 1e-8: nn.Adam's defaults
    topt = torch.optim.Adam([g for g in groups if g["params"]], lr=lr, weight_decay=decay)
    tensors = [ms.Tensor(a) for a in batch]
    feats = torch.from_numpy(batch[0])
    packed = torch.from_numpy(batch[2]).long()
    lengths, label_len, targets = torch.from_numpy(batch[1]).long(), packed[:, 0], packed[:, 1:]

    def run_ms():
        return step(*tensors).asnumpy()

    def run_torch():
        topt.zero_grad()
        log_probs, out_lengths = tnet(feats, lengths)
        loss = torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, label_len, blank=0,
                                            reduction="mean", zero_infinity=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tnet.parameters(), clip)
        topt.step()
        return loss.item()

    frames = int(batch[1].sum())
    res = {"batch_size": B, "seq_len": T, "real_frames": frames, "audio_s": frames * FRAME_S,
           "label_tokens": int(batch[2][:, 0].sum()),
           "first_losses": {}}
    first_call = timed(lambda: res["first_losses"].__setitem__("mindspore", float(run_ms())))  # compiles
    res["first_losses"]["pytorch"] = float(run_torch())
    res.update(time_interleaved(args, run_ms, run_torch))
    res["ms_first_call_s"] = first_call  # the real first call (compile + step), not time_interleaved's
    adam = f"Adam (weight decay {decay:g})" if decay else "Adam"
    title = (f"Training step, MindSpore vs PyTorch (B={B}, T={T} frames, F={args.num_features}, {recipe['network']}, "
             f"CTC loss, {adam}, clip-norm {clip};\n   frames uniform in [{T // 2}, {T}] ({frames} real = "
             f"{frames * FRAME_S:.1f} s of audio), labels rint(frames/8) ({res['label_tokens']} {recipe['labels']}); "
             "samples = utterances, frames/s = real frames)")
    res = report_step(args, res, title, B, frames, "frames/s")
    for name in ("mindspore", "pytorch"):
        res[name]["audio_s_per_s"] = res[name]["tokens_per_s"] * FRAME_S
    print(f"audio seconds per second (real frames x 10 ms): MindSpore {res['mindspore']['audio_s_per_s']:.1f}, "
          f"PyTorch {res['pytorch']['audio_s_per_s']:.1f}; loss at the first step: MindSpore "
          f"{res['first_losses']['mindspore']:.3f}, PyTorch {res['first_losses']['pytorch']:.3f}")
    return res


def ctc_training(args, rng, net, tnet):
    """Section 1 for ctc: models/ctc's recipe (Adam, no weight decay, clip-norm 5); the twin gets the
    same dropout, so the first losses are close, not equal (the masks differ)."""
    batch = ctc_batch(rng, args.batch_size, args.seq_len, args.num_features, args.num_classes)
    network = f"H={args.hidden}, {args.num_layers}-layer BiLSTM, C={args.num_classes}, dropout {args.dropout}"
    return speech_training(args, net, tnet, batch, {"lr": 1e-3, "weight_decay": 0.0, "clip_norm": 5.0,
                                                    "network": network, "labels": "phones"})


def ds2_training(args, rng, net, tnet):
    """Section 1 for deepspeech2: models/deepspeech2's recipe (Adam, weight decay 1e-5, clip-norm 400;
    the learning rate of config_cpu.yaml, which does not change the timing). Both networks compute
    their batch norms' statistics over the real frames, so the first losses agree."""
    from lstm_ms.nn.deepspeech2 import conv_output_lengths

    batch = ctc_batch(rng, args.batch_size, args.seq_len, args.num_features, args.num_classes)
    network = (f"{args.conv_channels}-channel 2-conv front end (T' = (T-1)//2+1), H={args.hidden}, "
               f"{args.num_layers}-layer BiLSTM (directions summed), C={args.num_classes}")
    res = speech_training(args, net, tnet, batch, {"lr": 5e-4, "weight_decay": 1e-5, "clip_norm": 400.0,
                                                   "network": network, "labels": "characters"})
    res["real_out_frames"] = int(conv_output_lengths(batch[1]).sum())  # what the packed LSTMs compute
    return res


def ctc_peak(args, step_res):
    B, T, H, L, C, F = args.batch_size, args.seq_len, args.hidden, args.num_layers, args.num_classes, args.num_features
    frames = {"mindspore": B * T, "pytorch": step_res["real_frames"]}
    executed = {k: 3 * bilstm_forward_flops(v, B * T, F, H, L, C) for k, v in frames.items()}
    return report_peak(step_res, executed,
                       f"FLOPs/step = 3 x (frames x 2 dirs x sum over {L} layers 8H(in+H) + B*T x 2 x 2H x C), "
                       "in = F then 2H; matmuls only, backward = 2x forward;\n  frames = B*T for MindSpore "
                       "(PaddedRNN computes padding), real frames for PyTorch (packed); the Linear runs on B*T "
                       "rows in both")


def ds2_forward_flops(args, rnn_frames):
    """(conv, recurrent + head) forward FLOPs of DeepSpeech2Net on a [B, T, F] batch (``args``' shape).

    Each convolution costs 2 * B * C_out * F_out * T_out * C_in * kf * kt over all B x T' padded output
    frames (the masks zero frames, they skip none): conv1 1 -> K channels, 41 x 11 taps over (frequency,
    time), stride (2, 2); conv2 K -> K, 21 x 11, stride (2, 1); T' = (T - 1) // 2 + 1 after both. The LSTM
    layers cost 8H(in + H) per frame, layer and direction (``bilstm_forward_flops``; in = K * F' for the
    first, H above, the directions being summed) over ``rnn_frames``, and the Dense H -> C runs on B * T'
    rows. Masks, batch norms, hardtanh, log-softmax and the loss are not counted."""
    from lstm_ms.nn.conv import conv_out
    from lstm_ms.nn.deepspeech2 import conv_output_features, conv_output_lengths

    B, K, F = args.batch_size, args.conv_channels, args.num_features
    t_out, f_out = conv_output_lengths(args.seq_len), conv_output_features(F)
    conv = 2 * B * K * conv_out(F, 41, 2, 20) * t_out * 1 * 41 * 11 + 2 * B * K * f_out * t_out * K * 21 * 11
    return conv, bilstm_forward_flops(rnn_frames, B * t_out, K * f_out, args.hidden, args.num_layers,
                                      args.num_classes, summed=True)


def ds2_peak(args, step_res):
    from lstm_ms.nn.deepspeech2 import conv_output_features, conv_output_lengths

    B, L, K = args.batch_size, args.num_layers, args.conv_channels
    t_out, f_out = conv_output_lengths(args.seq_len), conv_output_features(args.num_features)
    frames = {"mindspore": B * t_out, "pytorch": step_res["real_out_frames"]}
    parts = {k: ds2_forward_flops(args, v) for k, v in frames.items()}
    executed = {k: 3 * sum(v) for k, v in parts.items()}
    conv_share = parts["mindspore"][0] / sum(parts["mindspore"])
    return report_peak(step_res, executed,
                       f"FLOPs/step = 3 x (2 convs 2*B*C_out*F_out*T'*C_in*kf*kt (1 -> {K} ch 41x11, then {K} -> "
                       f"{K} ch 21x11; T' = {t_out}, F' = {f_out}; all B*T' frames in both)\n  + frames x 2 dirs x "
                       f"sum over {L} layers 8H(in+H) + B*T' x 2 x H x C), in = K*F' = {K * f_out} then H "
                       "(directions summed); convs and matmuls only, backward = 2x forward as for ctc;\n  frames = "
                       "B*T' for MindSpore (PaddedRNN computes padding), real output frames for PyTorch (packed); "
                       f"the convs are {conv_share:.0%} of MindSpore's count;\n  PatchConv2d (ours on CPU) also "
                       "multiplies the zero taps that round its kernels up to the strides (42x12 for 41x11, 22x11 "
                       "for 21x11), not counted")


def speech_inference(args, rng, net, tnet):
    """Section 3: forward only (log-probs), eval mode: batch 1 with one --infer_len-frame utterance
    (latency) and batch B at T (throughput); ours one static graph per shape, the twin under no_grad."""
    net.set_train(False)
    tnet.eval()
    cases = {"batch 1": ctc_batch(rng, 1, args.infer_len, args.num_features, args.num_classes, [args.infer_len]),
             f"batch {args.batch_size}": ctc_batch(rng, args.batch_size, args.seq_len, args.num_features,
                                                   args.num_classes)}
    print("\n== 3. Inference, forward only (per-frame log-probs, no decoding), eval mode ==")
    print(f"MindSpore: net.set_train(False), one graph per shape; PyTorch: eval() + torch.no_grad(), packed. "
          f"Timed as section 1 ({args.warmup} warm-up, {args.repeats} interleaved repeats).")
    print(f"{'':<10} {'case':<28} {'median s':>9} {'utt/s':>7} {'ms/utt':>8} {'audio s/s':>10}")
    out = {}
    for key, (feats, lengths, _) in cases.items():
        ms_in = (ms.Tensor(feats), ms.Tensor(lengths))
        t_in = (torch.from_numpy(feats), torch.from_numpy(lengths).long())

        def run_ms():
            return net(*ms_in)[0].asnumpy()

        def run_torch():
            with torch.no_grad():
                return tnet(*t_in)[0].numpy()

        r = out[key] = time_interleaved(args, run_ms, run_torch)
        B, T, frames = len(lengths), feats.shape[1], int(lengths.sum())
        r.update({"batch_size": B, "seq_len": T, "real_frames": frames})
        label = f"B={B}, T={T} ({frames * FRAME_S:.1f} s audio)"
        for name in ("mindspore", "pytorch"):
            m = r[name]
            m.update({"utterances_per_s": B / m["median_s"], "ms_per_utterance": 1e3 * m["median_s"] / B,
                      "audio_s_per_s": frames * FRAME_S / m["median_s"]})
            print(f"{name:<10} {label:<28} {m['median_s']:>9.4f} {m['utterances_per_s']:>7.1f} "
                  f"{m['ms_per_utterance']:>8.1f} {m['audio_s_per_s']:>10.1f}")
        r["ratio_ms_over_torch"] = r["pytorch"]["median_s"] / r["mindspore"]["median_s"]
        print(f"{'':<10} ratio (MindSpore / PyTorch speed) {r['ratio_ms_over_torch']:.2f}; MindSpore first call "
              f"(compile + run) {r['ms_first_call_s']:.1f} s; other processes used {r['others_cpu_share']:.0%} of "
              "the CPU")
    return out


def bench_speech(args, nets, training, peak):
    """A speech entry: section 1 ``training(args, rng, net, tnet)``, 2 ``peak(args, step_res)``, 3
    ``speech_inference``, with ``net, tnet = nets(args)``."""
    rng, res = start_run(args)
    net, tnet = nets(args)
    res["step"] = training(args, rng, net, tnet)
    res["peak"] = peak(args, res["step"])
    res["inference"] = speech_inference(args, rng, net, tnet)
    s, p, inf = res["step"], res["peak"], res["inference"]
    one, many = inf["batch 1"], inf[f"batch {args.batch_size}"]
    print("\n== Summary ==")
    print(f"train step B={s['batch_size']} T={s['seq_len']}: MindSpore {s['mindspore']['samples_per_s']:.2f} utt/s "
          f"({s['mindspore']['tokens_per_s']:.0f} frames/s, {s['mindspore']['audio_s_per_s']:.1f} audio s/s), "
          f"PyTorch {s['pytorch']['samples_per_s']:.2f} utt/s ({s['pytorch']['tokens_per_s']:.0f} frames/s, "
          f"{s['pytorch']['audio_s_per_s']:.1f} audio s/s), ratio {s['ratio_ms_over_torch']:.2f}")
    summarise_peak(p)
    print(f"inference: batch 1 x {args.infer_len} frames MindSpore {one['mindspore']['ms_per_utterance']:.0f} ms, "
          f"PyTorch {one['pytorch']['ms_per_utterance']:.0f} ms (ratio {one['ratio_ms_over_torch']:.2f}); "
          f"batch {args.batch_size} MindSpore {many['mindspore']['utterances_per_s']:.1f} utt/s, PyTorch "
          f"{many['pytorch']['utterances_per_s']:.1f} utt/s (ratio {many['ratio_ms_over_torch']:.2f})")
    warn_if_busy(s["others_cpu_share"], one["others_cpu_share"], many["others_cpu_share"])
    return res


def bench_ctc(args):
    return bench_speech(args, ctc_nets, ctc_training, ctc_peak)


def bench_deepspeech2(args):
    """DeepSpeech2 on AN4-like batches (161 spectrogram bins, 29 characters); see ``MODEL_DEFAULTS``."""
    return bench_speech(args, ds2_nets, ds2_training, ds2_peak)


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


BENCHMARKS = {"sentiment": bench_sentiment, "stock_seq_length": bench_stock_seq_length, "seq2seq": bench_seq2seq,
              "ctc": bench_ctc, "deepspeech2": bench_deepspeech2}
_SENTIMENT = {"batch_size": 64, "seq_len": 128, "embed_size": 300, "hidden": 100, "vocab": 20000,
              "repeats": 10, "warmup": 3}
# flags left at None take their model's default; seq2seq: models/seq2seq's recipe, Multi30k's vocabularies,
# T = 24 (the second of bucket_lengths [16, 24, 32]); ctc: models/ctc/config_cpu.yaml (H 384, 4 layers,
# dropout 0.2, batch 16), T = 400 frames (the top of bucket_lengths [200, 300, 400]); frames uniform in
# [200, 400] average 300, TIMIT's ~3 s mean (the pipeline would pad 201..300-frame utterances to 300 only);
# deepspeech2: models/deepspeech2/config_cpu.yaml (H 256, 3 LSTM layers, 32 conv channels, batch 8; AN4's
# reference size, config_an4.yaml: --hidden 1024 --num_layers 5), 161 bins (20 ms window), 29 characters,
# T = 300 frames (3 s; frames uniform in [150, 300])
MODEL_DEFAULTS = {"sentiment": _SENTIMENT, "stock_seq_length": _SENTIMENT,
                  "seq2seq": {"batch_size": 128, "seq_len": 24, "embed_size": 256, "hidden": 512, "vocab": 7853,
                              "repeats": 5, "warmup": 1, "dropout": 0.5},
                  "ctc": {"batch_size": 16, "seq_len": 400, "hidden": 384, "repeats": 5, "warmup": 1,
                          "dropout": 0.2, "num_features": 120, "num_classes": 49, "num_layers": 4},
                  "deepspeech2": {"batch_size": 8, "seq_len": 300, "hidden": 256, "repeats": 5, "warmup": 1,
                                  "num_features": 161, "num_classes": 29, "num_layers": 3, "conv_channels": 32}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(BENCHMARKS))
    def per_model(name):
        return "default per model (MODEL_DEFAULTS): " + ", ".join(
            f"{m} {d[name]}" for m, d in MODEL_DEFAULTS.items() if name in d and m != "stock_seq_length")

    for name, kind, text in (("batch_size", int, ""),
                             ("seq_len", int, "padded length (seq2seq: source and target; ctc, deepspeech2: "
                                              "frames)"),
                             ("repeats", int, "interleaved timed steps per framework"),
                             ("warmup", int, "untimed steps per framework after compilation"),
                             ("embed_size", int, ""), ("hidden", int, ""), ("vocab", int, "(seq2seq: source vocab)"),
                             ("num_features", int, "ctc, deepspeech2: features per frame (ctc: 40 mels x 3; "
                                                   "deepspeech2: spectrogram bins)"),
                             ("num_classes", int, "ctc, deepspeech2: classes, blank included (ctc: 48 TIMIT phones "
                                                  "+ blank; deepspeech2: 28 characters + blank)"),
                             ("num_layers", int, "ctc, deepspeech2: LSTM layers (deepspeech2 at AN4's size: "
                                                 "--hidden 1024 --num_layers 5)"),
                             ("conv_channels", int, "deepspeech2: channels of both convolutions")):
        parser.add_argument(f"--{name}", type=kind, default=None, help=(f"{text}; " if text else "") + per_model(name))
    parser.add_argument("--tgt_vocab", type=int, default=5893, help="seq2seq: target vocab (Multi30k en)")
    parser.add_argument("--dropout", type=float, default=None,
                        help="seq2seq, ctc: dropout in the training step; " + per_model("dropout"))
    parser.add_argument("--infer_len", type=int, default=300,
                        help="ctc, deepspeech2: frames of the batch-1 inference utterance")
    parser.add_argument("--max_decode_len", type=int, default=30, help="seq2seq: decoding steps")
    parser.add_argument("--beam_size", type=int, default=5, help="seq2seq: beam width of the beam-search timing")
    parser.add_argument("--length_penalty", type=float, default=0.6, help="seq2seq: beam search's alpha")
    parser.add_argument("--decode_repeats", type=int, default=3, help="seq2seq: timed calls per decoding case")
    parser.add_argument("--epoch_reviews", type=int, default=2000, help="synthetic reviews in the padding epoch")
    parser.add_argument("--shape_repeats", type=int, default=3, help="timed steps per padded length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dynamic_shape", action="store_true",
                        help="one dynamic-shape training graph (the trainer's dynamic_shape: true)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    for key, value in MODEL_DEFAULTS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.epoch_reviews < args.batch_size:
        parser.error("--epoch_reviews must be at least --batch_size")
    results = BENCHMARKS[args.model](args)
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, **results}, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
