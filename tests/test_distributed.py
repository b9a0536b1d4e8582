"""Data parallel on CPU: msrun with 2 workers on loopback, and the failure paths of the launch scripts."""
import json
import re

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow
FLAGS = ["--embed_size", "50", "--num_hiddens", "16", "--batch_size", "32", "--num_epochs", "3",
         "--learning_rate", "0.3", "--clip_norm", "1.0", "--progress", "false"]


def worker_logs(work):
    return {int(re.search(r"worker_(\d+)", p.name).group(1)): p.read_text()
            for p in (work / "msrun_log").glob("worker_*.log")}


def test_two_workers_train_one_model(imdb_sample, tmp_path):
    proc = run_cli("scripts/run_distribute_train_cpu.sh", "2", imdb_sample / "aclImdb", imdb_sample / "glove",
                   *FLAGS, cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = worker_logs(tmp_path)
    assert sorted(logs) == [0, 1]
    params = {r: re.search(r"rank \d: parameter digest (\w+)", log).group(1) for r, log in logs.items()}
    assert params[0] == params[1], "replicas diverged"
    data = {r: re.findall(r"rank \d: epoch 1 data digest (\w+) \((\d+) samples\)", log)[0] for r, log in logs.items()}
    assert data[0][0] != data[1][0], "both ranks saw the same data"
    assert data[0][1] == data[1][1]
    assert "global batch 32 x 2 = 64" in logs[0]
    ckpts = sorted(p.name for p in (tmp_path / "ckpt").glob("*.ckpt"))
    steps = re.search(r"epoch: 1 step: (\d+)", logs[0]).group(1)
    assert ckpts == sorted([f"lstm-{e}_{steps}.ckpt" for e in (1, 2, 3)] + ["lstm-best.ckpt"])
    records = [json.loads(l) for l in (tmp_path / "ckpt" / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 3, "only rank 0 writes metrics"
    assert records[-1]["loss"] < records[0]["loss"]


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


def test_usage_errors():
    assert run_cli("scripts/run_distribute_train_cpu.sh", "two", "a", "b").returncode == 2
    proc = run_cli("scripts/run_distribute_train_ascend.sh", "/nope.json", "a", "b")
    assert proc.returncode == 2 and "rank table file not found" in proc.stderr
