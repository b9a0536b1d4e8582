"""Greedy and beam-search decoding in numpy, vectorised over the batch.

The decoder step runs elsewhere (a compiled graph); the search only drives it one time step at a
time, so the graph is compiled once for a fixed number of rows instead of unrolling ``max_len``
steps in the graph.

``step(tokens, state) -> (log_probs, state)``:
    ``tokens`` int32 [N], the previous token of each row (``sos_id`` at the first step);
    ``state`` a tuple of arrays, each with leading dimension N. The search never looks inside it; it
    only indexes it along axis 0 to reorder rows (beam search). ``log_probs`` [N, V] log-softmax
    over the target vocabulary.

Both searches keep N fixed for the whole decode (greedy: N = batch; beam: N = batch * beam), so a
graph compiled for that shape is reused at every step; finished rows / finished sentences keep
being fed (greedy feeds them ``eos_id``) and their results no longer change.

Hypotheses are returned without sos and eos; scores are float64.
"""
import operator

import numpy as np


def length_penalty(lengths, alpha):
    """GNMT length penalty ``((5 + len) / 6) ** alpha``; ``alpha == 0`` gives 1.0 (raw log-probability)."""
    lengths = np.asarray(lengths, np.float64)
    if alpha == 0:
        return np.ones_like(lengths)
    return ((5.0 + lengths) / 6.0) ** float(alpha)


def _check_positive(name, value):
    value = operator.index(value)
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def _log_probs(out, rows):
    """The step's log-probs as an [N, V] float array, kept in its own precision (float32 from a graph):
    only the few entries the search picks are converted to float64."""
    log_probs = np.asarray(out)
    if not np.issubdtype(log_probs.dtype, np.floating):
        log_probs = log_probs.astype(np.float64)
    if log_probs.ndim != 2 or log_probs.shape[0] != rows:
        raise ValueError(f"step must return log_probs of shape [{rows}, V], got {log_probs.shape}")
    return log_probs


def greedy_search(step, state, batch_size, max_len, sos_id, eos_id):
    """Greedy (argmax) decoding.

    Each row starts from ``sos_id`` and takes the argmax token every step. A row is finished once it
    emits ``eos_id`` (the eos counts in the score, not in the hypothesis); decoding stops once every
    row is finished or after ``max_len`` steps (a row cut off there keeps its ``max_len`` tokens).
    N stays ``batch_size``: finished rows keep being fed ``eos_id`` and their outputs are ignored.

    Returns:
        (hyps, scores): a list of ``batch_size`` lists of token ids; float64 [batch_size] sums of the
        chosen tokens' log-probabilities.
    """
    batch = _check_positive("batch_size", batch_size)
    max_len = _check_positive("max_len", max_len)
    state = tuple(state)
    rows = np.arange(batch)
    prev = np.full(batch, sos_id, np.int32)
    out = np.zeros((batch, max_len), np.int64)
    lengths = np.zeros(batch, np.int64)      # hypothesis tokens (eos excluded)
    scores = np.zeros(batch, np.float64)
    finished = np.zeros(batch, bool)
    for t in range(max_len):
        log_probs, state = step(prev, state)
        log_probs = _log_probs(log_probs, batch)
        state = tuple(state)
        tok = log_probs.argmax(axis=1)
        live = ~finished
        scores[live] += log_probs[rows, tok][live].astype(np.float64)
        is_eos = tok == eos_id
        grow = live & ~is_eos
        out[grow, t] = tok[grow]
        lengths[grow] += 1
        finished |= live & is_eos
        if finished.all():
            break
        prev = np.where(finished, eos_id, tok).astype(np.int32)
    hyps = [out[b, :lengths[b]].tolist() for b in range(batch)]
    return hyps, scores


def _top_indices(x, n):
    """Indices [R, n] of the n largest entries of each row of x, in increasing index order."""
    width = x.shape[1]
    if n >= width:
        return np.broadcast_to(np.arange(width), x.shape).copy()
    idx = np.argpartition(x, width - n, axis=1)[:, width - n:]
    idx.sort(axis=1)
    return idx


def _top_candidates(log_probs, cum, n):
    """The n best (cumulative + log-prob) candidates per sentence over beam x V, best first.

    Ties: lower beam, then lower token id (as np.argmax). Each beam row is first cut to its own n best
    tokens (the sentence's n best are among them), so the full [N, V] array is only read once and
    never copied to float64.

    Returns (parent beam [B, n], token [B, n], score [B, n] float64).
    """
    batch, beam = cum.shape
    vocab = log_probs.shape[1]
    tok = _top_indices(log_probs, min(n, vocab))                                  # [N, m]
    vals = np.take_along_axis(log_probs, tok, axis=1).astype(np.float64) + cum.reshape(-1, 1)
    width = tok.shape[1]
    tok = tok.reshape(batch, beam * width)
    vals = vals.reshape(batch, beam * width)
    pos = _top_indices(vals, n)                              # flat (beam, token) order
    order = np.argsort(-np.take_along_axis(vals, pos, axis=1), axis=1, kind="stable")
    pos = np.take_along_axis(pos, order, axis=1)
    return pos // width, np.take_along_axis(tok, pos, axis=1), np.take_along_axis(vals, pos, axis=1)


