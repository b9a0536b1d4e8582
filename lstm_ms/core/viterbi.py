"""Viterbi decoding of a linear-chain CRF in numpy, vectorised over the batch.

Runs on the network's emissions after the graph, so evaluation and prediction compile only the
network's forward pass (an in-graph decoder is a loop unrolled over up to ``max_len`` steps, compiled
once per padded length: tens of seconds per bucket).
"""
import numpy as np

TRANSITION_CLAMP = 80.0  # the CRF cell clips transition scores to +-80 (see lstm_ms.nn.crf); so do we


def crf_params(transitions, start, end):
    """The CRF parameters as the decoder (and a sidecar) uses them: transitions clipped like the cell's."""
    return {"transitions": np.clip(np.asarray(transitions, np.float64), -TRANSITION_CLAMP, TRANSITION_CLAMP),
            "start": np.asarray(start, np.float64), "end": np.asarray(end, np.float64)}


def viterbi(emissions, lengths, transitions, start, end):
    """Best tag path per sequence.

    Args:
        emissions: [B, T, K] scores; lengths: [B] valid steps (>= 1), valid steps first.
        transitions: [K, K], ``transitions[i, j]`` scores tag i followed by tag j; start, end: [K].

    Returns:
        [B, T] int32 tag ids; positions at or past a sequence's length are 0.
    """
    emissions = np.asarray(emissions, np.float64)
    lengths = np.asarray(lengths, np.int64)
    batch, steps, num_tags = emissions.shape
    steps_used = int(min(steps, lengths.max(initial=1)))
    transitions = np.asarray(transitions, np.float64)[None]
    score = np.asarray(start, np.float64)[None] + emissions[:, 0]
    back = np.empty((steps_used, batch, num_tags), np.int64)
    back[0] = np.arange(num_tags)
    for t in range(1, steps_used):
        cand = score[:, :, None] + transitions           # [B, from, to]
        arg = cand.argmax(axis=1)                         # best previous tag for every next tag
        best = np.take_along_axis(cand, arg[:, None, :], axis=1)[:, 0] + emissions[:, t]
        live = (t < lengths)[:, None]
        score = np.where(live, best, score)               # finished sequences keep their score
        back[t] = np.where(live, arg, np.arange(num_tags))  # ... and point at themselves
    tag = (score + np.asarray(end, np.float64)[None]).argmax(axis=1)
    rows = np.arange(batch)
    out = np.zeros((batch, steps), np.int32)
    for t in range(steps_used - 1, -1, -1):
        out[:, t] = tag
        tag = back[t, rows, tag]
    out[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    return out
