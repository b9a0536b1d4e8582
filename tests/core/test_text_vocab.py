import numpy as np

from lstm_ms.core.text import clean, tokenize
from lstm_ms.core.vocab import PAD, UNK, Vocab


def test_markup_and_punctuation_split():
    review = "A <i>great</i> film!<br /><br />I didn't expect it, really... 10/10 &amp; more."
    assert "<" not in clean(review)
    assert tokenize(review) == ["a", "great", "film", "!", "i", "did", "n't", "expect", "it", ",", "really",
                                ".", ".", ".", "10", "/", "10", "&", "more", "."]


def test_case_kept_when_asked():
    assert tokenize("Great Movie", lowercase=False) == ["Great", "Movie"]


def test_vocab_deterministic_frequency_then_alphabetical(tmp_path):
    docs = [["b", "a", "c"], ["c", "a"], ["d", "c"]]
    v = Vocab.build(docs)
    assert v.itos == [PAD, UNK, "c", "a", "b", "d"]
    assert v.pad_id != v.unk_id
    assert Vocab.build(list(reversed(docs))).itos == v.itos
    np.testing.assert_array_equal(v.encode(["a", "zzz"]), [3, v.unk_id])
    v.save(tmp_path / "vocab.txt")
    assert Vocab.load(tmp_path / "vocab.txt").itos == v.itos


def test_vocab_min_freq_and_max_size():
    docs = [["a", "a", "b", "c", "c", "c"]]
    assert Vocab.build(docs, min_freq=2).itos == [PAD, UNK, "c", "a"]
    assert Vocab.build(docs, max_size=3).itos == [PAD, UNK, "c"]
