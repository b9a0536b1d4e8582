"""Our entity-level scores agree with seqeval (strict IOBES mode) on random tag sequences."""
import numpy as np
import pytest

from lstm_ms.core.ner_metrics import entity_scores, token_scores

seqeval = pytest.importorskip("seqeval.metrics")


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
    gold = [["B-X", "E-X", "O", "O"]]
    pred = [["B-X", "O", "O", "O"]]
    scores = token_scores(gold, pred)
    assert scores["accuracy"] == 0.75 and 0 < scores["f1"] < 1