def beam_search(step, state, batch_size, beam_size, max_len, sos_id, eos_id, alpha=0.0):
    """Beam search (fairseq-style finalisation), vectorised over sentences.

    ``state`` must already hold N = batch_size * beam_size rows, row ``b * beam_size + k`` belonging
    to sentence b (e.g. ``np.repeat(x, beam_size, axis=0)``). Only beam 0 of each sentence is live
    at the start. Each step:

    * candidates = cumulative log-prob + log_probs over beam x V; the 2 * beam_size best per
      sentence are taken (best first; ties: lower beam, then lower token id);
    * candidates ending in eos that rank within the top beam_size (and have a finite score) become
      finished hypotheses with score cumulative / length_penalty(length incl. eos, alpha), while the
      sentence holds fewer than beam_size finished hypotheses;
    * the best beam_size non-eos candidates continue (state rows gathered from their parents);
    * a sentence is done once it holds beam_size finished hypotheses; the search stops when every
      sentence is done or after ``max_len`` steps, when the live hypotheses of sentences not done
      are finished as they are (length max_len, no eos).

    N stays batch * beam throughout: done sentences keep being fed and their result no longer
    changes. Returns, per sentence, the finished hypothesis with the best normalised score (ties:
    the one found first; within a step, the higher ranked).

    Returns:
        (hyps, scores): a list of ``batch_size`` lists of token ids; float64 [batch_size] normalised
        scores (-inf and an empty hypothesis if a sentence never had a finite-scored hypothesis).
    """
    batch = _check_positive("batch_size", batch_size)
    beam = _check_positive("beam_size", beam_size)
    max_len = _check_positive("max_len", max_len)
    state = tuple(state)
    rows = batch * beam
    sent = np.arange(batch)

    cum = np.full((batch, beam), -np.inf)
    cum[:, 0] = 0.0
    tokens = np.zeros((batch, beam, max_len), np.int64)   # generated tokens of each live beam
    prev = np.full(rows, sos_id, np.int32)

    best_score = np.full(batch, -np.inf)
    best_tokens = np.zeros((batch, max_len), np.int64)
    best_len = np.zeros(batch, np.int64)                  # hypothesis length, eos excluded
    n_finished = np.zeros(batch, np.int64)
    done = np.zeros(batch, bool)
    rank = np.arange(2 * beam)[None, :]
    base = (sent * beam)[:, None]

    for t in range(max_len):
        log_probs, state = step(prev, state)
        log_probs = _log_probs(log_probs, rows)
        state = tuple(state)
        vocab = log_probs.shape[1]
        n = min(2 * beam, beam * vocab)
        parent, tok, vals = _top_candidates(log_probs, cum, n)
        is_eos = tok == eos_id

        # finished hypotheses: eos candidates ranked within the top beam, while the sentence has room
        eligible = is_eos & (rank[:, :n] < beam) & np.isfinite(vals) & ~done[:, None]
        count = eligible.sum(axis=1)
        first = eligible.argmax(axis=1)                    # best eligible (all share one length)
        norm = vals[sent, first] / length_penalty(t + 1, alpha)
        better = (count > 0) & (norm > best_score)
        if better.any():
            src = tokens[sent, parent[sent, first]]        # [B, max_len]
            best_tokens[better] = src[better]
            best_len[better] = t
            best_score[better] = norm[better]
        n_finished += np.minimum(count, beam - n_finished)
        done |= n_finished >= beam
        if done.all():
            break

        # continuing hypotheses: the best `beam` non-eos candidates (stable: keeps their rank order)
        keep = np.argsort(is_eos, axis=1, kind="stable")[:, :beam]
        k_parent = np.take_along_axis(parent, keep, axis=1)
        k_tok = np.take_along_axis(tok, keep, axis=1)
        k_val = np.take_along_axis(vals, keep, axis=1)
        k_val = np.where(np.take_along_axis(is_eos, keep, axis=1), -np.inf, k_val)  # too few non-eos
        if k_parent.shape[1] < beam:                       # vocab < 2: pad with dead beams
            pad = beam - k_parent.shape[1]
            k_parent = np.pad(k_parent, ((0, 0), (0, pad)))
            k_tok = np.pad(k_tok, ((0, 0), (0, pad)))
            k_val = np.pad(k_val, ((0, 0), (0, pad)), constant_values=-np.inf)
        tokens = np.take_along_axis(tokens, k_parent[:, :, None], axis=1)
        tokens[:, :, t] = k_tok
        cum = k_val
        if t + 1 < max_len:                                # the last step's state is never used
            parent_rows = (base + k_parent).reshape(rows)
            state = tuple(s[parent_rows] for s in state)
        prev = k_tok.reshape(rows).astype(np.int32)
    else:
        # max_len reached: the best live hypothesis (beam 0) of each sentence not done, as it is
        norm = cum[:, 0] / length_penalty(max_len, alpha)
        better = ~done & np.isfinite(cum[:, 0]) & (norm > best_score)
        best_tokens[better] = tokens[better, 0]
        best_len[better] = max_len
        best_score[better] = norm[better]

    hyps = [best_tokens[b, :best_len[b]].tolist() for b in range(batch)]
    return hyps, best_score
