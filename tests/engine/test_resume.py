"""Resumption continues the run: 3 epochs straight == 1 epoch, SIGKILL in epoch 2, --resume true to 3."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lstm_ms.data import synthetic
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow
FLAGS = ["--embed_size", "50", "--num_hiddens", "48", "--num_epochs", "3", "--dynamic_lr", "true",
         "--lr_adjust_epoch", "3", "--progress", "false", "--seed", "7", "--batch_size", "32"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    synthetic.write_aclimdb(root / "aclImdb", n_train=1600, n_test=100, mean_len=60, seed=11)
    synthetic.write_glove(root / "glove" / "glove.6B.50d.txt", dim=50, seed=11)
    return root


def train_args(data, ckpt, *extra):
    return ["--aclimdb_path", data / "aclImdb", "--glove_path", data / "glove", "--preprocess_path",
            data / "preprocess", "--ckpt_path", data / ckpt, *FLAGS, *extra]


def records(folder):
    return [json.loads(l) for l in (folder / "metrics.jsonl").read_text().splitlines()]


def params(path):
    import mindspore as ms

    return {k: v.asnumpy() for k, v in ms.load_checkpoint(str(path)).items()}


def kill_during_epoch_2(data, ckpt):
    """Start a 3-epoch run, SIGKILL it once epoch 1's checkpoint is written and epoch 2 runs."""
    env = dict(os.environ, PYTHONPATH=str(REPO), GLOG_v="3")
    cmd = [sys.executable, str(REPO / "train.py")] + [str(a) for a in train_args(data, ckpt)]
    log = open(data / f"{ckpt}.log", "w")
    proc = subprocess.Popen(cmd, cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while not list((data / ckpt).glob("lstm-1_*.ckpt")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # into epoch 2 (an epoch takes seconds here)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    log.close()
    assert proc.returncode == -signal.SIGKILL, (data / f"{ckpt}.log").read_text()[-2000:]


def test_killed_and_resumed_run_equals_straight_run(data):
    proc = run_cli("train.py", *train_args(data, "straight"), cwd=data)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    straight = data / "straight"

    kill_during_epoch_2(data, "killed")
    killed = data / "killed"
    assert [r["epoch"] for r in records(killed)] == [1]  # epoch 2 never finished
    assert not list(killed.glob("lstm-2_*.ckpt")) and not list(killed.glob("lstm-3_*.ckpt"))

    proc = run_cli("train.py", *train_args(data, "killed", "--resume", "true"), cwd=data)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "resuming from" in proc.stdout and "network and optimizer state" in proc.stdout
    assert "epoch: 1 step:" not in proc.stdout and "epoch: 2 step:" in proc.stdout

    ours, want = records(killed), records(straight)
    assert [r["epoch"] for r in ours] == [1, 2, 3]
    for a, b in zip(ours[1:], want[1:]):
        assert a["steps"] == b["steps"]
        np.testing.assert_allclose([a["loss"], a["last_loss"]], [b["loss"], b["last_loss"]], atol=1e-4)
        assert a["dev"]["accuracy"] == b["dev"]["accuracy"]
    final = params(next(killed.glob("lstm-3_*.ckpt")))
    expected = params(next(straight.glob("lstm-3_*.ckpt")))
    assert set(final) == set(expected) and any(k.startswith("moments.") for k in final)
    for name, value in expected.items():
        np.testing.assert_allclose(final[name], value, atol=1e-5, err_msg=name)

    scores = [r["dev"]["accuracy"] for r in want]
    best = json.loads((killed / "best.json").read_text())
    assert best["epoch"] == int(np.argmax(scores)) + 1 and best["score"] == max(scores)
    assert best == json.loads((straight / "best.json").read_text())
    np.testing.assert_array_equal(params(killed / "lstm-best.ckpt")["decoder.weight"],
                                  params(straight / "lstm-best.ckpt")["decoder.weight"])


def test_pre_trained_restores_optimizer_state_and_epoch(data, tmp_path):
    """``--pre_trained`` a mid-run checkpoint into a new folder: training goes on from its epoch with
    its optimizer state (the LR index continues: global_step = epochs x steps)."""
    import mindspore as ms

    straight = data / "straight"
    if not straight.is_dir():
        pytest.skip("needs the straight run of the test above")
    ckpt = next(straight.glob("lstm-2_*.ckpt"))
    steps = records(straight)[0]["steps"]
    state = ms.load_checkpoint(str(ckpt))
    assert int(state["epoch"].asnumpy()) == 2 and int(state["global_step"].asnumpy()[0]) == 2 * steps
    proc = run_cli("train.py", *train_args(data, tmp_path / "continued", "--pre_trained", ckpt), cwd=data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"global step {2 * steps}" in proc.stdout
    assert [r["epoch"] for r in records(tmp_path / "continued")] == [3]
    final = params(next((tmp_path / "continued").glob("lstm-3_*.ckpt")))
    expected = params(next(straight.glob("lstm-3_*.ckpt")))
    for name, value in expected.items():
        np.testing.assert_allclose(final[name], value, atol=1e-5, err_msg=name)
