"""MindRecord files sized to their data; a killed writer's staging folder is cleaned up by the next."""
import os
import subprocess

import numpy as np

from lstm_ms.data import mindrecord

SCHEMA = {"ids": {"type": "int32", "shape": [-1]}, "length": {"type": "int32"}}


def rows(n, length=32):
    for i in range(n):
        yield {"ids": np.arange(length, dtype=np.int32) + i, "length": np.int32(length)}


def test_a_small_split_stays_within_a_small_multiple_of_its_payload(tmp_path):
    path = tmp_path / "small.mindrecord"
    mindrecord.write(path, SCHEMA, rows(460))  # about ResumeNER's dev split: 460 x 32 x 4 B = 59 KB of ids
    payload = 460 * 32 * 4
    assert path.stat().st_size < 10 * payload  # MindRecord's default pages made this 50 MB
    got = list(mindrecord.open_dataset(path, ("ids", "length")).create_tuple_iterator(output_numpy=True))
    assert len(got) == 460 and got[7][0][0] == 7


def test_a_large_split_fits_the_header(tmp_path):
    path = tmp_path / "large.mindrecord"
    mindrecord.write(path, SCHEMA, rows(25000, 270))  # aclImdb's test split: 27 MB of ids
    assert path.stat().st_size < 2 * 25000 * 270 * 4
    assert mindrecord.open_dataset(path, ("ids",)).get_dataset_size() == 25000


def test_stale_staging_of_a_dead_writer_is_removed_a_live_ones_kept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".staging-{dead.pid}-abc"
    stale.mkdir()
    (stale / "part.mindrecord").write_bytes(b"\0" * 1000)
    live = tmp_path / f".staging-{os.getpid()}-def"
    live.mkdir()
    mindrecord.write(tmp_path / "next.mindrecord", SCHEMA, rows(10))
    assert not stale.exists()
    assert live.is_dir()  # a running writer's folder is left alone
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "next.mindrecord", "next.mindrecord.db"])
