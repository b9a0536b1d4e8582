"""Benchmark entries ``ctc`` (LSTM + CTC, TIMIT-like batches) and ``deepspeech2`` (AN4-like batches):
training step against the PyTorch twin, fraction of peak, inference, and MINDIR cases."""
import mindspore as ms
import numpy as np

from .common import (FRAME_S, bilstm_forward_flops, finish, inference_case, inference_header, initial_losses,
                     ours_alone, report_peak, report_step, start_run, start_twin, time_interleaved)

# ctc: models/ctc/config_cpu.yaml (H 384, 4 layers, dropout 0.2, batch 16), T = 400 frames (the top of
# bucket_lengths [200, 300, 400]); frames uniform in [200, 400] average 300, TIMIT's ~3 s mean.
# deepspeech2: models/deepspeech2/config_cpu.yaml (H 256, 3 LSTM layers, 32 conv channels, batch 8; AN4's
# reference size, config_an4.yaml: --hidden 1024 --num_layers 5), 161 bins (20 ms window), 29 characters,
# T = 300 frames (3 s; frames uniform in [150, 300]).
DEFAULTS = {"ctc": {"batch_size": 16, "seq_len": 400, "hidden": 384, "repeats": 5, "warmup": 1, "dropout": 0.2,
                    "num_features": 120, "num_classes": 49, "num_layers": 4},
            "deepspeech2": {"batch_size": 8, "seq_len": 300, "hidden": 256, "repeats": 5, "warmup": 1,
                            "num_features": 161, "num_classes": 29, "num_layers": 3, "conv_channels": 32}}
QUICK = {"ctc": {"batch_size": 4, "seq_len": 100, "hidden": 64, "num_layers": 2, "repeats": 3, "warmup": 1},
         "deepspeech2": {"batch_size": 4, "seq_len": 100, "hidden": 64, "num_layers": 2, "conv_channels": 8,
                         "repeats": 3, "warmup": 1}}


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


def ctc_net(args):
    """CTCAcousticNet, the ctc task's network (no conv front-end)."""
    from lstm_ms.nn.ctc import CTCAcousticNet

    return CTCAcousticNet(args.num_features, args.num_classes, args.hidden, args.num_layers, args.dropout, 0)


def ctc_twin(args, net):
    """TorchCTCAcousticNet with ``net``'s weights, returning ``(log_probs, lengths)``. The twin has no
    dropout of its own; for the training step its nn.LSTM gets the same between-layer dropout and a
    Dropout before its Linear, as PaddedRNN and CTCAcousticNet apply."""
    import torch

    from lstm_ms.reference.torch_ctc import ReturnsLengths, TorchCTCAcousticNet, ctc_param_map
    from lstm_ms.reference.torch_nets import copy_to_torch

    tnet = copy_to_torch(net, TorchCTCAcousticNet(args.num_features, args.num_classes, args.hidden, args.num_layers,
                                                  0), ctc_param_map(args.num_layers, False))
    tnet.lstm.dropout = args.dropout
    tnet.proj = torch.nn.Sequential(torch.nn.Dropout(args.dropout), tnet.proj)
    return ReturnsLengths(tnet)


def _ds2_shape(args):
    return (args.num_features, args.num_classes, args.hidden, args.num_layers, "LSTM", args.conv_channels)


def ds2_net(args):
    """DeepSpeech2Net, the deepspeech2 task's network: on CPU its two convolutions are ``PatchConv2d``
    (gather-free matmuls); LSTM layers with directions summed; masked batch norms; no dropout."""
    from lstm_ms.nn.deepspeech2 import DeepSpeech2Net

    return DeepSpeech2Net(*_ds2_shape(args))


def ds2_twin(args, net):
    """TorchDeepSpeech2Net (nn.Conv2d, packed nn.LSTM) with ``net``'s weights."""
    from lstm_ms.reference.torch_deepspeech2 import TorchDeepSpeech2Net, deepspeech2_param_map
    from lstm_ms.reference.torch_nets import copy_to_torch

    return copy_to_torch(net, TorchDeepSpeech2Net(*_ds2_shape(args)), deepspeech2_param_map(args.num_layers, "LSTM"))


