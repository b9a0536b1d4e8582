"""Compile once: NER and seq2seq runs with dev evaluation compile the same graphs for 1 epoch as for 2."""
import json
import re

import pytest

from lstm_ms.data import synthetic
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

# Counts the graph compilations (not the cache hits) of a whole train.py run, in a fresh interpreter.
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


def counts(corpus, epochs, model="ner"):
    flags = {"ner": ["--data_path", corpus / "ResumeNER", "--max_len", "64", "--bucket_lengths", "[16, 32]"],
             "seq2seq": ["--data_path", corpus / "multi30k", "--max_len", "16", "--bucket_lengths", "[8, 12]",
                         "--max_decode_len", "16"]}[model]
    proc = run_cli("-c", COUNTING_RUN, "--model", model, *flags, "--num_epochs", str(epochs),
                   "--preprocess_path", corpus / f"pre_{model}", "--ckpt_path", corpus / f"ckpt_{model}{epochs}",
                   "--embed_size", "16", "--num_hiddens", "16", "--batch_size", "16", "--progress", "false", cwd=corpus)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    metric = {"ner": "entity_f1", "seq2seq": "bleu"}[model]
    assert proc.stdout.count(f"dev {metric}") == epochs  # evaluated on dev every epoch
    return json.loads(re.search(r"^COUNTS (.*)$", proc.stdout, re.M).group(1))


def test_compilations_do_not_grow_with_epochs(corpus):
    one, two = counts(corpus, 1), counts(corpus, 2)
    assert one["compiled"], "the counter saw no compilation at all"
    assert sorted(two["compiled"]) == sorted(one["compiled"]), (one, two)
    assert two["crf_cells"] == one["crf_cells"] == 1
    # one forward graph for evaluation, whatever the dev batch shapes
    assert one["compiled"].count("NERNet") == 1, one


def test_seq2seq_decoding_compiles_once_per_run(corpus):
    """Dev BLEU every epoch: the decoder step compiles once per run (dynamic shapes), the encoder once
    per dev batch shape (bucket), and nothing more compiles in later epochs."""
    one, two = counts(corpus, 1, "seq2seq"), counts(corpus, 2, "seq2seq")
    assert sorted(two["compiled"]) == sorted(one["compiled"]), (one, two)
    assert one["compiled"].count("Seq2SeqDecoderStep") == 1, one
    # dev pairs fall in buckets 8, 12 and the last (16): at most a full and a partial batch shape each
    assert 1 <= one["compiled"].count("Seq2SeqEncoder") <= 6, one
    assert "GreedyDecoder" not in one["compiled"]
