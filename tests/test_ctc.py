"""ctc end to end on generated TIMIT-format data (LDC layout, SPHERE audio): train, eval (greedy and
beam), export, the 310 CPU leg, predict; bad TIMIT input; the NLTK flat layout."""
import json

import numpy as np
import pytest

from lstm_ms.core import ctc as core_ctc
from lstm_ms.core.phones import MAP_48_39
from lstm_ms.data import synthetic
from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import (best_path, edits, eval_network, eval_once, export_and_infer, exported_mindir,
                            first_test_rows_outputs, network_outputs, run_cli, train_cpu)

pytestmark = pytest.mark.slow
# 64 speakers x 6 sentences = 384 training utterances of ~1-2.5 s; a 2 x 64 BiLSTM learns the synthetic
# phones' fixed sounds in about 10 epochs (about 2 s each on 2 cores)
FLAGS = ["--model", "ctc", "--num_hiddens", "64", "--num_layers", "2", "--dropout", "0.1", "--num_epochs", "12",
         "--batch_size", "8", "--bucket_lengths", "[100, 150, 200]", "--lr_max", "0.003", "--lr_adjust_epoch", "12",
         "--progress", "false", "--seed", "1"]
SENTENCES = ("sa1", "si1", "si2", "sx1", "sx2", "sx3", "sx4")


@pytest.fixture(scope="module")
def ctc_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("ctc")
    synthetic.write_timit(work / "data", speakers_per_region=8, sentences=SENTENCES, seed=3)
    return train_cpu(work, work / "data" / "TIMIT", *FLAGS)


@pytest.fixture(scope="module")
def evaluated(ctc_run):
    """(task, cfg, meta, network, test dataset) as eval.py builds them, and per test utterance (log-probs
    cut to its output length, reference ids) as the network computes them for eval.py's batches."""
    task, cfg, meta, net, ds = eval_network(ctc_run, "ctc")
    return (task, cfg, meta, net, ds), network_outputs(net, ds)


@pytest.fixture(scope="module")
def mindir(ctc_run):
    return exported_mindir(ctc_run, "ctc", 16)


def evaluate(work, beam):
    return eval_once(work, work / "data" / "TIMIT", "ctc", beam)


def phones39(ids, meta):
    return [MAP_48_39[meta["classes"][i]] for i in ids]


def per_of(hyps, refs, meta):
    """(edits, reference phones) on the 39 folded phones."""
    pairs = [(phones39(r, meta), phones39(h, meta)) for h, r in zip(hyps, refs)]
    return sum(edits(r, h) for r, h in pairs), sum(len(r) for r, _ in pairs)


def test_per_far_below_chance_greedy_and_beam(ctc_run, evaluated):
    """eval.py's PER with --beam_size 1 and 4 is that of the network's best paths and of core.ctc's
    prefix beam search (width 4) over the same outputs, recomputed here; the two differ."""
    (_, _, meta, _, _), utts = evaluated
    refs = [r for _, r in utts]
    expected = {1: per_of([best_path(lp) for lp, _ in utts], refs, meta),
                4: per_of([core_ctc.prefix_beam_search(lp, 4)[0] for lp, _ in utts], refs, meta)}
    assert expected[1][0] != expected[4][0]  # the beam changes what is decoded
    # chance: an all-blank (or empty) decoder deletes every phone, PER 100 %
    for beam in (1, 4):
        result, stdout = evaluate(ctc_run, beam)
        first = next(l for l in stdout.splitlines() if l.startswith("PER "))
        assert first == f"PER {100 * result['per']:.2f} %"
        assert result["n"] == len(utts) == 144 and result["beam_size"] == beam  # 24 core speakers x 6 sentences
        n_edits, n_ref = expected[beam]
        assert (result["edits"], result["ref_phones"]) == (n_edits, n_ref), beam
        assert result["per"] == pytest.approx(n_edits / n_ref) and result["neg_per"] == pytest.approx(-n_edits / n_ref)
        assert result["per"] < 0.15, result
    assert "mean per-utterance PER" in stdout


def test_training_log_and_best_checkpoint_by_dev_per(ctc_run):
    records = [json.loads(l) for l in (ctc_run / "ckpt_ctc" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, 13))
    best = json.loads((ctc_run / "ckpt_ctc" / "best.json").read_text())
    assert best["criterion"] == "dev neg_per"
    assert best["score"] == max(r["dev"]["neg_per"] for r in records)
    assert records[-1]["dev"]["per"] < records[0]["dev"]["per"]
    meta = json.loads((ctc_run / "preprocess_ctc" / "meta.json").read_text())
    assert meta["num_features"] == 120 and meta["num_classes"] == meta["vocab_size"] == 49
    assert meta["max_frames"] == max(s["frames_max"] for s in meta["splits"].values())
    phones = (ctc_run / "ckpt_ctc" / "phones.txt").read_text().split()
    assert phones[0] == "<blank>" and len(phones) == 49