def speech_training(args, net, twin, batch, recipe, fresh_net):
    """Section 1 of a speech entry: the trainer's Adam + clip-norm step with CTCTaskLoss, run alone first
    (``ours_first``: compile, warm-up, peak memory), then against the twin ``twin(snapshot)`` (built from
    our initial weights) with torch Adam, clip_grad_norm_ and F.ctc_loss (mean over label lengths,
    zero_infinity) on the twin's output lengths, same ``batch`` (from ``ctc_batch``). ``recipe``: lr,
    weight_decay, clip_norm, and for the title ``network`` (its description) and ``labels`` (what a
    label is). ``fresh_net``: a new network of ours, for ``initial_losses``. Returns the section's results and
    the twin."""
    from lstm_ms.nn.ctc import CTCTaskLoss

    B, T = args.batch_size, args.seq_len
    lr, decay, clip = recipe["lr"], recipe["weight_decay"], recipe["clip_norm"]
    snapshot, warm, run_ms, losses = ours_alone(args, net, CTCTaskLoss(0), batch,
                                                {"optimizer": "adam", "weight_decay": decay}, lr, clip)
    torch = start_twin(args)
    tnet = twin(snapshot)
    # nn.Adam adds decay x weight to the gradient of every parameter not named gamma/beta (the batch
    # norms'), as torch Adam's weight_decay does to the parameters of its first group
    norm_ids = {id(p) for m in tnet.modules() if "BatchNorm" in type(m).__name__ for p in m.parameters(False)}
    groups = [{"params": [p for p in tnet.parameters() if id(p) not in norm_ids]},
              {"params": [p for p in tnet.parameters() if id(p) in norm_ids], "weight_decay": 0.0}]
    # betas (0.9, 0.999), eps 1e-8: nn.Adam's defaults
    topt = torch.optim.Adam([g for g in groups if g["params"]], lr=lr, weight_decay=decay)
    feats = torch.from_numpy(batch[0])
    packed = torch.from_numpy(batch[2]).long()
    lengths, label_len, targets = torch.from_numpy(batch[1]).long(), packed[:, 0], packed[:, 1:]

    def run_torch():
        topt.zero_grad()
        log_probs, out_lengths = tnet(feats, lengths)
        loss = torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, label_len, blank=0,
                                            reduction="mean", zero_infinity=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tnet.parameters(), clip)
        topt.step()
        return loss.item()

    def twin_loss():
        with torch.no_grad():
            log_probs, out_lengths = tnet.eval()(feats, lengths)
            return torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, label_len, blank=0,
                                                reduction="mean", zero_infinity=True).item()

    initial = initial_losses(fresh_net, lambda _: CTCTaskLoss(0), snapshot, batch, twin_loss)
    tnet.train()

    frames = int(batch[1].sum())
    res = {"batch_size": B, "seq_len": T, "real_frames": frames, "audio_s": frames * FRAME_S,
           "label_tokens": int(batch[2][:, 0].sum()),
           "initial_losses": initial, "first_losses": {"mindspore": losses[0], "pytorch": float(run_torch())}}
    res.update(time_interleaved(args, run_ms, run_torch, warm))
    adam = f"Adam (weight decay {decay:g})" if decay else "Adam"
    title = (f"Training step, MindSpore vs PyTorch (B={B}, T={T} frames, F={args.num_features}, {recipe['network']}, "
             f"CTC loss, {adam}, clip-norm {clip};\n   frames uniform in [{T // 2}, {T}] ({frames} real = "
             f"{frames * FRAME_S:.1f} s of audio), labels rint(frames/8) ({res['label_tokens']} {recipe['labels']}); "
             "samples = utterances, frames/s = real frames)")
    res = report_step(args, res, title, B, frames, "frames/s")
    for name in ("mindspore", "pytorch"):
        res[name]["audio_s_per_s"] = res[name]["tokens_per_s"] * FRAME_S
    print(f"audio seconds per second (real frames x 10 ms): MindSpore {res['mindspore']['audio_s_per_s']:.1f}, "
          f"PyTorch {res['pytorch']['audio_s_per_s']:.1f}; loss at the initial weights in eval mode: MindSpore "
          f"{initial['mindspore']:.5f}, PyTorch {initial['pytorch']:.5f}; at the first step: MindSpore "
          f"{res['first_losses']['mindspore']:.3f}, PyTorch {res['first_losses']['pytorch']:.3f}")
    return res, tnet


