"""PyTorch twin of :class:`lstm_ms.nn.seq2seq.Seq2SeqNet` (teacher forced), for parity tests and benchmarks."""
import torch
from torch import nn

from .torch_nets import rnn_param_map

NEG = 1e30


class TorchSeq2Seq(nn.Module):
    """BiGRU over packed sequences -> tanh(bridge([h_fwd; h_bwd])) -> GRUCell decoder with additive
    attention masked over source padding -> Linear on [s; context; y_prev_emb].

    ``forward(src [B, S], src_len [B], tgt_in [B, T]) -> (logits [B, T, V], attention [B, T, S])``.
    """

    def __init__(self, src_vocab, tgt_vocab, embed_size, hidden_size, num_layers=1, attn_size=None, dropout=0.0):
        super().__init__()
        attn_size = attn_size or hidden_size
        self.src_embedding = nn.Embedding(src_vocab, embed_size)
        self.tgt_embedding = nn.Embedding(tgt_vocab, embed_size)
        self.encoder = nn.GRU(embed_size, hidden_size, num_layers, batch_first=True, bidirectional=True,
                              dropout=dropout if num_layers > 1 else 0.0)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size)
        self.attn_keys = nn.Linear(2 * hidden_size, attn_size, bias=False)
        self.attn_query = nn.Linear(hidden_size, attn_size)
        self.attn_v = nn.Linear(attn_size, 1, bias=False)
        self.decoder_cell = nn.GRUCell(embed_size + 2 * hidden_size, hidden_size)
        self.out = nn.Linear(3 * hidden_size + embed_size, tgt_vocab)
        self.dropout = nn.Dropout(dropout)

    def encode(self, src, src_len):
        """``-> (enc_out [B, S, 2H] (zeros at padding), keys [B, S, A], mask [B, S] float, s0 [B, H])``."""
        x = self.dropout(self.src_embedding(src))
        packed = nn.utils.rnn.pack_padded_sequence(x, src_len.cpu(), batch_first=True, enforce_sorted=False)
        enc_out, h_n = self.encoder(packed)
        enc_out, _ = nn.utils.rnn.pad_packed_sequence(enc_out, batch_first=True, total_length=src.shape[1])
        s0 = torch.tanh(self.bridge(torch.cat([h_n[-2], h_n[-1]], dim=-1)))
        mask = (torch.arange(src.shape[1])[None, :] < src_len[:, None]).float()
        return enc_out, self.attn_keys(enc_out), mask, s0

    def attend(self, s_prev, enc_out, keys, mask):
        scores = self.attn_v(torch.tanh(keys + self.attn_query(s_prev)[:, None, :])).squeeze(-1)
        weights = torch.softmax(scores + (mask - 1.0) * NEG, dim=-1)
        return torch.bmm(weights[:, None, :], enc_out).squeeze(1), weights

    def forward(self, src, src_len, tgt_in):
        enc_out, keys, mask, s = self.encode(src, src_len)
        emb = self.dropout(self.tgt_embedding(tgt_in))
        features, attention = [], []
        for t in range(tgt_in.shape[1]):
            context, weights = self.attend(s, enc_out, keys, mask)
            s = self.decoder_cell(torch.cat([emb[:, t], context], dim=-1), s)
            features.append(torch.cat([s, context, emb[:, t]], dim=-1))
            attention.append(weights)
        return self.out(self.dropout(torch.stack(features, 1))), torch.stack(attention, 1)

    @torch.no_grad()
    def greedy(self, src, src_len, max_len, sos_id, eos_id):
        """Greedy decoding from ``sos_id``: ids [B, <= max_len]; stops when every row has produced
        ``eos_id`` (what ``lstm_ms.core.beam.greedy_search`` does with the MindSpore step)."""
        enc_out, keys, mask, s = self.encode(src, src_len)
        y = torch.full((src.shape[0],), sos_id, dtype=torch.long)
        done = torch.zeros(src.shape[0], dtype=torch.bool)
        ids = []
        for _ in range(max_len):
            emb = self.tgt_embedding(y)
            context, _ = self.attend(s, enc_out, keys, mask)
            s = self.decoder_cell(torch.cat([emb, context], dim=-1), s)
            y = self.out(torch.cat([s, context, emb], dim=-1)).argmax(-1)
            ids.append(y)
            done |= y == eos_id
            if bool(done.all()):
                break
        return torch.stack(ids, 1)


def seq2seq_param_map(num_layers):
    """{mindspore name: torch name} for Seq2SeqNet and TorchSeq2Seq (use with ``copy_to_torch``)."""
    mapping = {"src_embedding.embedding_table": "src_embedding.weight",
               "tgt_embedding.embedding_table": "tgt_embedding.weight"}
    for name in ("bridge.weight", "bridge.bias", "attn_keys.weight", "attn_query.weight", "attn_query.bias",
                 "attn_v.weight", "out.weight", "out.bias", "decoder_cell.weight_ih", "decoder_cell.weight_hh",
                 "decoder_cell.bias_ih", "decoder_cell.bias_hh"):
        mapping[name] = name
    mapping.update(rnn_param_map("encoder", "encoder", num_layers, True))
    return mapping
