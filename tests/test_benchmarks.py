"""``benchmarks/run.py --quick`` in its smallest setting: the table has its columns and one row per
model, starting with the model's registry name; the JSON beside it holds every section. Times are
never asserted."""
import json
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

MODELS = ("ner", "ctc")  # one text and one speech entry; the others share every piece but the network

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--models", ",".join(MODELS),
                           "--repeats", "1", "--warmup", "0", "--data_size", "0.25", "--results_dir", str(out),
                           "--json", str(out / "all.json")],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, out


def test_table_has_the_columns_and_a_row_per_model(quick):
    from benchmarks.run import COLUMNS

    stdout, out = quick
    written = (out / "quick.md").read_text()
    lines = [line for line in written.splitlines() if line.startswith("|")]
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |" and set(lines[1]) <= {"|", "-"}
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [r[0] for r in rows] == list(MODELS)
    for r in rows:
        assert len(r) == len(COLUMNS) and "-" not in r, r
        assert re.fullmatch(r"\d+\.\d\dx", r[COLUMNS.index("ratio")]), r
        assert re.fullmatch(r"[\d.]+ / [\d.]+ GiB", r[COLUMNS.index("RSS train / inference")]), r
    assert written.split("\n\n", 1)[1] in stdout  # the same table is printed


def test_json_holds_every_section(quick):
    _, out = quick
    data = json.loads((out / "all.json").read_text())
    assert data == json.loads((out / "quick.json").read_text())
    assert data["cpu"]["peak_gflops"] > 0
    for model in MODELS:
        res = data["models"][model]
        assert res["step"]["mindspore"]["median_s"] > 0 and res["step"]["pytorch"]["median_s"] > 0
        # both frameworks did the same work: from the same initial weights on the same batch, their losses
        # agree to float32 rounding without dropout, and closely at the first training step (with dropout)
        initial, first = res["step"]["initial_losses"], res["step"]["first_losses"]
        assert initial["mindspore"] > 1.0 and initial["pytorch"] == pytest.approx(initial["mindspore"], rel=1e-5), model
        assert first["pytorch"] == pytest.approx(first["mindspore"], rel=1e-2), model
        assert res["peak"]["mindspore"]["gflop_per_step"] > 0
        assert {c["batch_size"] for c in res["mindir"]["cases"]} == {1, res["config"]["batch_size"]}
        assert res["data"]["examples"] > 0 and res["data"]["batches"] > 0
        assert res["step"]["train_peak_rss_mib"] > 100 and res["mindir"]["peak_rss_mib"] > 100


@pytest.mark.parametrize("doc", ["README.md", "README_CN.md", "models/ctc/README.md", "models/deepspeech2/README.md",
                                 "models/ner/README.md", "models/sentiment/README.md", "models/seq2seq/README.md"])
def test_docs_show_the_measured_table(doc):
    """The READMEs and model cards carry benchmarks/results/full.md's table as it was written."""
    from benchmarks import docs

    table = docs.current((REPO / doc).read_text(encoding="utf-8"))
    assert table == docs.block(), f"{doc}: run python benchmarks/docs.py after python benchmarks/run.py"
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")][1:]
    assert rows == sorted(json.loads((REPO / "benchmarks/results/full.json").read_text())["models"])
