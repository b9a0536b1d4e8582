"""Fixtures write small datasets in the real on-disk formats, so the real readers are exercised."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("GLOG_v", "3")
# Declared test dependencies (setup.cfg extras `test` and `plot`): a missing one stops the run, it never
# turns into silently skipped tests.
TEST_DEPENDENCIES = {"torch": "test", "seqeval": "test", "jiwer": "test", "setuptools": "test", "wheel": "test",
                     "matplotlib": "plot"}


def missing_test_dependencies():
    return [name for name in TEST_DEPENDENCIES if importlib.util.find_spec(name) is None]


def pytest_sessionstart(session):
    missing = missing_test_dependencies()
    if missing:
        raise pytest.UsageError(
            f"missing test dependenc{'y' if len(missing) == 1 else 'ies'}: {', '.join(missing)} "
            f"(extras {', '.join(sorted({TEST_DEPENDENCIES[m] for m in missing}))} of setup.cfg); install them "
            "with `bash scripts/run_tests.sh` (sets up .venv with .[test,plot]) or `pip install -e '.[test,plot]'`")


# Test files whose tests share the session's sentiment training run (``trained``, ``exported``): under
# pytest-xdist they form one group, run by one worker, so that run is trained once.
SHARED_RUN = {"test_deploy.py", "test_deploy_errors.py", "test_end_to_end.py", "test_features.py"}
# Groups by their time on one worker (`--durations`, 2026-12-03), longest first; the others follow in file order.
HEAVY_FIRST = ["sentiment_run", "tests/test_ctc.py", "tests/test_seq2seq.py", "tests/test_deepspeech2.py",
               "tests/test_package.py", "tests/engine/test_resume.py", "tests/test_distributed.py",
               "tests/engine/test_compile_once.py", "tests/engine/test_amp.py", "tests/test_benchmarks.py",
               "tests/test_ner_variants.py", "tests/test_ner.py"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the mark into the test's id
def pytest_collection_modifyitems(config, items):
    """Under ``-n N --dist loadgroup`` (scripts/run_tests.sh) a file's tests stay on one worker, so its module
    fixtures (each a training run) are built once; the files of the shared sentiment run stay together."""
    groups = {}
    for item in items:
        groups[item] = "sentiment_run" if item.path.name in SHARED_RUN else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(groups[item]))
    # the longest groups first (stable: a file's tests keep their order), so that the two workers do not end
    # with one of them running a long group alone
    items.sort(key=lambda item: HEAVY_FIRST.index(groups[item]) if groups[item] in HEAVY_FIRST else len(HEAVY_FIRST))


def pytest_configure(config):
    """Stop a run whose grouping would silently do nothing: from pytest 9.2 on, pytest-xdist 3.8's
    ``--dist loadgroup`` no longer reaches its scheduler (pytest-xdist issue 1386), so each worker would
    rebuild every module fixture (a training run) for its share of a file's tests."""
    version = tuple(int(part) for part in pytest.__version__.split(".")[:2] if part.isdigit())
    if config.getoption("dist", "no") == "loadgroup" and version >= (9, 2):
        raise pytest.UsageError(f"pytest {pytest.__version__}: pytest-xdist's --dist loadgroup does not group tests "
                                "with it; setup.cfg's test extra pins pytest<9.2 (rerun bash scripts/run_tests.sh)")


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


def eval_network(work, model, *flags):
    """(task, cfg, data meta, network, test dataset) built in this process as eval.py builds them for
    ``eval_cpu(work, ..., model, *flags)`` (the same config, so the same batches and outputs)."""
    import mindspore as ms

    from lstm_ms.cli.common import adopt_checkpoint_settings, checkpoint_meta, network_from_checkpoint, sidecar_meta
    from lstm_ms.cli.eval import EXTRA, USES
    from lstm_ms.core import config
    from lstm_ms.engine.trainer import for_evaluation
    from lstm_ms.tasks import get_task

    ms.set_context(mode=ms.GRAPH_MODE)
    task, ckpt = get_task(model), work / f"ckpt_{model}" / f"{model}-best.ckpt"
    cfg = config.parse_args(["--model", model, "--preprocess", "false", "--preprocess_path",
                             str(work / f"preprocess_{model}"), "--ckpt_file", str(ckpt), *map(str, flags)],
                            "eval.py", "", extra=EXTRA, uses=USES)
    adopt_checkpoint_settings(cfg, sidecar_meta(ckpt, model))
    data_meta = task.ensure_prepared(cfg, log=lambda m: None)
    net = for_evaluation(network_from_checkpoint(task, cfg, ckpt, checkpoint_meta(ckpt, cfg, data_meta)), task, cfg)
    return task, cfg, data_meta, net, task.dataset(cfg["split"], cfg, data_meta, training=False)


def network_outputs(net, ds):
    """Per utterance of a speech task's ``ds``: (log-probs cut to its output length, reference ids), as
    the network computes them batch by batch (eval_network's batches: eval.py's)."""
    utts = []
    for features, frames, packed in ds.create_tuple_iterator(num_epochs=1):
        log_probs, lengths = (t.asnumpy() for t in net(features, frames))
        utts += [(lp[:n], row[1:1 + row[0]].tolist()) for lp, n, row in zip(log_probs, lengths, packed.asnumpy())]
    return utts


def first_test_rows_outputs(work, model, net, meta, count=2):
    """The network's log-probs (cut to their output lengths) on the first ``count`` rows of the test split's
    MindRecord file (preprocessed features), batched as predict.py batches files: zero-padded to max_frames."""
    import mindspore as ms
    import mindspore.dataset as mds

    rows = mds.MindDataset(str(work / f"preprocess_{model}" / f"{model}_test.mindrecord"),
                           columns_list=["index", "features", "frames"], shuffle=False)
    rows = sorted(rows.create_tuple_iterator(num_epochs=1, output_numpy=True), key=lambda r: int(r[0]))[:count]
    features = np.zeros((count, meta["max_frames"], meta["num_features"]), np.float32)
    for x, (_, f, n) in zip(features, rows):
        x[:n] = f
    log_probs, lengths = net(ms.Tensor(features), ms.Tensor(np.array([n for *_, n in rows], np.int32)))
    return [lp[:n] for lp, n in zip(log_probs.asnumpy(), lengths.asnumpy())]


def best_path(log_probs):
    """Greedy CTC decoding, written out: per-frame argmax, repeats merged, blanks (0) dropped."""
    best = log_probs.argmax(-1)
    return [int(c) for t, c in enumerate(best) if c != 0 and (t == 0 or c != best[t - 1])]


def edits(ref, hyp):
    """Levenshtein distance (one row of the table at a time)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def exported_mindir(work, model, batch_size=16):
    """``work/<model>.mindir``: the deployment test's export, or exported here (unverified) when that test
    did not run (``-k``, ``--lf``), so a MINDIR leg never vanishes."""
    path = work / f"{model}.mindir"
    if not path.is_file():
        proc = run_cli("export.py", "--model", model, "--ckpt_file", work / f"ckpt_{model}" / f"{model}-best.ckpt",
                       "--file_name", work / model, "--batch_size", str(batch_size), "--verify", "false", cwd=work)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return path


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
