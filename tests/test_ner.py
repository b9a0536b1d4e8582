"""NER end to end on generated ResumeNER-format data: train, eval, export, 310 CPU leg, predict."""
import json

import numpy as np
import pytest

from lstm_ms.data import synthetic
from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import run_cli, train_cpu

pytestmark = pytest.mark.slow
FLAGS = ["--model", "ner", "--num_epochs", "6", "--learning_rate", "0.01", "--progress", "false",
         "--embed_size", "32", "--num_hiddens", "32", "--seed", "1", "--max_len", "64"]


@pytest.fixture(scope="module")
def ner_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("ner")
    synthetic.write_bmes_corpus(work / "ResumeNER", n_train=500, n_dev=80, n_test=120, seed=5)
    return train_cpu(work, work / "ResumeNER", *FLAGS)


@pytest.fixture(scope="module")
def ner_eval(ner_run):
    """eval.py on the test split through the script, once: (its output, its metrics JSON)."""
    proc = run_cli("scripts/run_eval_cpu.sh", ner_run / "ResumeNER", ner_run / "ckpt_ner" / "ner-best.ckpt",
                   "--model", "ner", cwd=ner_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, json.loads((ner_run / "ckpt_ner" / "ner-best.ckpt.eval.json").read_text())


def test_seeded_run_reaches_entity_f1_090(ner_run, ner_eval):
    proc, _ = ner_eval
    assert "entity-level" in proc.stdout and "token-level weighted F1" in proc.stdout
    result = json.loads((ner_run / "ckpt_ner" / "ner-best.ckpt.eval.json").read_text())
    assert result["n"] == 120
    assert result["entity_f1"] >= 0.9, result["entity"]["micro"]
    assert set(result["entity"]["per_type"]) >= {"NAME", "ORG", "TITLE"}


def test_deployment_chain_and_predict(ner_run, ner_eval):
    proc = run_cli("export.py", "--model", "ner", "--ckpt_file", ner_run / "ckpt_ner" / "ner-best.ckpt",
                   "--file_name", ner_run / "ner", "--batch_size", "8", cwd=ner_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    infer = ner_run / "infer"
    infer.mkdir()
    proc = run_cli("scripts/run_infer_310.sh", ner_run / "ner.mindir", ner_run / "ResumeNER", "y", "CPU", cwd=infer)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    deployed = json.loads((infer / "acc.json").read_text())
    evaluated = ner_eval[1]
    assert deployed["n"] == 120
    assert deployed["entity_f1"] == pytest.approx(evaluated["entity_f1"])
    proc = run_cli("predict.py", "--model", "ner", "--mindir_file", ner_run / "ner.mindir", "--json",
                   "高勇，男，中国国籍，无境外居留权。", cwd=ner_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])["entities"]
    assert {"type": "NAME", "start": 0, "end": 2, "text": "高勇"} in found
    assert {"type": "CONT", "start": 5, "end": 9, "text": "中国国籍"} in found


def test_mindir_equals_checkpoint_network_on_padded_mixed_length_rows(ner_run, tmp_path):
    """Real test rows of several lengths, padded to the exported length: the MINDIR's emissions are the
    checkpoint network's, and its tags (decoded as its sidecar says) are Viterbi's on the network's."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.core import deploy, viterbi
    from lstm_ms.core.config import config_file, load_yaml
    from lstm_ms.core.meta import read_meta
    from lstm_ms.data import mindrecord
    from lstm_ms.tasks import get_task

    ckpt = ner_run / "ckpt_ner" / "ner-best.ckpt"
    mindir = tmp_path / "ner_cmp.mindir"  # its own file: the deployment test's ner.mindir stays as it is
    proc = run_cli("export.py", "--model", "ner", "--ckpt_file", ckpt, "--file_name", tmp_path / "ner_cmp",
                   "--batch_size", "8", "--preprocess_path", ner_run / "preprocess_ner", cwd=ner_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    side = deploy.read_sidecar(mindir)
    assert side["meta"]["decoder"] == "viterbi"
    batch, max_len = side["inputs"][0]["shape"]
    assert (batch, max_len) == (8, 64)

    # 8 rows of the preprocessed test split with 8 different lengths, the longest included
    rows = list(mindrecord.open_dataset(ner_run / "preprocess_ner" / "ner_test.mindrecord",
                                        ("ids", "seg", "length", "tags")).create_tuple_iterator(output_numpy=True))
    by_length = {int(r[2]): r for r in rows}
    distinct = sorted(by_length)
    picked = [by_length[distinct[i]] for i in np.linspace(0, len(distinct) - 1, batch).round().astype(int)]
    lengths = np.array([int(r[2]) for r in picked], np.int32)
    assert len(set(lengths.tolist())) == 8 and lengths.max() < max_len
    ids, seg = np.zeros((2, batch, max_len), np.int32)
    for i, r in enumerate(picked):
        ids[i, : lengths[i]], seg[i, : lengths[i]] = r[0], r[1]
    inputs = [ms.Tensor(ids), ms.Tensor(seg), ms.Tensor(lengths)]

    ms.set_context(mode=ms.GRAPH_MODE)
    deployed = nn.GraphCell(ms.load(str(mindir)))(*inputs).asnumpy()
    # the checkpoint network, built and loaded here without the commands' helpers
    task = get_task("ner")
    meta = read_meta(ckpt.parent / "meta.json")
    net = task.network({**load_yaml(config_file("ner", "CPU")), **meta["network"]}, meta, pretrained=False)
    saved = ms.load_checkpoint(str(ckpt))
    ms.load_param_into_net(net, {p.name: saved[p.name] for p in net.get_parameters()}, strict_load=True)
    net.set_train(False)
    emissions = net(*inputs)[0].asnumpy()
    assert deployed.shape == emissions.shape == (batch, max_len, meta["num_tags"])
    np.testing.assert_allclose(deployed, emissions, atol=1e-5)

    tags = task._decode_meta(deployed, lengths, side["meta"])  # as postprocess.py and predict.py decode
    transitions = np.clip(net.crf.transitions.asnumpy(), -viterbi.TRANSITION_CLAMP, viterbi.TRANSITION_CLAMP)
    want = viterbi.viterbi(emissions, lengths, transitions, net.crf.start.asnumpy(), net.crf.end.asnumpy())
    np.testing.assert_array_equal(tags, want)
    past = np.arange(max_len)[None, :] >= lengths[:, None]
    assert past.any() and (tags[past] == 0).all()
    valid = ~past
    assert (tags[valid] == np.concatenate([r[3][:n] for r, n in zip(picked, lengths)])).mean() > 0.8


def test_pretrained_char_vectors_are_read_through_gensim(tmp_path):
    synthetic.write_bmes_corpus(tmp_path / "ResumeNER", n_train=40, n_dev=10, n_test=10, seed=2)
    chars = sorted({l.split()[0] for l in (tmp_path / "ResumeNER" / "train.char.bmes").read_text().splitlines() if l})
    rng = np.random.default_rng(0)
    vectors = {c: rng.normal(size=8).round(4) for c in chars[:-3]}  # a few chars stay uncovered
    (tmp_path / "chars.vec").write_text(f"{len(vectors)} 8\n" + "".join(
        c + " " + " ".join(map(str, v)) + "\n" for c, v in vectors.items()), encoding="utf-8")
    proc = run_cli("train.py", "--model", "ner", "--preprocess", "true", "--preprocess_only", "--data_path",
                   tmp_path / "ResumeNER", "--pretrained_path", tmp_path / "chars.vec", "--embed_size", "8",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pretrained char vectors for" in proc.stdout
    vocab = (tmp_path / "preprocess_ner" / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    matrix = np.load(tmp_path / "preprocess_ner" / "embedding.npy")
    c = next(c for c in vocab[2:] if c in vectors)
    np.testing.assert_allclose(matrix[vocab.index(c)], vectors[c], atol=1e-6)


@pytest.mark.parametrize("content, fragment", [
    ("高 B-NAME\n勇 E-NAME 多余\n", ":2: expected 'char TAG'"),
    ("高 B-NAME\n勇 Q-NAME\n", ":2: unknown tag 'Q-NAME'"),
    ("", ": empty file"),
    (None, ":1: not UTF-8 text"),
])
def test_bad_bmes_input(tmp_path, content, fragment):
    synthetic.write_bmes_corpus(tmp_path / "ResumeNER", n_train=20, n_dev=5, n_test=5)
    bad = tmp_path / "ResumeNER" / "dev.char.bmes"
    if content is None:
        bad.write_bytes("高 B-NAME\n".encode("gbk"))
    else:
        bad.write_text(content, encoding="utf-8")
    proc = run_cli("train.py", "--model", "ner", "--preprocess", "true", "--data_path", tmp_path / "ResumeNER",
                   "--num_epochs", "1", cwd=tmp_path)
    assert_one_line_error(proc, str(bad) + fragment)
    assert not (tmp_path / "preprocess_ner" / "meta.json").exists()
