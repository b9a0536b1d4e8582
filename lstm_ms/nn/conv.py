"""2-D convolution over (frequency, time) as matrix products, for CPU.

MindSpore 2.10's CPU ``Conv2D`` kernel runs at about 1 GFLOP/s on this project's speech front ends
(measured on 2 Xeon cores: a 8 -> 8 channel 21 x 11 convolution over 81 x 100 at batch 8 takes 0.87 s
against 3.3 ms for PyTorch), which makes DeepSpeech2's conv layers cost more than its five LSTM layers.
``PatchConv2d`` computes the same convolution with one gather and one matmul (oneDNN), keeping
``nn.Conv2d``'s parameter layout so checkpoints move freely between the two:

1. pad the input ``[B, C, F, T]`` by (pf, pt) zeros (exactly to the bins and frames used) and fold both
   strides into the channels, leading (bins in groups of sf, frames in groups of st:
   ``[sf * C * st, B, Fg, G]``), so that both axes have stride 1, with kfq = ceil(kf / sf) and
   kq = ceil(kt / st) tap groups;
2. the frequency patches are kfq unit-stride slices stacked along the contraction axis (``F`` is known when
   the cell is built; the last group keeps only its real taps): ``[kf * C * st, B * F_out * G]``;
3. one 2-D matmul with the weight laid out as ``[kq * C_out, kf * C * st]`` (taps past kt are zero) gives
   every time tap group's contribution at every frame group: ``[kq, C_out * B * F_out, G]``;
4. output frame t sums tap group q's contribution at group t + q: a split into the kq tap groups and one
   unit-stride slice of each, over contiguous runs of frames.

Only concats, splits, reshapes, transposes, unit-stride slices and a matmul: MindSpore 2.10's CPU
``StridedSliceGrad`` fails on strided slices, and a training loop through ``ops.pad`` hung inside its
gradient kernel (``PadV3Grad``) after a few steps, so zeros are concatenated instead. The layout matters
as much as the arithmetic on CPU: slicing short runs (a tap group's C_out columns out of kq * C_out),
``ops.matmul``'s gradient (it transposes the patch matrix explicitly, where the ``MatMul`` primitive's
does not) and a 4-D crop over two axes cost more than the matmul itself in an earlier version of this cell.

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
        self.num_freq = num_freq
        self.matmul = ops.MatMul()  # the primitive: its gradient transposes nothing
        self.contraction = self.kf * in_channels * self.st  # (kfq - 1) * depth + the last group's real taps

    def construct(self, x):
        batch, steps = x.shape[0], x.shape[3] + 2 * self.pt
        sf, st, kfq, kq, f_out, cout = self.sf, self.st, self.kfq, self.kq, self.f_out, self.cout
        t_out = (steps - self.kt) // st + 1
        groups = t_out + kq - 1  # time groups used: the last output reads group t_out - 1 + kq - 1
        fg = f_out + kfq - 1
        # zero padding to exactly groups * st frames and fg * sf bins (a 4-D crop after an over-long pad was
        # one of the slowest ops of the old graph): along time the padding after is pt + kq * st - kt - b with
        # b = (T + 2 pt - kt) mod st, so a strided time axis is padded for b = 0 and cropped along time only
        x = _zero_pad(x, 3, self.pt, self.pt + kq * st - self.kt)
        if st > 1:
            x = x[:, :, :, :groups * st]
        freq_after = fg * sf - self.pf - self.num_freq
        x = _zero_pad(x, 2, self.pf, max(freq_after, 0))
        if freq_after < 0:
            x = x[:, :, :fg * sf]
        # both strides folded into channels, leading: [B, C, Fg, sf, G, st] -> [sf * C * st, B, Fg, G], order (s, c, r)
        x = x.reshape(batch, self.cin, fg, sf, groups, st).transpose(3, 1, 5, 0, 2, 4)
        x = x.reshape(self.depth, batch, fg, groups)
        # frequency patches: kfq unit-stride slices stacked along the contraction axis, columns (b, f, g); the
        # last tap group keeps only its kf - (kfq - 1) * sf real taps (one axis per slice: a StridedSlice over
        # two axes is slow on CPU)
        rem = (self.kf - (kfq - 1) * sf) * self.cin * st
        cols = ops.concat([x[:, :, i:i + f_out] for i in range(kfq - 1)] + [ops.narrow(x[:rem], 2, kfq - 1, f_out)], 0)
        cols = cols.reshape(self.contraction, -1)
        # weight [C_out, C, kf, kt] -> rows (q, o), columns (i, s, c, r), taps past kt zero
        # in the input's dtype: mixed precision casts a cell's inputs, not a parameter handed to a function
        w = _zero_pad(_zero_pad(self.weight.astype(x.dtype), 3, 0, kq * st - self.kt), 2, 0, kfq * sf - self.kf)
        w = w.reshape(cout, self.cin, kfq, sf, kq, st).transpose(4, 0, 2, 3, 1, 5).reshape(kq * cout, -1)
        y = self.matmul(w[:, :self.contraction], cols).reshape(kq, -1, groups)  # rows (q, o, b, f), columns g
        # output frame t reads time group t + q through tap group q; split (whose gradient is one concat)
        # rather than indexing y[q], whose gradient would be a full-size tensor per tap
        ys = ops.split(y, 1, 0)
        out = ys[0][:, :, 0:t_out]
        for q in range(1, kq):
            out = out + ys[q][:, :, q:q + t_out]
        out = out.reshape(cout, -1) + self.bias.reshape(cout, 1)
        return out.reshape(cout, batch, f_out, t_out).transpose(1, 0, 2, 3)  # [B, C_out, F_out, T_out]


def make_conv2d(in_channels, out_channels, kernel, stride, padding, num_freq, device_target=None):
    """``PatchConv2d`` on CPU, the stock ``nn.Conv2d`` elsewhere (same parameters, same results)."""
    target = device_target or ms.get_context("device_target")
    if target == "CPU":
        return PatchConv2d(in_channels, out_channels, kernel, stride, padding, num_freq)
    (pf, pt) = padding
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride, pad_mode="pad", padding=(pf, pf, pt, pt),
                     has_bias=True)
