"""Seq2SeqNet (BiGRU encoder, additive attention, GRUCell decoder) equals its PyTorch twin with the
weights copied across, ignores padding, and its inference graphs agree with each other."""
import numpy as np
import pytest
import torch

SRC_V, TGT_V, E, H, A = 40, 30, 10, 12, 9
SOS, EOS, PAD = 2, 1, 0
SRC_LEN = [7, 1, 4, 7, 2]
TGT_LEN = [5, 3, 6, 1, 4]  # target tokens + <eos>


def make_nets(num_layers, **kwargs):
    import mindspore as ms

    from lstm_ms.nn.seq2seq import Seq2SeqNet
    from lstm_ms.reference.torch_nets import copy_to_torch
    from lstm_ms.reference.torch_seq2seq import TorchSeq2Seq, seq2seq_param_map

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_seed(0)
    kwargs.setdefault("dropout", 0.0)
    net = Seq2SeqNet(SRC_V, TGT_V, E, H, num_layers, attn_size=A, sos_id=SOS, pad_id=PAD, **kwargs)
    net.set_train(False)
    tnet = TorchSeq2Seq(SRC_V, TGT_V, E, H, num_layers, attn_size=A)
    return net, copy_to_torch(net, tnet, seq2seq_param_map(num_layers)).eval()


def scramble(net, seed=1, scale=0.6):
    """Larger random weights, so that greedy decoding produces varied tokens."""
    import mindspore as ms

    rng = np.random.default_rng(seed)
    for p in net.get_parameters():
        p.set_data(ms.Tensor(rng.normal(0, scale, p.shape).astype(np.float32)))
    return net


def batch(src_len=SRC_LEN, tgt_len=TGT_LEN, S=7, T=6, seed=0):
    """(src, src_len, tgt_in, tgt) padded with PAD; tgt_in = <sos> + target, tgt = target + <eos>."""
    rng = np.random.default_rng(seed)
    B = len(src_len)
    src = rng.integers(3, SRC_V, size=(B, S)).astype(np.int32)
    src[np.arange(S)[None, :] >= np.array(src_len)[:, None]] = PAD
    tgt_in = np.full((B, T), PAD, np.int32)
    tgt = np.full((B, T), PAD, np.int32)
    for b, n in enumerate(tgt_len):
        words = rng.integers(3, TGT_V, size=n - 1)
        tgt_in[b, :n] = np.concatenate([[SOS], words])
        tgt[b, :n] = np.concatenate([words, [EOS]])
    return src, np.array(src_len, np.int32), tgt_in, tgt


def ms_tensors(*arrays):
    import mindspore as ms

    return [ms.Tensor(a) for a in arrays]


def torch_tensors(*arrays):
    return [torch.from_numpy(a).long() for a in arrays]


def torch_loss(logits, tgt):
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="none")
    mask = (tgt.reshape(-1) != PAD).float()
    return (ce * mask).sum() / mask.sum()


@pytest.mark.parametrize("num_layers", [1, 2])
def test_outputs_equal_torch_on_padded_batch(num_layers):
    from lstm_ms.nn.seq2seq import Seq2SeqEncoder

    net, tnet = make_nets(num_layers)
    src, src_len, tgt_in, tgt = batch()
    enc_out, keys, mask, s0 = [x.asnumpy() for x in Seq2SeqEncoder(net)(*ms_tensors(src, src_len))]
    logits, attention = [x.asnumpy() for x in net(*ms_tensors(src, src_len, tgt_in))]
    with torch.no_grad():
        t_enc, t_keys, t_mask, t_s0 = [x.numpy() for x in tnet.encode(*torch_tensors(src, src_len))]
        t_logits, t_attention = [x.numpy() for x in tnet(*torch_tensors(src, src_len, tgt_in))]
    real_src = np.arange(src.shape[1])[None, :] < src_len[:, None]
    real_tgt = tgt != PAD
    assert logits.dtype == attention.dtype == np.float32
    assert logits.shape == (5, 6, TGT_V) and attention.shape == (5, 6, 7)
    np.testing.assert_array_equal(mask, real_src.astype(np.float32))
    np.testing.assert_array_equal(mask, t_mask)
    np.testing.assert_allclose(enc_out[real_src], t_enc[real_src], atol=1e-5)
    np.testing.assert_allclose(keys[real_src], t_keys[real_src], atol=1e-5)
    np.testing.assert_allclose(s0, t_s0, atol=1e-5)
    np.testing.assert_allclose(attention[real_tgt], t_attention[real_tgt], atol=1e-5)
    np.testing.assert_allclose(logits[real_tgt], t_logits[real_tgt], atol=1e-5)


