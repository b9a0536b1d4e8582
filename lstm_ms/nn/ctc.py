"""BiLSTM acoustic model and CTC loss for phone recognition (blank = class 0 everywhere).

The network maps padded frame features to per-frame log-probabilities over ``num_classes`` classes,
class 0 being the CTC blank and classes 1.. the phones. Padded frames never change the outputs at an
utterance's real frames: the conv front-end sees zeros past each utterance's end (the time mask is
applied before each conv), and the BiLSTM runs over true lengths (``PaddedRNN``).

The loss uses ``ops.ctc_loss`` (the ``CTCLossV2`` kernel, CPU/GPU/Ascend, dense targets ``[N, S]`` as
in PyTorch) with PyTorch's ``reduction="mean"``: each utterance's negative log-likelihood is divided by
its label length (at least 1), then averaged over the batch.
"""
import mindspore as ms
import numpy as np
from mindspore import nn, ops

from .rnn import PaddedRNN

BLANK = 0


def time_mask(lengths, steps, dtype=ms.float32):
    """[B, T] mask, 1 at frames t < lengths[b], else 0."""
    return ops.cast(ops.arange(steps, dtype=ms.int32).reshape(1, -1) < lengths.reshape(-1, 1), dtype)


class CTCAcousticNet(nn.Cell):
    """[optional 2-layer conv front-end] -> BiLSTM over true lengths -> dropout -> Dense -> log_softmax.

    Args: num_features (F), num_classes (C, including the blank at index 0), hidden_size (H),
    num_layers, dropout (between LSTM layers and before the output layer), conv_channels (K; 0 = no
    front-end). With K > 0, two 3x3 ``Conv2d`` (stride 1, padding 1, ReLU) run over (time, feature)
    and the K channels x F features are flattened per frame, so the time length is unchanged.

    ``construct(features [B, T, F] float32, lengths [B] int32) -> (log_probs [B, T, C] float32, lengths)``:
    the time axis is not shortened, so the output lengths are the input lengths (returned so that every
    speech network has the same outputs); frames at or past an utterance's length hold values that no
    real frame depends on.
    """

    def __init__(self, num_features, num_classes, hidden_size=384, num_layers=4, dropout=0.2, conv_channels=0):
        super().__init__()
        self.conv_channels = conv_channels
        if conv_channels > 0:
            self.conv1 = nn.Conv2d(1, conv_channels, 3, stride=1, pad_mode="pad", padding=1, has_bias=True)
            self.conv2 = nn.Conv2d(conv_channels, conv_channels, 3, stride=1, pad_mode="pad", padding=1,
                                   has_bias=True)
            rnn_in = conv_channels * num_features
        else:
            rnn_in = num_features
        self.encoder = PaddedRNN(rnn_in, hidden_size, num_layers, True, dropout, cell="LSTM")
        self.dropout = nn.Dropout(p=dropout) if dropout > 0 else None
        self.proj = nn.Dense(2 * hidden_size, num_classes)
        self.relu = nn.ReLU()
        self.log_softmax = nn.LogSoftmax(axis=-1)

    def construct(self, features, lengths):
        x = features
        if self.conv_channels > 0:
            batch, steps, feats = features.shape
            mask = time_mask(lengths, steps, features.dtype).reshape(batch, 1, steps, 1)
            x = self.relu(self.conv1(x.reshape(batch, 1, steps, feats) * mask))
            x = self.relu(self.conv2(x * mask))
            x = x.transpose(0, 2, 1, 3).reshape(batch, steps, -1)
        out, _ = self.encoder(x, lengths)
        if self.dropout is not None:
            out = self.dropout(out)
        return self.log_softmax(self.proj(out)), lengths


class CTCLoss(nn.Cell):
    """CTC loss over a padded batch with PyTorch ``ctc_loss`` semantics (blank 0 by default).

    ``construct(log_probs [B, T, C], labels [B, L] int32, input_lengths [B] int32,
    label_lengths [B] int32)``: with ``reduction="mean"`` (default) a scalar, each utterance's
    negative log-likelihood divided by max(label_length, 1), averaged over B; ``"sum"`` the plain sum;
    ``"none"`` the [B] per-utterance negative log-likelihoods. Labels past ``label_lengths`` are
    ignored (pad with 0 or -1); label values must be in 1..C-1 (0 is the blank). Frames past
    ``input_lengths`` are ignored and get zero gradient.

    An infeasible utterance (label longer than its input, or too few frames for the blanks between
    repeated labels) has infinite loss: with ``zero_infinity`` its loss and gradient are 0, otherwise
    its loss is inf (so is the mean) and its gradient is 0 (PyTorch gives NaN there). MindSpore's kernel
    raises on label_length > input_length, so such rows are passed to it with label length 0 and
    their loss replaced afterwards.
    """

    def __init__(self, blank=BLANK, reduction="mean", zero_infinity=False):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.blank = blank
        self.reduction = reduction
        self.zero_infinity = zero_infinity

    def construct(self, log_probs, labels, input_lengths, label_lengths):
        too_long = label_lengths > input_lengths
        safe_lengths = ops.select(too_long, ops.zeros_like(label_lengths), label_lengths)
        nll, _ = ops.ctc_loss(log_probs.transpose(1, 0, 2), labels, input_lengths, safe_lengths,
                              blank=self.blank, reduction="none", zero_infinity=True)
        infeasible = ops.logical_or(too_long, ops.isinf(nll))
        fill = 0.0 if self.zero_infinity else float("inf")
        nll = ops.select(infeasible, ops.full_like(nll, fill), nll)
        if self.reduction == "none":
            return nll
        if self.reduction == "sum":
            return nll.sum()
        denom = ops.clamp(ops.cast(label_lengths, nll.dtype), 1.0, None)
        return (nll / denom).mean()


class CTCTaskLoss(nn.Cell):
    """``CTCLoss`` over a speech network's outputs and one packed int32 label tensor, for
    ``loss_fn(net(*inputs), label)``.

    ``construct(outputs, packed [B, 1 + L] int32)``: ``outputs`` is the network's
    ``(log_probs [B, T, C], output_lengths [B])``; ``packed[:, 0]`` is the label length and
    ``packed[:, 1:]`` the labels (padded past the label length). Defaults to ``zero_infinity=True`` so
    one infeasible utterance does not make a training step's loss inf.
    """

    def __init__(self, blank=BLANK, zero_infinity=True):
        super().__init__()
        self.ctc = CTCLoss(blank, "mean", zero_infinity)

    def construct(self, outputs, packed):
        log_probs, lengths = outputs
        return self.ctc(log_probs, packed[:, 1:], lengths, packed[:, 0])


def pack_labels(labels, label_lengths):
    """numpy helper: the ``[B, 1 + L]`` int32 label tensor ``CTCTaskLoss`` expects."""
    labels = np.asarray(labels, np.int32)
    return np.concatenate([np.asarray(label_lengths, np.int32).reshape(-1, 1), labels], axis=1)
