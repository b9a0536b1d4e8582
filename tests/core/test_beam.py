"""Greedy and beam search (lstm_ms.core.beam) against a tiny table "model" and exhaustive enumeration."""
import itertools

import numpy as np
import pytest

from lstm_ms.core.beam import beam_search, greedy_search, length_penalty

PAD, SOS, EOS = 0, 1, 2
WORDS = (3, 4)
V = 5
MAX_LEN = 4
BATCH = 3


def make_table(seed, batch=BATCH, scale=2.0, eos_bias=0.0):
    """log-probs [sentence, prefix code, V]: a seeded random distribution per (sentence, full prefix)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(batch, V ** MAX_LEN, V)) * scale
    logits[..., EOS] += eos_bias
    logits[..., PAD] = -np.inf
    logits[..., SOS] = -np.inf
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


def make_step(table, beam=None, poison_finished=False, sentences=None):
    """step over state (history of fed tokens [N, MAX_LEN], position [N], sentence id [N])."""
    weights = V ** np.arange(MAX_LEN)

    def step(tokens, state):
        hist, pos, sent = state
        n = hist.shape[0]
        assert tokens.dtype == np.int32 and tokens.shape == (n,)
        assert pos.max() < MAX_LEN
        assert np.all(tokens[pos == 0] == SOS)
        if beam is not None:  # rows stay grouped by sentence through every gather
            owner = np.arange(n // beam) if sentences is None else np.asarray(sentences)
            assert np.array_equal(sent, np.repeat(owner, beam))
        hist = hist.copy()
        hist[np.arange(n), pos] = tokens
        log_probs = table[sent, (hist * weights).sum(axis=1)].copy()
        if poison_finished:  # rows that were fed eos get garbage: must not matter
            fed_eos = (hist[:, 1:] == EOS).any(axis=1)
            log_probs[fed_eos] = np.log(np.full(V, 1e-9))
            log_probs[fed_eos, WORDS[0]] = 0.0
        return log_probs.astype(np.float32), (hist, pos + 1, sent)

    return step


def init_state(batch=BATCH, beam=1, sentences=None):
    sent = np.arange(batch) if sentences is None else np.asarray(sentences)
    state = (np.zeros((batch, MAX_LEN), np.int64), np.zeros(batch, np.int64), sent)
    return tuple(np.repeat(s, beam, axis=0) for s in state)


def seq_score(table, b, seq, alpha=0.0):
    """Independent rescoring: sum of log-probs of seq (float32 like the step) / length penalty."""
    fed = [SOS] + list(seq[:-1])
    total = 0.0
    for i, tok in enumerate(seq):
        code = sum(t * V ** j for j, t in enumerate(fed[:i + 1]))
        total += float(np.float32(table[b, code, tok]))
    return total / float(length_penalty(len(seq), alpha))


def all_outputs(max_len):
    for n in range(max_len):
        for words in itertools.product(WORDS, repeat=n):
            yield words + (EOS,)
    yield from itertools.product(WORDS, repeat=max_len)


def strip(seq):
    return [t for t in seq if t != EOS]


def brute_force(table, b, alpha, max_len=MAX_LEN):
    scored = [(seq_score(table, b, seq, alpha), seq) for seq in all_outputs(max_len)]
    return max(scored, key=lambda x: x[0])


def run_beam(table, beam, alpha=0.0, max_len=MAX_LEN, sentences=None):
    batch = BATCH if sentences is None else len(sentences)
    step = make_step(table, beam=beam, sentences=sentences)
    return beam_search(step, init_state(batch, beam, sentences), batch, beam, max_len, SOS, EOS, alpha=alpha)


def run_greedy(table, max_len=MAX_LEN, sentences=None, poison=False):
    batch = BATCH if sentences is None else len(sentences)
    return greedy_search(make_step(table, poison_finished=poison), init_state(batch, 1, sentences), batch,
                         max_len, SOS, EOS)


# ---------------------------------------------------------------- length penalty / arguments

def test_length_penalty():
    assert np.all(length_penalty(np.array([1, 4, 40]), 0.0) == 1.0)
    assert length_penalty(1, 1.0) == pytest.approx(1.0)
    assert length_penalty(7, 0.6) == pytest.approx(2.0 ** 0.6)
    assert np.allclose(length_penalty([1, 7], 1.0), [1.0, 2.0])


@pytest.mark.parametrize("kwargs", [dict(beam_size=0), dict(max_len=0), dict(beam_size=-1)])
def test_beam_rejects_bad_sizes(kwargs):
    args = dict(batch_size=BATCH, beam_size=2, max_len=MAX_LEN)
    args.update(kwargs)
    with pytest.raises(ValueError):
        beam_search(make_step(make_table(0)), init_state(BATCH, 2), sos_id=SOS, eos_id=EOS, **args)


def test_greedy_rejects_bad_max_len():
    with pytest.raises(ValueError):
        greedy_search(make_step(make_table(0)), init_state(), BATCH, 0, SOS, EOS)


# ---------------------------------------------------------------- greedy

def test_greedy_matches_independent_argmax():
    for seed in range(10):
        table = make_table(seed)
        hyps, scores = run_greedy(table)
        assert scores.dtype == np.float64 and scores.shape == (BATCH,)
        for b in range(BATCH):
            seq, fed = [], [SOS]
            for _ in range(MAX_LEN):
                code = sum(t * V ** j for j, t in enumerate(fed))
                tok = int(np.argmax(table[b, code].astype(np.float32)))
                seq.append(tok)
                fed.append(tok)
                if tok == EOS:
                    break
            assert hyps[b] == strip(seq)
            assert scores[b] == pytest.approx(seq_score(table, b, seq))


def test_greedy_finished_rows_unaffected():
    lengths_differ = False
    for seed in range(20):
        table = make_table(seed, eos_bias=1.0)
        hyps, scores = run_greedy(table)
        poisoned = run_greedy(table, poison=True)
        assert poisoned[0] == hyps
        np.testing.assert_array_equal(poisoned[1], scores)
        for b in range(BATCH):  # alone == in the batch
            alone_h, alone_s = run_greedy(table, sentences=[b])
            assert alone_h == [hyps[b]]
            np.testing.assert_array_equal(alone_s, scores[b:b + 1])
        lengths_differ |= len({len(h) for h in hyps}) > 1
    assert lengths_differ  # some row finished while another went on


def test_greedy_max_len_cutoff():
    table = make_table(3)
    table[..., EOS] = -np.inf  # never ends
    hyps, scores = run_greedy(table)
    assert all(len(h) == MAX_LEN and EOS not in h for h in hyps)
    for b in range(BATCH):
        assert scores[b] == pytest.approx(seq_score(table, b, hyps[b]))
    short, short_scores = run_greedy(table, max_len=2)
    assert short == [h[:2] for h in hyps]
    for b in range(BATCH):
        assert short_scores[b] == pytest.approx(seq_score(table, b, hyps[b][:2]))


def test_greedy_batch_of_one_and_immediate_eos():
    table = make_table(5, batch=1)
    hyps, scores = run_greedy(table, sentences=[0])
    assert len(hyps) == 1 and scores.shape == (1,)
    table[0, SOS, :] = np.log(np.full(V, 1e-9))
    table[0, SOS, EOS] = 0.0  # eos right away: empty hypothesis, eos counted in the score
    hyps, scores = run_greedy(table, sentences=[0])
    assert hyps == [[]] and scores[0] == 0.0


# ---------------------------------------------------------------- beam

def test_beam_one_equals_greedy():
    for seed in range(50):
        table = make_table(seed, eos_bias=0.5 * (seed % 3))
        g_hyps, g_scores = run_greedy(table)
        b_hyps, b_scores = run_beam(table, 1)
        assert b_hyps == g_hyps
        np.testing.assert_array_equal(b_scores, g_scores)
        for alpha in (0.6, 1.0):
            a_hyps, a_scores = run_beam(table, 1, alpha=alpha)
            assert a_hyps == g_hyps
            lengths = [len(h) + (len(h) < MAX_LEN) for h in g_hyps]  # eos counted
            np.testing.assert_allclose(a_scores, g_scores / length_penalty(lengths, alpha))


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_wide_beam_is_exhaustive(alpha):
    # 3 * 2**3 = 24 candidates at most per step and 31 outputs in all: a beam of 32 keeps everything
    for seed in range(8):
        table = make_table(seed, eos_bias=0.3 * (seed % 3 - 1))
        hyps, scores = run_beam(table, 32, alpha=alpha)
        small_hyps, small_scores = run_beam(table, 2, alpha=alpha)
        for b in range(BATCH):
            best, seq = brute_force(table, b, alpha)
            assert hyps[b] == strip(seq)
            assert scores[b] == pytest.approx(best, abs=1e-9)
            # a narrow beam: no better than the optimum, and its score is its hypothesis's score
            assert small_scores[b] <= best + 1e-9
            small = list(small_hyps[b]) + ([EOS] if len(small_hyps[b]) < MAX_LEN else [])
            assert small_scores[b] == pytest.approx(seq_score(table, b, small, alpha), abs=1e-9)


def test_beam_returns_valid_sequences_and_finds_better_than_greedy_often():
    better = 0
    for seed in range(30):
        table = make_table(seed + 100)
        g_hyps, g_scores = run_greedy(table)
        hyps, scores = run_beam(table, 3)
        assert all(SOS not in h and EOS not in h and PAD not in h and len(h) <= MAX_LEN for h in hyps)
        better += int((scores > g_scores + 1e-9).sum())
    assert better > 0


def test_beam_sentences_independent_of_batch():
    """Done sentences keep being fed; a sentence's result is the same alone and in a batch."""
    for seed in range(10):
        table = make_table(seed, eos_bias=1.0)
        for beam in (1, 2, 4):
            hyps, scores = run_beam(table, beam, alpha=0.6)
            for b in range(BATCH):
                alone_h, alone_s = run_beam(table, beam, alpha=0.6, sentences=[b])
                assert alone_h == [hyps[b]]
                np.testing.assert_array_equal(alone_s, scores[b:b + 1])


