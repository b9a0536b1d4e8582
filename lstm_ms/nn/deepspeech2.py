"""DeepSpeech2 acoustic model (as in deepspeech.pytorch) with exact masking of padded frames.

``features [B, T, F]`` (log spectrogram) -> 2-D conv front end over (frequency, time) -> ``num_layers``
bidirectional LSTM/GRU layers (directions summed) -> sequence-wise batch norm -> Dense -> log_softmax,
returning ``(log_probs [B, T', C], out_lengths [B])`` with ``T' = conv_output_lengths(T)``.

Padding never changes an utterance's real frames, in training or in evaluation:

- the input is zeroed past each utterance's length before conv1, and the output of every front-end stage
  (conv, batch norm, hardtanh) is zeroed past that stage's output length, like deepspeech.pytorch's
  ``MaskConv``; a short utterance in a padded batch thus sees the zeros it would see alone;
- every batch norm is a :class:`MaskedBatchNorm`: its training-mode statistics (and hence its moving
  statistics) come from the valid positions only (deepspeech.pytorch's stock ``BatchNorm`` also counts
  padded frames);
- the recurrent layers run over the true output lengths (``PaddedRNN``).

Frames at or past ``out_lengths`` hold values that nothing at a real frame depends on.
"""
import mindspore as ms
from mindspore import Parameter, nn, ops
from mindspore.common.initializer import initializer

from .conv import make_conv2d
from .ctc import time_mask
from .rnn import PaddedRNN

# (kernel, stride, padding) of the two convolutions, along time and along frequency
_TIME = ((11, 2, 5), (11, 1, 5))
_FREQ = ((41, 2, 20), (21, 2, 10))


def _conv_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def conv_output_lengths(lengths):
    """Time lengths after the conv front end: ``(L - 1) // 2 + 1`` (conv1 stride 2, conv2 stride 1).

    Works on Python/numpy ints and arrays and on MindSpore int tensors (the cell uses it in its graph);
    floor division, so 0 -> 0."""
    for kernel, stride, padding in _TIME:
        lengths = _conv_size(lengths, kernel, stride, padding)
    return lengths


def conv_output_features(num_features):
    """Frequency bins after the conv front end (161 -> 81 -> 41)."""
    for kernel, stride, padding in _FREQ:
        num_features = _conv_size(num_features, kernel, stride, padding)
    return num_features


def _stage_lengths(lengths):
    """Time lengths after conv1 and after conv2."""
    first = _conv_size(lengths, *_TIME[0])
    return first, _conv_size(first, *_TIME[1])


class MaskedBatchNorm(nn.Cell):
    """Batch norm over one channel axis whose training statistics use only the valid positions.

    Args: num_features (C), ndim (rank of the input: 4 for the conv ``[B, C, F, T]``, 3 for the
    sequence-wise ``[B, T, C]``), channel_axis (1 or -1), momentum (MindSpore convention:
    ``moving = momentum * moving + (1 - momentum) * batch``, 0.9 = torch's 0.1), eps.

    ``construct(x, mask)``: ``mask`` is a bool/float tensor broadcastable to ``x``, true at valid
    positions. In training (``set_train(True)``) ``x`` is normalised with the biased mean/variance of
    its valid positions per channel, and ``moving_mean`` / ``moving_variance`` are updated with that
    mean and the unbiased variance (as torch does); in evaluation the moving statistics are used. The
    output at masked positions is whatever the affine map gives there (callers zero it if needed).
    Parameters: ``gamma``, ``beta``, ``moving_mean``, ``moving_variance`` (the last two not trained).
    """

    keep_fp32 = True  # under mixed precision: valid-frame counts pass 65,504, the variance needs float32

    def __init__(self, num_features, ndim=4, channel_axis=1, momentum=0.9, eps=1e-5):
        super().__init__()
        axis = channel_axis % ndim
        self.axes = tuple(i for i in range(ndim) if i != axis)
        self.param_shape = tuple(num_features if i == axis else 1 for i in range(ndim))
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.gamma = Parameter(initializer("ones", (num_features,), ms.float32), name="gamma")
        self.beta = Parameter(initializer("zeros", (num_features,), ms.float32), name="beta")
        self.moving_mean = Parameter(initializer("zeros", (num_features,), ms.float32), name="moving_mean",
                                     requires_grad=False)
        self.moving_variance = Parameter(initializer("ones", (num_features,), ms.float32),
                                         name="moving_variance", requires_grad=False)

    def construct(self, x, mask):
        if self.training:
            valid = ops.broadcast_to(ops.cast(mask, ms.bool_), x.shape)
            zeros = ops.zeros_like(x)
            count = ops.cast(valid, x.dtype).sum(self.axes)
            mean = ops.select(valid, x, zeros).sum(self.axes) / ops.clamp(count, 1.0, None)
            centred = ops.select(valid, x - mean.reshape(self.param_shape), zeros)
            var = (centred * centred).sum(self.axes) / ops.clamp(count, 1.0, None)
            unbiased = ops.stop_gradient(var * count / ops.clamp(count - 1.0, 1.0, None))
            new_mean = self.momentum * self.moving_mean + (1.0 - self.momentum) * ops.stop_gradient(mean)
            new_var = self.momentum * self.moving_variance + (1.0 - self.momentum) * unbiased
            x = ops.depend(x, ops.assign(self.moving_mean, new_mean))
            x = ops.depend(x, ops.assign(self.moving_variance, new_var))
        else:
            mean, var = self.moving_mean, self.moving_variance
        scale = self.gamma / ops.sqrt(var + self.eps)
        return (x - mean.reshape(self.param_shape)) * scale.reshape(self.param_shape) \
            + self.beta.reshape(self.param_shape)


