"""The zoo as a package: a wheel built from this checkout, installed into a fresh environment, runs every
command through the ``lstm-ms`` console command from a folder outside the checkout."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
TINY = ["--model", "ner", "--embed_size", "16", "--num_hiddens", "16", "--seg_size", "4", "--batch_size", "16",
        "--num_epochs", "1", "--progress", "false"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, work folder): the wheel installed without its dependencies into a new venv that sees this
    environment's packages (MindSpore and the rest) through a .pth line, never this checkout."""
    root = tmp_path_factory.mktemp("package")
    dist = root / "dist"
    source = _source_copy(root / "source")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist,
                           source], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    wheel = next(dist.glob("lstm_ms-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel],
                   check=True, capture_output=True)
    work = root / "work"
    work.mkdir()
    return venv, work


def _source_copy(dest):
    """The files git tracks (the checkout's files, less .venv, build outputs and test leftovers) copied to
    ``dest``: the wheel is built there, so building never writes into the checkout another worker reads."""
    proc = subprocess.run(["git", "-C", REPO, "ls-files", "-z"], capture_output=True)
    if proc.returncode == 0 and proc.stdout:
        files = [name for name in proc.stdout.decode().split("\0") if name]
    else:  # an exported tree without .git
        skip = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", "lstm_ms.egg-info", "outputs"}
        files = [str(p.relative_to(REPO)) for p in REPO.rglob("*")
                 if p.is_file() and not skip.intersection(p.relative_to(REPO).parts)]
    for name in files:
        if (REPO / name).is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
    return dest


def lstm_ms(installed, *args):
    venv, work = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    return subprocess.run(["lstm-ms", *map(str, args)], cwd=work, env=env, capture_output=True, text=True, timeout=600)


def test_the_package_comes_from_the_wheel_with_its_configs(installed):
    venv, work = installed
    proc = subprocess.run([venv / "bin" / "python", "-c", "import lstm_ms, lstm_ms.core.config as c; "
                           "print(lstm_ms.__file__); print(c.models_dir())"], cwd=work, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    package, models = proc.stdout.split()
    assert package.startswith(str(venv)) and models.startswith(str(venv)), proc.stdout + proc.stderr
    assert (Path(models) / "ner" / "config_cpu.yaml").is_file() and (Path(models) / "ner" / "README.md").is_file()
    proc = lstm_ms(installed, "train", "--model", "seq2seq", "--print_config")
    assert proc.returncode == 0 and "src_lang: de" in proc.stdout, proc.stderr


def test_sample_train_eval_export_predict_from_outside_the_checkout(installed):
    venv, work = installed
    proc = lstm_ms(installed, "sample", "--model", "ner", "--out", "data", "--size", "0.05")
    assert proc.returncode == 0, proc.stderr
    data = ["--data_path", "data/ResumeNER"]
    proc = lstm_ms(installed, "train", *TINY, *data)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ckpt = work / "ckpt_ner" / "ner-best.ckpt"
    assert ckpt.is_file()
    proc = lstm_ms(installed, "eval", *TINY, *data, "--ckpt_file", ckpt)
    assert proc.returncode == 0 and "entity-level" in proc.stdout, proc.stderr[-2000:]
    proc = lstm_ms(installed, "export", *TINY, "--ckpt_file", ckpt, "--file_name", "ner", "--batch_size", "4")
    assert proc.returncode == 0 and "verified" in proc.stdout, proc.stderr[-2000:]
    side = json.loads((work / "ner.json").read_text())
    paths = [v for v in json.dumps(side).split('"') if v.startswith("/")]
    assert paths == [], paths  # the sidecar holds no path of this machine
    proc = lstm_ms(installed, "predict", "--mindir_file", "ner.mindir", "--json", "高勇，男，中国国籍。")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "entities" in json.loads(proc.stdout.strip().splitlines()[-1])
    proc = lstm_ms(installed, "predict", "--model", "sentiment", "--mindir_file", "ner.mindir", "x")
    assert proc.returncode == 2 and proc.stderr.strip() == (
        "error: ner.mindir: a MINDIR of model 'ner', not 'sentiment' (leave out --model: the sidecar names it)")
    proc = lstm_ms(installed, "train", *TINY, *data, "--mode", "pynative", "--ckpt_path", "ckpt_pynative")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (work / "ckpt_pynative" / "ner-best.ckpt").is_file()


def test_console_usage_and_unknown_command(installed):
    proc = lstm_ms(installed)
    assert proc.returncode == 2 and "commands:" in proc.stdout and "postprocess" in proc.stdout
    proc = lstm_ms(installed, "fit")
    assert proc.returncode == 2 and proc.stderr.startswith("error: lstm-ms: unknown command 'fit'")
