"""Benchmark entry ``seq2seq`` (BiGRU encoder, attention GRU decoder, Multi30k-sized vocabularies):
training step against the PyTorch twin, fraction of peak, greedy and beam decoding, MINDIR cases."""
import statistics

import numpy as np

from .common import (finish, inference_case, inference_header, initial_losses, ours_alone, random_batch, report_peak,
                     report_step, start_run, start_twin, time_interleaved, timed)

# models/seq2seq's recipe, Multi30k's vocabularies, T = 24 (the second of bucket_lengths [16, 24, 32])
DEFAULTS = {"batch_size": 128, "seq_len": 24, "embed_size": 256, "hidden": 512, "vocab": 7853, "tgt_vocab": 5893,
            "repeats": 5, "warmup": 1, "dropout": 0.5}
QUICK = {"batch_size": 8, "seq_len": 12, "embed_size": 32, "hidden": 64, "vocab": 500, "tgt_vocab": 400,
         "repeats": 3, "warmup": 1, "max_decode_len": 10}
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


def seq2seq_training(args, rng, net):
    """Section 1 for seq2seq: the trainer's Adam + clip-norm step alone (``ours_first``), then against
    TorchSeq2Seq (our initial weights) with torch Adam, clip_grad_norm_ and the masked token-mean
    cross-entropy, same batch. Returns the section's results and the twin."""
    from lstm_ms.nn.seq2seq import Seq2SeqLoss
    from lstm_ms.tasks.seq2seq import PAD_ID

    B, T = args.batch_size, args.seq_len
    batch = seq2seq_batch(rng, B, T, args.vocab, args.tgt_vocab)
    snapshot, warm, run_ms, losses = ours_alone(args, net, Seq2SeqLoss(PAD_ID), batch,
                                                {"optimizer": "adam", "weight_decay": 0.0}, 1e-3, 1.0)
    torch = start_twin(args)
    from lstm_ms.reference.torch_nets import copy_to_torch
    from lstm_ms.reference.torch_seq2seq import TorchSeq2Seq, seq2seq_param_map

    # TorchSeq2Seq applies one nn.Dropout(p) at the same three places: source embedding, target
    # embedding, output layer's input (its encoder has one layer, so no dropout between layers)
    tnet = copy_to_torch(snapshot, TorchSeq2Seq(args.vocab, args.tgt_vocab, args.embed_size, args.hidden, 1, None,
                                                args.dropout), seq2seq_param_map(1))
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)  # betas (0.9, 0.999), eps 1e-8: nn.Adam's defaults
    src, src_len, tgt_in, tgt = (torch.from_numpy(a).long() for a in batch)

    def run_torch():
        topt.zero_grad()
        logits, _ = tnet(src, src_len, tgt_in)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                                 ignore_index=PAD_ID)  # mean over non-pad target tokens
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tnet.parameters(), 1.0)
        topt.step()
        return loss.item()

    def twin_loss():
        with torch.no_grad():
            logits, _ = tnet.eval()(src, src_len, tgt_in)
            return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                                     ignore_index=PAD_ID).item()

    initial = initial_losses(seq2seq_net(args), lambda _: Seq2SeqLoss(PAD_ID), snapshot, batch, twin_loss)
    tnet.train()
    res = {"batch_size": B, "seq_len": T, "src_real_tokens": int(batch[1].sum()),
           "tgt_real_tokens": int((batch[3] != PAD_ID).sum()), "initial_losses": initial,
           "first_losses": {"mindspore": losses[0], "pytorch": float(run_torch())}}
    res.update(time_interleaved(args, run_ms, run_torch, warm))
    title = (f"Training step, MindSpore vs PyTorch (B={B}, S=T={T}, E={args.embed_size}, H={args.hidden}, "
             f"BiGRU encoder + attention GRUCell decoder, V={args.vocab}/{args.tgt_vocab}, dropout {args.dropout}, "
             f"teacher forcing 1.0, Adam, clip-norm 1.0;\n   source and target lengths uniform in [{T // 2}, {T}]; "
             f"tgt tok/s counts the {res['tgt_real_tokens']} non-pad target tokens)")
    return report_step(args, res, title, B, res["tgt_real_tokens"], "tgt tok/s"), tnet


