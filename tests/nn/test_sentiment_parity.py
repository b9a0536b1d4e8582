"""SentimentNet equals the same network in PyTorch (packed sequences) with weights copied across."""
import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def nets():
    import mindspore as ms

    from lstm_ms.nn.sentiment import SentimentNet
    from lstm_ms.reference.torch_nets import TorchSentimentNet, copy_to_torch, sentiment_param_map

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_seed(0)
    V, E, H = 60, 12, 9
    emb = np.random.default_rng(0).normal(size=(V, E)).astype(np.float32)
    net = SentimentNet(V, E, H, 2, True, 2, embedding=emb)
    net.set_train(False)
    tnet = copy_to_torch(net, TorchSentimentNet(V, E, H, 2, True, 2), sentiment_param_map(2, True)).eval()
    return net, tnet, V


def batch(V, lengths, T, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(2, V, size=(len(lengths), T)).astype(np.int32)
    for b, n in enumerate(lengths):
        ids[b, n:] = 0
    return ids, np.array(lengths, np.int32)


def run_both(net, tnet, ids, lengths):
    import mindspore as ms

    ours = net(ms.Tensor(ids), ms.Tensor(lengths)).asnumpy()
    with torch.no_grad():
        ref = tnet(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long()).numpy()
    return ours, ref


def test_logits_equal_torch_on_padded_batch_of_mixed_lengths(nets):
    net, tnet, V = nets
    ids, lengths = batch(V, [17, 1, 5, 9, 17, 2, 12], T=17)
    ours, ref = run_both(net, tnet, ids, lengths)
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_result_does_not_depend_on_padding_or_batch_mates(nets):
    import mindspore as ms

    net, _, V = nets
    ids, lengths = batch(V, [6, 3, 11], T=11, seed=1)
    together = net(ms.Tensor(ids), ms.Tensor(lengths)).asnumpy()
    wider = np.zeros((3, 40), np.int32)
    wider[:, :11] = ids
    padded_more = net(ms.Tensor(wider), ms.Tensor(lengths)).asnumpy()
    alone = net(ms.Tensor(ids[1:2, :3]), ms.Tensor(lengths[1:2])).asnumpy()
    np.testing.assert_allclose(padded_more, together, atol=1e-5)
    np.testing.assert_allclose(alone, together[1:2], atol=1e-5)


def test_gradients_equal_torch(nets):
    """One training step's gradients agree too (same loss, same parameters)."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.reference.torch_nets import sentiment_param_map
    from tests.helpers import gradients

    net, tnet, V = nets
    ids, lengths = batch(V, [8, 2, 5, 8], T=8, seed=2)
    labels = np.array([0, 1, 1, 0], np.int32)
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    _, params, grads = gradients(net, loss_fn, [ms.Tensor(ids), ms.Tensor(lengths)], ms.Tensor(labels))
    tnet.zero_grad()
    out = tnet(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long())
    torch.nn.functional.cross_entropy(out, torch.from_numpy(labels).long()).backward()
    mapping = sentiment_param_map(2, True)
    tparams = dict(tnet.named_parameters())
    for p, g in zip(params, grads):
        np.testing.assert_allclose(g.asnumpy(), tparams[mapping[p.name]].grad.numpy(), atol=1e-5, err_msg=p.name)
