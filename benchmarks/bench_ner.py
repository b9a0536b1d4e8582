"""Benchmark entry ``ner`` (BiLSTM-CRF over characters + soft-word embeddings, ResumeNER-sized):
training step against the PyTorch twin (BiLSTM + a CRF in torch), fraction of peak, inference
(emissions + the same numpy Viterbi), MINDIR cases."""
import mindspore as ms
import numpy as np

from .common import (bilstm_forward_flops, finish, inference_case, inference_header, initial_losses, ours_alone,
                     report_peak, report_step, start_run, start_twin, time_interleaved)

# models/ner/config_cpu.yaml (E 128, soft-word 16, H 128, 1 layer, dropout 0.3, CRF, Adam, clip-norm 5,
# batch 64); ResumeNER: ~1,900 characters, 8 entity types in BMES + O = 33 tags; T = 64 (the second of
# bucket_lengths [32, 64, 128]; lengths uniform in [32, 64])
DEFAULTS = {"batch_size": 64, "seq_len": 64, "embed_size": 128, "seg_size": 16, "hidden": 128, "vocab": 1900,
            "num_classes": 33, "num_layers": 1, "dropout": 0.3, "repeats": 10, "warmup": 3}
QUICK = {"batch_size": 8, "seq_len": 16, "embed_size": 16, "seg_size": 4, "hidden": 16, "vocab": 200,
         "num_classes": 9, "repeats": 3, "warmup": 1}


