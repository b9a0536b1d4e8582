"""Shared pieces of the benchmarks: timing (interleaved, median and spread), competing-load detection,
the CPU's fp32 peak, FLOP formulas shared by several models, resident memory, and the printed tables."""
import os
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

FRAME_S = 0.010  # 10 ms frame shift: frames x FRAME_S = seconds of audio
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
    """Graph mode on CPU, seeds -> (numpy generator, results dict with the config). PyTorch is not imported
    yet: ``ours_first`` reads our training step's peak memory before it is (``start_twin``)."""
    import mindspore as ms

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_device("CPU")
    ms.set_seed(args.seed)
    return np.random.default_rng(args.seed), {"config": {k: v for k, v in vars(args).items() if k != "json"}}


def start_twin(args):
    """Import PyTorch (after ``ours_first``), seed it and give it all cores; returns the module."""
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count())
    return torch


def _status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mib():
    """(current, peak) resident memory of this process in MiB (VmRSS, VmHWM)."""
    return _status_kib("VmRSS") / 1024.0, _status_kib("VmHWM") / 1024.0


def ours_first(args, run_ms):
    """Our step alone, before PyTorch is imported: the first call (graph compile + one step) and
    ``args.warmup`` more -> {"ms_first_call_s", "train_peak_rss_mib"}: this process's peak resident
    memory by then, i.e. a training process's (interpreter, MindSpore, the compiled graph, one batch)."""
    first = timed(run_ms)
    for _ in range(args.warmup):
        run_ms()
    return {"ms_first_call_s": first, "train_peak_rss_mib": rss_mib()[1]}


def summarise_peak(peak_res):
    print(f"fraction of fp32 peak ({peak_res['cpu']['peak_gflops']:.0f} GFLOP/s): MindSpore "
          f"{peak_res['mindspore']['fraction_of_peak']:.1%}, PyTorch {peak_res['pytorch']['fraction_of_peak']:.1%}")


def warn_if_busy(*shares):
    if max(shares) > 0.05:
        print("WARNING: other processes competed for the CPU; times are inflated (PyTorch's most: its threads "
              "synchronise at every time step). Rerun on an idle machine.")



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


def time_interleaved(args, run_ms, run_torch, ours_warm=None):
    """``args.warmup`` untimed calls of each (after MindSpore's first call: graph compile + one step),
    then ``args.repeats`` timed calls alternating one MindSpore, one PyTorch (so that drift in machine
    load hits both alike) -> {"ms_first_call_s", "others_cpu_share", "mindspore"/"pytorch": {median_s,
    min_s, max_s}}. ``ours_warm``: ``ours_first``'s result when MindSpore was compiled and warmed already."""
    res = dict(ours_warm) if ours_warm else {"ms_first_call_s": timed(run_ms)}
    for _ in range(args.warmup):
        if not ours_warm:
            run_ms()
        run_torch()
    ms_times, torch_times = [], []
    start = cpu_counters()
    for _ in range(args.repeats):
        ms_times.append(timed(run_ms))
        torch_times.append(timed(run_torch))
    res["others_cpu_share"] = others_share(start)
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
    import torch

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




def inference_case(args, label, batch, run_ms, run_torch):
    """One inference comparison (``time_interleaved``) at ``batch`` samples per call: adds per-sample
    figures and the speed ratio, prints one row per framework -> the result dict."""
    r = time_interleaved(args, run_ms, run_torch)
    r["batch_size"] = batch
    for name in ("mindspore", "pytorch"):
        m = r[name]
        m.update({"per_s": batch / m["median_s"], "ms_per_sample": 1e3 * m["median_s"] / batch})
        print(f"{name:<10} {label:<34} {m['median_s']:>9.4f} {m['per_s']:>9.1f} {m['ms_per_sample']:>9.2f}")
    r["ratio_ms_over_torch"] = r["pytorch"]["median_s"] / r["mindspore"]["median_s"]
    print(f"{'':<10} ratio (MindSpore / PyTorch speed) {r['ratio_ms_over_torch']:.2f}x; MindSpore first call "
          f"(compile + run) {r['ms_first_call_s']:.1f} s; other processes used {r['others_cpu_share']:.0%} of the CPU")
    return r


def inference_header(what, unit):
    print(f"\n== 3. Inference, {what} ==")
    print("MindSpore: the checkpoint network in eval mode (net.set_train(False)), one graph per shape; PyTorch: "
          "eval() + torch.no_grad(). Timed as section 1.")
    print(f"{'':<10} {'case':<34} {'median s':>9} {unit + '/s':>9} {'ms/' + unit:>9}")


