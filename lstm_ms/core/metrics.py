"""Task metrics (scikit-learn where it has them)."""
import numpy as np


def classification(y_true, y_pred, label_names):
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(range(len(label_names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "n": int(len(y_true)),
        "labels": list(label_names),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, name in enumerate(label_names)},
        "macro_f1": float(np.mean(f)),
    }


def format_confusion(matrix, label_names):
    """Rows are the true label, columns the prediction."""
    width = max(8, *(len(n) + 2 for n in label_names))
    lines = ["true \\ pred".ljust(width) + "".join(n.rjust(width) for n in label_names)]
    for name, row in zip(label_names, matrix):
        lines.append(name.ljust(width) + "".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)
