"""NER variants and bad NER input: ``crf: false`` and ``use_seg: false`` trained, evaluated, exported
and (crf: false) deployed through the 310 CPU chain; corrupt checkpoints; tags not seen in train;
pretrained char vectors of the wrong dimension."""
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from lstm_ms.data import synthetic
from tests.cli.test_bad_input import assert_one_line_error
from tests.cli.test_features import corrupt_checkpoint, run_parallel
from tests.conftest import run_cli

pytestmark = pytest.mark.slow
FLAGS = ["--model", "ner", "--embed_size", "32", "--num_hiddens", "32", "--seg_size", "4", "--batch_size", "16",
         "--max_len", "64", "--learning_rate", "0.03", "--progress", "false", "--seed", "1"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("ner_corpus") / "ResumeNER"
    synthetic.write_bmes_corpus(root, n_train=200, n_dev=40, n_test=40, seed=5)
    return root


def _variant(corpus, work, *extra):
    """Train (tiny), evaluate and export one variant in ``work``; returns ``work``."""
    proc = run_cli("train.py", "--preprocess", "true", "--data_path", corpus, *FLAGS, *extra, cwd=work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ckpt = work / "ckpt_ner" / "ner-best.ckpt"
    proc = run_cli("eval.py", "--model", "ner", "--ckpt_file", ckpt, "--preprocess", "false", cwd=work)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "entity-level" in proc.stdout
    proc = run_cli("export.py", "--model", "ner", "--ckpt_file", ckpt, "--file_name", work / "ner",
                   "--batch_size", "8", cwd=work)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "verified" in proc.stdout
    return work


@pytest.fixture(scope="module")
def variants(corpus, tmp_path_factory):
    """The crf: false and use_seg: false runs, built side by side (2 cores); {name: work folder}."""
    runs = {"no_crf": ["--crf", "false"], "no_seg": ["--use_seg", "false"]}
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(_variant, corpus, tmp_path_factory.mktemp(f"ner_{name}"), *extra,
                                     "--num_epochs", "2") for name, extra in runs.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.fixture(scope="module")
def no_crf(variants):
    return variants["no_crf"]


@pytest.fixture(scope="module")
def no_seg(variants):
    return variants["no_seg"]


def _parameters(ckpt):
    import mindspore as ms

    return set(ms.load_checkpoint(str(ckpt)))


def test_crf_false_decodes_by_argmax_and_the_310_chain_agrees_with_eval(no_crf, corpus):
    meta = json.loads((no_crf / "ckpt_ner" / "meta.json").read_text())
    assert meta["network"]["crf"] is False and meta["use_seg"] is True
    names = _parameters(no_crf / "ckpt_ner" / "ner-best.ckpt")
    assert "seg_embedding.embedding_table" in names and not [n for n in names if n.startswith("crf.")]
    side = json.loads((no_crf / "ner.json").read_text())
    assert side["task"] == "ner" and side["meta"]["decoder"] == "argmax" and "crf" not in side["meta"]
    evaluated = json.loads((no_crf / "ckpt_ner" / "ner-best.ckpt.eval.json").read_text())
    infer = no_crf / "infer"
    infer.mkdir()
    proc = run_cli("scripts/run_infer_310.sh", no_crf / "ner.mindir", corpus, "y", "CPU", cwd=infer)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    deployed = json.loads((infer / "acc.json").read_text())
    assert deployed["n"] == evaluated["n"] == 40
    assert evaluated["entity_f1"] > 0.2  # a model that finds entities, so that decoding matters
    assert deployed["entity"]["micro"] == pytest.approx(evaluated["entity"]["micro"]), (deployed, evaluated)
    assert deployed["entity_f1"] == pytest.approx(evaluated["entity_f1"])
    assert deployed["token"]["f1"] == pytest.approx(evaluated["token"]["f1"])


def test_use_seg_false_has_no_soft_word_input_and_decodes_by_viterbi(no_seg):
    meta = json.loads((no_seg / "ckpt_ner" / "meta.json").read_text())
    assert meta["use_seg"] is False and meta["network"]["crf"] is True
    names = _parameters(no_seg / "ckpt_ner" / "ner-best.ckpt")
    assert not [n for n in names if n.startswith("seg_embedding")]
    assert {"crf.transitions", "crf.start", "crf.end"} <= names
    side = json.loads((no_seg / "ner.json").read_text())
    assert side["meta"]["decoder"] == "viterbi" and side["meta"]["use_seg"] is False
    k = side["meta"]["num_tags"]
    assert len(side["meta"]["crf"]["transitions"]) == k and len(side["meta"]["crf"]["start"]) == k
    evaluated = json.loads((no_seg / "ckpt_ner" / "ner-best.ckpt.eval.json").read_text())
    assert evaluated["n"] == 40 and 0.0 <= evaluated["entity_f1"] <= 1.0


@pytest.mark.parametrize("kind", ["random", "truncated"])
def test_corrupt_ner_checkpoint_to_eval_and_export(no_crf, tmp_path, kind):
    folder = tmp_path / "ckpt_ner"
    folder.mkdir()
    for name in ("meta.json", "vocab.txt", "tags.txt", "config.yaml"):
        shutil.copy(no_crf / "ckpt_ner" / name, folder / name)
    bad = corrupt_checkpoint(no_crf / "ckpt_ner" / "ner-best.ckpt", folder / "ner-best.ckpt", kind)
    evaluated, exported = run_parallel(
        ("eval.py", "--model", "ner", "--ckpt_file", bad, "--preprocess", "false", "--preprocess_path",
         no_crf / "preprocess_ner"),
        ("export.py", "--model", "ner", "--ckpt_file", bad, "--file_name", tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(evaluated, str(bad), "not a readable MindSpore checkpoint")
    assert not list(folder.glob("*.eval.json"))
    assert_one_line_error(exported, str(bad), "not a readable MindSpore checkpoint")
    assert not list(tmp_path.glob("out*"))


@pytest.mark.parametrize("split", ["dev", "test"])
def test_tags_not_seen_in_train(corpus, tmp_path, split):
    data = tmp_path / "ResumeNER"
    shutil.copytree(corpus, data)
    bad = data / f"{split}.char.bmes"
    bad.write_text(bad.read_text(encoding="utf-8").rstrip("\n") + "\n\n高 S-FOO\n勇 O\n", encoding="utf-8")
    proc = run_cli("train.py", "--preprocess", "true", "--data_path", data, *FLAGS, "--num_epochs", "1",
                   cwd=tmp_path)
    assert_one_line_error(proc, str(bad), "tags not seen in train: S-FOO")
    assert not (tmp_path / "preprocess_ner" / "meta.json").exists() and not (tmp_path / "ckpt_ner").exists()


def test_pretrained_vectors_of_the_wrong_dimension(corpus, tmp_path):
    chars = sorted({l.split()[0] for l in (corpus / "train.char.bmes").read_text(encoding="utf-8").splitlines() if l})
    vec = tmp_path / "vec.txt"
    vec.write_text(f"{len(chars)} 8\n" + "".join(f"{c}" + " 0.1" * 8 + "\n" for c in chars), encoding="utf-8")
    proc = run_cli("train.py", "--preprocess", "true", "--data_path", corpus, *FLAGS, "--num_epochs", "1",
                   "--pretrained_path", vec, "--embed_size", "32", cwd=tmp_path)
    assert_one_line_error(proc, str(vec), "dimension 8", "embed_size is 32")
    assert not (tmp_path / "preprocess_ner" / "meta.json").exists() and not (tmp_path / "ckpt_ner").exists()