def ner_batch(rng, batch, padded_len, vocab, num_tags, lengths=None):
    """(ids, seg, lengths, tags) as the ner pipeline feeds them: random characters, soft-word tags in
    1..4 and tags in 0..K-1 up to each length (uniform in [T/2, T] unless given), 0 after."""
    if lengths is None:
        lengths = rng.integers(padded_len // 2, padded_len + 1, size=batch)
    lengths = np.asarray(lengths, np.int32)
    pad = np.arange(padded_len)[None, :] >= lengths[:, None]
    ids = rng.integers(1, vocab, size=(batch, padded_len)).astype(np.int32)
    seg = rng.integers(1, 5, size=(batch, padded_len)).astype(np.int32)
    tags = rng.integers(0, num_tags, size=(batch, padded_len)).astype(np.int32)
    for a in (ids, seg, tags):
        a[pad] = 0
    return ids, seg, lengths, tags


def ner_net(args):
    from lstm_ms.nn.ner import NERNet

    return NERNet(args.vocab, args.embed_size, args.hidden, args.num_classes, num_layers=args.num_layers,
                  seg_size=args.seg_size, dropout=args.dropout, crf=True)


def ner_twin(args, snapshot):
    """(TorchNEREncoder with a Dropout before its Linear, as NERNet applies it; TorchCRF) with the
    snapshot's weights."""
    import torch

    from lstm_ms.reference.torch_nets import TorchCRF, TorchNEREncoder, copy_to_torch, ner_param_map

    mapping, crf_names = ner_param_map(args.num_layers, True, True)
    enc = copy_to_torch(snapshot, TorchNEREncoder(args.vocab, args.embed_size, args.hidden, args.num_classes,
                                                  args.num_layers, args.seg_size), mapping, skip=crf_names)
    enc.proj = torch.nn.Sequential(torch.nn.Dropout(args.dropout), enc.proj)
    crf = TorchCRF(args.num_classes)
    values = {p.name: p.asnumpy() for p in snapshot.get_parameters()}
    with torch.no_grad():
        for name in ("transitions", "start", "end"):
            getattr(crf, name).copy_(torch.from_numpy(values[f"crf.{name}"]))
    return enc, crf


def ner_training(args, rng, net):
    """Section 1: the trainer's Adam + clip-norm step on NERLoss (the CRF's NLL) alone (``ours_first``),
    then against the twin (our initial weights) with torch Adam and clip_grad_norm_."""
    from lstm_ms.nn.ner import NERLoss

    B, T = args.batch_size, args.seq_len
    batch = ner_batch(rng, B, T, args.vocab, args.num_classes)
    snapshot, warm, run_ms, losses = ours_alone(args, net, NERLoss(net), batch,
                                                {"optimizer": "adam", "weight_decay": 0.0}, 1e-3, 5.0)
    torch = start_twin(args)
    enc, crf = ner_twin(args, snapshot)
    params = list(enc.parameters()) + list(crf.parameters())
    topt = torch.optim.Adam(params, lr=1e-3)
    ids, seg, lengths, tags = (torch.from_numpy(a).long() for a in batch)
    mask = torch.arange(T)[None, :] < lengths[:, None]

    def twin_loss():
        with torch.no_grad():
            return crf(enc.eval()(ids, seg, lengths), tags, mask).item()

    initial = initial_losses(ner_net(args), NERLoss, snapshot, batch, twin_loss)
    enc.train()

    def run_torch():
        topt.zero_grad()
        loss = crf(enc(ids, seg, lengths), tags, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        topt.step()
        return loss.item()

    res = {"batch_size": B, "seq_len": T, "real_tokens": int(batch[2].sum()),
           "initial_losses": initial, "first_losses": {"mindspore": losses[0], "pytorch": float(run_torch())}}
    res.update(time_interleaved(args, run_ms, run_torch, warm))
    title = (f"Training step, MindSpore vs PyTorch (B={B}, T={T}, E={args.embed_size}+{args.seg_size}, "
             f"H={args.hidden}, {args.num_layers}-layer BiLSTM, CRF over {args.num_classes} tags, dropout "
             f"{args.dropout}, Adam, clip-norm 5;\n   lengths uniform in [{T // 2}, {T}]; tokens/s = real characters)")
    res = report_step(args, res, title, B, res["real_tokens"], "chars/s")
    print(f"loss at the initial weights without dropout: MindSpore {initial['mindspore']:.5f}, PyTorch "
          f"{initial['pytorch']:.5f}; at the first step: MindSpore {res['first_losses']['mindspore']:.3f}, PyTorch "
          f"{res['first_losses']['pytorch']:.3f} (close, not equal: the dropout masks differ)")
    return res, (enc, crf)


def ner_peak(args, step_res):
    """Analytic FLOPs: the BiLSTM (8H(in+H) per token and direction) and the Dense 2H -> K on B*T rows,
    plus the CRF's forward algorithm (one [B, K] x [K, K] matmul per step: 2K^2 per row and step)."""
    B, T, H, K = args.batch_size, args.seq_len, args.hidden, args.num_classes
    tokens = {"mindspore": B * T, "pytorch": step_res["real_tokens"]}
    crf = B * T * 2 * K * K
    executed = {k: 3 * (bilstm_forward_flops(v, B * T, args.embed_size + args.seg_size, H, args.num_layers, K) + crf)
                for k, v in tokens.items()}
    return report_peak(step_res, executed,
                       "FLOPs/step = 3 x (tokens x 2 dirs x 8H(in+H), in = E + soft-word; + B*T x 2 x 2H x K (Dense) "
                       "+ B*T x 2K^2 (CRF forward algorithm)); matmuls only, backward = 2x forward;\n  tokens = B*T for "
                       "MindSpore (PaddedRNN computes padding), real characters for PyTorch (packed)")


def ner_inference(args, rng, net, twin):
    """Section 3: emissions of the checkpoint network + Viterbi in numpy (``lstm_ms.core.viterbi``, both
    frameworks), batch 1 x ``args.infer_len`` characters and batch B x T."""
    import torch

    from lstm_ms.core import viterbi
    from lstm_ms.nn.ner import NEREmissions

    enc, _ = twin
    net.set_train(False)
    enc.eval()
    graph = NEREmissions(net)
    crf = viterbi.crf_params(*(p.asnumpy() for p in (net.crf.transitions, net.crf.start, net.crf.end)))
    B, T = args.batch_size, args.seq_len
    cases = {"batch 1": ner_batch(rng, 1, args.infer_len, args.vocab, args.num_classes, [args.infer_len])[:3],
             f"batch {B}": ner_batch(rng, B, T, args.vocab, args.num_classes)[:3]}
    inference_header("emissions + Viterbi (numpy, the same for both)", "sent")
    out = {}
    for key, arrays in cases.items():
        ms_in = [ms.Tensor(a) for a in arrays]
        t_in = [torch.from_numpy(a).long() for a in arrays]
        lengths = arrays[2]

        def run_ms():
            return viterbi.viterbi(graph(*ms_in).asnumpy(), lengths, crf["transitions"], crf["start"], crf["end"])

        def run_torch():
            with torch.no_grad():
                em = enc(*t_in).numpy()
            return viterbi.viterbi(em, lengths, crf["transitions"], crf["start"], crf["end"])

        out[key] = inference_case(args, f"B={len(lengths)}, T={arrays[0].shape[1]}", len(lengths), run_ms, run_torch)
    return out, cases, graph


def bench_ner(args):
    rng, res = start_run(args)
    net = ner_net(args)
    res["step"], twin = ner_training(args, rng, net)
    res["peak"] = ner_peak(args, res["step"])
    res["inference"], cases, graph = ner_inference(args, rng, net, twin)
    return finish(args, res, "sent", f"{args.infer_len} characters, emissions + Viterbi", graph, cases.values(),
                  lambda a: f"NEREmissions, B={len(a[0])} x {a[0].shape[1]} characters")
