"""Small datasets written in the exact on-disk formats of the real ones (for samples and tests).

The text is generated, the format is real: readers see the same folders, names and markup.
"""
from pathlib import Path

import numpy as np

POSITIVE = ["great", "excellent", "wonderful", "superb", "brilliant", "moving", "delightful", "masterpiece",
            "enjoyable", "beautiful", "charming", "gripping", "funny", "touching", "stunning"]
NEGATIVE = ["awful", "terrible", "boring", "dull", "horrible", "waste", "stupid", "poorly", "worst",
            "mediocre", "painful", "annoying", "bland", "forgettable", "mess"]
FILLER = ("the a this film movie story actor actress plot scene director script it was is and but with of "
          "in to that character ending music camera cast screen time watch seen really quite very some "
          "every one two his her their they we i you dialogue role performance sequel studio budget "
          "minutes hour audience critics theatre dvd version original remake book novel").split()
RARE = ["zorblax", "quixotica", "flumberg"]  # words no vector file knows: exercise the OOV path


def _review(rng, label, mean_len):
    n = int(np.clip(rng.lognormal(np.log(mean_len), 0.5), 8, 4 * mean_len))
    words = list(rng.choice(FILLER, size=n))
    own, other = (POSITIVE, NEGATIVE) if label == 1 else (NEGATIVE, POSITIVE)
    k = max(2, n // 12)
    for _ in range(k):
        words.insert(rng.integers(0, len(words) + 1), str(rng.choice(own)))
    for _ in range(k // 4):
        words.insert(rng.integers(0, len(words) + 1), str(rng.choice(other)))
    if rng.random() < 0.3:
        words.insert(rng.integers(0, len(words) + 1), str(rng.choice(RARE)))
    text, out = [], []
    for i, w in enumerate(words):
        out.append(w.capitalize() if i == 0 or text and text[-1].endswith(".") else w)
        text = out
        if rng.random() < 0.08:
            out[-1] += rng.choice([".", ",", "!", "..."])
    body = " ".join(out)
    cut = len(body) // 2
    return body[:cut] + ("<br /><br />" if rng.random() < 0.5 else " ") + body[cut:] + " Don't miss it."


def write_aclimdb(root, n_train=400, n_test=200, mean_len=40, seed=0):
    """``root/{train,test}/{pos,neg}/<id>_<rating>.txt``, half positive (rating 7-10) half negative (1-4)."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    for split, n in (("train", n_train), ("test", n_test)):
        for label, name in ((0, "neg"), (1, "pos")):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n // 2):
                rating = int(rng.integers(7, 11) if label else rng.integers(1, 5))
                (folder / f"{i}_{rating}.txt").write_text(_review(rng, label, mean_len), encoding="utf-8")
    return root


def write_glove(path, dim=300, header=False, seed=0, extra_words=()):
    """A GloVe text file (``word v1 ... vd``, optional ``count dim`` header) covering the sample's
    words except ``RARE``; sentiment words point along one direction, filler is noise."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dim)
    direction /= np.linalg.norm(direction)
    words = list(dict.fromkeys(FILLER + POSITIVE + NEGATIVE + [".", ",", "!", "...", "n't", "do", "miss"]
                               + list(extra_words)))
    lines = []
    for w in words:
        v = rng.normal(scale=0.4, size=dim)
        if w in POSITIVE:
            v += 4.0 * direction
        elif w in NEGATIVE:
            v -= 4.0 * direction
        lines.append(w + " " + " ".join(f"{x:.5f}" for x in v))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"{len(lines)} {dim}\n" if header else "") + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
