"""The same networks in PyTorch, and weight copying between the two frameworks."""
import numpy as np
import torch
from torch import nn


class TorchSentimentNet(nn.Module):
    """Embedding -> nn.LSTM over packed sequences -> [h_fwd, h_bwd] of the last layer -> Linear."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, bidirectional, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.embedding.weight.requires_grad = False
        self.lstm = nn.LSTM(embed_size, num_hiddens, num_layers, batch_first=True, bidirectional=bidirectional)
        self.decoder = nn.Linear(num_hiddens * (2 if bidirectional else 1), num_classes)
        self.num_directions = 2 if bidirectional else 1

    def forward(self, ids, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        final = torch.cat([h_n[-self.num_directions + d] for d in range(self.num_directions)], dim=-1)
        return self.decoder(final)


def rnn_param_map(ms_prefix, torch_prefix, num_layers, bidirectional):
    """{mindspore name: torch name} for a PaddedRNN and a stock torch nn.LSTM/nn.GRU."""
    mapping = {}
    for layer in range(num_layers):
        for direction, suffix in (("fwd", ""), ("bwd", "_reverse"))[: 2 if bidirectional else 1]:
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                mapping[f"{ms_prefix}.{direction}.{layer}.{kind}_l0"] = f"{torch_prefix}.{kind}_l{layer}{suffix}"
    return mapping


def sentiment_param_map(num_layers, bidirectional):
    mapping = {"embedding.embedding_table": "embedding.weight", "decoder.weight": "decoder.weight",
               "decoder.bias": "decoder.bias"}
    mapping.update(rnn_param_map("encoder", "lstm", num_layers, bidirectional))
    return mapping


def copy_to_torch(ms_net, torch_net, mapping, skip=()):
    """Copy every mapped MindSpore parameter into the torch module (shapes must agree); ``skip`` names
    parameters the torch module does not have (e.g. a CRF checked separately)."""
    state = torch_net.state_dict()
    params = {p.name: p for p in ms_net.get_parameters()}
    missing = set(params) - set(mapping) - set(skip)
    if missing:
        raise KeyError(f"unmapped MindSpore parameters: {sorted(missing)}")
    for ms_name, torch_name in mapping.items():
        value = torch.from_numpy(np.ascontiguousarray(params[ms_name].asnumpy()))
        if tuple(state[torch_name].shape) != tuple(value.shape):
            raise ValueError(f"{ms_name} {tuple(value.shape)} vs {torch_name} {tuple(state[torch_name].shape)}")
        state[torch_name] = value
    torch_net.load_state_dict(state)
    return torch_net


class TorchNEREncoder(nn.Module):
    """char (+ soft-word) embedding -> BiLSTM over packed sequences -> Linear: the emissions of NERNet."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_tags, num_layers=1, seg_size=0, seg_tags=5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.seg_embedding = nn.Embedding(seg_tags, seg_size) if seg_size else None
        self.lstm = nn.LSTM(embed_size + seg_size, num_hiddens, num_layers, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * num_hiddens, num_tags)

    def forward(self, ids, seg, lengths):
        x = self.embedding(ids)
        if self.seg_embedding is not None:
            x = torch.cat([x, self.seg_embedding(seg)], dim=-1)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return self.proj(out)


def ner_param_map(num_layers, seg, crf):
    mapping = {"embedding.embedding_table": "embedding.weight", "proj.weight": "proj.weight", "proj.bias": "proj.bias"}
    if seg:
        mapping["seg_embedding.embedding_table"] = "seg_embedding.weight"
    mapping.update(rnn_param_map("encoder", "lstm", num_layers, True))
    return mapping, (["crf.transitions", "crf.start", "crf.end"] if crf else [])


class TorchCRF(nn.Module):
    """Linear-chain CRF: ``forward(emissions [B, T, K], tags [B, T], mask [B, T] bool) -> mean negative
    log-likelihood``, the loss of ``lstm_ms.nn.crf.CRF`` (transition scores clipped to +-``clamp``),
    by the forward algorithm with ``torch.logsumexp``."""

    def __init__(self, num_tags, clamp=80.0):
        super().__init__()
        self.clamp = clamp
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))

    def forward(self, emissions, tags, mask):
        trans = self.transitions.clamp(-self.clamp, self.clamp)
        alpha = self.start[None] + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha[:, :, None] + trans[None], dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t:t + 1], step, alpha)
        log_z = torch.logsumexp(alpha + self.end[None], dim=1)
        maskf = mask.to(emissions.dtype)
        score = (emissions.gather(2, tags[..., None]).squeeze(2) * maskf).sum(1)
        score = score + (trans[tags[:, :-1], tags[:, 1:]] * maskf[:, 1:]).sum(1)
        last = tags.gather(1, (mask.long().sum(1) - 1)[:, None]).squeeze(1)
        score = score + self.start[tags[:, 0]] + self.end[last]
        return (log_z - score).mean()
