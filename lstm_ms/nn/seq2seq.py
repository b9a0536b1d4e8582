"""GRU encoder-decoder with Bahdanau (additive) attention, and its inference graphs.

The encoder is a bidirectional :class:`PaddedRNN` (GRU) over each source's true length; its final
states feed ``tanh(bridge(.))`` as the decoder's initial state. Every decoder step attends over the
source with ``v^T tanh(K h_j + Q s_{t-1} + b)`` (padded source positions masked out), feeds
``[y_{t-1}; context]`` to a ``GRUCell`` and predicts from ``[s_t; context; y_{t-1}]``.
"""
import mindspore as ms
from mindspore import nn, ops

from .rnn import GRUCell, PaddedRNN

# Score given to padded source positions: exp(NEG - max) is exactly 0 in float32. The scores and the mask
# are cast to float32 before masking (under mixed precision a method's float inputs arrive as float16,
# where NEG is inf and 0 * inf is NaN).
NEG = 1e30


class Seq2SeqNet(nn.Cell):
    """``construct(src [B, S] int32, src_len [B] int32, tgt_in [B, T] int32)
    -> (logits [B, T, tgt_vocab] float32, attention [B, T, S] float32)``.

    ``tgt_in`` is ``<sos>`` + target, padded with ``pad_id``. Teacher forced, except in training mode
    with ``teacher_forcing < 1``: then from step 1 on each sentence feeds back the argmax of the
    previous step's logits with probability ``1 - teacher_forcing`` (scheduled sampling).
    """

    def __init__(self, src_vocab, tgt_vocab, embed_size=256, hidden_size=512, num_layers=1, attn_size=None,
                 dropout=0.5, teacher_forcing=1.0, sos_id=2, pad_id=0):
        super().__init__()
        attn_size = attn_size or hidden_size
        self.embed_size = embed_size
        self.hidden_size = hidden_size
        self.feature_size = 3 * hidden_size + embed_size
        self.teacher_forcing = float(teacher_forcing)
        self.sos_id = sos_id
        self.pad_id = pad_id
        self.src_embedding = nn.Embedding(src_vocab, embed_size)
        self.tgt_embedding = nn.Embedding(tgt_vocab, embed_size)
        self.encoder = PaddedRNN(embed_size, hidden_size, num_layers, True, dropout, cell="GRU")
        self.bridge = nn.Dense(2 * hidden_size, hidden_size)
        self.attn_keys = nn.Dense(2 * hidden_size, attn_size, has_bias=False)
        self.attn_query = nn.Dense(hidden_size, attn_size)
        self.attn_v = nn.Dense(attn_size, 1, has_bias=False)
        self.decoder_cell = GRUCell(embed_size + 2 * hidden_size, hidden_size)
        self.out = nn.Dense(self.feature_size, tgt_vocab)
        # one instance per use: calls of one Dropout instance at several places draw identical masks
        self.src_dropout = nn.Dropout(p=dropout) if dropout > 0 else None
        self.tgt_dropout = nn.Dropout(p=dropout) if dropout > 0 else None
        self.out_dropout = nn.Dropout(p=dropout) if dropout > 0 else None
        self.bmm = ops.BatchMatMul()
        self.argmax = ops.Argmax(axis=-1, output_type=ms.int32)

    def encode(self, src, src_len):
        """``-> (enc_out [B, S, 2H], keys [B, S, A], mask [B, S] float32 1/0, s0 [B, H])``."""
        x = self.src_embedding(src)
        if self.src_dropout is not None:
            x = self.src_dropout(x)
        enc_out, final = self.encoder(x, src_len)
        s0 = ops.tanh(self.bridge(final))
        keys = self.attn_keys(enc_out)
        steps = ops.arange(src.shape[1], dtype=ms.int32).reshape(1, -1)
        mask = ops.cast(steps < src_len.reshape(-1, 1), ms.float32)
        return enc_out, keys, mask, s0

    def attend(self, s_prev, enc_out, keys, mask):
        """``-> (context [N, 2H], weights [N, S] float32)``; weights are exactly 0 where mask is 0."""
        query = self.attn_query(s_prev).astype(ms.float32).expand_dims(1)
        scores = self.attn_v(ops.tanh(keys.astype(ms.float32) + query)).squeeze(-1).astype(ms.float32)
        weights = ops.softmax(scores + (mask.astype(ms.float32) - 1.0) * NEG, axis=-1)
        context = self.bmm(weights.astype(enc_out.dtype).expand_dims(1), enc_out).squeeze(1)
        return context, weights

    def step(self, y_prev_emb, s_prev, enc_out, keys, mask):
        """One decoder step ``-> (s [N, H], features [N, 3H + E], weights [N, S])``."""
        context, weights = self.attend(s_prev, enc_out, keys, mask)
        s = self.decoder_cell(ops.concat((y_prev_emb, context.astype(y_prev_emb.dtype)), -1), s_prev)
        features = ops.concat((s, context.astype(s.dtype), y_prev_emb.astype(s.dtype)), -1)
        return s, features, weights

    def decode(self, y_prev, s_prev, enc_out, keys, mask, emb_keep=None, out_keep=None):
        """Step from token ids ``y_prev [N]`` ``-> (logits [N, V] float32, s, weights)``; ``emb_keep`` /
        ``out_keep`` are optional dropout masks for the embedding and the output layer's input."""
        y_emb = self.tgt_embedding(y_prev)
        if emb_keep is not None:
            y_emb = y_emb * emb_keep
        s, features, weights = self.step(y_emb, s_prev, enc_out, keys, mask)
        if out_keep is not None:
            features = features * out_keep
        return self.out(features).astype(ms.float32), s, weights

    def construct(self, src, src_len, tgt_in):
        enc_out, keys, mask, s = self.encode(src, src_len)
        if self.training and self.teacher_forcing < 1.0:
            return self._scheduled_sampling(tgt_in, enc_out, keys, mask, s)
        emb = self.tgt_embedding(tgt_in)
        if self.tgt_dropout is not None:
            emb = self.tgt_dropout(emb)
        features, attention = [], []
        for t in range(tgt_in.shape[1]):
            s, feat, weights = self.step(emb[:, t], s, enc_out, keys, mask)
            features.append(feat)
            attention.append(weights)
        features = ops.stack(features, 1)
        if self.out_dropout is not None:
            features = self.out_dropout(features)
        return self.out(features).astype(ms.float32), ops.stack(attention, 1)

    def _scheduled_sampling(self, tgt_in, enc_out, keys, mask, s):
        """Training with ``teacher_forcing < 1``: the output layer runs inside the loop. Dropout masks
        for all steps are drawn once (one Dropout call site per mask, so steps get different masks)."""
        batch, steps = tgt_in.shape
        own = ops.rand(batch, steps) >= self.teacher_forcing  # [B, T]: feed back the model's own token
        emb_keep, out_keep = None, None
        if self.tgt_dropout is not None:
            emb_keep = self.tgt_dropout(ops.ones((batch, steps, self.embed_size), ms.float32))
            out_keep = self.out_dropout(ops.ones((batch, steps, self.feature_size), ms.float32))
        logits, attention = [], []
        y = tgt_in[:, 0]
        for t in range(steps):
            if t > 0:
                y = ops.where(own[:, t], self.argmax(logits[-1]), tgt_in[:, t])
            step_logits, s, weights = self.decode(y, s, enc_out, keys, mask,
                                                  None if emb_keep is None else emb_keep[:, t],
                                                  None if out_keep is None else out_keep[:, t])
            logits.append(step_logits)
            attention.append(weights)
        return ops.stack(logits, 1), ops.stack(attention, 1)


