"""Bad speech data through the real entry points, in-process: one line ``error: <path>: <problem>``, exit 2
and no meta.json; ``--skip_bad`` counts and names what it leaves out, and deployment preprocessing
(preprocess.py) leaves out the same utterances."""
import json
import tempfile

import numpy as np
import pytest

from lstm_ms.cli import preprocess, run, train
from lstm_ms.core import deploy
from lstm_ms.core.errors import UserError
from lstm_ms.core.fingerprint import files_fingerprint
from lstm_ms.data import an4, synthetic, timit
from lstm_ms.tasks import get_task

SIZES = dict(n_train=12, n_val=4, n_test=5, speakers=(3, 2, 2), seed=1)


def _prepare(tmp_path, model, root, *extra):
    """``train.py --preprocess_only`` in-process through the CLI's error handling: (exit code, preprocess_path)."""
    pre = tmp_path / f"pre_{model}"
    argv = ["--model", model, "--data_path", str(root), "--preprocess_only", "--preprocess_path", str(pre), *extra]
    with pytest.raises(SystemExit) as info:
        run(train.main, argv)
    return info.value.code, pre


def _fails(capsys, tmp_path, model, root, *fragments, extra=()):
    code, pre = _prepare(tmp_path, model, root, *extra)
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and err[0].startswith("error: "), err
    for fragment in fragments:
        assert str(fragment) in err[0], err[0]
    assert not (pre / "meta.json").exists()
    return err[0]


def _meta(tmp_path, model, root, *extra):
    code, pre = _prepare(tmp_path, model, root, *extra)
    assert code == 0
    return json.loads((pre / "meta.json").read_text()), pre


def _cmu(tmp_path):
    return synthetic.write_an4(tmp_path / "cmu", layout="cmu", **SIZES)


def _manifest(tmp_path):
    return synthetic.write_an4(tmp_path / "an4", **SIZES)


# ---------------------------------------------------------------- CMU: a listed .sph missing, --skip_bad counts
def test_cmu_missing_sph_names_the_listing_line(tmp_path, capsys):
    root = _cmu(tmp_path)
    gone = an4.read_cmu(root, "train")[2].sph
    gone.unlink()
    fileids = root / "an4" / "etc" / "an4_train.fileids"
    _fails(capsys, tmp_path, "deepspeech2", root, f"error: {fileids}:3: audio file not found: {gone}")


def test_cmu_skip_bad_counts_missing_and_unreadable_audio(tmp_path):
    root = _cmu(tmp_path)
    train_utts, test_utts = an4.read_cmu(root, "train"), an4.read_cmu(root, "test")
    train_utts[2].sph.unlink()                                              # a listing error (fingerprint)
    test_utts[1].sph.write_bytes(test_utts[1].sph.read_bytes()[:1000])      # an audio error (conversion)
    meta, pre = _meta(tmp_path, "deepspeech2", root, "--skip_bad", "true")
    assert meta["skipped"] == 2
    assert meta["skipped_utterances"] == ["an4_test.transcription:2", "an4_train.fileids:3"]
    n = {s: meta["splits"][s]["n"] for s in ("train", "dev", "test")}
    assert n["train"] + n["dev"] == len(train_utts) - 1 and n["test"] == len(test_utts) - 1
    converted = {e.id for s in an4.SPLITS for e in an4.find_split(pre / "an4_manifests", s)}
    assert train_utts[2].id not in converted and test_utts[1].id not in converted and len(converted) == 19


# ---------------------------------------------------------------- the 310 chain after --skip_bad
def _sidecar(tmp_path, meta, pre):
    """An export's sidecar for the preprocessed data (preprocess.py reads only the sidecar)."""
    mindir = tmp_path / "export" / "deepspeech2.mindir"
    mindir.parent.mkdir()
    inputs = [("features", "float32", (2, meta["max_frames"], meta["num_features"])), ("lengths", "int32", (2,))]
    outputs = [("output_0", "float32", (2, meta["max_frames"], 29)), ("output_1", "int32", (2,))]
    deploy.write_sidecar(mindir, "deepspeech2", inputs, outputs, meta, {"labels.txt": pre / "labels.txt"})
    return mindir


@pytest.mark.parametrize("layout", ["cmu", "manifest"])
def test_deployment_preprocessing_skips_what_training_skipped(tmp_path, monkeypatch, layout):
    if layout == "cmu":
        root = _cmu(tmp_path)
        test = an4.read_cmu(root, "test")
        test[1].sph.unlink()
        test[3].sph.write_bytes(b"NIST_1A\n   1024\njunk")
        good = [u.text for k, u in enumerate(test) if k not in (1, 3)]
    else:
        root = _manifest(tmp_path)
        test = an4.find_split(root, "test")
        test[1].txt.unlink()
        test[3].wav.write_bytes(b"RIFF\x00\x00junk")
        good = [an4.read_transcript(e.txt) for k, e in enumerate(test) if k not in (1, 3)]
    meta, pre = _meta(tmp_path, "deepspeech2", root, "--skip_bad", "true")
    assert meta["skipped"] == 2 and meta["splits"]["test"]["n"] == len(good)
    mindir = _sidecar(tmp_path, meta, pre)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    argv = ["--model", "deepspeech2", "--mindir_file", str(mindir), "--dataset_path", str(root),
            "--result_path", str(tmp_path / "bins"), "--split", "test"]
    assert preprocess.main(argv) == 0
    labels = np.load(tmp_path / "bins" / "label_ids.npy").reshape(-1, 1 + max(len(t) for t in good))
    rows = [row for row in labels if row[0] >= 0]
    assert [an4.decode_ids(row[1:][row[1:] >= 0]) for row in rows] == good
    assert len(list((tmp_path / "bins" / "00_data").iterdir())) == 2        # 3 utterances in batches of 2
    assert list(temp.iterdir()) == []                                       # no converted copy left behind
    # an export of data preprocessed without those skips refuses the bad utterance instead
    side = json.loads(deploy.sidecar_path(mindir).read_text())
    side["meta"]["skipped_utterances"] = side["meta"]["skipped_utterances"][:-1]
    deploy.sidecar_path(mindir).write_text(json.dumps(side))
    with pytest.raises(UserError) as info:
        preprocess.main(argv[:-4] + ["--result_path", str(tmp_path / "bins2"), "--split", "test"])
    assert info.value.path == str(test[3].wav)
    assert not (tmp_path / "bins2").exists()


