"""BiLSTM(-CRF) character tagger for Chinese NER."""
import mindspore as ms
from mindspore import nn, ops

from .crf import CRF
from .rnn import PaddedRNN

SEG_TAGS = 5  # soft-word tags per char: 0 padding, 1 B, 2 M, 3 E, 4 S


class NERNet(nn.Cell):
    """char embedding (+ word-boundary embedding) -> BiLSTM over true lengths -> dropout -> Dense.

    ``construct(ids [B, T], seg [B, T], lengths [B]) -> (emissions [B, T, num_tags], mask [B, T])``.
    With ``crf`` the tag sequence is scored by a CRF (``self.crf``), else per character by softmax.
    ``seg_size`` 0 ignores ``seg``.
    """

    def __init__(self, vocab_size, embed_size, num_hiddens, num_tags, num_layers=1, seg_size=0, dropout=0.0,
                 crf=True, embedding=None):
        super().__init__()
        table = ms.Tensor(embedding, ms.float32) if embedding is not None else "normal"
        self.embedding = nn.Embedding(vocab_size, embed_size, embedding_table=table)
        self.seg_embedding = nn.Embedding(SEG_TAGS, seg_size) if seg_size else None
        self.encoder = PaddedRNN(embed_size + seg_size, num_hiddens, num_layers, True, dropout, cell="LSTM")
        self.dropout = nn.Dropout(p=dropout) if dropout > 0 else None
        self.proj = nn.Dense(2 * num_hiddens, num_tags)
        self.crf = CRF(num_tags) if crf else None

    def construct(self, ids, seg, lengths):
        x = self.embedding(ids)
        if self.seg_embedding is not None:
            x = ops.concat((x, self.seg_embedding(seg)), -1)
        out, _ = self.encoder(x, lengths)
        if self.dropout is not None:
            out = self.dropout(out)
        mask = ops.arange(ids.shape[1], dtype=ms.int32).reshape(1, -1) < lengths.reshape(-1, 1)
        return self.proj(out), mask


class NERLoss(nn.Cell):
    """CRF negative log-likelihood, or masked per-character cross-entropy without a CRF."""

    def __init__(self, net):
        super().__init__(auto_prefix=False)
        self.crf = net.crf
        self.ce = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="none")

    def construct(self, out, tags):
        emissions, mask = out
        if self.crf is not None:
            return self.crf(emissions, tags, mask)
        maskf = mask.astype(emissions.dtype)
        ce = self.ce(emissions.reshape(-1, emissions.shape[-1]), tags.reshape(-1)).reshape(tags.shape)
        return (ce * maskf).sum() / maskf.sum()


class NEREmissions(nn.Cell):
    """Inference graph: ``(ids, seg, lengths) -> emissions [B, T, num_tags]``; the tags are decoded
    after it (Viterbi or argmax in ``lstm_ms.core``), so the graph has no loop over time."""

    def __init__(self, net):
        super().__init__(auto_prefix=False)
        self.net = net

    def construct(self, ids, seg, lengths):
        emissions, _ = self.net(ids, seg, lengths)
        return emissions