def dict_step(probs):
    """step from {prefix (without sos): {token: prob}}; unknown prefixes end with eos."""
    def step(tokens, state):
        hist, pos = state
        hist = hist.copy()
        hist[np.arange(len(tokens)), pos] = tokens
        out = np.full((len(tokens), V), -np.inf)
        for i in range(len(tokens)):
            prefix = tuple(int(t) for t in hist[i, 1:pos[i] + 1])
            for tok, p in probs.get(prefix, {EOS: 1.0}).items():
                out[i, tok] = np.log(p)
        return out, (hist, pos + 1)
    return step


def test_beam_beats_greedy_hand_built():
    probs = {(): {3: 0.6, 4: 0.4}, (3,): {EOS: 0.4, 3: 0.3, 4: 0.3}, (4,): {EOS: 0.9, 3: 0.05, 4: 0.05}}
    state = (np.zeros((1, MAX_LEN), np.int64), np.zeros(1, np.int64))
    hyps, scores = greedy_search(dict_step(probs), state, 1, MAX_LEN, SOS, EOS)
    assert hyps == [[3]] and scores[0] == pytest.approx(np.log(0.24))
    beam = 2
    rep = tuple(np.repeat(s, beam, axis=0) for s in state)
    hyps, scores = beam_search(dict_step(probs), rep, 1, beam, MAX_LEN, SOS, EOS)
    assert hyps == [[4]] and scores[0] == pytest.approx(np.log(0.36))


