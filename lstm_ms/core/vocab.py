"""Deterministic vocabularies: frequency first, then alphabetical; padding and unknown have own ids."""
from collections import Counter
from pathlib import Path

import numpy as np

from .atomic import write_text
from .errors import UserError

PAD, UNK = "<pad>", "<unk>"


class Vocab:
    def __init__(self, tokens, specials=(PAD, UNK)):
        self.itos = list(specials) + [t for t in tokens if t not in specials]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("duplicate tokens in vocabulary")
        self.pad_id = self.stoi.get(PAD)
        self.unk_id = self.stoi.get(UNK)

    @classmethod
    def build(cls, token_lists, min_freq=1, max_size=None, specials=(PAD, UNK)):
        counts = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size:
            ranked = ranked[: max(0, max_size - len(specials))]
        return cls(ranked, specials)

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        unk = self.unk_id
        return np.fromiter((self.stoi.get(t, unk) for t in tokens), dtype=np.int32, count=len(tokens))

    def save(self, path):
        write_text(path, "".join(t + "\n" for t in self.itos))

    @classmethod
    def load(cls, path, specials=(PAD, UNK)):
        path = Path(path)
        if not path.is_file():
            raise UserError(path, "vocabulary file not found (run preprocessing first)")
        tokens = path.read_text(encoding="utf-8").split("\n")[:-1]
        if tokens[: len(specials)] != list(specials):
            raise UserError(path, f"vocabulary must start with {', '.join(specials)}")
        return cls(tokens[len(specials):], specials)
