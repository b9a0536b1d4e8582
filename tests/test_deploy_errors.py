"""scripts/run_infer_310.sh (CPU leg): NEED_PREPROCESS=n, a missing sidecar, and input/result bins of
the wrong size. Everything is run in copies under tmp_path; the ``exported`` fixture is only read.
Then the C++ app's MindSpore Lite checks (build.sh, CMakeLists.txt, the Ascend leg of the script)."""
import json
import re
import shutil
import subprocess

import pytest

from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import REPO, run_cli

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


# --- the C++ app's MindSpore Lite checks (ascend310_infer/build.sh, CMakeLists.txt, the Ascend leg of
# run_infer_310.sh): all fail before anything is built or run, so no Lite package is needed here.

@pytest.fixture()
def no_lite_home(monkeypatch):
    monkeypatch.delenv("LITE_HOME", raising=False)
    monkeypatch.delenv("MS_LITE_HOME", raising=False)


def _lite_placeholder(root, library=True):
    """Empty files where the package keeps the header and the library: enough for the existence checks
    (a real build against them would fail, and none is started)."""
    (root / "runtime" / "include" / "api").mkdir(parents=True)
    (root / "runtime" / "include" / "api" / "model.h").write_text("")
    if library:
        (root / "runtime" / "lib").mkdir(parents=True)
        (root / "runtime" / "lib" / "libmindspore-lite.so").write_bytes(b"")
    return root


def test_build_without_lite_home(no_lite_home, tmp_path):
    proc = run_cli("ascend310_infer/build.sh", cwd=tmp_path)
    assert_one_line_error(proc, "error: LITE_HOME: not set", "MindSpore Lite", "mindspore-lite-", ".tar.gz")
    assert proc.stdout == ""


def test_build_with_an_empty_lite_home(monkeypatch, tmp_path):
    monkeypatch.setenv("LITE_HOME", str(tmp_path))
    proc = run_cli("ascend310_infer/build.sh", cwd=tmp_path)
    assert_one_line_error(proc, f"error: {tmp_path}/runtime/include/api/model.h: MindSpore Lite C++ header not found")


def test_build_with_headers_but_no_library(monkeypatch, tmp_path):
    monkeypatch.setenv("LITE_HOME", str(_lite_placeholder(tmp_path / "lite", library=False)))
    proc = run_cli("ascend310_infer/build.sh", cwd=tmp_path)
    assert_one_line_error(proc, f"{tmp_path}/lite/runtime/lib/libmindspore-lite.so: MindSpore Lite library not found")


def test_build_with_a_cmake_too_old(monkeypatch, tmp_path):
    monkeypatch.setenv("LITE_HOME", str(_lite_placeholder(tmp_path / "lite")))
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "cmake").write_text('#!/bin/sh\necho "cmake version 3.10.2"\n')
    (shim / "cmake").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}:/usr/bin:/bin")
    proc = run_cli("ascend310_infer/build.sh", cwd=tmp_path)
    assert_one_line_error(proc, "error: cmake: version 3.10.2 is older than the 3.14")


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
def test_cmake_configure_names_the_missing_file(tmp_path):
    src = REPO / "ascend310_infer"
    proc = subprocess.run(["cmake", "-S", str(src), "-B", str(tmp_path / "build"), f"-DLITE_HOME={tmp_path}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    message = " ".join(proc.stderr.split())  # CMake wraps its messages
    assert f"{tmp_path}/runtime/include/api/model.h: MindSpore Lite C++ header not found" in message, proc.stderr
    _lite_placeholder(tmp_path / "lite", library=False)
    proc = subprocess.run(["cmake", "-S", str(src), "-B", str(tmp_path / "build2"), f"-DLITE_HOME={tmp_path}/lite"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "runtime/lib/libmindspore-lite.so: MindSpore Lite library not found" in " ".join(proc.stderr.split())


def _fake_export(tmp_path):
    """A MINDIR path and its sidecar: the script stops on the Lite check before it reads the MINDIR."""
    mindir = tmp_path / "model" / "lstm.mindir"
    mindir.parent.mkdir()
    mindir.write_bytes(b"not read")
    mindir.with_suffix(".json").write_text(json.dumps({"task": "sentiment", "graph_target": "Ascend"}))
    work = tmp_path / "work"
    work.mkdir()
    return mindir, work


@pytest.mark.skipif((REPO / "ascend310_infer" / "out" / "main").exists(), reason="the C++ app is built here")
def test_infer_ascend_without_lite_home_and_app(no_lite_home, tmp_path):
    mindir, work = _fake_export(tmp_path)
    proc = run_cli("scripts/run_infer_310.sh", mindir, tmp_path / "no_dataset", "y", "Ascend310", "0", cwd=work)
    assert_one_line_error(proc, "error: LITE_HOME: not set", "ascend310_infer/out/main not built",
                          "mindspore-lite-", ".tar.gz", "export LITE_HOME=")
    assert list(work.iterdir()) == []  # stopped before any step ran


def test_infer_ascend_with_an_empty_lite_home(monkeypatch, tmp_path):
    mindir, work = _fake_export(tmp_path)
    monkeypatch.setenv("LITE_HOME", str(tmp_path / "work"))
    proc = run_cli("scripts/run_infer_310.sh", mindir, tmp_path / "no_dataset", "y", "Ascend", "0", cwd=work)
    assert_one_line_error(proc, f"error: {work}/runtime/include/api/model.h: MindSpore Lite C++ header not found")
    assert list(work.iterdir()) == []


def test_a_cpu_graph_is_refused_for_ascend_and_an_ascend_graph_for_cpu(trained, exported, imdb_sample, tmp_path):
    """The CPU export holds the LSTM op no Ascend adapter maps; --export_target Ascend holds DynamicRNN
    (read from the MINDIR's graph) and is refused by the CPU leg. Each refusal is one line before any step."""
    from lstm_ms.engine.export import graph_ops

    assert "LSTM" in graph_ops(exported) and "DynamicRNN" not in graph_ops(exported)
    assert json.loads(exported.with_suffix(".json").read_text())["graph_target"] == "CPU"
    work = tmp_path / "work"
    work.mkdir()
    proc = run_cli("scripts/run_infer_310.sh", exported, imdb_sample / "aclImdb", "y", "Ascend310", "0", cwd=work)
    assert_one_line_error(proc, f"error: {exported}: exported for CPU/GPU", "--export_target Ascend")
    assert list(work.iterdir()) == []

    proc = run_cli("export.py", "--ckpt_file", trained / "ckpt" / "lstm-best.ckpt", "--file_name", tmp_path / "asc",
                   "--batch_size", "16", "--export_target", "Ascend", cwd=trained)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "not verified: the graph holds Ascend's recurrent ops" in proc.stdout
    ops = graph_ops(tmp_path / "asc.mindir")
    assert "DynamicRNN" in ops and "LSTM" not in ops and "ReverseSequence" in ops
    assert json.loads((tmp_path / "asc.json").read_text())["graph_target"] == "Ascend"
    proc = run_cli("scripts/run_infer_310.sh", tmp_path / "asc.mindir", imdb_sample / "aclImdb", "y", "CPU", cwd=work)
    assert_one_line_error(proc, "exported for Ascend (DynamicRNN/DynamicGRUV2 run on Ascend only)")
    assert list(work.iterdir()) == []