def ctc_training(args, rng, net, twin):
    """Section 1 for ctc: models/ctc's recipe (Adam, no weight decay, clip-norm 5); the twin gets the
    same dropout, so the first losses are close, not equal (the masks differ)."""
    batch = ctc_batch(rng, args.batch_size, args.seq_len, args.num_features, args.num_classes)
    network = f"H={args.hidden}, {args.num_layers}-layer BiLSTM, C={args.num_classes}, dropout {args.dropout}"
    return speech_training(args, net, twin, batch, {"lr": 1e-3, "weight_decay": 0.0, "clip_norm": 5.0,
                                                    "network": network, "labels": "phones"}, ctc_net(args))


def ds2_training(args, rng, net, twin):
    """Section 1 for deepspeech2: models/deepspeech2's recipe (Adam, weight decay 1e-5, clip-norm 400;
    the learning rate of config_cpu.yaml, which does not change the timing). Both networks compute
    their batch norms' statistics over the real frames, so the first losses agree."""
    from lstm_ms.nn.deepspeech2 import conv_output_lengths

    batch = ctc_batch(rng, args.batch_size, args.seq_len, args.num_features, args.num_classes)
    network = (f"{args.conv_channels}-channel 2-conv front end (T' = (T-1)//2+1), H={args.hidden}, "
               f"{args.num_layers}-layer BiLSTM (directions summed), C={args.num_classes}")
    res, tnet = speech_training(args, net, twin, batch, {"lr": 5e-4, "weight_decay": 1e-5, "clip_norm": 400.0,
                                                         "network": network, "labels": "characters"}, ds2_net(args))
    res["real_out_frames"] = int(conv_output_lengths(batch[1]).sum())  # what the packed LSTMs compute
    return res, tnet


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
    """Section 3: forward only (log-probs, no decoding), eval mode: batch 1 with one --infer_len-frame
    utterance (latency) and batch B at T (throughput). Returns the cases and the MINDIR inputs."""
    import torch

    net.set_train(False)
    tnet.eval()
    cases = {"batch 1": ctc_batch(rng, 1, args.infer_len, args.num_features, args.num_classes, [args.infer_len]),
             f"batch {args.batch_size}": ctc_batch(rng, args.batch_size, args.seq_len, args.num_features,
                                                   args.num_classes)}
    inference_header("forward only (per-frame log-probs and output lengths, no decoding)", "utt")
    out = {}
    for key, (feats, lengths, _) in cases.items():
        ms_in = (ms.Tensor(feats), ms.Tensor(lengths))
        t_in = (torch.from_numpy(feats), torch.from_numpy(lengths).long())

        def run_ms():
            return net(*ms_in)[0].asnumpy()

        def run_torch():
            with torch.no_grad():
                return tnet(*t_in)[0].numpy()

        B, frames = len(lengths), int(lengths.sum())
        r = out[key] = inference_case(args, f"B={B}, T={feats.shape[1]} ({frames * FRAME_S:.1f} s audio)", B, run_ms,
                                      run_torch)
        r.update({"seq_len": feats.shape[1], "real_frames": frames,
                  "audio_s_per_s": {n: frames * FRAME_S / r[n]["median_s"] for n in ("mindspore", "pytorch")}})
    return out, {k: (feats, lengths) for k, (feats, lengths, _) in cases.items()}


def bench_speech(args, net_fn, twin_fn, training, peak):
    """A speech entry: section 1 ``training(args, rng, net, twin)``, 2 ``peak(args, step_res)``, 3
    ``speech_inference``, with ``net = net_fn(args)`` and the twin ``twin_fn(args, net or snapshot)``."""
    rng, res = start_run(args)
    net = net_fn(args)
    res["step"], tnet = training(args, rng, net, lambda weights: twin_fn(args, weights))
    res["peak"] = peak(args, res["step"])
    res["inference"], inputs = speech_inference(args, rng, net, tnet)
    return finish(args, res, "utt", f"{args.infer_len} frames ({args.infer_len * FRAME_S:g} s), log-probs", net,
                  inputs.values(), lambda a: f"B={len(a[0])} x {a[0].shape[1]} frames")


def bench_ctc(args):
    return bench_speech(args, ctc_net, ctc_twin, ctc_training, ctc_peak)


def bench_deepspeech2(args):
    """DeepSpeech2 on AN4-like batches (161 spectrogram bins, 29 characters); see ``DEFAULTS``."""
    return bench_speech(args, ds2_net, ds2_twin, ds2_training, ds2_peak)
