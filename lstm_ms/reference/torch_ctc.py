"""PyTorch twin of ``lstm_ms.nn.ctc.CTCAcousticNet`` (packed sequences), and its parameter map."""
import torch
from torch import nn

from .torch_nets import rnn_param_map


class TorchCTCAcousticNet(nn.Module):
    """[masked 2-layer 3x3 conv + ReLU] -> BiLSTM over packed sequences -> Linear -> log_softmax.

    ``forward(features [B, T, F], lengths [B]) -> log_probs [B, T, C]`` (padded frames: whatever the
    Linear gives for zero LSTM outputs; compare real frames only). No dropout: parity in eval mode.
    """

    def __init__(self, num_features, num_classes, hidden_size, num_layers, conv_channels=0):
        super().__init__()
        self.conv_channels = conv_channels
        if conv_channels > 0:
            self.conv1 = nn.Conv2d(1, conv_channels, 3, stride=1, padding=1)
            self.conv2 = nn.Conv2d(conv_channels, conv_channels, 3, stride=1, padding=1)
        rnn_in = conv_channels * num_features if conv_channels > 0 else num_features
        self.lstm = nn.LSTM(rnn_in, hidden_size, num_layers, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, features, lengths):
        batch, steps, feats = features.shape
        x = features
        if self.conv_channels > 0:
            mask = (torch.arange(steps)[None, :] < lengths[:, None]).to(features.dtype).view(batch, 1, steps, 1)
            x = torch.relu(self.conv1(x.view(batch, 1, steps, feats) * mask))
            x = torch.relu(self.conv2(x * mask))
            x = x.permute(0, 2, 1, 3).reshape(batch, steps, -1)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=steps)
        return torch.log_softmax(self.proj(out), dim=-1)


def ctc_param_map(num_layers, conv):
    """{MindSpore name: torch name} for ``CTCAcousticNet`` / ``TorchCTCAcousticNet`` (``copy_to_torch``)."""
    mapping = {"proj.weight": "proj.weight", "proj.bias": "proj.bias"}
    if conv:
        for name in ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"):
            mapping[name] = name
    mapping.update(rnn_param_map("encoder", "lstm", num_layers, True))
    return mapping


class ReturnsLengths(nn.Module):
    """Wraps a twin that returns log-probs only (its time axis is not shortened) so that it returns
    ``(log_probs, lengths)``, as the MindSpore speech networks and ``TorchDeepSpeech2Net`` do."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, features, lengths):
        return self.net(features, lengths), lengths
