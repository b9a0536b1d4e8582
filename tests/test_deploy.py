"""The 310 deployment path, run through its CPU leg: preprocess.py -> MINDIR runner -> postprocess.py."""
import json

import numpy as np
import pytest

from lstm_ms.core import deploy
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inferred(trained, exported, imdb_sample):
    work = trained / "infer"
    work.mkdir(exist_ok=True)
    proc = run_cli("scripts/run_infer_310.sh", exported, imdb_sample / "aclImdb", "y", "CPU", "0", cwd=work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


def test_accuracy_equals_eval(inferred, trained, imdb_sample):
    ours = json.loads((inferred / "acc.json").read_text())
    proc = run_cli("eval.py", "--preprocess_path", trained / "preprocess", "--ckpt_file",
                   trained / "ckpt" / "lstm-best.ckpt", "--result_file", inferred / "eval.json", cwd=trained)
    assert proc.returncode == 0, proc.stderr[-2000:]
    evaluated = json.loads((inferred / "eval.json").read_text())
    assert ours["n"] == evaluated["n"] == 600
    assert ours["accuracy"] == evaluated["accuracy"]
    assert ours["confusion_matrix"] == evaluated["confusion_matrix"]
    assert "accuracy" in (inferred / "acc.log").read_text()
    assert "average time" in (inferred / "time_Result" / "test_perform_static.txt").read_text()


def test_result_bins_equal_checkpoint_logits(inferred, trained, exported):
    import mindspore as ms

    from lstm_ms.cli.common import checkpoint_meta, network_from_checkpoint
    from lstm_ms.core.config import config_file, load_yaml
    from lstm_ms.tasks import get_task

    side = deploy.read_sidecar(exported)
    folders, batches = deploy.list_batches(inferred / "preprocess_Result")
    assert len(folders) == 2 and len(batches) == 600 // 16 + 1
    ckpt = trained / "ckpt" / "lstm-best.ckpt"
    cfg = {**load_yaml(config_file("sentiment", "CPU")), "preprocess_path": str(trained / "preprocess")}
    ms.set_context(mode=ms.GRAPH_MODE)
    net = network_from_checkpoint(get_task("sentiment"), cfg, ckpt, checkpoint_meta(ckpt, cfg))
    for i, fname in batches[:3] + batches[-1:]:
        inputs = [deploy.read_bin(f / fname, s["dtype"], s["shape"]) for f, s in zip(folders, side["inputs"])]
        result = deploy.read_bin(inferred / "result_Files" / fname, "float32", side["outputs"][0]["shape"])
        np.testing.assert_allclose(result, net(*[ms.Tensor(a) for a in inputs]).asnumpy(), atol=1e-5)
    labels = np.load(inferred / "preprocess_Result" / "label_ids.npy")
    assert labels.shape == (len(batches), 16) and (labels[-1] == -1).sum() == 16 * len(batches) - 600


def test_infer_script_rejects_bad_arguments(tmp_path, exported):
    proc = run_cli("scripts/run_infer_310.sh", exported, tmp_path, "maybe", "CPU", cwd=tmp_path)
    assert proc.returncode == 2 and "NEED_PREPROCESS must be y or n" in proc.stderr
    proc = run_cli("scripts/run_infer_310.sh", exported, tmp_path / "nope", "y", "CPU", cwd=tmp_path)
    assert proc.returncode == 2 and "aclImdb folder not found" in proc.stdout


@pytest.mark.parametrize("source", ["ckpt", "mindir"])
def test_predict_labels_a_positive_and_a_negative_review(trained, exported, imdb_sample, source):
    pos = sorted((imdb_sample / "aclImdb" / "test" / "pos").iterdir())[0].read_text()
    neg = sorted((imdb_sample / "aclImdb" / "test" / "neg").iterdir())[0].read_text()
    model = (["--ckpt_file", trained / "ckpt" / "lstm-best.ckpt"] if source == "ckpt" else ["--mindir_file", exported])
    proc = run_cli("predict.py", *model, "--json", pos, neg, cwd=trained)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    # the reported probability is the softmax of the checkpoint network's logits for that review, and the
    # label their argmax: the network built and loaded here without the commands' helpers
    p = softmax(checkpoint_logits(trained / "ckpt" / "lstm-best.ckpt", [pos, neg]))
    for r, row in zip(rows, p):
        assert r["label"] == ["neg", "pos"][int(row.argmax())]
        assert r["probability"] == pytest.approx(float(row.max()), abs=1e-5)


def checkpoint_logits(ckpt, texts):
    import mindspore as ms

    from lstm_ms.core.config import config_file, load_yaml
    from lstm_ms.core.meta import read_meta
    from lstm_ms.tasks import get_task

    task = get_task("sentiment")
    assert list(task.labels) == ["neg", "pos"]
    meta = read_meta(ckpt.parent / "meta.json")
    cfg = {**load_yaml(config_file("sentiment", "CPU")), **meta["network"]}
    ms.set_context(mode=ms.GRAPH_MODE)
    net = task.network(cfg, meta, pretrained=False)
    saved = ms.load_checkpoint(str(ckpt))
    ms.load_param_into_net(net, {p.name: saved[p.name] for p in net.get_parameters()}, strict_load=True)
    net.set_train(False)
    examples = task.encode_texts(texts, meta, {"vocab.txt": ckpt.parent / "vocab.txt"})
    ids, lengths = (np.stack([e[i] for e in examples]) for i in range(2))
    return net(ms.Tensor(ids), ms.Tensor(lengths)).asnumpy().astype(np.float64)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
