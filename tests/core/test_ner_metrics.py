"""Our entity-level scores agree with seqeval (strict IOBES mode) on random tag sequences."""
import numpy as np
import pytest
from seqeval import metrics as seqeval

from lstm_ms.core.ner_metrics import entity_scores, token_scores


def random_sequences(rng, n, kinds=("PER", "ORG", "LOC")):
    tags = ["O"] + [f"{p}-{k}" for p in "BMES" for k in kinds]
    return [[str(t) for t in rng.choice(tags, size=rng.integers(1, 15), p=None)] for _ in range(n)]


def to_iobes(seqs):
    return [["I" + t[1:] if t.startswith("M-") else t for t in s] for s in seqs]


@pytest.mark.parametrize("seed", range(5))
def test_entity_f1_matches_seqeval(seed):
    from seqeval.scheme import IOBES

    rng = np.random.default_rng(seed)
    gold = random_sequences(rng, 200)
    # predictions: gold with some tags changed, so there are hits, misses and broken spans
    pred = [[t if rng.random() < 0.8 else str(rng.choice(["O", "B-PER", "E-ORG", "S-LOC", "M-PER"])) for t in s]
            for s in gold]
    ours = entity_scores(gold, pred)
    g, p = to_iobes(gold), to_iobes(pred)
    kw = {"mode": "strict", "scheme": IOBES}
    assert ours["micro"]["precision"] == pytest.approx(seqeval.precision_score(g, p, **kw))
    assert ours["micro"]["recall"] == pytest.approx(seqeval.recall_score(g, p, **kw))
    assert ours["micro"]["f1"] == pytest.approx(seqeval.f1_score(g, p, **kw))
    report = seqeval.classification_report(g, p, output_dict=True, **kw)
    for kind, s in ours["per_type"].items():
        if kind in report:
            assert s["f1"] == pytest.approx(report[kind]["f1-score"]), kind


def test_token_weighted_f1_includes_o():
    # tokens (gold -> pred), two sentences flattened:
    #   B-X -> B-X, E-X -> O, O -> O | O -> O, S-Y -> O
    # per tag (tp, predicted, support):  P,   R,  F1
    #   B-X (1, 1, 1):                   1,   1,  1
    #   E-X (0, 0, 1):                   0,   0,  0      (never predicted: P = 0 by zero_division)
    #   O   (2, 4, 2):                 1/2,   1,  2*(1/2)*1/(1/2+1) = 2/3
    #   S-Y (0, 0, 1):                   0,   0,  0
    # weighted by support (1, 1, 2, 1; 5 tokens), O included:
    #   F1 = (1*1 + 1*0 + 2*2/3 + 1*0) / 5 = 7/15     (O left out: (1 + 0 + 0) / 3 = 1/3;
    #   P  = (1*1 + 0 + 2*1/2 + 0) / 5   = 2/5       macro over the 4 tags: 5/12; micro: 3/5)
    #   R  = (1*1 + 0 + 2*1 + 0) / 5     = 3/5
    #   accuracy = 3/5
    gold = [["B-X", "E-X", "O"], ["O", "S-Y"]]
    pred = [["B-X", "O", "O"], ["O", "O"]]
    scores = token_scores(gold, pred)
    assert scores["tokens"] == 5
    assert scores["f1"] == pytest.approx(7 / 15, abs=1e-9)
    assert scores["precision"] == pytest.approx(2 / 5, abs=1e-9)
    assert scores["recall"] == pytest.approx(3 / 5, abs=1e-9)
    assert scores["accuracy"] == pytest.approx(3 / 5, abs=1e-9)
