"""NER metrics: entity-level precision/recall/F1 (exact span and type; per type and micro) — the
standard — and token-level weighted F1 with O included, the number the reference reports."""
from collections import Counter

import numpy as np

from .tags import entities


def _prf(tp, n_pred, n_gold):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": n_gold}


def entity_scores(gold_seqs, pred_seqs):
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for gold, pred in zip(gold_seqs, pred_seqs):
        g, p = set(entities(gold)), set(entities(pred))
        for kind, *_ in g:
            n_gold[kind] += 1
        for kind, *_ in p:
            n_pred[kind] += 1
        for kind, *_ in g & p:
            tp[kind] += 1
    kinds = sorted(set(n_gold) | set(n_pred))
    return {"micro": _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
            "per_type": {k: _prf(tp[k], n_pred[k], n_gold[k]) for k in kinds}}


def token_scores(gold_seqs, pred_seqs):
    """scikit-learn precision/recall/F1 over tokens, weighted by support, ``O`` included."""
    from sklearn.metrics import classification_report, precision_recall_fscore_support

    gold = [t for s in gold_seqs for t in s]
    pred = [t for s in pred_seqs for t in s]
    p, r, f, _ = precision_recall_fscore_support(gold, pred, average="weighted", zero_division=0)
    return {"precision": float(p), "recall": float(r), "f1": float(f), "accuracy": float(np.mean(np.array(gold) == np.array(pred))),
            "tokens": len(gold), "table": classification_report(gold, pred, digits=4, zero_division=0)}


def format_entity_table(scores):
    lines = [f"{'type':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for kind, s in list(scores["per_type"].items()) + [("micro", scores["micro"])]:
        lines.append(f"{kind:<10}{s['precision']:>10.4f}{s['recall']:>10.4f}{s['f1']:>10.4f}{s['support']:>9}")
    return "\n".join(lines)
