"""Compile once: in NER and seq2seq runs with dev evaluation, the second epoch (training and its dev
evaluation) compiles nothing."""
import json
import re

import pytest

from lstm_ms.data import synthetic
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

# Lists the graph compilations (not the cache hits) of a whole train.py run, in a fresh interpreter, with
# "|epoch|" where each epoch's summary line (after its dev evaluation) is logged.
COUNTING_RUN = """
import json, sys
from lstm_ms.cli import train
from lstm_ms.nn import crf
from tests.helpers import count_compilations

compiled = count_compilations()
built = []
original_init = crf.CRF.__init__
def counting_init(self, *args, **kwargs):
    built.append(1)
    original_init(self, *args, **kwargs)
crf.CRF.__init__ = counting_init
original_log = train.log
def marking_log(*args, **kwargs):
    if str(args[0]).startswith("epoch ") and " dev " in str(args[0]):
        compiled.append("|epoch|")
    return original_log(*args, **kwargs)
train.log = marking_log
status = train.main(sys.argv[1:])
print("COUNTS " + json.dumps({"compiled": compiled, "crf_cells": len(built)}))
sys.exit(status)
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("compile")
    synthetic.write_bmes_corpus(root / "ResumeNER", n_train=200, n_dev=60, n_test=20, seed=4, clauses=1.7)
    synthetic.write_multi30k(root / "multi30k", n_train=200, n_val=60, n_test=20, seed=4)
    return root


def counts(corpus, model="ner"):
    """A 2-epoch run -> {"epochs": [compilations of epoch 1, of epoch 2], "after": [after the last
    epoch], "crf_cells": CRF cells built}."""
    flags = {"ner": ["--data_path", corpus / "ResumeNER", "--max_len", "64", "--bucket_lengths", "[16, 32]"],
             "seq2seq": ["--data_path", corpus / "multi30k", "--max_len", "16", "--bucket_lengths", "[8, 12]",
                         "--max_decode_len", "16"]}[model]
    proc = run_cli("-c", COUNTING_RUN, "--model", model, *flags, "--num_epochs", "2",
                   "--preprocess_path", corpus / f"pre_{model}", "--ckpt_path", corpus / f"ckpt_{model}",
                   "--embed_size", "16", "--num_hiddens", "16", "--batch_size", "16", "--progress", "false", cwd=corpus)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    metric = {"ner": "entity_f1", "seq2seq": "bleu"}[model]
    assert proc.stdout.count(f"dev {metric}") == 2  # evaluated on dev every epoch
    found = json.loads(re.search(r"^COUNTS (.*)$", proc.stdout, re.M).group(1))
    parts, current = [], []
    for name in found["compiled"]:
        if name == "|epoch|":
            parts.append(current)
            current = []
        else:
            current.append(name)
    assert len(parts) == 2, found
    return {"epochs": parts, "after": current, "crf_cells": found["crf_cells"]}


def test_compilations_do_not_grow_with_epochs(corpus):
    run = counts(corpus)
    first, second = run["epochs"]
    assert first, "the counter saw no compilation at all"
    assert second == [], run  # epoch 2 reuses every graph of epoch 1, its dev evaluation's included
    assert run["crf_cells"] == 1
    # one forward graph for evaluation, whatever the dev batch shapes
    assert first.count("NERNet") == 1, run


def test_seq2seq_decoding_compiles_once_per_run(corpus):
    """Dev BLEU every epoch: the decoder step compiles once per run (dynamic shapes), the encoder once
    per dev batch shape (bucket), and nothing more compiles in the second epoch."""
    run = counts(corpus, "seq2seq")
    first, second = run["epochs"]
    assert second == [], run
    assert first.count("Seq2SeqDecoderStep") == 1, run
    # dev pairs fall in buckets 8, 12 and the last (16): at most a full and a partial batch shape each
    assert 1 <= first.count("Seq2SeqEncoder") <= 6, run
    assert "GreedyDecoder" not in first + run["after"]
