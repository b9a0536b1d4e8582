"""DeepSpeech2Net equals its PyTorch twin (masked convs, masked batch norms, packed RNNs) with weights
copied across, in training and evaluation mode; padding changes nothing at real frames; the CTC loss and
all gradients equal torch's; a graph-mode training step updates the moving statistics once."""
import numpy as np
import pytest
import torch

F, K, H, C, LAYERS = 33, 4, 16, 7, 2
LENGTHS, STEPS = [40, 17, 3, 29], 40
GRAD_LENGTHS, GRAD_STEPS = [24, 17, 3, 11], 24  # shorter: the CPU GRU's backward graph is unrolled
LABELS = np.array([[1, 2, 2, 5], [3, 6, 0, 0], [4, 0, 0, 0], [6, 6, 1, 0]], np.int32)
LABEL_LENGTHS = np.array([4, 2, 1, 3], np.int32)


def features(lengths, steps, seed=0):
    """Random features; padded frames hold loud noise (not zeros), so any leak across an end shows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(lengths), steps, F)).astype(np.float32)
    pad = np.arange(steps)[None, :] >= np.asarray(lengths)[:, None]
    x[pad] = rng.normal(size=(int(pad.sum()), F)).astype(np.float32) * 50
    return x, np.array(lengths, np.int32)


def real_frames(out_lengths, steps):
    return np.arange(steps)[None, :] < np.asarray(out_lengths)[:, None]


def packed_labels(labels=LABELS, label_lengths=LABEL_LENGTHS, pad=-1):
    labels = np.where(np.arange(labels.shape[1])[None, :] < label_lengths[:, None], labels, pad)
    return np.concatenate([label_lengths.reshape(-1, 1), labels], axis=1).astype(np.int32)


def norms(net):
    from lstm_ms.nn.deepspeech2 import MaskedBatchNorm

    return {name: cell for name, cell in net.cells_and_names() if isinstance(cell, MaskedBatchNorm)}


def randomise_norms(net, seed, moving=False):
    """Non-trivial gamma/beta (and, with ``moving``, moving statistics) in every MaskedBatchNorm."""
    import mindspore as ms

    rng = np.random.default_rng(seed)
    for cell in norms(net).values():
        n = cell.gamma.shape[0]
        cell.gamma.set_data(ms.Tensor(rng.uniform(0.5, 1.5, n).astype(np.float32)))
        cell.beta.set_data(ms.Tensor(rng.normal(0, 0.3, n).astype(np.float32)))
        if moving:
            cell.moving_mean.set_data(ms.Tensor(rng.normal(0, 0.5, n).astype(np.float32)))
            cell.moving_variance.set_data(ms.Tensor(rng.uniform(0.5, 3.0, n).astype(np.float32)))


def make_pair(rnn_type, seed=0, layers=LAYERS):
    import mindspore as ms

    from lstm_ms.nn.deepspeech2 import DeepSpeech2Net
    from lstm_ms.reference.torch_deepspeech2 import TorchDeepSpeech2Net, deepspeech2_param_map
    from lstm_ms.reference.torch_nets import copy_to_torch

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_seed(seed)
    net = DeepSpeech2Net(F, C, H, layers, rnn_type, K)
    randomise_norms(net, seed)
    tnet = TorchDeepSpeech2Net(F, C, H, layers, rnn_type, K)
    copy_to_torch(net, tnet, deepspeech2_param_map(layers, rnn_type))
    return net, tnet


def sync(net, tnet, rnn_type, layers=LAYERS):
    from lstm_ms.reference.torch_deepspeech2 import deepspeech2_param_map
    from lstm_ms.reference.torch_nets import copy_to_torch

    return copy_to_torch(net, tnet, deepspeech2_param_map(layers, rnn_type))


def run(net, x, lengths):
    import mindspore as ms

    log_probs, out_lengths = net(ms.Tensor(x), ms.Tensor(lengths))
    return log_probs.asnumpy(), out_lengths.asnumpy()


def run_torch(tnet, x, lengths):
    with torch.no_grad():
        log_probs, out_lengths = tnet(torch.from_numpy(x), torch.from_numpy(lengths).long())
    return log_probs.numpy(), out_lengths.numpy()


@pytest.fixture(scope="module", params=["LSTM", "GRU"])
def nets(request):
    net, tnet = make_pair(request.param)
    return net, tnet, request.param


@pytest.fixture(scope="module")
def dynamic_lstm():
    """An LSTM net with dynamic input shapes (as ``Trainer`` evaluates): one graph per mode for every
    batch shape. (MindSpore's CPU GRU needs a static length; the GRU's padding is covered by the parity
    tests, whose padded frames hold loud noise while torch never sees them.)"""
    import mindspore as ms

    net, _ = make_pair("LSTM", seed=1)
    randomise_norms(net, 2, moving=True)
    net.set_inputs(ms.Tensor(shape=[None, None, None], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32))
    return net


def test_output_lengths_follow_the_conv_strides(dynamic_lstm):
    from lstm_ms.nn.deepspeech2 import conv_output_features, conv_output_lengths
    from lstm_ms.reference.torch_deepspeech2 import TorchDeepSpeech2Net

    assert conv_output_features(161) == 41 and conv_output_features(33) == 9
    lengths = np.arange(1, 201, dtype=np.int32)
    expected = (lengths + 2 * 5 - 11) // 2 + 1
    np.testing.assert_array_equal(conv_output_lengths(lengths), expected)
    assert [conv_output_lengths(int(n)) for n in (1, 2, 3, 200)] == [1, 1, 2, 100]
    tnet = TorchDeepSpeech2Net(F, C, 4, 1, "LSTM", 2).to("meta")  # shapes only
    with torch.no_grad():
        sizes = [tnet.conv2(tnet.conv1(torch.zeros(1, 1, F, int(n), device="meta"))).shape[-1] for n in lengths]
    np.testing.assert_array_equal(sizes, expected)
    dynamic_lstm.set_train(False)
    x = np.random.default_rng(0).normal(size=(200, 200, F)).astype(np.float32)
    log_probs, out_lengths = run(dynamic_lstm, x, lengths)
    np.testing.assert_array_equal(out_lengths, expected)
    assert out_lengths.dtype == np.int32 and log_probs.shape == (200, expected[-1], C)


def test_forward_equals_torch_in_training_mode(nets):
    """Batch statistics of the valid positions; the moving statistics are updated as torch does."""
    net, tnet, rnn_type = nets
    sync(net, tnet, rnn_type)
    net.set_train(True)
    tnet.train()
    x, lengths = features(LENGTHS, STEPS)
    ours, ours_len = run(net, x, lengths)
    ref, ref_len = run_torch(tnet, x, lengths)
    np.testing.assert_array_equal(ours_len, ref_len)
    real = real_frames(ref_len, ref.shape[1])
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours[real], ref[real], atol=1e-4)
    np.testing.assert_allclose(np.exp(ours[real]).sum(-1), 1.0, atol=1e-5)
    tstate = tnet.state_dict()
    for name, cell in norms(net).items():
        np.testing.assert_allclose(cell.moving_mean.asnumpy(), tstate[f"{name}.running_mean"].numpy(), atol=1e-5)
        np.testing.assert_allclose(cell.moving_variance.asnumpy(), tstate[f"{name}.running_var"].numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_forward_equals_torch_in_eval_mode(nets):
    net, tnet, rnn_type = nets
    randomise_norms(net, 7, moving=True)
    sync(net, tnet, rnn_type)
    net.set_train(False)
    tnet.eval()
    x, lengths = features(LENGTHS, STEPS, seed=1)
    ours, _ = run(net, x, lengths)
    ref, ref_len = run_torch(tnet, x, lengths)
    real = real_frames(ref_len, ref.shape[1])
    np.testing.assert_allclose(ours[real], ref[real], atol=1e-4)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_padding_changes_nothing(dynamic_lstm, train):
    """Eval: an utterance alone (padded to its own length) equals its rows in a padded batch. Train (batch
    statistics depend on the batch mates, not on padding): a batch, or one utterance alone, gives the same
    real frames padded to its own length and padded much further with loud noise."""
    net = dynamic_lstm
    net.set_train(train)
    x, lengths = features(LENGTHS, STEPS, seed=2)
    wider, _ = features(LENGTHS, STEPS + 17, seed=3)
    wider[:, :STEPS] = x
    together, out_len = run(net, x, lengths)
    padded_more, _ = run(net, wider, lengths)
    real = real_frames(out_len, together.shape[1])
    np.testing.assert_allclose(padded_more[:, :together.shape[1]][real], together[real], atol=1e-5)
    short = 1
    n = out_len[short]
    alone, alone_len = run(net, x[short:short + 1, :lengths[short]], lengths[short:short + 1])
    assert alone.shape[1] == n == alone_len[0]
    alone_padded, _ = run(net, wider[short:short + 1], lengths[short:short + 1])
    np.testing.assert_allclose(alone_padded[0, :n], alone[0], atol=1e-5)
    if not train:
        np.testing.assert_allclose(alone[0], together[short, :n], atol=1e-5)


def value_and_gradients(net, loss_fn, *batch):
    """(loss, trainable parameters, their gradients) from ONE compiled graph (tests.helpers.gradients
    compiles the forward twice, which costs seconds with the CPU GRU's unrolled loop)."""
    import mindspore as ms
    from mindspore import nn, ops

    class ValueAndGrad(nn.Cell):
        def __init__(self):
            super().__init__(auto_prefix=False)
            self.net, self.loss_fn = net, loss_fn
            self.weights = ms.ParameterTuple(net.trainable_params())

        def loss(self, x, lengths, label):
            return self.loss_fn(self.net(x, lengths), label)

        def construct(self, x, lengths, label):
            return ops.value_and_grad(self.loss, None, self.weights)(x, lengths, label)

    loss, grads = ValueAndGrad()(*batch)
    return loss, net.trainable_params(), grads


def test_loss_and_gradients_equal_torch(nets):
    import mindspore as ms

    from lstm_ms.nn.ctc import CTCTaskLoss
    from lstm_ms.reference.torch_deepspeech2 import deepspeech2_param_map

    net, tnet, rnn_type = nets
    sync(net, tnet, rnn_type)
    net.set_train(True)
    tnet.train()
    x, lengths = features(GRAD_LENGTHS, GRAD_STEPS, seed=4)
    packed = packed_labels()  # labels padded with -1 for MindSpore, with 0 for torch
    tnet.zero_grad()
    t_log_probs, t_out_lengths = tnet(torch.from_numpy(x), torch.from_numpy(lengths).long())
    torch_labels = torch.from_numpy(packed_labels(pad=0)[:, 1:]).long()
    ref = torch.nn.functional.ctc_loss(t_log_probs.transpose(0, 1), torch_labels, t_out_lengths,
                                       torch.from_numpy(LABEL_LENGTHS).long(), blank=0, reduction="mean",
                                       zero_infinity=True)
    ref.backward()
    # the loss alone, on the same log-probs
    outputs = (ms.Tensor(t_log_probs.detach().numpy()), ms.Tensor(t_out_lengths.numpy().astype(np.int32)))
    np.testing.assert_allclose(CTCTaskLoss()(outputs, ms.Tensor(packed)).asnumpy(), ref.item(), rtol=1e-5)
    # end to end: the loss and the gradient of every trainable parameter
    loss, params, grads = value_and_gradients(net, CTCTaskLoss(), ms.Tensor(x), ms.Tensor(lengths),
                                              ms.Tensor(packed))
    np.testing.assert_allclose(loss.asnumpy(), ref.item(), rtol=1e-5)
    mapping = deepspeech2_param_map(LAYERS, rnn_type)
    tparams = dict(tnet.named_parameters())
    assert {p.name for p in params} == {m for m, t in mapping.items() if t in tparams}
    for p, g in zip(params, grads):
        ref_grad = tparams[mapping[p.name]].grad.numpy()
        if p.name in ("conv1.bias", "conv2.bias"):
            # a bias before a training-mode batch norm cancels out: both gradients are rounding noise
            assert np.abs(g.asnumpy()).max() < 5e-3 and np.abs(ref_grad).max() < 5e-3, p.name
            continue
        scale = max(np.abs(ref_grad).max(), 1e-2)
        np.testing.assert_allclose(g.asnumpy() / scale, ref_grad / scale, atol=2e-4, err_msg=p.name)


def test_graph_mode_train_step_updates_moving_statistics_once():
    """One build_train_step step in GRAPH_MODE: finite loss, weights move, and every moving statistic
    equals torch's after ONE training forward from the same state (not two: the step's forward and
    its gradient's forward must not both update)."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.engine.trainer import build_train_step
    from lstm_ms.nn.ctc import CTCTaskLoss

    net, tnet = make_pair("LSTM", seed=5, layers=3)
    tnet.train()
    x, lengths = features(LENGTHS, STEPS, seed=6)
    run_torch(tnet, x, lengths)
    before = {name: (c.moving_mean.asnumpy().copy(), c.moving_variance.asnumpy().copy())
              for name, c in norms(net).items()}
    weight = net.fc.weight.asnumpy().copy()
    step = build_train_step(net, CTCTaskLoss(), nn.Adam(net.trainable_params(), learning_rate=1e-3))
    assert ms.get_context("mode") == ms.GRAPH_MODE
    loss = step(ms.Tensor(x), ms.Tensor(lengths), ms.Tensor(packed_labels())).asnumpy()
    assert np.isfinite(loss) and loss > 0
    assert not np.allclose(net.fc.weight.asnumpy(), weight)
    tstate = tnet.state_dict()
    assert len(before) == 3 + 2  # bn1, bn2, two sequence-wise norms before RNN layers 2-3, the head norm
    for name, cell in norms(net).items():
        mean, var = cell.moving_mean.asnumpy(), cell.moving_variance.asnumpy()
        assert not np.allclose(mean, before[name][0]) and not np.allclose(var, before[name][1]), name
        np.testing.assert_allclose(mean, tstate[f"{name}.running_mean"].numpy(), atol=1e-5, err_msg=name)
        np.testing.assert_allclose(var, tstate[f"{name}.running_var"].numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


# ---------------------------------------------------------------- MaskedBatchNorm vs stock batch norms
def _stock_norms(ndim, n, rng):
    """(MaskedBatchNorm, MindSpore's stock batch norm, torch's stock batch norm) of ``n`` channels with
    the same random gamma, beta and moving statistics; momentum 0.9 (MindSpore) = 0.1 (torch)."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.nn.deepspeech2 import MaskedBatchNorm

    masked = MaskedBatchNorm(n, ndim=ndim, channel_axis=1 if ndim == 4 else -1, momentum=0.9, eps=1e-5)
    stock = (nn.BatchNorm2d if ndim == 4 else nn.BatchNorm1d)(n, eps=1e-5, momentum=0.9)
    ref = (torch.nn.BatchNorm2d if ndim == 4 else torch.nn.BatchNorm1d)(n, eps=1e-5, momentum=0.1)
    values = {"gamma": rng.uniform(0.5, 1.5, n), "beta": rng.normal(0, 0.3, n),
              "moving_mean": rng.normal(0, 0.5, n), "moving_variance": rng.uniform(0.5, 3.0, n)}
    for name, v in values.items():
        v = v.astype(np.float32)
        getattr(masked, name).set_data(ms.Tensor(v))
        getattr(stock, name).set_data(ms.Tensor(v))
    with torch.no_grad():
        for name, v in zip(("weight", "bias", "running_mean", "running_var"), values.values()):
            getattr(ref, name).copy_(torch.from_numpy(v.astype(np.float32)))
    return masked, stock, ref


def _bn_inputs(ndim, n, rng, scale=1.0):
    shape = (3, n, 5, 7) if ndim == 4 else (3, 9, n)  # [B, C, F, T] conv maps, [B, T, C] sequence-wise
    x = rng.normal(1.5, 2.0, size=shape) * scale
    channel = (slice(None), 0) if ndim == 4 else (Ellipsis, 0)
    x[channel] = 0.3 + 0.01 * x[channel]  # a near-constant channel: variance ~4e-4, where eps = 1e-5 shows
    return x.astype(np.float32)


def _stock_forward(stock, ref, x, ndim):
    """The stock norms on ``x`` ([B, T, C] flattened to [B * T, C] for BatchNorm1d)."""
    import mindspore as ms

    flat = x if ndim == 4 else x.reshape(-1, x.shape[-1])
    out = stock(ms.Tensor(flat)).asnumpy()
    with torch.no_grad():
        ref_out = ref(torch.from_numpy(flat)).numpy()
    return out.reshape(x.shape), ref_out.reshape(x.shape)


@pytest.mark.parametrize("ndim", [4, 3], ids=["conv_BCFT", "sequence_BTC"])
def test_masked_batch_norm_with_an_all_true_mask_is_a_stock_batch_norm(ndim):
    """On an unpadded batch (mask all true) MaskedBatchNorm is exactly MindSpore's stock BatchNorm2d /
    BatchNorm1d and torch's: the training-mode output, the moving statistics after each of two steps
    (MindSpore momentum 0.9 = torch 0.1; the unbiased batch variance), and the eval-mode output."""
    import mindspore as ms

    ms.set_context(mode=ms.GRAPH_MODE)
    rng = np.random.default_rng(11 + ndim)
    n = 6
    masked, stock, ref = _stock_norms(ndim, n, rng)
    for cell in (masked, stock):
        cell.set_train(True)
    ref.train()
    for step in range(2):
        before = masked.moving_mean.asnumpy().copy(), masked.moving_variance.asnumpy().copy()
        x = _bn_inputs(ndim, n, rng, scale=1.0 + step)
        mask = np.ones(x.shape[:1] + (1,) + x.shape[2:] if ndim == 4 else x.shape[:2] + (1,), np.bool_)
        out = masked(ms.Tensor(x), ms.Tensor(mask)).asnumpy()
        stock_out, ref_out = _stock_forward(stock, ref, x, ndim)
        np.testing.assert_allclose(out, stock_out, rtol=1e-5, atol=1e-5, err_msg=f"training output, step {step}")
        np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5, err_msg=f"training output, step {step}")
        for mine, theirs, torch_name in (("moving_mean", "moving_mean", "running_mean"),
                                         ("moving_variance", "moving_variance", "running_var")):
            value = getattr(masked, mine).asnumpy()
            np.testing.assert_allclose(value, getattr(stock, theirs).asnumpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{mine} after step {step}")
            np.testing.assert_allclose(value, getattr(ref, torch_name).numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{mine} after step {step}")
        assert np.abs(masked.moving_mean.asnumpy() - before[0]).min() > 1e-3
        assert np.abs(masked.moving_variance.asnumpy() - before[1]).min() > 1e-3
    for cell in (masked, stock):
        cell.set_train(False)
        cell.moving_variance.set_data(ms.Tensor(np.array([1e-4] + [1.0] * (n - 1), np.float32)
                                                * cell.moving_variance.asnumpy()))
    with torch.no_grad():
        ref.running_var[0] *= 1e-4  # a near-zero moving variance, where eps shows in evaluation too
    ref.eval()
    x = _bn_inputs(ndim, n, rng)
    out = masked(ms.Tensor(x), ms.Tensor(np.ones_like(x, np.bool_))).asnumpy()
    stock_out, ref_out = _stock_forward(stock, ref, x, ndim)
    np.testing.assert_allclose(out, stock_out, rtol=1e-5, atol=1e-5, err_msg="eval output")
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5, err_msg="eval output")
