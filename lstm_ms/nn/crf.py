"""Linear-chain CRF as an nn.Cell: masked forward algorithm and gold-path score (the training loss).

The forward algorithm runs in graph mode (its time loop is unrolled over the batch's padded length,
which bucketing keeps short). Tags at masked positions (past a sequence's length) change nothing.
Decoding runs after the graph: ``lstm_ms.core.viterbi`` on the emissions.
"""
import mindspore as ms
from mindspore import nn, ops
from mindspore.common.initializer import Uniform, initializer

from ..core.viterbi import TRANSITION_CLAMP


def _logsumexp(x, axis):
    top = x.max(axis=axis, keepdims=True)
    return (top + ops.log(ops.exp(x - top).sum(axis=axis, keepdims=True))).squeeze(axis)


class CRF(nn.Cell):
    """Args: num_tags. Parameters: ``transitions[i, j]`` (score of tag i followed by j), ``start``, ``end``.

    ``construct(emissions [B, T, K], tags [B, T] int32, mask [B, T] bool) -> mean negative log-likelihood``.
    Transition scores are used clipped to +-``TRANSITION_CLAMP`` everywhere (forward algorithm, gold
    score and ``core.viterbi``), so the loss is an exact NLL of one model even past the clip.
    Every sequence must have length >= 1 and its valid positions first.
    """

    keep_fp32 = True  # exp(transitions) reaches e^80; the forward algorithm's sums need float32

    def __init__(self, num_tags):
        super().__init__()
        self.num_tags = num_tags
        self.transitions = ms.Parameter(initializer(Uniform(0.1), (num_tags, num_tags), ms.float32), name="transitions")
        self.start = ms.Parameter(initializer(Uniform(0.1), (num_tags,), ms.float32), name="start")
        self.end = ms.Parameter(initializer(Uniform(0.1), (num_tags,), ms.float32), name="end")

    def clipped_transitions(self):
        return ops.clamp(self.transitions, -TRANSITION_CLAMP, TRANSITION_CLAMP)

    def log_partition(self, emissions, mask):
        """log Z per sequence by the forward algorithm; alpha is kept unchanged over masked steps.

        Each step is ``logsumexp_i(alpha_i + T_ij)`` computed as
        ``max(alpha) + log(exp(alpha - max(alpha)) @ exp(T))``: one matmul instead of a [B, K, K]
        log-sum-exp. It is exact while transition scores stay within +-80 (they are clipped there so
        exp(T) never overflows or underflows in float32; trained transitions are far smaller).
        """
        exp_trans = ops.exp(self.clipped_transitions())
        alpha = self.start.reshape(1, -1) + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            top = alpha.max(axis=1, keepdims=True)
            step = ops.log(ops.matmul(ops.exp(alpha - top), exp_trans)) + top + emissions[:, t]
            alpha = ops.select(mask[:, t:t + 1].broadcast_to(alpha.shape), step, alpha)
        return _logsumexp(alpha + self.end.reshape(1, -1), axis=1)

    def gold_score(self, emissions, tags, mask):
        """Score of the given tag path over each sequence's valid positions."""
        maskf = mask.astype(emissions.dtype)
        emit = ops.gather_elements(emissions, 2, tags.expand_dims(2)).squeeze(2)
        score = (emit * maskf).sum(axis=1)
        flat = (tags[:, :-1] * self.num_tags + tags[:, 1:]).reshape(-1)
        trans = ops.gather(self.clipped_transitions().reshape(-1), flat, 0).reshape(tags.shape[0], -1)
        score = score + (trans * maskf[:, 1:]).sum(axis=1)
        lengths = mask.astype(ms.int32).sum(axis=1)
        last = ops.gather_elements(tags, 1, (lengths - 1).expand_dims(1)).squeeze(1)
        return score + ops.gather(self.start, tags[:, 0], 0) + ops.gather(self.end, last, 0)

    def construct(self, emissions, tags, mask):
        return (self.log_partition(emissions, mask) - self.gold_score(emissions, tags, mask)).mean()