def export_case(out_dir, name, cell, arrays, what):
    """Export ``cell`` traced on ``arrays`` to ``out_dir/name.mindir`` with the inputs beside it
    (``name.npz``), for ``benchmarks/mindir_child.py`` -> the case's description."""
    import mindspore as ms

    from lstm_ms.engine.export import export

    out_dir = Path(out_dir)
    cell.set_train(False)
    start = time.perf_counter()
    path = export(cell, [ms.Tensor(a) for a in arrays], out_dir / name)
    np.savez(out_dir / f"{name}.npz", *arrays)
    return {"name": name, "mindir": str(path), "inputs": str(out_dir / f"{name}.npz"), "batch_size": len(arrays[0]),
            "what": what, "export_s": time.perf_counter() - start}


def summary(res, unit, b1, b1_what):
    """The table's numbers of one model from its sections: train step (``res["step"]``), peak
    (``res["peak"]``) and the batch-1 inference case ``b1`` (an ``inference_case`` result)."""
    s, p = res["step"], res["peak"]
    return {"unit": unit, "ours_per_s": s["mindspore"]["samples_per_s"], "twin_per_s": s["pytorch"]["samples_per_s"],
            "ours_spread_s": [s["mindspore"]["min_s"], s["mindspore"]["max_s"]],
            "twin_spread_s": [s["pytorch"]["min_s"], s["pytorch"]["max_s"]],
            "ratio": s["ratio_ms_over_torch"], "peak_ours": p["mindspore"]["fraction_of_peak"],
            "peak_twin": p["pytorch"]["fraction_of_peak"], "b1_ours_ms": b1["mindspore"]["ms_per_sample"],
            "b1_twin_ms": b1["pytorch"]["ms_per_sample"], "b1_what": b1_what,
            "train_peak_rss_mib": s["train_peak_rss_mib"], "others_cpu_share": s["others_cpu_share"]}


class Snapshot:
    """Our network's initial parameters as numpy, taken before its first step, so that the twin (built
    after our step ran alone, see ``ours_first``) starts from the same weights; ``copy_to_torch`` reads
    it like the network (``get_parameters()`` -> objects with ``name`` and ``asnumpy()``)."""

    class _Param:
        def __init__(self, name, value):
            self.name, self._value = name, value

        def asnumpy(self):
            return self._value

    def __init__(self, net):
        self._params = [self._Param(p.name, p.asnumpy().copy()) for p in net.get_parameters()]

    def get_parameters(self):
        return iter(self._params)


def ours_alone(args, net, loss_fn, batch, optimizer, lr, clip_norm):
    """The trainer's step for ``net`` (``build_optimizer(optimizer)`` at a constant ``lr``,
    ``build_train_step`` with ``clip_norm``) on ``batch``, run alone (``ours_first``), after a
    ``Snapshot`` of the initial weights -> (snapshot, ours_first's result, run_ms, losses so far)."""
    import mindspore as ms

    from lstm_ms.engine.trainer import build_optimizer, build_train_step

    snapshot = Snapshot(net)
    opt = build_optimizer(optimizer, net.trainable_params(), np.full(100000, lr, np.float32))
    step = build_train_step(net, loss_fn, opt, clip_norm=clip_norm)
    tensors = [ms.Tensor(a) for a in batch]
    losses = []

    def run_ms():
        losses.append(float(step(*tensors).asnumpy()))

    return snapshot, ours_first(args, run_ms), run_ms, losses


def initial_losses(fresh_net, loss_of, snapshot, batch, twin_loss):
    """Both frameworks' loss on ``batch`` at the initial weights, in eval mode (no dropout), where the
    same work differs by float32 rounding only -> {"mindspore", "pytorch"}. Ours: ``fresh_net`` (a new
    network of our shape, so the timed one is left alone) loaded with ``snapshot``, under the loss cell
    ``loss_of(fresh_net)``; the twin's: ``twin_loss()``, called before its first step."""
    import mindspore as ms

    from lstm_ms.engine.trainer import _cells

    weights = {p.name: ms.Parameter(ms.Tensor(p.asnumpy()), name=p.name) for p in snapshot.get_parameters()}
    missing, unused = ms.load_param_into_net(fresh_net, weights, strict_load=True)
    if missing or unused:
        raise RuntimeError(f"snapshot does not fit the network: missing {missing}, unused {unused}")
    fresh_net.set_train(False)
    ours = _cells()(fresh_net, loss_of(fresh_net))(*[ms.Tensor(a) for a in batch])
    return {"mindspore": float(ours.asnumpy()), "pytorch": float(twin_loss())}


def finish(args, res, unit, b1_what, graph, cases, describe, *shares):
    """The end of an entry: the table's summary from ``res`` (``b1_what`` says what batch 1 infers),
    one MINDIR case per inference case (``graph`` traced on its arrays, ``describe(arrays)`` saying what
    they are), and a warning when other processes competed (``shares``: more sections' CPU shares)."""
    one = res["inference"]["batch 1"]
    res["summary"] = summary(res, unit, one, b1_what)
    res["exports"] = [export_case(args.work, f"{args.model}_b{len(a[0])}", graph, list(a), describe(a))
                      for a in cases]
    warn_if_busy(res["step"]["others_cpu_share"], one["others_cpu_share"], *shares)
    return res