def test_exported_graph_and_310_chain_equal_greedy_eval(ctc_run):
    greedy, _ = evaluate(ctc_run, 1)
    side, deployed, infer = export_and_infer(ctc_run, "ctc", ctc_run / "ckpt_ctc" / "ctc-best.ckpt",
                                             ctc_run / "data" / "TIMIT")
    assert [i["name"] for i in side["inputs"]] == ["features", "lengths"]
    assert deployed["n"] == greedy["n"] == 144
    assert deployed["per"] == greedy["per"] and deployed["edits"] == greedy["edits"]
    assert (infer / "acc.log").read_text().splitlines()[0] == f"PER {100 * greedy['per']:.2f} %"


def test_predict_prints_the_networks_best_path_from_checkpoint_and_mindir(ctc_run, evaluated, mindir):
    """predict.py on two test recordings prints the phones of the checkpoint network's best path over
    their preprocessed features (read back from the test split's MindRecord file)."""
    (task, _, meta, net, _), _ = evaluated
    wavs = [item.wav for item in task.raw_split(ctc_run / "data" / "TIMIT", meta, "test")[:2]]
    expected = [" ".join(phones39(best_path(lp), meta)) for lp in first_test_rows_outputs(ctc_run, "ctc", net, meta)]
    assert all(expected)
    proc = run_cli("predict.py", "--model", "ctc", "--ckpt_file", ctc_run / "ckpt_ctc" / "ctc-best.ckpt", *wavs,
                   cwd=ctc_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-2:] == [f"{w}\t{e}" for w, e in zip(wavs, expected)]
    proc = run_cli("predict.py", "--model", "ctc", "--mindir_file", mindir, "--json", wavs[0], cwd=ctc_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert " ".join(json.loads(proc.stdout.strip().splitlines()[-1])["phones"]) == expected[0]


def _tree(tmp_path):
    return synthetic.write_timit(tmp_path / "data", speakers_per_region=2, sentences=("sa1", "si1"), seed=1)


@pytest.mark.parametrize("case", ["no_phn", "rate", "past_end", "unknown_phone"])
def test_bad_timit_input(tmp_path, case):
    import soundfile as sf

    root = _tree(tmp_path)
    wav = sorted(root.glob("TRAIN/DR1/*/SI1.WAV"))[0]
    phn = wav.with_suffix(".PHN")
    if case == "no_phn":
        phn.unlink()
        bad, fragment = wav, "no phone transcription"
    elif case == "rate":
        sf.write(str(wav), np.zeros(8000, np.int16), 8000, subtype="PCM_16", format="WAV")
        bad, fragment = wav, "sample rate 8000 Hz"
    elif case == "past_end":
        lines = phn.read_text().splitlines()
        start, _, p = lines[-1].split()
        lines[-1] = f"{start} 99999999 {p}"
        phn.write_text("\n".join(lines) + "\n")
        bad, fragment = phn, "past the audio"
    else:
        lines = phn.read_text().splitlines()
        a, b, _ = lines[1].split()
        lines[1] = f"{a} {b} xx"
        phn.write_text("\n".join(lines) + "\n")
        bad, fragment = phn, "unknown phone 'xx'"
    proc = run_cli("train.py", "--model", "ctc", "--data_path", root, "--preprocess_only", cwd=tmp_path)
    assert_one_line_error(proc, str(bad), fragment)
    assert not (tmp_path / "preprocess_ctc" / "meta.json").exists()


def test_nltk_layout_preprocesses_with_held_out_splits(tmp_path):
    root = synthetic.write_timit(tmp_path / "nltk", layout="nltk", audio="wav", speakers_per_region=3,
                                 sentences=("sa1", "si1", "sx1"), seed=2)
    proc = run_cli("train.py", "--model", "ctc", "--data_path", root, "--preprocess_only", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "held-out training speakers" in proc.stdout
    meta = json.loads((tmp_path / "preprocess_ctc" / "meta.json").read_text())
    assert sum(s["n"] for s in meta["splits"].values()) == 8 * 3 * 2
    assert all(s["n"] > 0 for s in meta["splits"].values())