def test_loss_and_gradients_equal_torch(num_layers=2):
    from lstm_ms.nn.seq2seq import Seq2SeqLoss
    from lstm_ms.reference.torch_seq2seq import seq2seq_param_map
    from tests.helpers import gradients

    net, tnet = make_nets(num_layers)
    src, src_len, tgt_in, tgt = batch(seed=2)
    loss, params, grads = gradients(net, Seq2SeqLoss(PAD), ms_tensors(src, src_len, tgt_in), ms_tensors(tgt)[0])
    tnet.zero_grad()
    t_src, t_len, t_in, t_tgt = torch_tensors(src, src_len, tgt_in, tgt)
    t_loss = torch_loss(tnet(t_src, t_len, t_in)[0], t_tgt)
    t_loss.backward()
    np.testing.assert_allclose(loss.asnumpy(), t_loss.item(), rtol=1e-6, atol=1e-6)
    mapping = seq2seq_param_map(num_layers)
    tparams = dict(tnet.named_parameters())
    assert len(params) == len(grads) == len(tparams)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(g.asnumpy(), tparams[mapping[p.name]].grad.numpy(), atol=1e-5, err_msg=p.name)


def test_padding_changes_nothing_at_real_positions():
    from lstm_ms.nn.seq2seq import Seq2SeqLoss

    net, _ = make_nets(1)
    loss_fn = Seq2SeqLoss(PAD)
    src, src_len, tgt_in, tgt = batch(seed=3)
    src_w = np.pad(src, ((0, 0), (0, 4)))
    tgt_in_w, tgt_w = np.pad(tgt_in, ((0, 0), (0, 3))), np.pad(tgt, ((0, 0), (0, 3)))
    out = net(*ms_tensors(src, src_len, tgt_in))
    out_w = net(*ms_tensors(src_w, src_len, tgt_in_w))
    loss = loss_fn(out, ms_tensors(tgt)[0]).asnumpy()
    loss_w = loss_fn(out_w, ms_tensors(tgt_w)[0]).asnumpy()
    logits, attention = [x.asnumpy() for x in out]
    logits_w, attention_w = [x.asnumpy() for x in out_w]
    real_tgt = tgt != PAD
    np.testing.assert_allclose(loss_w, loss, rtol=1e-6)
    np.testing.assert_allclose(logits_w[:, :6][real_tgt], logits[real_tgt], atol=1e-6)
    np.testing.assert_allclose(attention_w[:, :6, :7][real_tgt], attention[real_tgt], atol=1e-6)
    for att, S in ((attention, 7), (attention_w, 11)):
        padded = np.broadcast_to(np.arange(S)[None, None, :] >= src_len[:, None, None], att.shape)
        assert np.all(att[padded] < 1e-30), att[padded].max()
        np.testing.assert_allclose(att.sum(-1), 1.0, atol=1e-6)


_STEP_CELLS = {}


