"""Sentiment and generic CLI features: checkpoint pruning, --print_config, the run's config.yaml and
best.json, predict --input_file, corrupt checkpoints and invalid meta.json files."""
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from lstm_ms.core.config import config_file, load_yaml
from lstm_ms.data import synthetic
from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import TRAIN_FLAGS, run_cli

pytestmark = pytest.mark.slow
TINY = ["--embed_size", "16", "--num_hiddens", "16", "--batch_size", "16", "--num_epochs", "3",
        "--dev_fraction", "0.2", "--progress", "false", "--seed", "1"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 3-epoch sentiment run on 300 short reviews with --keep_checkpoint_max 2; returns the work folder."""
    work = tmp_path_factory.mktemp("tiny")
    synthetic.write_aclimdb(work / "aclImdb", n_train=300, n_test=100, mean_len=20, seed=3)
    synthetic.write_glove(work / "glove" / "glove.6B.16d.txt", dim=16, seed=3)
    proc = run_cli("train.py", "--preprocess", "true", "--aclimdb_path", work / "aclImdb", "--glove_path",
                   work / "glove", *TINY, "--keep_checkpoint_max", "2", cwd=work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


def run_parallel(*commands, cwd=None):
    """Independent commands of the project run at once (they are mostly interpreter start-up and
    graph compilation); a CompletedProcess per command, in order."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: run_cli(*args, cwd=cwd), commands))


def _ckpt_copy(src_dir, dest, with_meta=True):
    """The side files of a checkpoint folder (meta.json, vocab.txt, config.yaml) copied to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("meta.json", "vocab.txt", "tags.txt", "config.yaml"):
        if (src_dir / name).is_file() and (with_meta or name != "meta.json"):
            shutil.copy(src_dir / name, dest / name)
    return dest


# ---------------------------------------------------------------- 1. keep_checkpoint_max
def test_keep_checkpoint_max_prunes_the_oldest_epoch_checkpoints(tiny):
    records = [json.loads(l) for l in (tiny / "ckpt" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    steps = {r["epoch"]: r["steps"] for r in records}
    found = sorted(p.name for p in (tiny / "ckpt").glob("*.ckpt"))
    assert found == sorted([f"lstm-2_{steps[2]}.ckpt", f"lstm-3_{steps[3]}.ckpt", "lstm-best.ckpt"])


# ---------------------------------------------------------------- 2. --print_config
@pytest.mark.parametrize("model", ["sentiment", "ner"])
def test_print_config_prints_the_final_config_and_trains_nothing(tmp_path, model):
    proc = run_cli("train.py", "--model", model, "--print_config", "--num_hiddens", "77", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cfg = yaml.safe_load(proc.stdout)
    assert isinstance(cfg, dict)
    defaults = load_yaml(config_file(model, "CPU"))
    assert set(cfg) >= set(defaults)
    assert cfg["num_hiddens"] == 77 and cfg["model"] == model
    assert {k: cfg[k] for k in defaults if k != "num_hiddens"} == {k: v for k, v in defaults.items() if k != "num_hiddens"}
    assert list(tmp_path.iterdir()) == []  # no ckpt folder, no preprocessed data


# ---------------------------------------------------------------- 3. config.yaml and best.json of a run
def test_config_yaml_is_the_final_config_with_real_booleans(trained, imdb_sample):
    text = (trained / "ckpt" / "config.yaml").read_text(encoding="utf-8")
    cfg = yaml.safe_load(text)
    defaults = load_yaml(config_file("sentiment", "CPU"))
    assert set(cfg) >= set(defaults)
    # the fixture's flags (typed as the YAML types them) and what scripts/run_train_cpu.sh adds
    overrides = {k[2:]: yaml.safe_load(v) for k, v in zip(TRAIN_FLAGS[::2], TRAIN_FLAGS[1::2])}
    overrides.update(aclimdb_path=str(imdb_sample / "aclImdb"), glove_path=str(imdb_sample / "glove"),
                     preprocess=True, device_target="CPU")
    assert {k: cfg[k] for k in overrides} == overrides
    untouched = {k: v for k, v in defaults.items() if k not in overrides}
    assert {k: cfg[k] for k in untouched} == untouched
    lines = text.splitlines()
    for key in (k for k, v in defaults.items() if isinstance(v, bool)):  # real YAML booleans, not strings
        assert type(cfg[key]) is bool and f"{key}: {str(cfg[key]).lower()}" in lines, key


def test_best_json_names_the_epoch_with_the_highest_dev_score(trained):
    records = [json.loads(l) for l in (trained / "ckpt" / "metrics.jsonl").read_text().splitlines()]
    top = max(records, key=lambda r: r["dev"]["accuracy"])  # the first of equal scores
    best = json.loads((trained / "ckpt" / "best.json").read_text())
    assert best["epoch"] == top["epoch"]
    assert best["score"] == pytest.approx(top["dev"]["accuracy"])
    assert best["criterion"] == "dev accuracy"


# ---------------------------------------------------------------- 4. predict --input_file
def test_predict_input_file_gives_one_line_per_input(tiny, tmp_path):
    reviews = ["A wonderful, moving film. Brilliant!", "Awful and boring, a waste of time.", "It was a film."]
    inputs = tmp_path / "reviews.txt"
    inputs.write_text(f"\n{reviews[0]}\n\n   \n{reviews[1]}\n{reviews[2]}\n\n", encoding="utf-8")
    proc = run_cli("predict.py", "--ckpt_file", tiny / "ckpt" / "lstm-best.ckpt", "--input_file", inputs, cwd=tiny)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [l.split("\t") for l in proc.stdout.splitlines() if l.split("\t")[0] in ("neg", "pos")]
    assert [r[2] for r in rows] == reviews  # label, probability, the input (short ones in full)
    assert all(0.5 <= float(r[1]) <= 1.0 for r in rows)


@pytest.mark.parametrize("content, fragment", [(None, "input file not found"), (b"\xff\xfe\xfa bad", "not UTF-8")])
def test_predict_input_file_that_cannot_be_read(tiny, tmp_path, content, fragment):
    path = tmp_path / "inputs.txt"
    if content is not None:
        path.write_bytes(content)
    proc = run_cli("predict.py", "--ckpt_file", tiny / "ckpt" / "lstm-best.ckpt", "--input_file", path, cwd=tiny)
    assert_one_line_error(proc, str(path), fragment)


# ---------------------------------------------------------------- 5. corrupt checkpoints (sentiment)
def corrupt_checkpoint(real, dest, kind):
    """``dest`` made a random-bytes file or a truncated copy of the real checkpoint ``real``."""
    import numpy as np

    data = real.read_bytes()
    if kind == "random":
        dest.write_bytes(np.random.default_rng(0).integers(0, 256, size=4096, dtype=np.uint8).tobytes())
    else:
        dest.write_bytes(data[: len(data) // 2])
    return dest


@pytest.mark.parametrize("kind", ["random", "truncated"])
def test_corrupt_checkpoint_to_eval_and_export(tiny, tmp_path, kind):
    folder = _ckpt_copy(tiny / "ckpt", tmp_path / "ckpt")
    bad = corrupt_checkpoint(tiny / "ckpt" / "lstm-best.ckpt", folder / "lstm-best.ckpt", kind)
    evaluated, exported = run_parallel(
        ("eval.py", "--ckpt_file", bad, "--preprocess", "false", "--preprocess_path", tiny / "preprocess"),
        ("export.py", "--ckpt_file", bad, "--file_name", tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(evaluated, str(bad), "not a readable MindSpore checkpoint")
    assert not list(folder.glob("*.eval.json"))
    assert_one_line_error(exported, str(bad), "not a readable MindSpore checkpoint")
    assert not list(tmp_path.glob("out*"))


# ---------------------------------------------------------------- 8. invalid meta.json
def _bad_meta(path, kind):
    if kind == "not json":
        path.write_text('{"task": "sentiment", "vocab_size": ', encoding="utf-8")
        return "not valid JSON"
    if kind == "not an object":
        path.write_text("[1, 2, 3]\n", encoding="utf-8")
        return "not a JSON object"
    meta = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**meta, "task": "ner"}), encoding="utf-8")
    return "written for model 'ner', not 'sentiment'"


@pytest.mark.parametrize("kind", ["not json", "wrong task", "not an object"])
def test_invalid_meta_json_beside_the_checkpoint(tiny, tmp_path, kind):
    folder = _ckpt_copy(tiny / "ckpt", tmp_path / "ckpt")
    shutil.copy(tiny / "ckpt" / "lstm-best.ckpt", folder / "lstm-best.ckpt")
    fragment = _bad_meta(folder / "meta.json", kind)
    evaluated, exported = run_parallel(
        ("eval.py", "--ckpt_file", folder / "lstm-best.ckpt", "--preprocess", "false", "--preprocess_path",
         tiny / "preprocess"),
        ("export.py", "--ckpt_file", folder / "lstm-best.ckpt", "--file_name", tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(evaluated, str(folder / "meta.json"), fragment)
    assert not list(folder.glob("*.eval.json"))
    assert_one_line_error(exported, str(folder / "meta.json"), fragment)
    assert not list(tmp_path.glob("out*"))


@pytest.mark.parametrize("kind", ["not json", "wrong task"])
def test_invalid_meta_json_in_the_preprocess_folder(tiny, tmp_path, kind):
    pre = tmp_path / "preprocess"
    shutil.copytree(tiny / "preprocess", pre)
    lone = _ckpt_copy(tiny / "ckpt", tmp_path / "lone", with_meta=False)  # no meta.json: the data's is read
    shutil.copy(tiny / "ckpt" / "lstm-best.ckpt", lone / "lstm-best.ckpt")
    fragment = _bad_meta(pre / "meta.json", kind)
    # eval checks the preprocessed data first (its own message); export reads it as the checkpoint's meta
    eval_fragment = "preprocessed by another task" if kind == "wrong task" else fragment
    flags = ["--ckpt_file", lone / "lstm-best.ckpt", "--preprocess_path", pre, "--embed_size", "16",
             "--num_hiddens", "16"]
    evaluated, exported = run_parallel(("eval.py", *flags, "--preprocess", "false"),
                                       ("export.py", *flags, "--file_name", tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(evaluated, str(pre / "meta.json"), eval_fragment)
    assert not list(lone.glob("*.eval.json"))
    assert_one_line_error(exported, str(pre / "meta.json"), fragment)
    assert not list(tmp_path.glob("out*"))
