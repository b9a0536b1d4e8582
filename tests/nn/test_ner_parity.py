"""NERNet's BiLSTM emissions equal a PyTorch twin with the same weights, on a padded batch."""
import numpy as np
import pytest
import torch


@pytest.mark.parametrize("seg_size", [0, 6])
def test_emissions_equal_torch(seg_size):
    import mindspore as ms

    from lstm_ms.nn.ner import NERNet
    from lstm_ms.reference.torch_nets import TorchNEREncoder, copy_to_torch, ner_param_map

    ms.set_context(mode=ms.GRAPH_MODE)
    V, E, H, K = 40, 10, 7, 9
    net = NERNet(V, E, H, K, num_layers=1, seg_size=seg_size, dropout=0.0, crf=True)
    net.set_train(False)
    mapping, skip = ner_param_map(1, bool(seg_size), True)
    tnet = copy_to_torch(net, TorchNEREncoder(V, E, H, K, 1, seg_size), mapping, skip).eval()
    rng = np.random.default_rng(0)
    lengths = np.array([9, 3, 1, 6], np.int32)
    ids = rng.integers(2, V, size=(4, 9)).astype(np.int32)
    seg = rng.integers(1, 5, size=(4, 9)).astype(np.int32)
    mask = np.arange(9)[None, :] < lengths[:, None]
    ids[~mask] = 0
    seg[~mask] = 0
    emissions, got_mask = net(ms.Tensor(ids), ms.Tensor(seg), ms.Tensor(lengths))
    with torch.no_grad():
        ref = tnet(torch.from_numpy(ids).long(), torch.from_numpy(seg).long(), torch.from_numpy(lengths).long())
    np.testing.assert_array_equal(got_mask.asnumpy(), mask)
    np.testing.assert_allclose(emissions.asnumpy()[mask], ref.numpy()[mask], atol=1e-5)
