"""scripts/run_infer_310.sh (CPU leg): NEED_PREPROCESS=n, a missing sidecar, and input/result bins of
the wrong size. Everything is run in copies under tmp_path; the ``exported`` fixture is only read."""
import json
import re
import shutil

import pytest

from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chain_y(exported, imdb_sample, tmp_path_factory):
    """The whole chain with NEED_PREPROCESS=y, run in its own folder."""
    work = tmp_path_factory.mktemp("infer_y")
    proc = run_cli("scripts/run_infer_310.sh", exported, imdb_sample / "aclImdb", "y", "CPU", cwd=work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


def _error_lines(proc):
    return [l for l in (proc.stdout + proc.stderr).splitlines() if l.startswith("error: ")]


def test_need_preprocess_n_reuses_the_preprocess_result(chain_y, exported, tmp_path):
    shutil.copytree(chain_y / "preprocess_Result", tmp_path / "preprocess_Result")
    # with n the dataset is never read: a path that does not exist must not matter
    proc = run_cli("scripts/run_infer_310.sh", exported, tmp_path / "no_dataset", "n", "CPU", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not (tmp_path / "preprocess.log").exists()
    reused = json.loads((tmp_path / "acc.json").read_text())
    assert reused == json.loads((chain_y / "acc.json").read_text())
    assert reused["n"] == 600


def test_need_preprocess_n_without_a_preprocess_result(exported, tmp_path):
    proc = run_cli("scripts/run_infer_310.sh", exported, tmp_path / "no_dataset", "n", "CPU", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = _error_lines(proc)
    assert len(errors) == 1 and "preprocess_Result" in errors[0] and "no NN_data folders" in errors[0], errors
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "acc.json").exists()


def test_missing_sidecar(exported, imdb_sample, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(exported, model / exported.name)  # the .mindir (and its vocabulary), not the .json
    shutil.copy(exported.with_suffix(".vocab.txt"), model / exported.with_suffix(".vocab.txt").name)
    work = tmp_path / "work"
    work.mkdir()
    proc = run_cli("scripts/run_infer_310.sh", model / exported.name, imdb_sample / "aclImdb", "y", "CPU", cwd=work)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert str(model / exported.with_suffix(".json").name) in lines[0] and "sidecar" in lines[0]
    assert list(work.iterdir()) == []  # stopped before any step ran


def test_input_bin_of_the_wrong_size(chain_y, exported, tmp_path):
    shutil.copytree(chain_y / "preprocess_Result", tmp_path / "preprocess_Result")
    stem = json.loads(exported.with_suffix(".json").read_text())["name"]
    bad = tmp_path / "preprocess_Result" / "00_data" / f"{stem}_3.bin"
    bad.write_bytes(bad.read_bytes()[:-4])
    proc = run_cli("scripts/run_infer_310.sh", exported, tmp_path / "no_dataset", "n", "CPU", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = _error_lines(proc)
    assert len(errors) == 1, errors
    assert re.search(rf"preprocess_Result/00_data/{stem}_3\.bin: holds \d+ int32 values", errors[0]), errors[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "acc.json").exists()


def test_result_bin_of_the_wrong_size(chain_y, exported, tmp_path):
    shutil.copytree(chain_y / "result_Files", tmp_path / "result_Files")
    stem = json.loads(exported.with_suffix(".json").read_text())["name"]
    bad = tmp_path / "result_Files" / f"{stem}_0.bin"
    bad.write_bytes(bad.read_bytes()[:-4])
    proc = run_cli("postprocess.py", "--mindir_file", exported, "--result_path", tmp_path / "result_Files",
                   "--label_path", chain_y / "preprocess_Result" / "label_ids.npy", "--metrics_file",
                   tmp_path / "acc.json", cwd=tmp_path)
    assert_one_line_error(proc, str(bad), "float32 values, the model wants shape")
    assert not (tmp_path / "acc.json").exists() and not (tmp_path / "acc.log").exists()
