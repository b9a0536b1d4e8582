"""Benchmark entry ``sentiment`` (2-layer BiLSTM over GloVe-sized embeddings): training step against
the PyTorch twin, fraction of peak, padding waste of one aclImdb-like epoch, inference, MINDIR cases;
and ``stock_seq_length``, PaddedRNN against the stock ``nn.LSTM(seq_length=...)``."""
import math
import statistics

import mindspore as ms
import numpy as np

from lstm_ms.engine.trainer import build_optimizer, build_train_step
from lstm_ms.nn.sentiment import SentimentNet
from lstm_ms.tasks import get_task

from .common import (CLASSES, DIRS, LAYERS, Snapshot, bilstm_forward_flops, cpu_counters, finish, inference_case,
                     inference_header, initial_losses, others_share, ours_first, random_batch, report_peak,
                     report_step, start_run, start_twin, time_interleaved, timed)

DEFAULTS = {"batch_size": 64, "seq_len": 128, "embed_size": 300, "hidden": 100, "vocab": 20000, "repeats": 10,
            "warmup": 3}
QUICK = {"batch_size": 8, "seq_len": 32, "embed_size": 32, "hidden": 16, "vocab": 500, "repeats": 3, "warmup": 1,
         "epoch_reviews": 64, "shape_repeats": 1}
BUCKETS = [64, 128, 256, 384, 500]  # the project's padded bucket lengths (max_len 500 last)


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


def sentiment_net(args, rng):
    embedding = (rng.standard_normal((args.vocab, args.embed_size)) * 0.1).astype(np.float32)
    return SentimentNet(args.vocab, args.embed_size, args.hidden, num_layers=LAYERS, bidirectional=True,
                        num_classes=CLASSES, embedding=embedding)


def ours_step(args, net):
    """The MindSpore train step as the trainer builds it -> ``ms_step(batch) -> run()``."""
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.9, "weight_decay": 0.0},
                          net.trainable_params(), np.full(100000, 0.1, np.float32))
    step = build_train_step(net, ms.nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt)
    if args.dynamic_shape:  # as the trainer with dynamic_shape: true; default: one graph per padded shape
        step.set_inputs(*get_task("sentiment").input_specs())

    def ms_step(batch):
        tensors = [ms.Tensor(a) for a in batch]
        return lambda: step(*tensors).asnumpy()
    return ms_step


def twin_step(args, snapshot):
    """TorchSentimentNet with the snapshot's weights and torch SGD momentum -> (``torch_step(batch) -> run()``, twin)."""
    import torch

    from lstm_ms.reference.torch_nets import TorchSentimentNet, copy_to_torch, sentiment_param_map

    tnet = copy_to_torch(snapshot, TorchSentimentNet(args.vocab, args.embed_size, args.hidden, LAYERS, True, CLASSES),
                         sentiment_param_map(LAYERS, True))
    topt = torch.optim.SGD([p for p in tnet.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    tloss = torch.nn.CrossEntropyLoss()

    def torch_step(batch):
        ids, lengths, labels = (torch.from_numpy(a).long() for a in batch)

        def run():
            topt.zero_grad()
            loss = tloss(tnet(ids, lengths), labels)
            loss.backward()
            topt.step()
            return loss.item()
        return run
    return torch_step, tnet


def compare_frameworks(args, rng, net):
    """Section 1: our step alone (compile, warm-up, peak memory), then the twin (our initial weights)
    warmed up, then one MindSpore and one PyTorch step per repeat. -> (results, ms_step, twin)."""
    B, T = args.batch_size, args.seq_len
    batch = random_batch(rng, rng.integers(T // 2, T + 1, size=B), T, args.vocab)
    snapshot = Snapshot(net)
    ms_step = ours_step(args, net)
    step, losses = ms_step(batch), []

    def run_ms():
        losses.append(float(step()))

    warm = ours_first(args, run_ms)
    torch = start_twin(args)
    torch_step, tnet = twin_step(args, snapshot)
    ids, lengths, labels = (torch.from_numpy(a).long() for a in batch)

    def twin_loss():
        with torch.no_grad():
            return torch.nn.functional.cross_entropy(tnet.eval()(ids, lengths), labels).item()

    loss_fn = ms.nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    initial = initial_losses(sentiment_net(args, np.random.default_rng(0)), lambda _: loss_fn, snapshot, batch,
                             twin_loss)
    tnet.train()
    run_torch = torch_step(batch)
    res = {"batch_size": B, "seq_len": T, "real_tokens": int(batch[1].sum()), "initial_losses": initial,
           "first_losses": {"mindspore": losses[0], "pytorch": float(run_torch())}}
    res.update(time_interleaved(args, run_ms, run_torch, warm))
    title = (f"Training step, MindSpore vs PyTorch (B={B}, T={T}, E={args.embed_size}, H={args.hidden}, "
             f"2-layer BiLSTM; lengths uniform in [{T // 2}, {T}])")
    return report_step(args, res, title, B), ms_step, tnet


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
    print(f"\n== 3b. Padding waste: every batch padded to 500 vs bucketed {BUCKETS} (MindSpore, B={B}) ==")
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


def sentiment_inference(args, rng, net, tnet):
    """Section 4: the logits of batch 1 x ``args.infer_len`` tokens (latency) and of batch B x T (throughput)."""
    import torch

    net.set_train(False)
    tnet.eval()
    B, T = args.batch_size, args.seq_len
    cases = {"batch 1": random_batch(rng, np.array([args.infer_len]), args.infer_len, args.vocab)[:2],
             f"batch {B}": random_batch(rng, rng.integers(T // 2, T + 1, size=B), T, args.vocab)[:2]}
    inference_header("logits (checkpoint network)", "review")
    out = {}
    for key, (ids, lengths) in cases.items():
        ms_in = (ms.Tensor(ids), ms.Tensor(lengths))
        t_in = (torch.from_numpy(ids).long(), torch.from_numpy(lengths).long())

        def run_ms():
            return net(*ms_in).asnumpy()

        def run_torch():
            with torch.no_grad():
                return tnet(*t_in).numpy()

        out[key] = inference_case(args, f"B={len(lengths)}, T={ids.shape[1]}", len(lengths), run_ms, run_torch)
    return out, cases


def bench_sentiment(args):
    rng, res = start_run(args)
    net = sentiment_net(args, rng)
    res["step"], ms_step, tnet = compare_frameworks(args, rng, net)
    res["peak"] = fraction_of_peak(args, res["step"])
    if not args.quick:  # 5 more graphs (one per bucket length) to compile
        res["padding"] = padding_waste(args, rng, ms_step)
    res["inference"], cases = sentiment_inference(args, rng, net, tnet)
    return finish(args, res, "review", f"{args.infer_len} tokens, logits", net, cases.values(),
                  lambda a: f"B={len(a[0])} x {a[0].shape[1]} tokens", res.get("padding", {}).get("others_cpu_share", 0))


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

