"""Cheap, stable fingerprints of raw inputs and of the config keys that shaped derived data."""
import hashlib
import json
import os


def files_fingerprint(paths):
    """Hash of (relative name, size) of every file; changes when a file is added, removed or resized."""
    h = hashlib.sha1()
    for p in sorted(str(p) for p in paths):
        h.update(f"{os.path.basename(p)}|{os.path.getsize(p)}\n".encode())
    return h.hexdigest()[:16]


def config_fingerprint(cfg, keys):
    picked = {k: cfg.get(k) for k in sorted(keys)}
    return hashlib.sha1(json.dumps(picked, sort_keys=True).encode()).hexdigest()[:16], picked
