"""Compile once: a NER run with dev evaluation compiles the same graphs for 1 epoch as for 3."""
import json
import re

import pytest

from lstm_ms.data import synthetic
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow

# Counts the graph compilations (not the cache hits) of a whole train.py run, in a fresh interpreter.
COUNTING_RUN = """
import json, sys
from mindspore.common import api
from lstm_ms.cli import train
from lstm_ms.nn import crf

executor = api._cell_graph_executor
original = executor.compile
compiled = []
def counting(obj, *args, **kwargs):
    phase, new = original(obj, *args, **kwargs)
    if new:
        compiled.append(type(obj).__name__)
    return phase, new
executor.compile = counting
built = []
original_init = crf.CRF.__init__
def counting_init(self, *args, **kwargs):
    built.append(1)
    original_init(self, *args, **kwargs)
crf.CRF.__init__ = counting_init
status = train.main(sys.argv[1:])
print("COUNTS " + json.dumps({"compiled": compiled, "crf_cells": len(built)}))
sys.exit(status)
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("compile")
    synthetic.write_bmes_corpus(root / "ResumeNER", n_train=200, n_dev=60, n_test=20, seed=4, clauses=1.7)
    return root


def counts(corpus, epochs):
    proc = run_cli("-c", COUNTING_RUN, "--model", "ner", "--data_path", corpus / "ResumeNER", "--num_epochs",
                   str(epochs), "--preprocess_path", corpus / "pre", "--ckpt_path", corpus / f"ckpt{epochs}",
                   "--embed_size", "16", "--num_hiddens", "16", "--max_len", "64", "--bucket_lengths", "[16, 32]",
                   "--batch_size", "16", "--progress", "false", cwd=corpus)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.count("dev entity_f1") == epochs  # evaluated on dev every epoch
    return json.loads(re.search(r"^COUNTS (.*)$", proc.stdout, re.M).group(1))


def test_compilations_do_not_grow_with_epochs(corpus):
    one, three = counts(corpus, 1), counts(corpus, 3)
    assert one["compiled"], "the counter saw no compilation at all"
    assert sorted(three["compiled"]) == sorted(one["compiled"]), (one, three)
    assert three["crf_cells"] == one["crf_cells"] == 1
    # one forward graph for evaluation, whatever the dev batch shapes
    assert one["compiled"].count("NERNet") == 1, one
