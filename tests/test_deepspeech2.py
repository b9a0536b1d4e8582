"""deepspeech2 end to end on generated AN4-format data (manifest layout, WAV): train, eval (WER/CER, greedy
and beam), export, the 310 CPU leg, predict; CMU's sphere layout; bad AN4 input and --skip_bad."""
import json

import numpy as np
import pytest

from lstm_ms.core import ctc as core_ctc
from lstm_ms.data import an4, synthetic
from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import (best_path, edits, eval_network, eval_once, export_and_infer, exported_mindir,
                            first_test_rows_outputs, network_outputs, run_cli, train_cpu)

pytestmark = pytest.mark.slow
# 200 utterances of 0.8-2.5 s; a 2 x 64 BiLSTM with 8 conv channels spells the synthetic letters after a few
# epochs (about 8 s each on 2 cores)
EPOCHS = 5
FLAGS = ["--model", "deepspeech2", "--num_hiddens", "64", "--num_layers", "2", "--conv_channels", "8",
         "--num_epochs", str(EPOCHS), "--batch_size", "8", "--learning_rate", "0.003", "--lr_gamma", "0.9",
         "--bucket_lengths", "[150, 200]", "--progress", "false", "--seed", "1"]


@pytest.fixture(scope="module")
def ds2_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("ds2")
    synthetic.write_an4(work / "an4", n_train=200, n_val=30, n_test=40, seed=3)
    return train_cpu(work, work / "an4", *FLAGS)


@pytest.fixture(scope="module")
def mindir(ds2_run):
    return exported_mindir(ds2_run, "deepspeech2", 8)


def evaluate(work, beam):
    return eval_once(work, work / "an4", "deepspeech2", beam)


def text(ids, meta):
    return "".join(meta["classes"][i] for i in ids)


def error_counts(hyps, refs, meta):
    """(word edits, reference words, character edits, reference characters) of class-id lists."""
    pairs = [(text(r, meta), text(h, meta)) for h, r in zip(hyps, refs)]
    return (sum(edits(r.split(), h.split()) for r, h in pairs), sum(len(r.split()) for r, _ in pairs),
            sum(edits(r, h) for r, h in pairs), sum(len(r) for r, _ in pairs))


def expected_scores(utts, meta):
    """error_counts of the best paths (beam 1) and of core.ctc's prefix beam search (width 4)."""
    refs = [r for _, r in utts]
    return {1: error_counts([best_path(lp) for lp, _ in utts], refs, meta),
            4: error_counts([core_ctc.prefix_beam_search(lp, 4)[0] for lp, _ in utts], refs, meta)}


def counts(result):
    return result["word_edits"], result["ref_words"], result["char_edits"], result["ref_chars"]


def test_cer_falls_far_below_its_start(ds2_run):
    records = [json.loads(l) for l in (ds2_run / "ckpt_deepspeech2" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, EPOCHS + 1))
    first, best = records[0]["dev"]["cer"], min(r["dev"]["cer"] for r in records)
    assert first > 3 * best and best < 0.15, [r["dev"]["cer"] for r in records]
    result, stdout = evaluate(ds2_run, 1)
    lines = stdout.splitlines()
    assert f"WER {100 * result['wer']:.2f} %" in lines and f"CER {100 * result['cer']:.2f} %" in lines
    assert result["n"] == 40 and result["cer"] < 0.15
    beam, _ = evaluate(ds2_run, 4)
    assert beam["beam_size"] == 4 and beam["cer"] <= result["cer"] + 0.02
    # eval.py's scores are those of the network's decoded outputs, recomputed here for each beam width
    task, cfg, meta, net, ds = eval_network(ds2_run, "deepspeech2")
    utts = network_outputs(net, ds)
    expected = expected_scores(utts, meta)
    for res, width in ((result, 1), (beam, 4)):
        words, ref_words, chars, ref_chars = expected[width]
        assert counts(res) == expected[width], width
        assert res["wer"] == pytest.approx(words / ref_words) and res["neg_wer"] == pytest.approx(-words / ref_words)
        assert res["cer"] == pytest.approx(chars / ref_chars)
    # the beam width changes what evaluate returns: with the output layer scaled down (flatter
    # distributions: the best paths stay, the beam matters more) evaluate scores core.ctc's decoding
    import mindspore as ms

    net.fc.weight.set_data(ms.Tensor(net.fc.weight.asnumpy() * 0.3))
    flat = expected_scores(network_outputs(net, ds), meta)
    assert flat[1] == expected[1] and flat[4] != flat[1]
    for width in (1, 4):
        assert counts(task.evaluate(net, ds, {**cfg, "beam_size": width}, meta)) == flat[width], width
    meta = json.loads((ds2_run / "preprocess_deepspeech2" / "meta.json").read_text())
    assert meta["num_features"] == 161 and meta["num_classes"] == 29 and meta["classes"][0] == "_"
    assert (meta["splits"]["train"]["n"], meta["splits"]["dev"]["n"]) == (200, 30)


