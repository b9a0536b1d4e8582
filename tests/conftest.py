"""Fixtures write small datasets in the real on-disk formats, so the real readers are exercised."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("GLOG_v", "3")
# Declared test dependencies (setup.cfg extras `test` and `plot`): a missing one stops the run, it never
# turns into silently skipped tests.
TEST_DEPENDENCIES = {"torch": "test", "seqeval": "test", "jiwer": "test", "matplotlib": "plot"}


def missing_test_dependencies():
    return [name for name in TEST_DEPENDENCIES if importlib.util.find_spec(name) is None]


def pytest_sessionstart(session):
    missing = missing_test_dependencies()
    if missing:
        raise pytest.UsageError(
            f"missing test dependenc{'y' if len(missing) == 1 else 'ies'}: {', '.join(missing)} "
            f"(extras {', '.join(sorted({TEST_DEPENDENCIES[m] for m in missing}))} of setup.cfg); install them "
            "with `bash scripts/run_tests.sh` (sets up .venv with .[test,plot]) or `pip install -e '.[test,plot]'`")


def run_cli(*args, cwd=None, timeout=600):
    """Run a command of the project in a fresh interpreter; returns CompletedProcess (text)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), GLOG_v="3")
    cmd = [str(a) for a in args]
    if cmd[0] in ("-m", "-c"):
        cmd = [sys.executable] + cmd
    elif cmd[0].endswith(".py"):
        cmd = [sys.executable, str(REPO / cmd[0])] + cmd[1:]
    elif cmd[0].endswith(".sh"):
        cmd = ["bash", str(REPO / cmd[0])] + cmd[1:]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def train_cpu(work, *args):
    """``scripts/run_train_cpu.sh ARGS`` in ``work``, which must succeed; returns ``work``."""
    proc = run_cli("scripts/run_train_cpu.sh", *args, cwd=work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


def eval_cpu(work, dataset, model, *flags):
    """``scripts/run_eval_cpu.sh DATASET work/ckpt_MODEL/MODEL-best.ckpt --model MODEL FLAGS`` in ``work``,
    which must succeed; returns the CompletedProcess."""
    proc = run_cli("scripts/run_eval_cpu.sh", dataset, work / f"ckpt_{model}" / f"{model}-best.ckpt", "--model", model,
                   *flags, cwd=work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def eval_once(work, dataset, model, beam):
    """(result JSON, stdout) of ``eval_cpu(..., --beam_size BEAM)`` on the test split, run once per
    training folder: later calls read what the first one kept (``work/eval_beam<BEAM>.{json,out}``)."""
    import json

    result, out = work / f"eval_beam{beam}.json", work / f"eval_beam{beam}.out"
    if not out.is_file():
        proc = eval_cpu(work, dataset, model, "--beam_size", str(beam), "--result_file", result)
        out.write_text(proc.stdout)
    return json.loads(result.read_text()), out.read_text()


def export_and_infer(work, model, ckpt, dataset, batch_size=16):
    """export.py (verified on real preprocessed rows) to ``work/<model>.mindir``, then the CPU leg of
    scripts/run_infer_310.sh in ``work/infer``; returns (sidecar, the chain's acc.json, infer folder)."""
    import json

    proc = run_cli("export.py", "--model", model, "--ckpt_file", ckpt, "--file_name", work / model, "--batch_size",
                   str(batch_size), "--preprocess_path", work / f"preprocess_{model}", cwd=work)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "verified" in proc.stdout and "random rows of the preprocessed data" in proc.stdout, proc.stdout
    infer = work / "infer"
    infer.mkdir()
    proc = run_cli("scripts/run_infer_310.sh", work / f"{model}.mindir", dataset, "y", "CPU", cwd=infer)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    side = json.loads((work / f"{model}.json").read_text())
    return side, json.loads((infer / "acc.json").read_text()), infer


@pytest.fixture(scope="session")
def imdb_sample(tmp_path_factory):
    """aclImdb folders (1200 train / 600 test reviews, short) + a 50-d GloVe file without header."""
    from lstm_ms.data import synthetic

    root = tmp_path_factory.mktemp("imdb")
    synthetic.write_aclimdb(root / "aclImdb", n_train=1200, n_test=600, mean_len=30, seed=3)
    synthetic.write_glove(root / "glove" / "glove.6B.50d.txt", dim=50, header=False, seed=3)
    return root


TRAIN_FLAGS = ["--embed_size", "50", "--num_hiddens", "32", "--num_epochs", "8", "--dynamic_lr", "true",
               "--lr_adjust_epoch", "8", "--clip_norm", "1.0", "--progress", "false", "--seed", "1"]


@pytest.fixture(scope="session")
def trained(imdb_sample, tmp_path_factory):
    """A seeded training run through scripts/run_train_cpu.sh; returns the work folder."""
    work = tmp_path_factory.mktemp("run")
    proc = run_cli("scripts/run_train_cpu.sh", imdb_sample / "aclImdb", imdb_sample / "glove", *TRAIN_FLAGS, cwd=work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


@pytest.fixture(scope="session")
def exported(trained):
    """The best checkpoint exported to MINDIR (batch 16) with its sidecar; returns the .mindir path."""
    proc = run_cli("export.py", "--ckpt_file", trained / "ckpt" / "lstm-best.ckpt", "--file_name", trained / "lstm",
                   "--batch_size", "16", "--preprocess_path", trained / "preprocess", cwd=trained)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "verified" in proc.stdout and "random rows of the preprocessed data" in proc.stdout, proc.stdout
    return trained / "lstm.mindir"
