"""Edit distance and error rates (lstm_ms.core.edit_distance) on hand cases and random properties."""
import numpy as np
import pytest

from lstm_ms.core.edit_distance import cer, edit_distance, error_rates, wer


@pytest.mark.parametrize("ref, hyp, dist", [
    ("", "", 0), ("abc", "", 3), ("", "ab", 2), ("abc", "abc", 0),
    ("abc", "abxc", 1),            # insertion
    ("abc", "ac", 1),              # deletion
    ("abc", "axc", 1),             # substitution
    ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("intention", "execution", 5),
    ([1, 2, 3], (3, 2, 1), 2), (["the", "cat"], ["a", "cat", "sat"], 2),
])
def test_hand_cases(ref, hyp, dist):
    assert edit_distance(ref, hyp) == dist
    assert edit_distance(hyp, ref) == dist


def test_metric_properties_on_random_sequences():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 4, size=rng.integers(0, 9)).tolist() for _ in range(12)]
    for a in seqs:
        assert edit_distance(a, a) == 0
        for b in seqs:
            d = edit_distance(a, b)
            assert d == edit_distance(b, a)
            assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
            for c in seqs:
                assert edit_distance(a, c) <= d + edit_distance(b, c)


def test_corpus_and_mean_per_utterance_differ():
    refs = [[1], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    hyps = [[2], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    r = error_rates(refs, hyps)
    assert r == {"corpus": 0.1, "mean_per_utterance": 0.5, "edits": 1, "ref_tokens": 10, "n": 2}


def test_empty_reference_convention():
    assert error_rates([[]], [[1, 2]])["mean_per_utterance"] == 1.0
    assert error_rates([[]], [[]])["mean_per_utterance"] == 0.0
    r = error_rates([[], [1, 2]], [[5], [1, 2]])
    assert r["corpus"] == 0.5 and r["mean_per_utterance"] == 0.5
    assert error_rates([], [])["n"] == 0
    with pytest.raises(ValueError):
        error_rates([[1]], [])


def test_wer_cer_by_hand():
    refs = ["the cat sat on the mat", "hello world"]
    hyps = ["the cat sit on mat", "hello  world"]
    w = wer(refs, hyps)
    # 1 substitution (sat->sit) + 1 deletion (the) over 6 + 2 words; extra spaces do not count
    assert (w["edits"], w["ref_tokens"], w["n"]) == (2, 8, 2)
    assert w["corpus"] == pytest.approx(2 / 8)
    assert w["mean_per_utterance"] == pytest.approx((2 / 6 + 0) / 2)
    c = cer(refs, hyps)
    # chars: "sat"->"sit" 1 sub, "the " deleted 4; second pair one inserted space
    assert (c["edits"], c["ref_tokens"]) == (6, 22 + 11)
    assert c["corpus"] == pytest.approx(6 / 33)


def test_against_jiwer():
    import jiwer

    refs = ["the cat sat on the mat", "a b c d", "one two three"]
    hyps = ["the cat sit on mat", "a x c d e", "three two one"]
    assert wer(refs, hyps)["corpus"] == pytest.approx(jiwer.wer(refs, hyps))
    assert cer(refs, hyps)["corpus"] == pytest.approx(jiwer.cer(refs, hyps))
