"""Levenshtein distance and corpus error rates (token / word / character error rate).

Insertions, deletions and substitutions all cost 1. ``error_rates`` reports both the corpus rate
(total edits / total reference tokens, the usual WER / CER / PER) and the mean of per-utterance rates,
which weights short utterances more. An empty reference has rate 1.0 if the hypothesis is non-empty,
else 0.0 (per utterance, and for the corpus rate when all references are empty).
"""


def edit_distance(ref, hyp):
    """Levenshtein distance between two sequences of hashables (O(len(ref) * len(hyp)) time)."""
    ref, hyp = list(ref), list(hyp)
    if len(ref) < len(hyp):
        ref, hyp = hyp, ref              # the distance is symmetric; keep the row short
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def _rate(edits, ref_len):
    if ref_len == 0:
        return 1.0 if edits > 0 else 0.0
    return edits / ref_len


def error_rates(refs, hyps):
    """Error rates of hypothesis sequences against reference sequences (paired in order).

    Returns:
        {"corpus": total edits / total reference tokens, "mean_per_utterance": mean of
        edits / len(ref) per pair, "edits": int, "ref_tokens": int, "n": number of pairs}.
        With no pairs both rates are 0.0.
    """
    refs, hyps = list(refs), list(hyps)
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    edits = ref_tokens = 0
    per_utt = 0.0
    for ref, hyp in zip(refs, hyps):
        ref, hyp = list(ref), list(hyp)
        e = edit_distance(ref, hyp)
        edits += e
        ref_tokens += len(ref)
        per_utt += _rate(e, len(ref))
    n = len(refs)
    return {"corpus": _rate(edits, ref_tokens) if n else 0.0,
            "mean_per_utterance": per_utt / n if n else 0.0,
            "edits": edits, "ref_tokens": ref_tokens, "n": n}


def wer(refs, hyps):
    """Word error rate of strings (words split on whitespace): the :func:`error_rates` dict."""
    return error_rates([str(r).split() for r in refs], [str(h).split() for h in hyps])


def cer(refs, hyps):
    """Character error rate of strings (every character, spaces included): the :func:`error_rates` dict."""
    return error_rates([list(str(r)) for r in refs], [list(str(h)) for h in hyps])
