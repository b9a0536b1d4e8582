"""Data-parallel sharding of the training data for ner, seq2seq, ctc and deepspeech2, in-process.

A rank's training data is ``task.dataset("train", cfg, meta, training=True, shard=(devices, rank),
epoch=e)``: the ranks' rows must be disjoint, every rank must take ``equal_steps`` steps (the same on
every rank, or the all-reduce hangs), the union must cover the split except what equal steps must drop,
and the order must be a function of (seed, epoch). (sentiment is checked under msrun in
tests/test_distributed.py.)

Rows are identified by their content (unpadded), counted as multisets: a generated corpus can hold the
same sentence twice, so "disjoint" means no row is taken more often, over all ranks, than the split
holds it.
"""
import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lstm_ms.core.config import config_file, load_yaml
from lstm_ms.data import mindrecord, synthetic
from lstm_ms.tasks import get_task
from lstm_ms.tasks.base import equal_steps

DEVICES = 2


def _digest(*arrays):
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


# one key per example of each task, from its training columns with the padding cut off
def _ner_key(ids, seg, length, tags):
    return _digest(ids[:length], seg[:length], tags[:length])


def _seq2seq_key(src, src_len, tgt_in, tgt):
    n = len(np.trim_zeros(tgt, "b"))  # tgt ends with <eos> (id 3), padding is <pad> (id 0)
    return _digest(src[:src_len], tgt_in[:n], tgt[:n])


def _speech_key(features, frames, packed):
    return _digest(features[:frames], packed[:packed[0] + 1])


def _timit(root):
    # the smallest tree whose splits all exist (core test + dev speakers): 16 speakers x 3 training sentences
    return {"data_path": str(synthetic.write_timit(root / "timit", speakers_per_region=2,
                                                   sentences=("sa1", "si1", "sx1", "sx2"), seed=4))}


CASES = {  # task: (sample data, config overrides, row key)
    "ner": (lambda root: get_task("ner").make_sample(root, seed=4, size=0.1),
            {"use_seg": False, "batch_size": 4, "bucket_lengths": [16, 32, 64], "max_len": 128}, _ner_key),
    "seq2seq": (lambda root: get_task("seq2seq").make_sample(root, seed=4, size=0.04),
                {"batch_size": 4, "min_freq": 1, "bucket_lengths": [8, 12, 16], "max_len": 24}, _seq2seq_key),
    "ctc": (_timit, {"batch_size": 2, "bucket_lengths": [150, 200, 250]}, _speech_key),
    "deepspeech2": (lambda root: get_task("deepspeech2").make_sample(root, seed=4, size=0.1),
                    {"batch_size": 2, "bucket_lengths": [100, 150, 200]}, _speech_key),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def prepared(request, tmp_path_factory):
    name = request.param
    sample, overrides, key = CASES[name]
    root = tmp_path_factory.mktemp(f"shards_{name}")
    task = get_task(name)
    cfg = {**load_yaml(config_file(name, "CPU")), **sample(root), **overrides, "preprocess": True,
           "preprocess_path": str(root / "pre"), "progress": False}
    meta = task.ensure_prepared(cfg, log=lambda m: None)
    return name, task, cfg, meta, key


def _batches(task, cfg, meta, key, shard=None, epoch=1):
    """[(padded length, [row key, ...]) per batch] of the training data of one rank (``shard``) in one
    epoch."""
    ds = task.dataset("train", cfg, meta, training=True, shard=shard, epoch=epoch)
    out = []
    for batch in ds.create_tuple_iterator(num_epochs=1, output_numpy=True):
        out.append((batch[0].shape[1], [key(*row) for row in zip(*batch[:len(task.columns)])]))
    return out


def _all_rows(task, meta, cfg, key):
    path = Path(cfg["preprocess_path"]) / meta["splits"]["train"]["file"]
    ds = mindrecord.open_dataset(path, task.columns)
    return Counter(key(*row) for row in ds.create_tuple_iterator(num_epochs=1, output_numpy=True))


def _batch_sizes(task, cfg, meta):
    if "max_frames" in meta:  # speech tasks bucket by frames: the last bucket is max_frames
        meta = {**meta, "max_len": meta["max_frames"]}
    return task.bucket_batch_sizes(cfg, task.bucket_lengths(cfg, meta))


def test_two_ranks_split_the_training_data(prepared):
    name, task, cfg, meta, key = prepared
    n = meta["splits"]["train"]["n"]
    everything = _all_rows(task, meta, cfg, key)
    assert sum(everything.values()) == n
    sizes = _batch_sizes(task, cfg, meta)
    steps = equal_steps(n // DEVICES, sizes)
    ranks = [_batches(task, cfg, meta, key, shard=(DEVICES, r), epoch=1) for r in range(DEVICES)]
    assert [len(b) for b in ranks] == [steps] * DEVICES, f"{name}: steps per rank {[len(b) for b in ranks]}"
    seen = [Counter(k for _, batch in rank for k in batch) for rank in ranks]
    union = sum(seen, Counter())
    assert not union - everything, f"{name}: a row read more often over the ranks than the split holds it"
    assert seen[0] and seen[1] and seen[0] != seen[1]
    # equal_steps: each rank's full batches hold at least its share minus what its buckets leave behind
    left_behind = sum(b - 1 for b in sizes)
    for rank in ranks:
        assert sum(len(batch) for _, batch in rank) >= n // DEVICES - left_behind
    missed = n - sum(union.values())
    assert 0 <= missed <= DEVICES * (1 + left_behind), f"{name}: {missed} of {n} rows missed"
    # every rank fills batches of more than one bucket, or the test says little about bucketing
    assert all(len({pad for pad, _ in rank}) >= 2 for rank in ranks), f"{name}: one bucket only"
    # the rows of a rank are every DEVICES-th of the (seed, epoch) order
    order = np.random.default_rng([cfg["seed"], 1]).permutation(n)
    path = Path(cfg["preprocess_path"]) / meta["splits"]["train"]["file"]
    for r in range(DEVICES):
        share = Counter(key(*row) for row in mindrecord.open_dataset(path, task.columns, order[r::DEVICES])
                        .create_tuple_iterator(num_epochs=1, output_numpy=True))
        assert not seen[r] - share, f"{name}: rank {r} read rows of another rank's share"


def test_the_order_is_a_function_of_seed_and_epoch(prepared):
    name, task, cfg, meta, key = prepared
    shard = (DEVICES, 1)
    first = _batches(task, cfg, meta, key, shard=shard, epoch=1)
    assert _batches(task, cfg, meta, key, shard=shard, epoch=1) == first, f"{name}: epoch 1 read twice differs"
    second = _batches(task, cfg, meta, key, shard=shard, epoch=2)
    assert len(second) == len(first)
    assert second != first, f"{name}: epoch 2 repeats epoch 1's batches"
    other_seed = _batches(task, {**cfg, "seed": cfg["seed"] + 1}, meta, key, shard=shard, epoch=1)
    assert other_seed != first, f"{name}: another seed gives the same batches"
