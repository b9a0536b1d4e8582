"""Pretrained word vectors (GloVe / word2vec text) read through gensim, with a fast cache."""
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .errors import UserError


def resolve_vector_file(path, dim=None):
    """``path`` may be the vector file or a folder holding it (``glove.6B.<dim>d.txt`` preferred)."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise UserError(path, "word-vector file or folder not found")
    if dim:
        preferred = path / f"glove.6B.{dim}d.txt"
        if preferred.is_file():
            return preferred
    candidates = sorted(p for p in path.iterdir() if p.suffix == ".txt" and p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UserError(path, "no .txt word-vector file in this folder")
    raise UserError(path, f"several .txt files here ({', '.join(p.name for p in candidates)}); "
                          "pass the file itself")


def sniff_header(path):
    """Return (has_header, dim) from the first line; raise UserError on an empty or garbled file."""
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
            second = f.readline()
    except UnicodeDecodeError:
        raise UserError(path, "not UTF-8 text (is this a binary vector file?)", line=1) from None
    fields = first.split()
    if not fields:
        raise UserError(path, "empty word-vector file", line=1)
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        if not second.split():
            raise UserError(path, "header but no vectors", line=2)
        return True, int(fields[1])
    try:
        [float(x) for x in fields[1:]]
    except ValueError:
        raise UserError(path, "not a word-vector line ('word v1 v2 ...' expected)", line=1) from None
    if len(fields) < 2:
        raise UserError(path, "not a word-vector line ('word v1 v2 ...' expected)", line=1)
    return False, len(fields) - 1


def _load_with_gensim(path, has_header):
    from gensim.models import KeyedVectors

    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=not has_header)
    except UnicodeDecodeError:
        raise UserError(path, "not UTF-8 text") from None
    except (ValueError, EOFError, IndexError) as exc:
        raise UserError(path, f"garbled word-vector file: {exc}") from None
    return list(kv.index_to_key), np.asarray(kv.vectors, dtype=np.float32)


def _cache_key(path):
    st = os.stat(path)
    raw = f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()
    return hashlib.sha1(raw).hexdigest()[:16]


def load_vectors(path, dim=None, cache_dir=None, log=print):
    """Read word vectors; returns (words, float32 matrix).

    The header line (``400000 300``) is detected, so the user never edits the file. With
    ``cache_dir`` the parsed vectors are kept as ``.npy`` and a second call never re-reads the text.
    ``dim`` (if given) must equal the file's dimension.
    """
    path = resolve_vector_file(path, dim)
    has_header, file_dim = sniff_header(path)
    if dim and file_dim != dim:
        raise UserError(path, f"vectors have dimension {file_dim}, config embed_size is {dim}")
    cache = Path(cache_dir) / f"vectors-{_cache_key(path)}" if cache_dir else None
    if cache is not None and (cache / "done").is_file():
        log(f"word vectors: cached copy of {path} in {cache}")
        words = (cache / "words.txt").read_text(encoding="utf-8").split("\n")[:-1]
        return words, np.load(cache / "vectors.npy", mmap_mode="r")
    log(f"word vectors: reading {path} ({'with' if has_header else 'no'} header, dim {file_dim}) ...")
    words, vectors = _load_with_gensim(path, has_header)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".vectors-", dir=cache.parent))
        try:
            np.save(tmp / "vectors.npy", vectors)
            (tmp / "words.txt").write_text("".join(w + "\n" for w in words), encoding="utf-8")
            (tmp / "done").write_text("")
            if cache.exists():
                shutil.rmtree(cache)
            os.replace(tmp, cache)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return words, vectors


def embedding_matrix(vocab, words, vectors, seed=1, pad_id=0):
    """Rows for every vocabulary id: the pretrained vector where there is one, else a seeded
    random vector with the pretrained vectors' scale; the padding row is zero.

    Returns (matrix, covered_ids_mask).
    """
    index = {w: i for i, w in enumerate(words)}
    dim = vectors.shape[1]
    rng = np.random.default_rng(seed)
    scale = float(np.std(vectors[: min(len(words), 50000)])) or 0.1
    matrix = rng.normal(0.0, scale, size=(len(vocab), dim)).astype(np.float32)
    covered = np.zeros(len(vocab), dtype=bool)
    for i, token in enumerate(vocab.itos):
        j = index.get(token)
        if j is not None:
            matrix[i] = vectors[j]
            covered[i] = True
    if pad_id is not None:
        matrix[pad_id] = 0.0
        covered[pad_id] = False
    return matrix, covered