class _BatchRNN(nn.Cell):
    """[sequence-wise MaskedBatchNorm] -> 1-layer bidirectional PaddedRNN, directions summed."""

    def __init__(self, input_size, hidden_size, rnn_type, batch_norm):
        super().__init__()
        self.hidden_size = hidden_size
        self.batch_norm = batch_norm
        if batch_norm:
            self.norm = MaskedBatchNorm(input_size, ndim=3, channel_axis=-1)
        self.rnn = PaddedRNN(input_size, hidden_size, 1, bidirectional=True, cell=rnn_type)

    def construct(self, x, lengths, mask):
        if self.batch_norm:
            x = self.norm(x, mask)
        out, _ = self.rnn(x, lengths)
        return out[:, :, :self.hidden_size] + out[:, :, self.hidden_size:]


class DeepSpeech2Net(nn.Cell):
    """DeepSpeech2: masked 2-layer conv front end -> bidirectional RNN stack -> BN -> Dense -> log_softmax.

    Args: num_features (F, frequency bins), num_classes (C, blank = 0), hidden_size (H), num_layers,
    rnn_type ("LSTM" or "GRU"), conv_channels (K).

    ``construct(features [B, T, F] float32, lengths [B] int32)`` returns
    ``(log_probs [B, T', C] float32, out_lengths [B] int32)``, ``T' = conv_output_lengths(T)`` and
    ``out_lengths = conv_output_lengths(lengths)``.
    """

    def __init__(self, num_features=161, num_classes=29, hidden_size=1024, num_layers=5, rnn_type="LSTM",
                 conv_channels=32):
        super().__init__()
        k = conv_channels
        self.conv1 = make_conv2d(1, k, (41, 11), (2, 2), (20, 5), num_features)
        self.bn1 = MaskedBatchNorm(k)
        self.conv2 = make_conv2d(k, k, (21, 11), (2, 1), (10, 5), _conv_size(num_features, 41, 2, 20))
        self.bn2 = MaskedBatchNorm(k)
        rnn_in = k * conv_output_features(num_features)
        self.rnns = nn.CellList([_BatchRNN(rnn_in if i == 0 else hidden_size, hidden_size, rnn_type, i > 0)
                                 for i in range(num_layers)])
        self.norm = MaskedBatchNorm(hidden_size, ndim=3, channel_axis=-1)
        self.fc = nn.Dense(hidden_size, num_classes, has_bias=False)
        self.log_softmax = nn.LogSoftmax(axis=-1)

    @staticmethod
    def _zero_past(x, mask):
        return ops.select(ops.broadcast_to(mask, x.shape), x, ops.zeros_like(x))

    def construct(self, features, lengths):
        batch, steps, _ = features.shape
        lengths1, out_lengths = _stage_lengths(lengths)
        steps1, out_steps = _stage_lengths(steps)
        mask0 = time_mask(lengths, steps, ms.bool_).reshape(batch, 1, 1, steps)
        mask1 = time_mask(lengths1, steps1, ms.bool_).reshape(batch, 1, 1, steps1)
        mask2 = time_mask(out_lengths, out_steps, ms.bool_).reshape(batch, 1, 1, out_steps)

        x = self._zero_past(features.transpose(0, 2, 1).expand_dims(1), mask0)   # [B, 1, F, T]
        x = self._zero_past(self.conv1(x), mask1)
        x = self._zero_past(self.bn1(x, mask1), mask1)
        x = self._zero_past(ops.clamp(x, 0.0, 20.0), mask1)
        x = self._zero_past(self.conv2(x), mask2)
        x = self._zero_past(self.bn2(x, mask2), mask2)
        x = self._zero_past(ops.clamp(x, 0.0, 20.0), mask2)
        x = x.transpose(0, 3, 1, 2)                                                # [B, T', K, F']
        x = x.reshape(batch, out_steps, -1)

        seq_mask = mask2.reshape(batch, out_steps, 1)
        for layer in self.rnns:
            x = layer(x, out_lengths, seq_mask)
        x = self.norm(x, seq_mask)
        return self.log_softmax(self.fc(x)), out_lengths
