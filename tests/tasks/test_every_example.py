"""On one device every training example is seen every epoch: each bucket's last batch is completed with
rows of the same bucket, so every batch is full (no extra shape to compile) and none is dropped."""
import collections
from pathlib import Path

import numpy as np
import pytest

from lstm_ms.core.config import config_file, load_yaml
from lstm_ms.data import mindrecord, synthetic
from lstm_ms.tasks import get_task
from lstm_ms.tasks.base import complete_buckets


def test_complete_buckets_fills_each_bucket_from_its_own_rows():
    lengths = np.array([3, 9, 4, 12, 30, 5, 11, 2, 50])  # buckets (pads 5, 12): <=5, 6..12, longer
    order = np.array([8, 0, 1, 2, 3, 4, 5, 6, 7])
    out = complete_buckets(order, lengths, [5, 12], [3, 2])
    assert list(out[:9]) == list(order)
    counts = collections.Counter(np.searchsorted([6, 13], lengths[out], side="right"))
    assert counts == {0: 6, 1: 4, 2: 2}  # 4 short rows -> 6 (2 batches of 3); 3 middle -> 4; 2 long -> 2
    assert list(out[9:]) == [0, 2, 1]  # the first rows of each short bucket in this order, then the middle one
    assert list(complete_buckets(np.array([0]), np.array([1]), [5], [4])) == [0, 0, 0, 0]  # fewer rows than a batch


@pytest.fixture(scope="module")
def sentiment(tmp_path_factory):
    root = tmp_path_factory.mktemp("every")
    synthetic.write_aclimdb(root / "aclImdb", n_train=88, n_test=20, mean_len=30, seed=1)
    synthetic.write_glove(root / "glove" / "glove.6B.50d.txt", dim=50)
    cfg = {**load_yaml(config_file("sentiment", "CPU")), "aclimdb_path": str(root / "aclImdb"),
           "glove_path": str(root / "glove"), "embed_size": 50, "preprocess": True,
           "preprocess_path": str(root / "pre"), "batch_size": 16, "bucket_lengths": [16, 32]}
    task = get_task("sentiment")
    return task, cfg, task.ensure_prepared(cfg, log=lambda m: None)


def epoch_rows(task, cfg, meta, epoch):
    seen, shapes = collections.Counter(), set()
    ds = task.dataset("train", cfg, meta, training=True, epoch=epoch)
    steps = ds.get_dataset_size()
    for ids, length, _ in ds.create_tuple_iterator(num_epochs=1, output_numpy=True):
        shapes.add(ids.shape)
        seen.update(tuple(row[:n]) for row, n in zip(ids, length))
    return seen, shapes, steps


def test_every_training_review_every_epoch_in_full_batches(sentiment):
    task, cfg, meta = sentiment
    n = meta["splits"]["train"]["n"]
    stored = mindrecord.open_dataset(Path(cfg["preprocess_path"]) / meta["splits"]["train"]["file"], ["ids"])
    all_rows = collections.Counter(tuple(ids) for (ids,) in stored.create_tuple_iterator(num_epochs=1,
                                                                                          output_numpy=True))
    assert sum(all_rows.values()) == n
    first, shapes, steps = epoch_rows(task, cfg, meta, 1)
    assert set(first) == set(all_rows)  # nothing dropped
    assert all(first[r] >= all_rows[r] for r in all_rows)
    assert {s[0] for s in shapes} == {16}  # every batch full: one graph per bucket, as before
    assert sum(first.values()) == 16 * steps and sum(first.values()) - n < 16 * 3  # < one batch per bucket extra
    second, _, steps2 = epoch_rows(task, cfg, meta, 2)
    assert set(second) == set(all_rows) and steps2 == steps  # the LR schedule's steps per epoch hold


def test_data_parallel_shards_keep_equal_full_batches(sentiment):
    task, cfg, meta = sentiment
    cfg = {**cfg, "batch_size": 8}
    sizes = set()
    for rank in (0, 1):
        ds = task.dataset("train", cfg, meta, training=True, shard=(2, rank))
        sizes |= {ids.shape[0] for ids, _, _ in ds.create_tuple_iterator(num_epochs=1, output_numpy=True)}
        sizes.add(("steps", ds.get_dataset_size()))
    assert {s for s in sizes if not isinstance(s, tuple)} == {8} and len(sizes) == 2  # same steps, full batches
