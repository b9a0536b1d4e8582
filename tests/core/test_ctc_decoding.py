"""CTC decoders (lstm_ms.core.ctc) on hand cases and against exhaustive enumeration of paths."""
import itertools

import numpy as np
import pytest

from lstm_ms.core.ctc import beam_decode, greedy_decode, prefix_beam_search


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def one_hot_log_probs(paths, vocab):
    """[B, T, V] log-probs whose argmax follows each path (padded paths past their length are junk)."""
    steps = max(len(p) for p in paths)
    out = np.full((len(paths), steps, vocab), -5.0)
    for b, p in enumerate(paths):
        for t, s in enumerate(p):
            out[b, t, s] = -0.01
    return out


def collapse(path, blank):
    out, prev = [], None
    for s in path:
        if s != prev and s != blank:
            out.append(s)
        prev = s
    return tuple(out)


def brute_force(log_probs, blank):
    """{labelling: log of the summed probability of all its paths}."""
    steps, vocab = log_probs.shape
    probs = {}
    for path in itertools.product(range(vocab), repeat=steps):
        p = np.exp(sum(log_probs[t, s] for t, s in enumerate(path)))
        key = collapse(path, blank)
        probs[key] = probs.get(key, 0.0) + p
    return {k: np.log(v) for k, v in probs.items()}


def test_greedy_hand_cases():
    paths = [[1, 1, 0, 1, 2, 2, 0, 0],      # repeats collapse; a blank separates a real repeat
             [0, 0, 0, 0, 0, 0, 0, 0],      # all blank
             [3, 0, 3, 3, 1, 1, 1, 2],      # cut at length 5 below
             [2, 1, 2, 1, 2, 1, 2, 1]]
    lp = one_hot_log_probs(paths, 4)
    assert greedy_decode(lp, [8, 8, 5, 8]) == [[1, 1, 2], [], [3, 3, 1], [2, 1, 2, 1, 2, 1, 2, 1]]
    assert greedy_decode(lp) == [[1, 1, 2], [], [3, 3, 1, 2], [2, 1, 2, 1, 2, 1, 2, 1]]
    assert greedy_decode(lp, [0, 1, 1, 2]) == [[], [], [3], [2, 1]]


def test_greedy_other_blank_index():
    lp = one_hot_log_probs([[3, 1, 1, 3, 1, 0, 0, 3]], 4)
    assert greedy_decode(lp, [8], blank=3) == [[1, 1, 0]]


@pytest.mark.parametrize("seed", range(5))
def test_beam_one_on_peaked_distribution_equals_greedy(seed):
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.normal(size=(2, 40, 6)) * 12.0)
    lengths = [40, 27]
    hyps, scores = beam_decode(lp, lengths, beam=1)
    assert hyps == greedy_decode(lp, lengths)
    assert scores.dtype == np.float64 and (scores <= 0).all()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("blank", [0, 2])
def test_wide_beam_finds_most_probable_labelling(seed, blank):
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.normal(size=(4, 3)) * 1.5)
    table = brute_force(lp, blank)
    best = max(table, key=table.get)
    ids, score = prefix_beam_search(lp, beam=64, blank=blank)
    assert tuple(ids) == best
    assert score == pytest.approx(table[best], abs=1e-10)
    np.testing.assert_allclose(np.logaddexp.reduce(list(table.values())), 0.0, atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_wide_beam_on_longer_problem(seed):
    """T=6, V=3 (729 paths): still exact with a beam covering every prefix."""
    rng = np.random.default_rng(100 + seed)
    lp = log_softmax(rng.normal(size=(6, 3)))
    table = brute_force(lp, 0)
    best = max(table, key=table.get)
    ids, score = prefix_beam_search(lp, beam=200)
    assert tuple(ids) == best and score == pytest.approx(table[best], abs=1e-10)


def test_beam_beats_best_path():
    # p(blank) = 0.6, p(a) = 0.4 at both frames: best path "--" gives "" (0.36), but "a" has
    # paths aa, a-, -a summing to 0.64.
    lp = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))
    assert greedy_decode(lp[None]) == [[]]
    ids, score = prefix_beam_search(lp, beam=4)
    assert ids == [1]
    assert score == pytest.approx(np.log(0.64))


def test_repeat_needs_blank():
    # "a a" over three frames: only a-a yields [1, 1]; aaa, aa-, -aa, ... collapse to [1].
    lp = np.log(np.array([[0.05, 0.95], [0.9, 0.1], [0.05, 0.95]]))
    table = brute_force(lp, 0)
    ids, score = prefix_beam_search(lp, beam=8)
    assert ids == [1, 1]
    assert score == pytest.approx(table[(1, 1)])
    assert table[(1, 1)] == pytest.approx(np.log(0.95 * 0.9 * 0.95))


def test_prune_and_empty_input():
    rng = np.random.default_rng(7)
    lp = log_softmax(rng.normal(size=(12, 5)) * 3)
    full = prefix_beam_search(lp, beam=8)
    pruned = prefix_beam_search(lp, beam=8, prune=np.log(1e-6))
    assert pruned[0] == full[0] and pruned[1] == pytest.approx(full[1], abs=1e-5)
    # pruning every non-blank symbol leaves only the empty labelling, scored by the all-blank path
    ids, score = prefix_beam_search(lp, beam=8, prune=1.0)
    assert ids == [] and score == pytest.approx(lp[:, 0].sum())
    assert prefix_beam_search(np.zeros((0, 5))) == ([], 0.0)
    hyps, scores = beam_decode(lp[None], [0])
    assert hyps == [[]] and scores[0] == 0.0


def reference_prefix_beam(lp, beam, blank=0):
    """Plain dict-based prefix beam search: merge every candidate, then keep the best ``beam``."""
    beams = {(): (0.0, -np.inf)}
    for frame in lp:
        nxt = {}

        def add(prefix, b=-np.inf, nb=-np.inf):
            ob, onb = nxt.get(prefix, (-np.inf, -np.inf))
            nxt[prefix] = (np.logaddexp(ob, b), np.logaddexp(onb, nb))

        for prefix, (pb, pnb) in beams.items():
            tot = np.logaddexp(pb, pnb)
            add(prefix, b=tot + frame[blank])
            for s in range(lp.shape[1]):
                if s == blank:
                    continue
                if prefix and prefix[-1] == s:
                    add(prefix, nb=pnb + frame[s])
                    add(prefix + (s,), nb=pb + frame[s])
                else:
                    add(prefix + (s,), nb=tot + frame[s])
        ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:beam]
        beams = dict(ranked)
    best = max(beams, key=lambda p: np.logaddexp(*beams[p]))
    return list(best), float(np.logaddexp(*beams[best]))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("beam", [1, 2, 4])
def test_narrow_beam_matches_reference_implementation(seed, beam):
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.normal(size=(25, 5)) * 2.0)
    ids, score = prefix_beam_search(lp, beam=beam)
    ref_ids, ref_score = reference_prefix_beam(lp, beam)
    assert ids == ref_ids and score == pytest.approx(ref_score, abs=1e-10)
