"""PyTorch twin of ``lstm_ms.nn.deepspeech2.DeepSpeech2Net`` (masked conv front end, masked batch
norms, packed-sequence RNNs), and its parameter map."""
import torch
from torch import nn

from .torch_nets import rnn_param_map


def stage_lengths(lengths):
    """Time lengths after conv1 (kernel 11, stride 2, padding 5) and conv2 (kernel 11, stride 1, padding 5)."""
    first = (lengths + 2 * 5 - 11) // 2 + 1
    return first, (first + 2 * 5 - 11) // 1 + 1


def time_mask(lengths, steps):
    return torch.arange(steps)[None, :] < lengths[:, None]


class TorchMaskedBatchNorm(nn.Module):
    """Batch norm over ``channel_axis`` with training statistics from the positions where ``mask`` is true
    (biased variance to normalise, unbiased for ``running_var``; torch momentum 0.1)."""

    def __init__(self, num_features, channel_axis=1, momentum=0.1, eps=1e-5):
        super().__init__()
        self.channel_axis = channel_axis
        self.momentum = momentum
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x, mask):
        axis = self.channel_axis % x.dim()
        axes = [i for i in range(x.dim()) if i != axis]
        shape = [x.shape[axis] if i == axis else 1 for i in range(x.dim())]
        if self.training:
            valid = mask.expand_as(x)
            count = valid.to(x.dtype).sum(axes)
            mean = torch.where(valid, x, torch.zeros_like(x)).sum(axes) / count.clamp(min=1)
            centred = torch.where(valid, x - mean.view(shape), torch.zeros_like(x))
            var = (centred * centred).sum(axes) / count.clamp(min=1)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * count / (count - 1).clamp(min=1))
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps) * self.weight.view(shape) \
            + self.bias.view(shape)


class TorchBatchRNN(nn.Module):
    """[masked sequence-wise batch norm] -> bidirectional nn.LSTM/GRU over packed sequences, directions summed."""

    def __init__(self, input_size, hidden_size, rnn_type, batch_norm):
        super().__init__()
        self.hidden_size = hidden_size
        self.norm = TorchMaskedBatchNorm(input_size, channel_axis=-1) if batch_norm else None
        self.rnn = getattr(nn, rnn_type)(input_size, hidden_size, 1, batch_first=True, bidirectional=True)

    def forward(self, x, lengths, mask):
        if self.norm is not None:
            x = self.norm(x, mask)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out[..., :self.hidden_size] + out[..., self.hidden_size:]


class TorchDeepSpeech2Net(nn.Module):
    """``forward(features [B, T, F], lengths [B]) -> (log_probs [B, T', C], out_lengths [B])``."""

    def __init__(self, num_features, num_classes, hidden_size, num_layers, rnn_type="LSTM", conv_channels=32):
        super().__init__()
        k = conv_channels
        self.conv1 = nn.Conv2d(1, k, (41, 11), stride=(2, 2), padding=(20, 5))
        self.bn1 = TorchMaskedBatchNorm(k)
        self.conv2 = nn.Conv2d(k, k, (21, 11), stride=(2, 1), padding=(10, 5))
        self.bn2 = TorchMaskedBatchNorm(k)
        freq = (num_features + 2 * 20 - 41) // 2 + 1
        freq = (freq + 2 * 10 - 21) // 2 + 1
        self.rnns = nn.ModuleList([TorchBatchRNN(k * freq if i == 0 else hidden_size, hidden_size, rnn_type, i > 0)
                                   for i in range(num_layers)])
        self.norm = TorchMaskedBatchNorm(hidden_size, channel_axis=-1)
        self.fc = nn.Linear(hidden_size, num_classes, bias=False)

    def forward(self, features, lengths):
        batch, steps, _ = features.shape
        lengths1, out_lengths = stage_lengths(lengths)
        mask = time_mask(lengths, steps).view(batch, 1, 1, steps)
        x = features.transpose(1, 2).unsqueeze(1).masked_fill(~mask, 0.0)        # [B, 1, F, T]
        x = self._front_end(x, lengths1, out_lengths)
        out_steps = x.shape[1]
        seq_mask = time_mask(out_lengths, out_steps).view(batch, out_steps, 1)
        for layer in self.rnns:
            x = layer(x, out_lengths, seq_mask)
        x = self.norm(x, seq_mask)
        return torch.log_softmax(self.fc(x), dim=-1), out_lengths

    def _front_end(self, x, lengths1, out_lengths):
        batch = x.shape[0]
        x = self.conv1(x)
        mask1 = time_mask(lengths1, x.shape[-1]).view(batch, 1, 1, -1)
        x = x.masked_fill(~mask1, 0.0)
        x = self.bn1(x, mask1).masked_fill(~mask1, 0.0)
        x = nn.functional.hardtanh(x, 0, 20).masked_fill(~mask1, 0.0)
        x = self.conv2(x)
        mask2 = time_mask(out_lengths, x.shape[-1]).view(batch, 1, 1, -1)
        x = x.masked_fill(~mask2, 0.0)
        x = self.bn2(x, mask2).masked_fill(~mask2, 0.0)
        x = nn.functional.hardtanh(x, 0, 20).masked_fill(~mask2, 0.0)
        channels, freq, steps = x.shape[1:]
        return x.view(batch, channels * freq, steps).transpose(1, 2)


def deepspeech2_param_map(num_layers, rnn_type="LSTM"):
    """{MindSpore name: torch name} for ``DeepSpeech2Net`` / ``TorchDeepSpeech2Net`` (``copy_to_torch``),
    batch-norm moving statistics included. ``rnn_type`` does not change the names: MindSpore's GRU
    weights use torch's layout and gate order (r, z, n), so they copy as they are."""
    del rnn_type

    def norm(ms_prefix, torch_prefix):
        return {f"{ms_prefix}.gamma": f"{torch_prefix}.weight", f"{ms_prefix}.beta": f"{torch_prefix}.bias",
                f"{ms_prefix}.moving_mean": f"{torch_prefix}.running_mean",
                f"{ms_prefix}.moving_variance": f"{torch_prefix}.running_var"}

    mapping = {name: name for name in ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight")}
    mapping.update(norm("bn1", "bn1"))
    mapping.update(norm("bn2", "bn2"))
    mapping.update(norm("norm", "norm"))
    for layer in range(num_layers):
        if layer > 0:
            mapping.update(norm(f"rnns.{layer}.norm", f"rnns.{layer}.norm"))
        mapping.update(rnn_param_map(f"rnns.{layer}.rnn", f"rnns.{layer}.rnn", 1, True))
    return mapping
