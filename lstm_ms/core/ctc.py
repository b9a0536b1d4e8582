"""CTC decoding in numpy on per-frame log-probabilities (the network's log-softmax output).

A labelling is the frame path with repeats collapsed and blanks dropped; a symbol repeated in the
labelling needs a blank between its frames. ``greedy_decode`` returns the collapse of the best path;
``prefix_beam_search`` approximates the most probable labelling (summing over all its paths), which
can differ from the best path's labelling. Scores are float64 natural-log probabilities.
"""
import numpy as np


def greedy_decode(log_probs, lengths=None, blank=0):
    """Best-path decoding: per-frame argmax up to each length, repeats collapsed, blanks dropped.

    Args:
        log_probs: [B, T, V] (log-)probabilities; only the argmax is used.
        lengths: [B] valid frames per utterance (valid frames first); None means all T.

    Returns:
        a list of B lists of int ids.
    """
    log_probs = np.asarray(log_probs)
    if log_probs.ndim != 3:
        raise ValueError(f"log_probs must be [B, T, V], got shape {log_probs.shape}")
    batch, steps, _ = log_probs.shape
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths, np.int64)
    tok = log_probs.argmax(axis=-1)
    new = np.ones_like(tok, dtype=bool)
    new[:, 1:] = tok[:, 1:] != tok[:, :-1]
    keep = new & (tok != blank) & (np.arange(steps)[None, :] < lengths[:, None])
    return [tok[b, keep[b]].tolist() for b in range(batch)]


def prefix_beam_search(log_probs, beam=8, blank=0, prune=None):
    """CTC prefix beam search for one utterance.

    Each prefix keeps the log-probability of its paths ending in blank and in non-blank; a frame either
    keeps a prefix (blank, or repeating its last symbol) or extends it by one symbol (the same symbol as
    its last one only from paths ending in blank). Identical prefixes reached both ways are merged by
    log-sum-exp, and the ``beam`` most probable prefixes survive each frame. With a beam at least as
    large as the number of possible prefixes the search is exact.

    Args:
        log_probs: [T, V] log-probabilities of one utterance, already cut to its length.
        beam: prefixes kept per frame (>= 1).
        blank: the blank index.
        prune: if given, only non-blank symbols with log-probability above it extend prefixes at a frame
            (the blank is always used).

    Returns:
        (ids, log_score): the best prefix as a list of ints and its float log-probability.
    """
    lp = np.asarray(log_probs, np.float64)
    if lp.ndim != 2:
        raise ValueError(f"log_probs must be [T, V], got shape {lp.shape}")
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    vocab = lp.shape[1]
    prefixes = [()]
    p_b = np.array([0.0])        # log P(paths so far ending in blank), per prefix
    p_nb = np.array([-np.inf])   # ... ending in the prefix's last symbol
    for frame in lp:
        k = len(prefixes)
        total = np.logaddexp(p_b, p_nb)
        last = np.array([p[-1] if p else -1 for p in prefixes])
        has_last = last >= 0
        last_idx = np.where(has_last, last, 0)
        # staying on the same prefix
        stay_b = total + frame[blank]
        stay_nb = np.where(has_last, p_nb + frame[last_idx], -np.inf)
        # extending by one symbol; the same symbol again only after a blank
        ext = total[:, None] + frame[None, :]
        rows = np.nonzero(has_last)[0]
        ext[rows, last[rows]] = p_b[rows] + frame[last[rows]]
        ext[:, blank] = -np.inf
        if prune is not None:
            ext[:, frame <= prune] = -np.inf
        # an extension equal to a kept prefix merges into it
        index = {p: i for i, p in enumerate(prefixes)}
        for j in rows:
            parent = index.get(prefixes[j][:-1])
            if parent is not None:
                stay_nb[j] = np.logaddexp(stay_nb[j], ext[parent, last[j]])
                ext[parent, last[j]] = -np.inf
        scores = np.concatenate([np.logaddexp(stay_b, stay_nb), ext.ravel()])
        finite = np.count_nonzero(np.isfinite(scores))
        keep_n = max(1, min(beam, finite))
        top = np.argpartition(-scores, keep_n - 1)[:keep_n] if keep_n < scores.size else np.arange(scores.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        new_prefixes, new_b, new_nb = [], [], []
        for c in top:
            if c < k:
                new_prefixes.append(prefixes[c])
                new_b.append(stay_b[c])
                new_nb.append(stay_nb[c])
            else:
                i, s = divmod(int(c - k), vocab)
                new_prefixes.append(prefixes[i] + (s,))
                new_b.append(-np.inf)
                new_nb.append(ext[i, s])
        prefixes, p_b, p_nb = new_prefixes, np.array(new_b), np.array(new_nb)
    total = np.logaddexp(p_b, p_nb)
    best = int(np.argmax(total))
    return [int(s) for s in prefixes[best]], float(total[best])


def beam_decode(log_probs, lengths=None, beam=8, blank=0, prune=None):
    """:func:`prefix_beam_search` over a batch [B, T, V] cut to ``lengths`` [B] (None: all T).

    Returns:
        (hyps, scores): a list of B lists of int ids and float64 [B] log-probabilities.
    """
    log_probs = np.asarray(log_probs)
    if log_probs.ndim != 3:
        raise ValueError(f"log_probs must be [B, T, V], got shape {log_probs.shape}")
    batch, steps, _ = log_probs.shape
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths, np.int64)
    hyps, scores = [], np.zeros(batch, np.float64)
    for b in range(batch):
        ids, scores[b] = prefix_beam_search(log_probs[b, :lengths[b]], beam, blank, prune)
        hyps.append(ids)
    return hyps, scores
