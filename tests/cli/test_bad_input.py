"""Each bad input gets one line ``error: <path>: <problem>`` from the real entry points, exit 2,
and leaves nothing half-written."""
import re
import shutil

import pytest

from lstm_ms.data import synthetic
from tests.conftest import run_cli


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout[-1500:] + proc.stderr[-1500:]
    lines = [l for l in proc.stderr.splitlines() if l.strip() and not re.search(r"\d+%\|", l)]  # not tqdm bars
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture()
def small(tmp_path):
    synthetic.write_aclimdb(tmp_path / "aclImdb", n_train=40, n_test=20, mean_len=10)
    synthetic.write_glove(tmp_path / "glove" / "glove.6B.50d.txt", dim=50)
    return tmp_path


def train(small, *extra):
    return run_cli("train.py", "--preprocess", "true", "--aclimdb_path", small / "aclImdb",
                   "--glove_path", small / "glove", "--embed_size", "50", "--num_epochs", "1",
                   "--batch_size", "8", "--num_hiddens", "8", *extra, cwd=small)


def test_missing_aclimdb(small):
    assert_one_line_error(train(small, "--aclimdb_path", small / "nope"), str(small / "nope"), "aclImdb folder not found")


def test_wrong_aclimdb_layout(small):
    shutil.rmtree(small / "aclImdb" / "test" / "neg")
    assert_one_line_error(train(small), "test/neg", "missing folder")
    assert not (small / "preprocess" / "meta.json").exists()


@pytest.mark.parametrize("content, fragment", [
    (None, "word-vector file or folder not found"),
    ("", "empty word-vector file"),
    ("the" + " 0.1" * 50 + "\nfilm 0.3 0.4\n", "garbled word-vector file"),
    ("400000 50\n\x00\x01binary\n", "garbled"),
])
def test_bad_glove(small, content, fragment):
    path = small / "glove" / "glove.6B.50d.txt"
    if content is None:
        shutil.rmtree(small / "glove")
        path = small / "glove"
    else:
        path.write_text(content, encoding="utf-8")
    proc = train(small)
    assert_one_line_error(proc, str(path), fragment)
    pre = small / "preprocess"
    assert not (pre / "meta.json").exists()
    assert not list(pre.glob(".*")) if pre.exists() else True


def test_glove_dimension_differs_from_config(small):
    proc = train(small, "--embed_size", "300")
    assert_one_line_error(proc, "glove.6B.50d.txt", "dimension 50, config embed_size is 300")


def test_unavailable_device(small):
    assert_one_line_error(train(small, "--device_target", "GPU"), "--device_target", "GPU is not available")


def test_checkpoint_that_does_not_match_the_config(small):
    assert train(small).returncode == 0
    lone = small / "lone"
    lone.mkdir()
    shutil.copy(sorted((small / "ckpt").glob("lstm-1_*.ckpt"))[0], lone / "model.ckpt")
    proc = run_cli("eval.py", "--ckpt_file", lone / "model.ckpt", "--embed_size", "50", "--num_hiddens", "16",
                   "--batch_size", "8", cwd=small)
    assert_one_line_error(proc, "model.ckpt", "does not match the config", "shape")
    proc = run_cli("export.py", "--ckpt_file", lone / "model.ckpt", "--embed_size", "50", "--num_hiddens", "16",
                   cwd=small)
    assert_one_line_error(proc, "model.ckpt", "does not match the config")
    assert not list(small.glob("*.mindir"))
    proc = run_cli("eval.py", "--ckpt_file", small / "missing.ckpt", cwd=small)
    assert_one_line_error(proc, "missing.ckpt", "checkpoint file not found")


def test_stale_preprocess_is_refused(small):
    assert train(small).returncode == 0
    proc = run_cli("train.py", "--preprocess", "false", "--embed_size", "50", "--max_len", "100", cwd=small)
    assert_one_line_error(proc, "meta.json", "max_len=500", "--preprocess true")


def test_script_returns_the_real_exit_status(small):
    proc = run_cli("scripts/run_train_cpu.sh", small / "nope", small / "glove", cwd=small)
    assert proc.returncode == 2
    assert "aclImdb folder not found" in proc.stdout
    assert (small / "train_cpu.log").read_text().count("aclImdb folder not found") == 1
    assert run_cli("scripts/run_train_gpu.sh", cwd=small).returncode == 2


@pytest.mark.parametrize("argv, message", [
    (["--model", "seq2seq", ""], "predict.py: input 1 is empty or blank"),
    (["--model", "seq2seq", "Ein Mann.", "   "], "predict.py: input 2 is empty or blank"),
])
def test_predict_refuses_a_blank_input(argv, message):
    from lstm_ms.cli import predict
    from lstm_ms.core.errors import UserError

    with pytest.raises(UserError) as exc:
        predict.main(argv)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize("content", ["", "\n  \n\n"])
def test_predict_names_an_empty_input_file(tmp_path, content):
    from lstm_ms.cli import predict
    from lstm_ms.core.errors import UserError

    path = tmp_path / "inputs.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as exc:
        predict.main(["--model", "seq2seq", "--input_file", str(path)])
    assert str(exc.value) == f"{path}: no input in it: the file is empty or blank (one input per line)"
    with pytest.raises(UserError, match="is a folder"):
        predict.main(["--model", "seq2seq", "--input_file", str(tmp_path)])