class Seq2SeqLoss(nn.Cell):
    """Token-mean cross-entropy over positions where ``tgt != pad_id``; ``construct((logits, attention),
    tgt [B, T]) -> scalar`` with ``tgt`` = target + ``<eos>``, aligned with ``tgt_in``."""

    def __init__(self, pad_id=0):
        super().__init__()
        self.pad_id = pad_id
        self.ce = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="none")

    def construct(self, out, tgt):
        logits = out[0].astype(ms.float32)
        ce = self.ce(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1)).reshape(tgt.shape)
        mask = ops.cast(tgt != self.pad_id, ms.float32)
        return (ce * mask).sum() / mask.sum()


def _float32(*tensors):
    """The decoding graphs' float outputs in float32 whatever the network computes in (float16 under
    mixed precision), so that the decoder step takes what the encoder and the step itself return."""
    return tuple(t.astype(ms.float32) for t in tensors)


class Seq2SeqEncoder(nn.Cell):
    """Inference graph ``(src, src_len) -> (enc_out, keys, mask, s0)`` of a :class:`Seq2SeqNet`.

    The batch size may be dynamic. On CPU the source length must be static (one graph per source
    bucket): MindSpore's ``nn.GRU`` has no fused CPU kernel and unrolls a loop over the time axis."""

    def __init__(self, net):
        super().__init__(auto_prefix=False)
        self.net = net

    def construct(self, src, src_len):
        return _float32(*self.net.encode(src, src_len))


class Seq2SeqDecoderStep(nn.Cell):
    """Inference graph of one decoder step: ``(y_prev [N] int32, s_prev [N, H], enc_out [N, S, 2H],
    keys [N, S, A], mask [N, S]) -> (log_probs [N, V] float32, s [N, H], weights [N, S])``."""

    def __init__(self, net):
        super().__init__(auto_prefix=False)
        self.net = net

    def construct(self, y_prev, s_prev, enc_out, keys, mask):
        logits, s, weights = self.net.decode(y_prev, s_prev, enc_out, keys, mask)
        return _float32(ops.log_softmax(logits, -1), s, weights)


class GreedyDecoder(nn.Cell):
    """Export graph ``(src [B, S], src_len [B]) -> ids [B, max_len] int32``: greedy decoding from
    ``<sos>`` for ``max_len`` steps; a row's ``eos_id`` is written, the positions after it hold
    ``pad_id``."""

    def __init__(self, net, max_len, eos_id):
        super().__init__(auto_prefix=False)
        self.net = net
        self.max_len = max_len
        self.eos_id = eos_id

    def construct(self, src, src_len):
        enc_out, keys, mask, s = self.net.encode(src, src_len)
        y = ops.ones_like(src_len) * self.net.sos_id
        pad = ops.ones_like(src_len) * self.net.pad_id
        done = src_len < 0  # all False, shaped like the batch
        ids = []
        for _ in range(self.max_len):
            logits, s, _ = self.net.decode(y, s, enc_out, keys, mask)
            y = self.net.argmax(logits)
            ids.append(ops.where(done, pad, y))
            done = ops.logical_or(done, y == self.eos_id)
        return ops.stack(ids, 1)
