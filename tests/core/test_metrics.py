"""lstm_ms.core.metrics.classification against scikit-learn and against values worked out by hand."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from lstm_ms.core.metrics import classification, format_confusion

# 7 examples, 3 classes; class "c" (2) is never predicted.
#   (true, pred): (a,a) (a,a) (a,b) (b,b) (b,a) (c,b) (c,a)
Y_TRUE = [0, 0, 0, 1, 1, 2, 2]
Y_PRED = [0, 0, 1, 1, 0, 1, 0]
NAMES = ["a", "b", "c"]


def test_hand_computed_values():
    r = classification(Y_TRUE, Y_PRED, NAMES)
    assert r["n"] == 7 and r["labels"] == NAMES
    assert r["accuracy"] == pytest.approx(3 / 7, abs=1e-12)          # 3 on the diagonal
    # rows = true label, columns = prediction
    assert r["confusion_matrix"] == [[2, 1, 0],
                                     [1, 1, 0],
                                     [1, 1, 0]]
    # a: tp 2, predicted 4 (column a), support 3 -> P 1/2, R 2/3, F1 2*(1/2)(2/3)/(1/2+2/3) = 4/7
    # b: tp 1, predicted 3, support 2            -> P 1/3, R 1/2, F1 2*(1/3)(1/2)/(1/3+1/2) = 2/5
    # c: never predicted, support 2              -> P 0 (zero_division), R 0, F1 0
    want = {"a": (1 / 2, 2 / 3, 4 / 7, 3), "b": (1 / 3, 1 / 2, 2 / 5, 2), "c": (0.0, 0.0, 0.0, 2)}
    for name, (p, rec, f, s) in want.items():
        got = r["per_class"][name]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((p, rec, f), abs=1e-12), name
        assert got["support"] == s
    assert r["macro_f1"] == pytest.approx((4 / 7 + 2 / 5 + 0) / 3, abs=1e-12)  # = 34/105


def test_agrees_with_scikit_learn_functions():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 3, size=300))
    y_pred[y_pred == 3] = 0  # class 3 ("z") is never predicted
    names = ["w", "x", "y", "z"]
    r = classification(y_true, y_pred, names)
    labels = [0, 1, 2, 3]
    assert r["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert r["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()
    p, rec, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    for i, name in enumerate(names):
        got = r["per_class"][name]
        assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx((p[i], rec[i], f[i], s[i]))
    assert r["per_class"]["z"]["precision"] == 0.0 and r["per_class"]["z"]["support"] > 0
    assert r["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def test_confusion_table_rows_are_the_true_label():
    lines = format_confusion(classification(Y_TRUE, Y_PRED, NAMES)["confusion_matrix"], NAMES).splitlines()
    assert lines[0].split()[:3] == ["true", "\\", "pred"]
    assert [l.split() for l in lines[1:]] == [["a", "2", "1", "0"], ["b", "1", "1", "0"], ["c", "1", "1", "0"]]
