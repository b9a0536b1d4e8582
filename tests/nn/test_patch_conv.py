"""PatchConv2d (gather + matmul, the CPU convolution of the speech front ends) equals nn.Conv2d and
PyTorch's Conv2d: outputs and gradients, for DeepSpeech2's two layer shapes and odd/even lengths."""
import numpy as np
import pytest
import torch

CASES = [  # (in, out, kernel (freq, time), stride, padding, F, T)
    (1, 3, (41, 11), (2, 2), (20, 5), 33, 17),
    (1, 3, (41, 11), (2, 2), (20, 5), 33, 16),
    (3, 2, (21, 11), (2, 1), (10, 5), 17, 9),
    (2, 2, (3, 3), (1, 1), (1, 1), 5, 1),
    (1, 2, (2, 2), (2, 2), (0, 0), 5, 7),  # no padding: bins and frames past the last window cropped
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[2][0]}x{c[2][1]}s{c[3][1]}T{c[6]}")
def test_patch_conv_equals_stock_and_torch(case):
    import mindspore as ms
    from mindspore import nn, ops

    from lstm_ms.nn.conv import PatchConv2d, make_conv2d

    ms.set_context(mode=ms.GRAPH_MODE)
    cin, cout, kernel, stride, pad, freq, steps = case
    x = np.random.default_rng(0).normal(size=(2, cin, freq, steps)).astype(np.float32)
    patch = PatchConv2d(cin, cout, kernel, stride, pad, freq)
    assert isinstance(make_conv2d(cin, cout, kernel, stride, pad, freq, "CPU"), PatchConv2d)
    stock = make_conv2d(cin, cout, kernel, stride, pad, freq, "GPU")
    assert isinstance(stock, nn.Conv2d)
    assert [p.shape for p in patch.trainable_params()] == [p.shape for p in stock.trainable_params()]
    stock.weight.set_data(patch.weight.data)
    stock.bias.set_data(patch.bias.data)
    tconv = torch.nn.Conv2d(cin, cout, kernel, stride=stride, padding=pad)
    with torch.no_grad():
        tconv.weight.copy_(torch.from_numpy(patch.weight.asnumpy()))
        tconv.bias.copy_(torch.from_numpy(patch.bias.asnumpy()))
    ours = patch(ms.Tensor(x)).asnumpy()
    ref = tconv(torch.from_numpy(x))
    assert ours.shape == tuple(ref.shape)
    np.testing.assert_allclose(ours, ref.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(stock(ms.Tensor(x)).asnumpy(), ours, atol=1e-5)

    # gradients of a weighted sum, w.r.t. the input and both parameters
    weights = np.random.default_rng(1).normal(size=ours.shape).astype(np.float32)

    class Weighted(nn.Cell):
        def __init__(self, conv):
            super().__init__()
            self.conv = conv
            self.w = ms.Tensor(weights)

        def construct(self, inp):
            return (self.conv(inp) * self.w).sum()

    grads = ops.GradOperation(get_all=True, get_by_list=True)(Weighted(patch), ms.ParameterTuple(
        patch.trainable_params()))(ms.Tensor(x))
    tx = torch.from_numpy(x).requires_grad_()
    (tconv(tx) * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(grads[0][0].asnumpy(), tx.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(grads[1][0].asnumpy(), tconv.weight.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(grads[1][1].asnumpy(), tconv.bias.grad.numpy(), atol=1e-4)