def greedy_by_steps(net, src, src_len, max_len, eos_id, first=None):
    """Python loop over Seq2SeqDecoderStep feeding back the argmax; returns (ids, log_probs).
    ``first`` ([B] ids) replaces <sos> as the first input; ``eos_id`` None never stops."""
    import mindspore as ms

    from lstm_ms.nn.seq2seq import Seq2SeqDecoderStep, Seq2SeqEncoder

    if id(net) not in _STEP_CELLS:  # reuse the compiled graphs across calls
        _STEP_CELLS[id(net)] = (net, Seq2SeqEncoder(net), Seq2SeqDecoderStep(net))
    _, encoder, step = _STEP_CELLS[id(net)]
    enc_out, keys, mask, s = encoder(*ms_tensors(src, src_len))
    y = np.full(len(src), SOS, np.int32) if first is None else first.astype(np.int32)
    done = np.zeros(len(src), bool)
    ids, log_probs = [], []
    for _ in range(max_len):
        lp, s, _ = step(ms.Tensor(y), s, enc_out, keys, mask)
        lp = lp.asnumpy()
        y = lp.argmax(-1).astype(np.int32)
        ids.append(np.where(done, PAD, y))
        log_probs.append(lp)
        if eos_id is not None:
            done |= y == eos_id
    return np.stack(ids, 1), np.stack(log_probs, 1)


def test_greedy_decoder_equals_loop_over_decoder_step(tmp_path):
    import mindspore as ms

    from lstm_ms.nn.seq2seq import GreedyDecoder

    net = scramble(make_nets(1)[0])
    src, src_len, _, _ = batch(src_len=[7, 1, 4, 7, 2, 5], seed=4)
    max_len = 12
    free, _ = greedy_by_steps(net, src, src_len, max_len, None)
    # as <eos>, the token whose first occurrences are spread over the most different steps
    def first_steps(tok):
        return {int(np.argmax(row == tok)) for row in free if (row == tok).any()}
    eos = max(range(TGT_V), key=lambda tok: (len(first_steps(tok)), -tok))
    expected, _ = greedy_by_steps(net, src, src_len, max_len, eos)
    stops = [int(np.argmax(row == eos)) for row in expected if (row == eos).any()]
    assert len(set(stops)) >= 2 and min(stops) < max_len - 1, (free, eos)  # the stop rule is exercised
    decoder = GreedyDecoder(net, max_len, eos)
    got = decoder(*ms_tensors(src, src_len)).asnumpy()
    assert got.dtype == np.int32 and got.shape == (6, max_len)
    np.testing.assert_array_equal(got, expected)
    ms.export(decoder, *ms_tensors(src, src_len), file_name=str(tmp_path / "greedy"), file_format="MINDIR")
    exported = ms.nn.GraphCell(ms.load(str(tmp_path / "greedy.mindir")))
    np.testing.assert_array_equal(exported(*ms_tensors(src, src_len)).asnumpy(), expected)
    for row in got:  # eos written once, pad_id after it
        if (row == eos).any():
            k = int(np.argmax(row == eos))
            assert np.all(row[k + 1:] == PAD)


def test_scheduled_sampling_trains():
    import mindspore as ms

    from lstm_ms.nn.seq2seq import Seq2SeqLoss

    net, _ = make_nets(1, dropout=0.3, teacher_forcing=0.5)
    net.set_train(True)
    loss_fn = Seq2SeqLoss(PAD)
    src, src_len, tgt_in, tgt = batch(seed=5)
    params = net.trainable_params()

    def forward(*inputs):
        return loss_fn(net(*inputs[:-1]), inputs[-1])

    loss, grads = ms.value_and_grad(forward, None, params)(*ms_tensors(src, src_len, tgt_in, tgt))
    assert np.isfinite(loss.asnumpy()) and loss.asnumpy() > 0
    assert len(grads) == len(params) == 22
    for p, g in zip(params, grads):
        g = g.asnumpy()
        assert g.shape == p.shape and np.all(np.isfinite(g)) and np.any(g != 0), p.name