def test_deployment_uses_the_split_settings_of_preprocessing(tmp_path):
    root = synthetic.write_timit(tmp_path / "timit", speakers_per_region=1, sentences=("sa1", "si1", "sx1"))
    meta, _ = _meta(tmp_path, "ctc", root, "--test_set", "complete")
    portable = {k: v for k, v in meta.items() if k != "fingerprint"}      # as an export's sidecar holds it
    task = get_task("ctc")
    assert len(task.raw_split(root, portable, "test")) == meta["splits"]["test"]["n"] == 32
    with pytest.raises(UserError, match="--split"):
        task.raw_split(root, portable, "val")


# ---------------------------------------------------------------- audio a CTC model cannot learn from
@pytest.mark.parametrize("case", ["silent", "too_short", "truncated"])
def test_audio_that_cannot_match_its_transcript(tmp_path, capsys, case):
    import soundfile as sf

    root = _manifest(tmp_path)
    entry = an4.find_split(root, "train")[0]
    if case == "silent":
        sf.write(str(entry.wav), np.zeros(16000, np.int16), 16000, subtype="PCM_16")
        fragment = "every sample is zero"
    elif case == "too_short":       # 0.1 s: 6 output frames after the stride-2 conv, 26 letters + spaces
        sf.write(str(entry.wav), np.full(1600, 900, np.int16), 16000, subtype="PCM_16")
        entry.txt.write_text("A B C D E F G H I J K L M\n")
        fragment = "too short for its transcript: 6 output frames, CTC needs at least 25"
    else:                           # a download cut short: the WAV header promises more than the file holds
        entry.wav.write_bytes(entry.wav.read_bytes()[:44 + 3000])
        fragment = "truncated: the header promises"
    _fails(capsys, tmp_path, "deepspeech2", root, f"error: {entry.wav}: {fragment}")


# ---------------------------------------------------------------- listings that would leak or double data
def test_an_audio_file_listed_twice(tmp_path, capsys):
    root = _manifest(tmp_path)
    line = (root / "an4_test_manifest.csv").read_text().splitlines()[2]
    train_manifest = root / "an4_train_manifest.csv"
    train_manifest.write_text(train_manifest.read_text() + line + "\n")     # a test utterance also in train
    _fails(capsys, tmp_path, "deepspeech2", root, f"error: {root / 'an4_test_manifest.csv'}:3: audio file",
           "is already listed on line 13 of an4_train_manifest.csv")
    # --skip_bad does not hide it: it is no bad file
    _fails(capsys, tmp_path, "deepspeech2", root, "is already listed", extra=("--skip_bad", "true"))


def test_timit_speaker_in_train_and_test(tmp_path, capsys):
    import shutil

    root = synthetic.write_timit(tmp_path / "timit", speakers_per_region=1, sentences=("sa1", "si1"))
    speaker = root / "TEST" / "DR1" / "MDAB0"
    copy = root / "TRAIN" / "DR1" / "MDAB0"
    shutil.copytree(speaker, copy)
    _fails(capsys, tmp_path, "ctc", root, f"error: {speaker}: speaker mdab0 is also in {copy}")


def test_timit_broken_link(tmp_path, capsys):
    root = synthetic.write_timit(tmp_path / "timit", speakers_per_region=1, sentences=("sa1", "si1"))
    utt = [u for u in timit.find_utterances(root) if u.sentence == "si1"][3]
    utt.wav.unlink()
    utt.wav.symlink_to(tmp_path / "moved" / "SI1.WAV")
    _fails(capsys, tmp_path, "ctc", root, f"error: {utt.wav}: a broken link")
    with pytest.raises(UserError, match="cannot read"):   # the fingerprint's own guard names such a file too
        files_fingerprint([utt.phn, utt.wav])


def test_timit_phn_with_only_q(tmp_path, capsys):
    from lstm_ms.data.audio import read_audio

    root = synthetic.write_timit(tmp_path / "timit", speakers_per_region=1, sentences=("sa1", "si1"))
    utt = [u for u in timit.find_utterances(root) if u.sentence == "si1"][3]
    utt.phn.write_text(f"0 {len(read_audio(utt.wav))} q\n")
    _fails(capsys, tmp_path, "ctc", root, f"error: {utt.phn}: no phones left")