def seq2seq_peak(args, step_res):
    B, T, H = args.batch_size, args.seq_len, args.hidden
    flops = {"mindspore": B * T, "pytorch": step_res["src_real_tokens"]}
    executed = {k: seq2seq_step_flops(v, B, T, T, args.embed_size, H, H, args.tgt_vocab) for k, v in flops.items()}
    return report_peak(step_res, executed,
                       "FLOPs/step = 3 x (src tokens x 2 dirs x 2*3H(E+H) + B x 2*2H*H + B*S x 2*2H*A\n"
                       "  + B*T x (2HA + 2SA + 2S*2H + 2*3H(E+2H+H) + 2(3H+E)V)), A = H, matmuls only, backward = "
                       "2x forward;\n  src tokens = B*S for MindSpore (PaddedRNN computes padding), sum of source "
                       "lengths for PyTorch (packed); decoder B*T steps in both")


def one_source(rng, vocab, tokens=12, padded=16):
    """A batch-1 source: ``tokens`` random words padded to ``padded`` (a short Multi30k sentence)."""
    src, src_len = np.zeros((1, padded), np.int32), np.array([tokens], np.int32)
    src[0, :tokens] = rng.integers(4, vocab, size=tokens)
    return src, src_len


def seq2seq_inference(args, rng, net, tnet):
    """Section 3: greedy decoding for ``args.max_decode_len`` steps, eval.py's path
    (``Seq2SeqTask.translate``: encoder graph + decoder-step graph, the search in numpy) against the
    twin's greedy loop (``TorchSeq2Seq.greedy``), batch 1 (a 12-token source) and batch B."""
    import torch

    from lstm_ms.tasks.seq2seq import EOS_ID, SOS_ID, Seq2SeqTask

    net.set_train(False)
    tnet.eval()
    task = Seq2SeqTask()
    B, T, L = args.batch_size, args.seq_len, args.max_decode_len
    src, src_len, _, _ = seq2seq_batch(rng, B, T, args.vocab, args.tgt_vocab)
    cases = {"batch 1": one_source(rng, args.vocab), f"batch {B}": (src, src_len)}
    inference_header(f"greedy decoding, {L} steps (translate: encoder + decoder-step graphs, search in numpy; "
                     "twin: TorchSeq2Seq.greedy)", "sent")
    out = {}
    for key, (source, lengths) in cases.items():
        t_src, t_len = torch.from_numpy(source).long(), torch.from_numpy(lengths).long()

        def run_ms():
            return task.translate(net, source, lengths, L, 1, 0.0)

        def run_torch():
            return tnet.greedy(t_src, t_len, L, SOS_ID, EOS_ID)

        out[key] = inference_case(args, f"B={len(lengths)}, S={source.shape[1]}", len(lengths), run_ms, run_torch)
    return out, cases


def seq2seq_beam(args, rng, net):
    """Section 3b: beam search (eval.py with ``beam_size``) at batch B, ours only, median of ``args.repeats``."""
    from lstm_ms.tasks.seq2seq import Seq2SeqTask

    B, T, L = args.batch_size, args.seq_len, args.max_decode_len
    src, src_len, _, _ = seq2seq_batch(rng, B, T, args.vocab, args.tgt_vocab)
    task = Seq2SeqTask()
    first = timed(lambda: task.translate(net, src, src_len, L, args.beam_size, args.length_penalty))
    med = statistics.median(timed(lambda: task.translate(net, src, src_len, L, args.beam_size, args.length_penalty))
                            for _ in range(args.repeats))
    print(f"\n== 3b. Beam search {args.beam_size} (alpha {args.length_penalty}), B={B}, {L} steps, MindSpore ==\n"
          f"first call {first:.1f} s, then median {med:.3f} s: {B / med:.1f} sentences/s, {1e3 * med / B:.1f} ms/sentence")
    return {"batch_size": B, "first_call_s": first, "median_s": med, "sentences_per_s": B / med}


def bench_seq2seq(args):
    from lstm_ms.nn.seq2seq import GreedyDecoder
    from lstm_ms.tasks.seq2seq import EOS_ID

    rng, res = start_run(args)
    net = seq2seq_net(args)
    res["step"], tnet = seq2seq_training(args, rng, net)
    res["peak"] = seq2seq_peak(args, res["step"])
    res["inference"], cases = seq2seq_inference(args, rng, net, tnet)
    res["beam"] = seq2seq_beam(args, rng, net)
    return finish(args, res, "sent", f"greedy, 12-token source, {args.max_decode_len} steps",
                  GreedyDecoder(net, args.max_decode_len, EOS_ID), cases.values(),
                  lambda a: f"GreedyDecoder, B={len(a[0])}, S={a[0].shape[1]}")
