"""Data parallel on CPU: msrun with 2 workers on loopback, and the failure paths of the launch scripts."""
import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow
FLAGS = ["--embed_size", "50", "--num_hiddens", "16", "--batch_size", "32", "--num_epochs", "3",
         "--learning_rate", "0.3", "--clip_norm", "1.0", "--progress", "false"]


def worker_logs(work):
    return {int(re.search(r"worker_(\d+)", p.name).group(1)): p.read_text()
            for p in (work / "msrun_log").glob("worker_*.log")}


def test_two_workers_train_one_model(imdb_sample, tmp_path):
    # each worker gets its own checkpoint folder ({rank} is the worker's rank): only rank 0 may write one
    proc = run_cli("scripts/run_distribute_train_cpu.sh", "2", imdb_sample / "aclImdb", imdb_sample / "glove",
                   *FLAGS, "--ckpt_path", "./ckpt_{rank}", cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = worker_logs(tmp_path)
    assert sorted(logs) == [0, 1]
    params = {r: re.search(r"rank \d: parameter digest (\w+)", log).group(1) for r, log in logs.items()}
    assert params[0] == params[1], "replicas diverged"
    data = {r: re.findall(r"rank \d: epoch 1 data digest (\w+) \((\d+) samples\)", log)[0] for r, log in logs.items()}
    assert data[0][0] != data[1][0], "both ranks saw the same data"
    assert data[0][1] == data[1][1]
    assert "global batch 32 x 2 = 64" in logs[0]
    assert not (tmp_path / "ckpt_1").exists(), "rank 1 wrote checkpoint files"
    steps = re.search(r"epoch: 1 step: (\d+)", logs[0]).group(1)
    written = sorted(p.relative_to(tmp_path / "ckpt_0").as_posix() for p in (tmp_path / "ckpt_0").rglob("*"))
    assert written == sorted([f"lstm-{e}_{steps}.ckpt" for e in (1, 2, 3)] + [
        "lstm-best.ckpt", "best.json", "metrics.jsonl", "meta.json", "config.yaml", "vocab.txt"])
    records = [json.loads(l) for l in (tmp_path / "ckpt_0" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3], "one line per epoch, written by rank 0 only"
    assert records[-1]["loss"] < records[0]["loss"]


def test_gradients_are_averaged_not_summed(tmp_path):
    """One step on 2 workers, each with half of a batch, equals one step of one process on the whole
    batch from the same weights (the loss is a batch mean): the workers' gradients are averaged."""
    shim = tmp_path / "bin"  # msrun starts each worker as `python` from PATH: make that this interpreter
    shim.mkdir()
    (shim / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (shim / "python").chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(REPO), GLOG_v="3", PATH=f"{shim}:{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "mindspore.parallel.cluster.run", "--worker_num=2",
                           "--local_worker_num=2", "--master_addr=127.0.0.1", f"--master_port={port}",
                           f"--log_dir={tmp_path / 'msrun_log'}", "--join=True", "--cluster_time_out=120",
                           str(REPO / "tests" / "dp_worker.py"), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, "".join(f"{r}: {log[-1500:]}" for r, log in worker_logs(tmp_path).items())
    proc = run_cli("tests/dp_worker.py", tmp_path, "--single", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    single = np.load(tmp_path / "single.npz")
    assert [int(r["size"]) for r in ranks] == [2, 2] and int(single["size"]) == 1
    assert abs(float(ranks[0]["loss"]) - float(ranks[1]["loss"])) > 1e-3  # two different halves
    assert (float(ranks[0]["loss"]) + float(ranks[1]["loss"])) / 2 == pytest.approx(float(single["loss"]), abs=1e-6)
    names = [k[len("after/"):] for k in single.files if k.startswith("after/")]
    assert len(names) >= 6
    moved = 0.0
    for name in names:
        for r in ranks:
            np.testing.assert_array_equal(r["before/" + name], single["before/" + name])
            np.testing.assert_array_equal(r["after/" + name], ranks[0]["after/" + name])  # replicas agree
            np.testing.assert_allclose(r["after/" + name], single["after/" + name], atol=1e-5, err_msg=name)
        moved = max(moved, float(np.abs(single["after/" + name] - single["before/" + name]).max()))
    assert moved > 1e-2  # summed gradients would move twice as far: off by this much, not by 1e-5


def test_a_crashing_worker_fails_the_script_and_names_its_log(imdb_sample, tmp_path):
    # {rank} in a path is the worker's rank: only rank 0's preprocessed folder exists
    proc = run_cli("scripts/run_distribute_train_cpu.sh", "2", imdb_sample / "aclImdb", imdb_sample / "glove",
                   *FLAGS, "--preprocess_path", "./pre_{rank}", cwd=tmp_path, timeout=900)
    assert proc.returncode != 0
    assert (tmp_path / "pre_0" / "meta.json").is_file() and not (tmp_path / "pre_1").exists()
    assert re.search(r"error: \S*worker_1\.log: a worker failed", proc.stderr), proc.stderr
    assert "no preprocessed data here" in proc.stderr


def test_ascend_rank_table_script_waits_and_names_failing_rank(imdb_sample, tmp_path):
    table = tmp_path / "rank_table_2p.json"
    table.write_text(json.dumps({"version": "1.0", "server_count": "1", "server_list": [
        {"server_id": "127.0.0.1", "device": [{"device_id": "0", "device_ip": "192.98.92.100", "rank_id": "0"},
                                               {"device_id": "1", "device_ip": "192.98.93.100", "rank_id": "1"}]}],
        "status": "completed"}))
    proc = run_cli("scripts/run_distribute_train_ascend.sh", table, imdb_sample / "aclImdb", imdb_sample / "glove",
                   "--embed_size", "50", cwd=tmp_path)
    assert proc.returncode == 2
    assert "started 2 Ascend processes" in proc.stdout
    for rank in (0, 1):
        assert f"train_parallel{rank}/log.txt: rank {rank} failed" in proc.stderr
        assert "Ascend is not available" in (tmp_path / f"train_parallel{rank}" / "log.txt").read_text()


def test_ascend_rank_table_script_starts_this_servers_devices(imdb_sample, tmp_path, monkeypatch):
    # two servers, devices 4 and 5 on each; SERVER_ID picks the first: ranks 0 and 1 here, RANK_SIZE 4
    table = tmp_path / "rank_table_4p.json"
    table.write_text(json.dumps({"version": "1.0", "server_count": "2", "server_list": [
        {"server_id": sid, "device": [{"device_id": str(4 + i), "device_ip": f"192.98.9{i}.{sid[-1]}",
                                       "rank_id": str(first + i)} for i in (0, 1)], "host_nic_ip": "reserve"}
        for sid, first in (("10.0.0.1", 0), ("10.0.0.2", 2))], "status": "completed"}))
    monkeypatch.setenv("SERVER_ID", "10.0.0.1")
    proc = run_cli("scripts/run_distribute_train_ascend.sh", table, imdb_sample / "aclImdb", imdb_sample / "glove",
                   "--embed_size", "50", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "this host is server 10.0.0.1 of the rank table: ranks 0 1 on device ids 4 5 (RANK_SIZE 4)" in proc.stdout
    assert "started 2 Ascend processes" in proc.stdout
    assert sorted(p.name for p in tmp_path.glob("train_parallel*")) == ["train_parallel0", "train_parallel1"]
    for rank, device in ((0, 4), (1, 5)):
        log = (tmp_path / f"train_parallel{rank}" / "log.txt").read_text()
        assert log.startswith(f"rank {rank}: DEVICE_ID={device} RANK_SIZE=4 server 10.0.0.1\n"), log[:300]
        assert "Ascend is not available" in log
        assert f"train_parallel{rank}/log.txt: rank {rank} failed" in proc.stderr


def test_usage_errors():
    assert run_cli("scripts/run_distribute_train_cpu.sh", "two", "a", "b").returncode == 2
    proc = run_cli("scripts/run_distribute_train_ascend.sh", "/nope.json", "a", "b")
    assert proc.returncode == 2 and "rank table file not found" in proc.stderr


def test_two_workers_train_ner_with_equal_replicas(tmp_path):
    """A model other than sentiment under msrun (tiny: one 32-char bucket, no CRF, one epoch): both
    workers finish with the same parameters after training on different, equally many rows."""
    from lstm_ms.data import synthetic
    from lstm_ms.tasks.base import equal_steps

    data = synthetic.write_bmes_corpus(tmp_path / "ResumeNER", n_train=120, n_dev=14, n_test=15, seed=2, clauses=1.7)
    proc = run_cli("scripts/run_distribute_train_cpu.sh", "2", data, "--model", "ner", "--embed_size", "16",
                   "--num_hiddens", "16", "--batch_size", "8", "--num_epochs", "1", "--use_seg", "false",
                   "--crf", "false", "--max_len", "32", "--bucket", "false", "--progress", "false",
                   "--ckpt_path", "./ckpt_{rank}", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = worker_logs(tmp_path)
    assert sorted(logs) == [0, 1]
    params = {r: re.search(rf"rank {r}: parameter digest (\w+)", log).group(1) for r, log in logs.items()}
    assert params[0] == params[1], "replicas diverged"
    data = {r: re.search(rf"rank {r}: epoch 1 data digest (\w+) \((\d+) samples\)", log).groups()
            for r, log in logs.items()}
    assert data[0][0] != data[1][0], "both ranks saw the same data"
    steps = equal_steps(120 // 2, [8])
    assert int(data[0][1]) == int(data[1][1]) == steps * 8
    assert f"ner-1_{steps}.ckpt" in {p.name for p in (tmp_path / "ckpt_0").iterdir()}
    assert not (tmp_path / "ckpt_1").exists(), "rank 1 wrote checkpoint files"