def test_exported_graph_and_310_chain_equal_greedy_eval(ds2_run):
    greedy, _ = evaluate(ds2_run, 1)
    side, deployed, infer = export_and_infer(ds2_run, "deepspeech2",
                                             ds2_run / "ckpt_deepspeech2" / "deepspeech2-best.ckpt", ds2_run / "an4",
                                             batch_size=8)
    assert [i["name"] for i in side["inputs"]] == ["features", "lengths"] and len(side["outputs"]) == 2
    assert deployed["n"] == greedy["n"] == 40
    for key in ("wer", "cer", "word_edits", "char_edits"):
        assert deployed[key] == greedy[key], key
    lines = (infer / "acc.log").read_text().splitlines()
    assert lines[:2] == [f"WER {100 * greedy['wer']:.2f} %", f"CER {100 * greedy['cer']:.2f} %"]


def test_predict_prints_the_networks_best_path_from_checkpoint_and_mindir(ds2_run, mindir):
    """predict.py on the first two test recordings prints the transcripts of the checkpoint network's
    best paths over their preprocessed features (read back from the test split's MindRecord file)."""
    _, _, meta, net, _ = eval_network(ds2_run, "deepspeech2")
    wavs = [e.wav for e in an4.find_split(ds2_run / "an4", "test")[:2]]
    expected = [text(best_path(lp), meta) for lp in first_test_rows_outputs(ds2_run, "deepspeech2", net, meta)]
    assert all(expected)
    proc = run_cli("predict.py", "--model", "deepspeech2", "--ckpt_file",
                   ds2_run / "ckpt_deepspeech2" / "deepspeech2-best.ckpt", *wavs, cwd=ds2_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-2:] == [f"{w}\t{e}" for w, e in zip(wavs, expected)]
    proc = run_cli("predict.py", "--model", "deepspeech2", "--mindir_file", mindir, "--json", wavs[0], cwd=ds2_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["transcript"] == expected[0]


def test_cmu_release_is_converted_under_preprocess_path(tmp_path):
    root = synthetic.write_an4(tmp_path / "cmu", layout="cmu", n_train=24, n_val=6, n_test=6, seed=2)
    proc = run_cli("train.py", "--model", "deepspeech2", "--data_path", root, "--preprocess_only", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    converted = tmp_path / "preprocess_deepspeech2" / "an4_manifests"
    assert (converted / "an4_val_manifest.csv").is_file()
    meta = json.loads((tmp_path / "preprocess_deepspeech2" / "meta.json").read_text())
    assert meta["splits"]["test"]["n"] == 6 and meta["splits"]["train"]["n"] + meta["splits"]["dev"]["n"] == 30
    assert meta["splits"]["dev"]["n"] > 0


def _data(tmp_path):
    return synthetic.write_an4(tmp_path / "an4", n_train=12, n_val=4, n_test=4, seed=1)


def _first(root, split="train"):
    manifest = root / f"an4_{split}_manifest.csv"
    wav, txt = manifest.read_text().splitlines()[0].split(",")
    return manifest, root / wav, root / txt


@pytest.mark.parametrize("case", ["missing_wav", "rate", "corrupt", "empty_transcript", "bad_character"])
def test_bad_an4_input_is_one_line_and_skip_bad_counts_it(tmp_path, case):
    import soundfile as sf

    root = _data(tmp_path)
    manifest, wav, txt = _first(root)
    if case == "missing_wav":
        wav.unlink()
        bad, fragment = f"{manifest}:1", "not found"
    elif case == "rate":
        sf.write(str(wav), np.zeros(8000, np.int16), 8000, subtype="PCM_16", format="WAV")
        bad, fragment = wav, "sample rate 8000 Hz"
    elif case == "corrupt":
        wav.write_bytes(b"RIFF\x00\x00junk")
        bad, fragment = wav, "cannot read audio"
    elif case == "empty_transcript":
        txt.write_text("\n")
        bad, fragment = txt, "empty transcript"
    else:
        txt.write_text("ENTER 3\n")
        bad, fragment = txt, "'3'"
    proc = run_cli("train.py", "--model", "deepspeech2", "--data_path", root, "--preprocess_only", cwd=tmp_path)
    assert_one_line_error(proc, str(bad), fragment)
    assert not (tmp_path / "preprocess_deepspeech2" / "meta.json").exists()
    if case not in ("missing_wav", "corrupt"):  # --skip_bad: a listing error and a per-utterance one
        return
    proc = run_cli("train.py", "--model", "deepspeech2", "--data_path", root, "--preprocess_only", "--skip_bad",
                   "true", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "skipped 1 bad utterance" in proc.stdout
    meta = json.loads((tmp_path / "preprocess_deepspeech2" / "meta.json").read_text())
    assert meta["skipped"] == 1 and meta["splits"]["train"]["n"] == 11


def test_spec_augment_masks_real_frames_of_training_batches_only(ds2_run):
    from lstm_ms.core.config import config_file, load_yaml
    from lstm_ms.tasks import get_task

    task = get_task("deepspeech2")
    meta = json.loads((ds2_run / "preprocess_deepspeech2" / "meta.json").read_text())
    cfg = {**load_yaml(config_file("deepspeech2", "CPU")), "preprocess_path": str(ds2_run / "preprocess_deepspeech2"),
           "bucket_lengths": [150, 200], "seed": 1}

    def batches(spec_augment, training=True):
        ds = task.dataset("train", {**cfg, "spec_augment": spec_augment}, meta, training=training)
        return list(ds.create_tuple_iterator(num_epochs=1, output_numpy=True))

    plain, masked = batches(False), batches(True)
    assert len(plain) == len(masked) > 0
    changed = 0
    for (x, frames, packed), (y, frames2, packed2) in zip(plain, masked):
        np.testing.assert_array_equal(frames, frames2)
        np.testing.assert_array_equal(packed, packed2)
        real = np.arange(x.shape[1])[None, :] < frames[:, None]
        np.testing.assert_array_equal(y[~real], x[~real])          # padding untouched
        differs = y != x
        assert np.all(y[differs] == 0.0)                             # masks only zero values
        changed += int(differs.any())
    assert changed == len(plain)                                     # every batch got masks
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches(True), masked))  # seeded: the same masks
    dev = task.dataset("dev", {**cfg, "spec_augment": True}, meta, training=False)
    dev_plain = task.dataset("dev", cfg, meta, training=False)
    for (a, *_), (b, *_) in zip(dev.create_tuple_iterator(num_epochs=1, output_numpy=True),
                                dev_plain.create_tuple_iterator(num_epochs=1, output_numpy=True)):
        np.testing.assert_array_equal(a, b)                          # never in evaluation
