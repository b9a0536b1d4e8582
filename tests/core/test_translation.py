import math

import pytest

from lstm_ms.core.translation import MosesText, bleu, perplexity


@pytest.fixture(scope="module")
def de():
    return MosesText("de")


@pytest.fixture(scope="module")
def en():
    return MosesText("en")


def test_german_round_trip_with_umlauts(de):
    tokens = de.tokenize("Ein Mann fährt Fahrrad.")
    assert tokens == ["ein", "mann", "fährt", "fahrrad", "."]
    assert de.detokenize(tokens) == "Ein mann fährt fahrrad."
    tokens = de.tokenize("Zwei Mädchen (jung) spielen Fußball auf der Straße, oder?")
    assert tokens == ["zwei", "mädchen", "(", "jung", ")", "spielen", "fußball", "auf", "der", "straße", ",",
                      "oder", "?"]
    assert de.detokenize(tokens) == "Zwei mädchen (jung) spielen fußball auf der straße, oder?"


def test_cased_keeps_case(de):
    cased = MosesText("de", lowercase=False)
    assert cased.tokenize("Ein Mann fährt Fahrrad.") == ["Ein", "Mann", "fährt", "Fahrrad", "."]
    assert cased.detokenize(["ein", "Mann", "."]) == "ein Mann."


def test_english_contractions_and_no_html_escaping(en):
    tokens = en.tokenize("I don't know if it's Tom & Jerry's \"bike\" <3")
    assert tokens[:6] == ["i", "don", "'t", "know", "if", "it"]
    assert "'s" in tokens and "&" in tokens and '"' in tokens and "<" in tokens
    assert not any("&apos;" in t or "&amp;" in t or "&quot;" in t or "&lt;" in t for t in tokens)
    assert en.detokenize(en.tokenize("I don't think it's red.")) == "I don't think it's red."


def test_recasing_only_touches_the_first_letter(en):
    assert en.detokenize(['"', "a", "dog", "runs", ".", '"']) == '"A dog runs."'
    assert en.detokenize(["2", "dogs", "run", "."]) == "2 dogs run."
    assert en.detokenize([]) == ""


def test_bleu_identical_and_case():
    refs = ["A man rides a bike.", "Two dogs play in the snow.", "The girl is jumping on the bed."]
    scores = bleu(refs, refs)
    assert scores["bleu"] == pytest.approx(100.0) and scores["bleu_cased"] == pytest.approx(100.0)
    lower = [r.lower() for r in refs]
    scores = bleu(lower, refs)
    assert scores["bleu"] == pytest.approx(100.0)
    assert scores["bleu_cased"] < 100.0
    assert scores["bleu_signature"].startswith("nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:")
    assert scores["bleu_cased_signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")


def test_bleu_empty_hypotheses_and_length_mismatch():
    scores = bleu(["", "A man rides a bike."], ["A dog.", "A man rides a bike."])
    # by hand: every n-gram of the 6 hypothesis tokens matches (precisions 1), the references hold 3 + 6
    # tokens, so BLEU is the brevity penalty exp(1 - 9/6)
    assert scores["bleu"] == pytest.approx(100 * math.exp(1 - 9 / 6), abs=1e-6)
    assert bleu(["", ""], ["A dog.", "A cat."])["bleu"] == 0.0
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError):
        bleu([], [])


def test_perplexity():
    assert perplexity(0.0, 10) == 1.0
    assert perplexity(10 * math.log(7.0), 10) == pytest.approx(7.0)
    assert perplexity(1e9, 1) == math.exp(700)
    with pytest.raises(ValueError):
        perplexity(1.0, 0)
