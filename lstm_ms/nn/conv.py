"""2-D convolution over (frequency, time) as matrix products, for CPU.

MindSpore 2.10's CPU ``Conv2D`` kernel runs at about 1 GFLOP/s on this project's speech front ends
(measured on 2 Xeon cores: a 8 -> 8 channel 21 x 11 convolution over 81 x 100 at batch 8 takes 0.87 s
against 3.3 ms for PyTorch), which makes DeepSpeech2's conv layers cost more than its five LSTM layers.
``PatchConv2d`` computes the same convolution with one gather and one matmul (oneDNN), keeping
``nn.Conv2d``'s parameter layout so checkpoints move freely between the two:

1. pad the input ``[B, C, F, T]`` by (pf, pt) zeros and fold both strides into the channels (bins in
   groups of sf, frames in groups of st: ``[B, G, Fg, sf * C * st]``), so that both axes have stride 1,
   with kfq = ceil(kf / sf) and kq = ceil(kt / st) tap groups;
2. the frequency patches are kfq unit-stride slices side by side (``F`` is known when the cell is built):
   ``[B * G * F_out, kfq * sf * C * st]``, each patch contiguous;
3. one 2-D matmul with the weight laid out as ``[kfq * sf * C * st, kq * C_out]`` (taps past kf / kt are
   zero) gives every time tap group's contribution at every frame group: ``[B, G, F_out, kq * C_out]``;
4. output frame t sums tap group q's contribution at group t + q: kq unit-stride slices.

Only concats, reshapes, transposes, unit-stride slices and a matmul: MindSpore 2.10's CPU
``StridedSliceGrad`` fails on strided slices, and a training loop through ``ops.pad`` hung inside its
gradient kernel (``PadV3Grad``) after a few steps, so zeros are concatenated instead.

On GPU and Ascend the stock ``nn.Conv2d`` (cuDNN / the Cube unit) is the fast one; ``make_conv2d``
picks by device target.
"""
import math

import mindspore as ms
from mindspore import Parameter, nn, ops
from mindspore.common.initializer import HeUniform, Uniform, initializer


def conv_out(size, kernel, stride, pad):
    """Output size of a convolution along one axis."""
    return (size + 2 * pad - kernel) // stride + 1


def _zero_pad(x, axis, before, after):
    """``x`` with ``before`` / ``after`` zeros along ``axis``, by concatenation (MindSpore 2.10's CPU
    ``PadV3Grad`` hung a training loop after a few steps)."""
    parts = []
    for size in (before, after):
        shape = list(x.shape)
        shape[axis] = size
        parts.append(ops.zeros(tuple(shape), x.dtype) if size > 0 else None)
    return ops.concat([p for p in (parts[0], x, parts[1]) if p is not None], axis)


class PatchConv2d(nn.Cell):
    """``nn.Conv2d(in_channels, out_channels, kernel, stride, pad_mode="pad", padding=(pf, pf, pt, pt),
    has_bias=True)`` over ``[B, C, F, T]`` with a fixed ``num_freq`` = F, computed as gather + matmul.

    Parameters ``weight [C_out, C_in, kf, kt]`` and ``bias [C_out]``, initialised like ``nn.Conv2d``'s.
    ``construct(x [B, C_in, F, T]) -> [B, C_out, F_out, T_out]``.
    """

    def __init__(self, in_channels, out_channels, kernel, stride, padding, num_freq):
        super().__init__()
        (self.kf, self.kt), (self.sf, self.st), (self.pf, self.pt) = kernel, stride, padding
        self.cin, self.cout = in_channels, out_channels
        self.f_out = conv_out(num_freq, self.kf, self.sf, self.pf)
        self.weight = Parameter(initializer(HeUniform(math.sqrt(5)), [out_channels, in_channels, self.kf, self.kt]),
                                name="weight")
        bound = 1.0 / math.sqrt(in_channels * self.kf * self.kt)
        self.bias = Parameter(initializer(Uniform(bound), [out_channels]), name="bias")
        self.kq = -(-self.kt // self.st)   # time tap groups once the time stride is folded into channels
        self.kfq = -(-self.kf // self.sf)  # frequency tap groups, likewise
        self.depth = self.sf * in_channels * self.st

    def construct(self, x):
        batch, steps = x.shape[0], x.shape[3] + 2 * self.pt
        sf, st, kfq, kq = self.sf, self.st, self.kfq, self.kq
        t_out = (steps - self.kt) // st + 1
        groups = t_out + kq - 1  # time groups used: the last output reads group t_out - 1 + kq - 1
        fg = self.f_out + kfq - 1
        x = _zero_pad(_zero_pad(x, 3, self.pt, self.pt + st * kq), 2, self.pf, self.pf + sf * kfq)
        x = x[:, :, :fg * sf, :groups * st]
        # both strides folded into channels: [B, C, Fg, sf, G, st] -> [B, G, Fg, sf * C * st], order (s, c, r)
        x = x.reshape(batch, self.cin, fg, sf, groups, st).transpose(0, 4, 2, 3, 1, 5)
        x = x.reshape(batch, groups, fg, self.depth)
        # frequency patches: kfq unit-stride slices side by side, each patch row (i, s, c, r) contiguous
        cols = ops.concat([x[:, :, i:i + self.f_out, :] for i in range(kfq)], -1).reshape(-1, kfq * self.depth)
        # weight [C_out, C, kf, kt] -> taps (i * sf + s, q * st + r), zero past kf / kt
        w = _zero_pad(_zero_pad(self.weight, 3, 0, kq * st - self.kt), 2, 0, kfq * sf - self.kf)
        w = w.reshape(self.cout, self.cin, kfq, sf, kq, st).transpose(2, 3, 1, 5, 4, 0)
        y = ops.matmul(cols, w.reshape(kfq * self.depth, kq * self.cout)).reshape(batch, groups, self.f_out, -1)
        # output frame t reads time group t + q through tap group q
        out = y[:, 0:t_out, :, 0:self.cout]
        for q in range(1, kq):
            out = out + y[:, q:q + t_out, :, q * self.cout:(q + 1) * self.cout]
        return (out + self.bias).transpose(0, 3, 2, 1)  # [B, C_out, F_out, T_out]


def make_conv2d(in_channels, out_channels, kernel, stride, padding, num_freq, device_target=None):
    """``PatchConv2d`` on CPU, the stock ``nn.Conv2d`` elsewhere (same parameters, same results)."""
    target = device_target or ms.get_context("device_target")
    if target == "CPU":
        return PatchConv2d(in_channels, out_channels, kernel, stride, padding, num_freq)
    (pf, pt) = padding
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride, pad_mode="pad", padding=(pf, pf, pt, pt),
                     has_bias=True)
