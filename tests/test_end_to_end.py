"""Seeded training on generated aclImdb-format data, then eval, export and the MINDIR round trip."""
import json
import re

import numpy as np
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_training_log_and_outputs(trained):
    log = (trained / "train_cpu.log").read_text()
    steps = int(re.search(r"epoch: 1 step: (\d+), loss is [0-9.]+", log).group(1))
    assert re.search(rf"epoch: 8 step: {steps}, loss is [0-9.]+", log)
    assert "samples/s" in log and "dev accuracy" in log
    records = [json.loads(l) for l in (trained / "ckpt" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, 9))
    assert set(records[0]) >= {"loss", "dev", "lr", "samples_per_s", "seconds"}
    assert records[-1]["loss"] < records[0]["loss"]
    assert (trained / "ckpt" / f"lstm-8_{steps}.ckpt").is_file() and (trained / "ckpt" / "lstm-best.ckpt").is_file()
    assert not list(trained.rglob(".*tmp*")) and not list(trained.rglob(".staging-*"))


def test_seeded_run_reaches_90_percent_test_accuracy(trained, imdb_sample):
    proc = run_cli("scripts/run_eval_cpu.sh", imdb_sample / "aclImdb", imdb_sample / "glove",
                   trained / "ckpt" / "lstm-best.ckpt", "--embed_size", "50", cwd=trained)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "confusion matrix" in proc.stdout
    result = json.loads((trained / "ckpt" / "lstm-best.ckpt.eval.json").read_text())
    assert result["n"] == 600 and np.sum(result["confusion_matrix"]) == 600
    assert result["accuracy"] >= 0.90, result


def test_exported_mindir_equals_checkpoint_network(trained, exported):
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.cli.common import checkpoint_meta, network_from_checkpoint
    from lstm_ms.core.config import config_file, load_yaml
    from lstm_ms.tasks import get_task

    ckpt = trained / "ckpt" / "lstm-best.ckpt"
    task = get_task("sentiment")
    cfg = {**load_yaml(config_file("sentiment", "CPU")), "preprocess_path": str(trained / "preprocess"),
           "batch_size": 16, "bucket": False}
    meta = checkpoint_meta(ckpt, cfg)
    ms.set_context(mode=ms.GRAPH_MODE)
    net = network_from_checkpoint(task, cfg, ckpt, meta)
    graph = nn.GraphCell(ms.load(str(exported)))
    ids, lengths, _ = next(task.dataset("test", cfg, meta, training=False).create_tuple_iterator(num_epochs=1))
    assert ids.shape == (16, meta["max_len"]) and int(lengths.min()) < meta["max_len"]
    np.testing.assert_allclose(graph(ids, lengths).asnumpy(), net(ids, lengths).asnumpy(), atol=1e-5)


def test_plot_draws_png(trained):
    import matplotlib  # noqa: F401  (the plot extra; a missing one fails the run, see conftest)
    proc = run_cli("-m", "lstm_ms.cli.plot", trained / "ckpt", cwd=trained)
    assert proc.returncode == 0, proc.stderr
    assert (trained / "ckpt" / "curves.png").read_bytes()[:4] == b"\x89PNG"
