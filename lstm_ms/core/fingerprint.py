"""Fingerprints of raw inputs (by content) and of the config keys that shaped derived data."""
import hashlib
import json
import os

from .errors import UserError


def files_fingerprint(paths):
    """Hash of every file's path relative to the files' common folder and of its bytes.

    It changes when a file is added, removed, renamed, moved to another folder (in aclImdb a move
    from ``pos/`` to ``neg/`` is a relabel) or edited, even to the same size. Content, not size and
    mtime: an mtime survives neither a copy nor an archive round trip, and size misses same-length
    edits; reading the bytes costs about a second for aclImdb's 50,000 reviews (see the model card).
    """
    paths = sorted(os.path.abspath(str(p)) for p in paths)
    if not paths:
        return hashlib.sha1(b"").hexdigest()[:16]
    root = os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(paths[0])
    h = hashlib.sha1()
    for p in paths:
        h.update(os.path.relpath(p, root).encode("utf-8", "surrogateescape") + b"\0" + _content_digest(p))
    return h.hexdigest()[:16]


def _content_digest(path, chunk=1 << 20):
    """SHA-1 of a file's bytes; a file that cannot be read (gone, a folder, a broken link) is a ``UserError``."""
    h = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(chunk), b""):
                h.update(block)
    except OSError as exc:
        raise UserError(path, f"cannot read: {exc.strerror or exc}") from None
    return h.digest()


def config_fingerprint(cfg, keys):
    picked = {k: cfg.get(k) for k in sorted(keys)}
    return hashlib.sha1(json.dumps(picked, sort_keys=True).encode()).hexdigest()[:16], picked
