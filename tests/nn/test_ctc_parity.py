"""CTC loss and CTCAcousticNet equal PyTorch (ctc_loss, packed BiLSTM twin) with weights copied across."""
import numpy as np
import pytest
import torch

F, H, C, LAYERS = 12, 10, 8, 2


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def loss_batch(seed=0):
    """Random logits [B, T, C] and labels with varying lengths: repeats ([3, 3]), a long input with a
    one-label target, a full-length input, padding with 0 past each label length."""
    rng = np.random.default_rng(seed)
    input_lengths = np.array([15, 9, 5, 15, 12], np.int32)
    label_lengths = np.array([4, 2, 2, 1, 5], np.int32)
    labels = np.zeros((5, 5), np.int32)
    labels[0, :4] = [1, 5, 5, 2]
    labels[1, :2] = [3, 3]
    labels[2, :2] = [7, 1]
    labels[3, :1] = [6]
    labels[4, :5] = rng.integers(1, C, size=5)
    logits = rng.normal(size=(5, 15, C)).astype(np.float32)
    return logits, labels, input_lengths, label_lengths


def torch_ctc(log_probs, labels, input_lengths, label_lengths, reduction, zero_infinity=False):
    return torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), torch.from_numpy(labels).long(),
                                        torch.from_numpy(input_lengths).long(),
                                        torch.from_numpy(label_lengths).long(), blank=0, reduction=reduction,
                                        zero_infinity=zero_infinity)


def real_frames(input_lengths, steps):
    return np.arange(steps)[None, :] < input_lengths[:, None]


def test_loss_equals_torch_mean_and_per_utterance():
    import mindspore as ms

    from lstm_ms.nn.ctc import CTCLoss

    ms.set_context(mode=ms.GRAPH_MODE)
    logits, labels, il, ll = loss_batch()
    lp = log_softmax(logits)
    loss = CTCLoss()
    per_utterance = CTCLoss(reduction="none")
    args = [ms.Tensor(lp), ms.Tensor(labels), ms.Tensor(il), ms.Tensor(ll)]
    ref_none = torch_ctc(torch.from_numpy(lp), labels, il, ll, "none").numpy()
    ref_mean = torch_ctc(torch.from_numpy(lp), labels, il, ll, "mean").item()
    np.testing.assert_allclose(per_utterance(*args).asnumpy(), ref_none, rtol=1e-5)
    np.testing.assert_allclose(loss(*args).asnumpy(), ref_mean, rtol=1e-5)
    np.testing.assert_allclose(ref_mean, np.mean(ref_none / ll), rtol=1e-6)
    np.testing.assert_allclose(CTCLoss(reduction="sum")(*args).asnumpy(), ref_none.sum(), rtol=1e-5)