def test_teacher_forcing_zero_feeds_back_argmax():
    """teacher_forcing=0 in training: every step's input after the first is the previous argmax,
    exactly as a greedy loop over Seq2SeqDecoderStep starting from tgt_in[:, 0]."""
    net = scramble(make_nets(1, teacher_forcing=0.0)[0], seed=6)
    src, src_len, tgt_in, _ = batch(seed=6)
    net.set_train(True)
    logits, _ = net(*ms_tensors(src, src_len, tgt_in))
    logits = logits.asnumpy()
    net.set_train(False)
    _, log_probs = greedy_by_steps(net, src, src_len, tgt_in.shape[1], None, first=tgt_in[:, 0])
    shifted = logits - logits.max(-1, keepdims=True)
    ref = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    np.testing.assert_allclose(ref, log_probs, atol=1e-5)
    teacher_forced, _ = net(*ms_tensors(src, src_len, tgt_in))  # in eval mode tgt_in is fed
    assert not np.allclose(teacher_forced.asnumpy()[:, 1:], logits[:, 1:], atol=1e-3)


def test_inference_cells_compile_once_for_dynamic_shapes(monkeypatch):
    """Seq2SeqDecoderStep: one graph for every (N, S). Seq2SeqEncoder: one graph for every N per source
    length, since on CPU MindSpore's nn.GRU unrolls a loop over a static time axis (pad to buckets)."""
    import mindspore as ms

    from lstm_ms.nn.seq2seq import Seq2SeqDecoderStep, Seq2SeqEncoder
    from tests.helpers import count_compilations

    net, tnet = make_nets(1)
    compiled = count_compilations(monkeypatch.setattr)
    S_ENC = 9
    encoder, step = Seq2SeqEncoder(net), Seq2SeqDecoderStep(net)
    encoder.set_inputs(ms.Tensor(shape=[None, S_ENC], dtype=ms.int32), ms.Tensor(shape=[None], dtype=ms.int32))
    step.set_inputs(ms.Tensor(shape=[None], dtype=ms.int32), ms.Tensor(shape=[None, H], dtype=ms.float32),
                    ms.Tensor(shape=[None, None, 2 * H], dtype=ms.float32),
                    ms.Tensor(shape=[None, None, A], dtype=ms.float32),
                    ms.Tensor(shape=[None, None], dtype=ms.float32))
    for lengths, S in (([7, 1, 4, 7, 2], 7), ([3, 9, 2], 9), ([1, 2, 3, 4, 5, 6, 2, 1], 6)):
        src, src_len, _, _ = batch(src_len=lengths, tgt_len=[1] * len(lengths), S=S, seed=S)
        enc_out, keys, mask, s0 = encoder(*ms_tensors(np.pad(src, ((0, 0), (0, S_ENC - S))), src_len))
        enc_out, keys, mask = enc_out[:, :S], keys[:, :S], mask[:, :S]  # the step sees the true S
        y = np.full(len(lengths), SOS, np.int32)
        log_probs, s, weights = step(ms.Tensor(y), s0, enc_out, keys, mask)
        assert log_probs.shape == (len(lengths), TGT_V) and weights.shape == (len(lengths), S)
        with torch.no_grad():
            t_enc, t_keys, t_mask, t_s0 = tnet.encode(*torch_tensors(src, src_len))
            t_context, t_weights = tnet.attend(t_s0, t_enc, t_keys, t_mask)
            emb = tnet.tgt_embedding(torch.from_numpy(y).long())
            t_s = tnet.decoder_cell(torch.cat([emb, t_context], -1), t_s0)
            t_lp = torch.log_softmax(tnet.out(torch.cat([t_s, t_context, emb], -1)), -1)
        np.testing.assert_allclose(s0.asnumpy(), t_s0.numpy(), atol=1e-5)
        np.testing.assert_allclose(weights.asnumpy(), t_weights.numpy(), atol=1e-6)
        np.testing.assert_allclose(s.asnumpy(), t_s.numpy(), atol=1e-5)
        np.testing.assert_allclose(log_probs.asnumpy(), t_lp.numpy(), atol=1e-5)
    assert compiled.count("Seq2SeqEncoder") == 1, compiled
    assert compiled.count("Seq2SeqDecoderStep") == 1, compiled