def test_beam_eos_only_if_ranked_within_beam():
    # step 2: 3-3 .24, 3-4 .24, 4-3 .18, 4-4 .18, 3-eos .12: (3, eos) ranks 5th, outside the beam of 2,
    # so it is never finished even though it would be the best output (every longer one is <= .108)
    later = {EOS: 0.1, 3: 0.45, 4: 0.45}
    probs = {(): {3: 0.6, 4: 0.4}, (3,): {EOS: 0.2, 3: 0.4, 4: 0.4}, (4,): {EOS: 0.1, 3: 0.45, 4: 0.45},
             (3, 3): later, (3, 4): later, (4, 3): later, (4, 4): later}
    state = (np.zeros((1, MAX_LEN), np.int64), np.zeros(1, np.int64))
    rep = tuple(np.repeat(s, 2, axis=0) for s in state)
    hyps, scores = beam_search(dict_step(probs), rep, 1, 2, 3, SOS, EOS)
    assert hyps == [[3, 3, 3]] and scores[0] == pytest.approx(np.log(0.108))  # cut off at max_len 3
    rep = tuple(np.repeat(s, 5, axis=0) for s in state)
    hyps, scores = beam_search(dict_step(probs), rep, 1, 5, 3, SOS, EOS)  # rank 5th < 5: finished
    assert hyps == [[3]] and scores[0] == pytest.approx(np.log(0.12))
    # max_len 1: every hypothesis is cut off after one token
    rep = tuple(np.repeat(s, 2, axis=0) for s in state)
    hyps, scores = beam_search(dict_step(probs), rep, 1, 2, 1, SOS, EOS)
    assert hyps == [[3]] and scores[0] == pytest.approx(np.log(0.6))


def test_beam_done_after_beam_size_finished():
    # both step-1 candidates that rank in the top 2 end with eos: the sentence is done after step 1
    probs = {(): {EOS: 0.5, 3: 0.3, 4: 0.2}}
    calls = []

    def step(tokens, state):
        calls.append(tokens.copy())
        return dict_step(probs)(tokens, state)

    state = (np.zeros((2, MAX_LEN), np.int64), np.zeros(2, np.int64))
    hyps, scores = beam_search(step, state, 1, 2, MAX_LEN, SOS, EOS)
    assert hyps == [[]] and scores[0] == pytest.approx(np.log(0.5))
    # step 1: eos .5 (rank 0, finished), 3 .3, 4 .2 continue; step 2: 3-eos .3 and 4-eos .2 finish -> done
    assert len(calls) == 2


def test_beam_ties_keep_the_earlier_hypothesis():
    # () -> eos .5 and (3, eos) .5: equal scores, the one found first (the empty hypothesis) wins
    probs = {(): {EOS: 0.5, 3: 0.5}, (3,): {EOS: 1.0}}
    state = tuple(np.repeat(s, 2, axis=0) for s in (np.zeros((1, MAX_LEN), np.int64), np.zeros(1, np.int64)))
    hyps, scores = beam_search(dict_step(probs), state, 1, 2, MAX_LEN, SOS, EOS)
    assert hyps == [[]] and scores[0] == pytest.approx(np.log(0.5))