def test_loss_gradient_equals_torch_at_real_frames():
    """Gradients w.r.t. the log-probs, and through log_softmax w.r.t. the logits."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.nn.ctc import CTCLoss

    ms.set_context(mode=ms.GRAPH_MODE)
    logits, labels, il, ll = loss_batch(1)
    real = real_frames(il, logits.shape[1])

    class FromLogits(nn.Cell):
        def __init__(self):
            super().__init__()
            self.loss = CTCLoss()
            self.log_softmax = nn.LogSoftmax(axis=-1)

        def construct(self, x, labels, il, ll):
            return self.loss(self.log_softmax(x), labels, il, ll)

    lp = log_softmax(logits)
    ours_lp = ms.grad(CTCLoss())(ms.Tensor(lp), ms.Tensor(labels), ms.Tensor(il), ms.Tensor(ll)).asnumpy()
    ours_logits = ms.grad(FromLogits())(ms.Tensor(logits), ms.Tensor(labels), ms.Tensor(il), ms.Tensor(ll)).asnumpy()
    t_lp = torch.from_numpy(lp).requires_grad_()
    torch_ctc(t_lp, labels, il, ll, "mean").backward()
    t_logits = torch.from_numpy(logits).requires_grad_()
    torch_ctc(torch.log_softmax(t_logits, -1), labels, il, ll, "mean").backward()
    np.testing.assert_allclose(ours_lp[real], t_lp.grad.numpy()[real], atol=1e-6)
    np.testing.assert_allclose(ours_logits[real], t_logits.grad.numpy()[real], atol=1e-6)
    np.testing.assert_allclose(ours_logits[~real], 0.0, atol=0)


@pytest.mark.parametrize("zero_infinity", [True, False])
def test_infeasible_labels(zero_infinity):
    """A label longer than its input, and repeats [3, 3] in 2 frames (needs 3): inf, or 0 with zero_infinity."""
    import mindspore as ms

    from lstm_ms.nn.ctc import CTCLoss

    ms.set_context(mode=ms.GRAPH_MODE)
    lp = log_softmax(np.random.default_rng(2).normal(size=(3, 6, C)).astype(np.float32))
    labels = np.array([[1, 2, 3, 4], [3, 3, 0, 0], [2, 4, 0, 0]], np.int32)
    il, ll = np.array([3, 2, 6], np.int32), np.array([4, 2, 2], np.int32)
    args = [ms.Tensor(lp), ms.Tensor(labels), ms.Tensor(il), ms.Tensor(ll)]
    loss = CTCLoss(zero_infinity=zero_infinity)
    per_utterance = CTCLoss(reduction="none", zero_infinity=zero_infinity)
    ref = torch_ctc(torch.from_numpy(lp), labels, il, ll, "none", zero_infinity).numpy()
    np.testing.assert_allclose(per_utterance(*args).asnumpy(), ref, rtol=1e-5)
    assert np.isinf(ref[0]) != zero_infinity
    grad = ms.grad(loss)(*args).asnumpy()
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad[:2], 0.0, atol=0)
    if zero_infinity:
        t_lp = torch.from_numpy(lp).requires_grad_()
        torch_ctc(t_lp, labels, il, ll, "mean", True).backward()
        np.testing.assert_allclose(grad[2, :6], t_lp.grad.numpy()[2, :6], atol=1e-6)


def test_task_loss_unpacks_one_label_tensor():
    import mindspore as ms

    from lstm_ms.nn.ctc import CTCLoss, CTCTaskLoss, pack_labels

    ms.set_context(mode=ms.GRAPH_MODE)
    logits, labels, il, ll = loss_batch(3)
    lp = ms.Tensor(log_softmax(logits))
    packed = pack_labels(labels, ll)
    assert packed.shape == (5, 6) and packed.dtype == np.int32
    ours = CTCTaskLoss()((lp, ms.Tensor(il)), ms.Tensor(packed)).asnumpy()
    ref = CTCLoss()(lp, ms.Tensor(labels), ms.Tensor(il), ms.Tensor(ll)).asnumpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


@pytest.fixture(scope="module", params=[0, 3], ids=["no_conv", "conv"])
def nets(request):
    import mindspore as ms

    from lstm_ms.nn.ctc import CTCAcousticNet
    from lstm_ms.reference.torch_ctc import TorchCTCAcousticNet, ctc_param_map
    from lstm_ms.reference.torch_nets import copy_to_torch

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_seed(0)
    k = request.param
    net = CTCAcousticNet(F, C, H, LAYERS, dropout=0.0, conv_channels=k)
    net.set_train(False)
    tnet = copy_to_torch(net, TorchCTCAcousticNet(F, C, H, LAYERS, k), ctc_param_map(LAYERS, bool(k))).eval()
    return net, tnet, k


def features(lengths, steps, seed=0, pad_noise=True):
    """Random features; padded frames hold noise (not zeros), so any leak across an end shows."""
    x = np.random.default_rng(seed).normal(size=(len(lengths), steps, F)).astype(np.float32)
    if not pad_noise:
        x[~real_frames(np.asarray(lengths), steps)] = 0.0
    return x, np.array(lengths, np.int32)


def test_log_probs_equal_torch_on_padded_batch(nets):
    import mindspore as ms

    net, tnet, _ = nets
    x, lengths = features([15, 7, 1, 11], 15)
    ours, out_lengths = net(ms.Tensor(x), ms.Tensor(lengths))
    ours = ours.asnumpy()
    np.testing.assert_array_equal(out_lengths.asnumpy(), lengths)
    with torch.no_grad():
        ref = tnet(torch.from_numpy(x), torch.from_numpy(lengths).long()).numpy()
    real = real_frames(lengths, 15)
    np.testing.assert_allclose(ours[real], ref[real], atol=1e-5)
    np.testing.assert_allclose(np.exp(ours).sum(-1), 1.0, atol=1e-5)


def test_padding_and_batch_mates_change_nothing(nets):
    import mindspore as ms

    net, _, _ = nets
    x, lengths = features([6, 3, 11], 11, seed=1)
    together = net(ms.Tensor(x), ms.Tensor(lengths))[0].asnumpy()
    wider = np.random.default_rng(5).normal(size=(3, 20, F)).astype(np.float32) * 10
    wider[:, :11] = x
    padded_more = net(ms.Tensor(wider), ms.Tensor(lengths))[0].asnumpy()
    alone = net(ms.Tensor(x[1:2, :3]), ms.Tensor(lengths[1:2]))[0].asnumpy()
    real = real_frames(lengths, 11)
    np.testing.assert_allclose(padded_more[:, :11][real], together[real], atol=1e-5)
    np.testing.assert_allclose(alone[0], together[1, :3], atol=1e-5)


def test_gradients_equal_torch(nets):
    import mindspore as ms

    from lstm_ms.nn.ctc import CTCTaskLoss, pack_labels
    from lstm_ms.reference.torch_ctc import ctc_param_map
    from tests.helpers import gradients

    net, tnet, k = nets
    x, lengths = features([10, 4, 8, 10], 10, seed=2)
    labels = np.array([[1, 2, 2, 5], [3, 0, 0, 0], [7, 7, 1, 0], [4, 6, 0, 0]], np.int32)
    label_lengths = np.array([4, 1, 3, 2], np.int32)
    packed = ms.Tensor(pack_labels(labels, label_lengths))
    loss, params, grads = gradients(net, CTCTaskLoss(zero_infinity=False), [ms.Tensor(x), ms.Tensor(lengths)],
                                    packed)
    tnet.zero_grad()
    out = tnet(torch.from_numpy(x), torch.from_numpy(lengths).long())
    ref = torch_ctc(out, labels, lengths, label_lengths, "mean")
    ref.backward()
    np.testing.assert_allclose(loss.asnumpy(), ref.item(), rtol=1e-5)
    mapping = ctc_param_map(LAYERS, bool(k))
    tparams = dict(tnet.named_parameters())
    assert len(params) == len(mapping)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(g.asnumpy(), tparams[mapping[p.name]].grad.numpy(), atol=1e-5, err_msg=p.name)
