import os

import numpy as np
import pytest
import soundfile as sf

from lstm_ms.core.errors import UserError
from lstm_ms.data import an4, synthetic
from lstm_ms.data.audio import read_audio

SIZES = dict(n_train=12, n_val=4, n_test=5, speakers=(3, 2, 2))
VOCAB = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") | set(
    "ZERO OH ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE RUBOUT ENTER STOP YES NO REPEAT".split())


def _corpus(tmp_path, layout="manifest", name=None, **kw):
    return synthetic.write_an4(tmp_path / (name or layout), layout=layout, **{**SIZES, **kw})


def _error(fn, *args, **kw):
    with pytest.raises(UserError) as info:
        fn(*args, **kw)
    return info.value


def _speaker(uid):
    return uid.split("-")[1]


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- labels
def test_labels_encode_decode():
    assert an4.LABELS == "_'ABCDEFGHIJKLMNOPQRSTUVWXYZ " and len(an4.LABELS) == 29
    ids = an4.encode_transcript("  rubout\tG  m\n don't ", "x.txt")
    assert ids.dtype == np.int32
    assert an4.decode_ids(ids) == "RUBOUT G M DON'T"
    np.testing.assert_array_equal(an4.encode_transcript("A' Z", "x"), [2, 1, 28, 27])
    assert an4.decode_ids([0, 2, 0, 0, 3, 28, 0]) == "AB "            # blanks dropped
    assert an4.decode_ids(np.zeros(0, np.int64)) == ""
    with pytest.raises(ValueError):
        an4.decode_ids([29])
    rng = np.random.default_rng(0)
    for _ in range(20):
        text = " ".join("".join(rng.choice(list(an4.LABELS[1:-1]), size=rng.integers(1, 6)))
                        for _ in range(rng.integers(1, 5)))
        assert an4.decode_ids(an4.encode_transcript(text, "x")) == text


def test_encode_errors_name_file_line_and_character():
    e = _error(an4.encode_transcript, "RUBOUT G 3", "an4/etc/an4_train.transcription", line=12)
    assert str(e) == "an4/etc/an4_train.transcription:12: character '3' is not in the label set"
    assert (e.path, e.line) == ("an4/etc/an4_train.transcription", 12)
    for bad in ("A_B", "ÉTÉ", "A-B", "A.", "日"):
        assert "is not in the label set" in str(_error(an4.encode_transcript, bad, "t.txt"))
    assert "'_'" in str(_error(an4.encode_transcript, "A_B", "t.txt"))
    assert str(_error(an4.encode_transcript, " \t\n", "t.txt", line=3)) == "t.txt:3: empty transcript"


# ---------------------------------------------------------------- the two layouts
def test_manifest_layout_reads_back(tmp_path):
    root = _corpus(tmp_path)
    assert an4.detect_layout(root) == "manifest"
    first = (root / "an4_train_manifest.csv").read_text().splitlines()[0]
    assert first == "an4_dataset/train/wav/an1-faaa-b.wav,an4_dataset/train/txt/an1-faaa-b.txt"
    splits = {s: an4.find_split(root, s) for s in an4.SPLITS}
    assert [len(splits[s]) for s in an4.SPLITS] == [12, 4, 5]
    speakers = {s: {_speaker(e.id) for e in v} for s, v in splits.items()}
    assert [len(speakers[s]) for s in an4.SPLITS] == [3, 2, 2]
    assert not (speakers["train"] & speakers["val"] or speakers["train"] & speakers["test"]
                or speakers["val"] & speakers["test"])
    e = splits["val"][1]
    assert (e.manifest, e.line) == (root / "an4_val_manifest.csv", 2)
    assert e.wav == root / "an4_dataset" / "val" / "wav" / f"{e.id}.wav" and e.txt.name == f"{e.id}.txt"
    for e in splits["train"] + splits["test"]:
        audio, ids = an4.read_utterance(e)
        assert audio.dtype == np.float32 and 0.8 <= audio.size / 16000 <= 2.6
        assert 0.05 < np.abs(audio).max() < 1.0
        text = an4.read_transcript(e.txt)
        assert an4.decode_ids(ids) == text and set(text.split()) <= VOCAB
    info = sf.info(str(e.wav))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", 16000, 1)
    # deterministic given the seed
    assert _tree_bytes(_corpus(tmp_path, name="again")) == _tree_bytes(root)
    other = _tree_bytes(_corpus(tmp_path, name="seed1", seed=1))
    assert other.keys() == _tree_bytes(root).keys() and other != _tree_bytes(root)


def test_cmu_layout_reads_back(tmp_path):
    root = _corpus(tmp_path, "cmu")
    base = root / "an4"
    assert an4.detect_layout(root) == an4.detect_layout(base) == "cmu"
    assert (base / "etc" / "an4_train.fileids").read_text().splitlines()[0] == "an4_clstk/faaa/an1-faaa-b"
    line = (base / "etc" / "an4_test.transcription").read_text().splitlines()[0]
    assert line.startswith("<s> ") and line.endswith(" </s> (an17-maaf-b)")
    train = an4.read_cmu(root, "train")
    test = an4.read_cmu(base, "test")
    assert len(train) == 16 and len(test) == 5      # no val in CMU's release: val speakers are in train
    assert {u.speaker for u in train} == {"faaa", "maab", "faac", "maad", "faae"}
    assert {u.speaker for u in test} == {"maaf", "faag"}
    u = test[2]
    assert u.sph == base / "wav" / "an4test_clstk" / u.speaker / f"{u.id}.sph" and u.line == 3
    assert train[0].sph.parent.parent.name == "an4_clstk"
    header = u.sph.read_bytes()[:1024]
    assert header.startswith(b"NIST_1A\n   1024\n") and b"sample_byte_format -s2 10" in header
    info = sf.info(str(u.sph))
    assert (info.format, info.endian, info.samplerate) == ("NIST", "BIG", 16000)
    # the same seed writes the same speech and text in both layouts
    manifest = _corpus(tmp_path)
    entries = an4.find_split(manifest, "train") + an4.find_split(manifest, "val") + an4.find_split(manifest, "test")
    assert [e.id for e in entries] == [u.id for u in train + test]
    for e, u in zip(entries, train + test):
        assert an4.read_transcript(e.txt) == u.text
        np.testing.assert_array_equal(read_audio(e.wav), read_audio(u.sph))
    # a CMU tree is not a manifest layout
    e = _error(an4.find_split, root, "train")
    assert e.path == str(root) and "convert" in e.problem


def test_sphere_byte_orders_read_the_same(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768, 1234, -999, 258], dtype=np.int16)
    little = synthetic.write_sphere(tmp_path / "le.sph", samples)
    big = synthetic.write_sphere(tmp_path / "be.sph", samples, byte_format="10", database_id="AN4")
    assert little.read_bytes()[1024:] == samples.astype("<i2").tobytes()
    assert big.read_bytes()[1024:] == samples.astype(">i2").tobytes()
    assert sf.info(str(little)).endian == "LITTLE" and sf.info(str(big)).endian == "BIG"
    np.testing.assert_array_equal(read_audio(little), samples / np.float32(32768))
    np.testing.assert_array_equal(read_audio(big), read_audio(little))
    with pytest.raises(ValueError):
        synthetic.write_sphere(tmp_path / "x.sph", samples, byte_format="1")


def test_relative_and_absolute_manifest_paths(tmp_path):
    root = _corpus(tmp_path)
    entries = an4.find_split(root, "test")
    lines = (root / "an4_test_manifest.csv").read_text().splitlines()
    # absolute paths are used as they are, relative ones resolve against the manifest's folder
    absolute = [f"{root / w},{root / t}" for w, t in (x.split(",") for x in lines)]
    (tmp_path / "elsewhere").mkdir()
    mixed = tmp_path / "elsewhere" / "m.csv"
    mixed.write_text("\n".join([absolute[0], "", f"../manifest/{lines[1]}".replace(",", ",../manifest/")]
                               + absolute[2:]) + "\n\n")
    got = an4.read_manifest(mixed)
    assert [g.line for g in got] == [1, 3, 4, 5, 6]
    assert [os.path.realpath(g.wav) for g in got] == [os.path.realpath(e.wav) for e in entries]
    assert [os.path.realpath(g.txt) for g in got] == [os.path.realpath(e.txt) for e in entries]
    assert got[0].wav.is_absolute() and str(got[1].wav).startswith(str(tmp_path / "elsewhere"))
    assert [an4.read_utterance(g)[1].tolist() for g in got] == [an4.read_utterance(e)[1].tolist() for e in entries]


def test_detect_layout_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    e = _error(an4.detect_layout, tmp_path / "empty")
    assert str(e) == (f"{tmp_path / 'empty'}: no AN4 data found: expected an4_{{train,val,test}}_manifest.csv or "
                      "an4/etc/an4_train.fileids")
    assert _error(an4.detect_layout, tmp_path / "missing").path == str(tmp_path / "missing")
    assert _error(an4.find_split, tmp_path / "empty", "train").path == str(tmp_path / "empty")
    assert _error(an4.read_cmu, tmp_path / "empty", "train").path == str(tmp_path / "empty")
    assert "split" in str(_error(an4.find_split, tmp_path / "empty", "dev"))
    # a manifest layout without one of its manifests
    root = _corpus(tmp_path)
    (root / "an4_val_manifest.csv").unlink()
    assert an4.detect_layout(root) == "manifest"
    e = _error(an4.find_split, root, "val")
    assert e.path == str(root / "an4_val_manifest.csv") and "not found" in e.problem


# ---------------------------------------------------------------- CMU -> manifest conversion
def test_convert_cmu(tmp_path):
    root = _corpus(tmp_path, "cmu", n_train=20, n_val=4, speakers=(5, 2, 2))
    logged = []
    out = an4.convert_cmu(root / "an4", tmp_path / "converted", val_fraction=0.1, seed=0, log=logged.append)
    assert out == tmp_path / "converted" and len(logged) == 1
    assert "(1 speakers), test 5 utterances (2 speakers)" in logged[0] and "seed 0" in logged[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmu", "converted"]    # no temporary folder left
    assert an4.detect_layout(out) == "manifest"
    for split in an4.SPLITS:
        for line in (out / f"an4_{split}_manifest.csv").read_text().splitlines():
            assert all(p.startswith(f"an4_dataset/{split}/") for p in line.split(","))
    splits = {s: an4.find_split(out, s) for s in an4.SPLITS}
    speakers = {s: {_speaker(e.id) for e in v} for s, v in splits.items()}
    assert len(splits["train"]) + len(splits["val"]) == 24 and len(splits["test"]) == 5
    assert len(speakers["val"]) == 1 and not speakers["val"] & speakers["train"]
    assert not speakers["test"] & (speakers["train"] | speakers["val"])
    cmu = {u.id: u for s in an4.CMU_SPLITS for u in an4.read_cmu(root, s)}
    for e in splits["val"] + splits["test"][:2]:
        audio, ids = an4.read_utterance(e)
        np.testing.assert_array_equal(audio, read_audio(cmu[e.id].sph))       # lossless 16-bit copy
        assert an4.decode_ids(ids) == cmu[e.id].text
        assert sf.info(str(e.wav)).subtype == "PCM_16"
    # seeded: the same seed picks the same speakers, the output folder must be new or empty
    (tmp_path / "empty").mkdir()
    again = an4.convert_cmu(root, tmp_path / "empty", seed=0, log=lambda m: None)
    assert {e.id for e in an4.find_split(again, "val")} == {e.id for e in splits["val"]}
    held = {frozenset(_speaker(e.id) for e in an4.find_split(
        an4.convert_cmu(root, tmp_path / f"s{seed}", val_fraction=0.3, seed=seed, log=lambda m: None), "val"))
        for seed in range(1, 5)}
    assert len(held) > 1 and all(2 <= len(h) <= 3 for h in held)     # 30 % of 24 utterances (speakers of 4 or 2)
    e = _error(an4.convert_cmu, root, out, log=lambda m: None)
    assert e.path == str(out) and "exists" in e.problem
    e = _error(an4.convert_cmu, root, tmp_path / "x", val_fraction=1.0, log=lambda m: None)
    assert "val_fraction" in str(e)


def test_convert_cmu_is_atomic(tmp_path):
    root = _corpus(tmp_path, "cmu")
    bad = an4.read_cmu(root, "test")[-1].sph        # the last file converted: train and val are written first
    bad.write_bytes(bad.read_bytes()[:1024 - 7])
    e = _error(an4.convert_cmu, root, tmp_path / "out" / "an4", log=lambda m: None)
    assert e.path == str(bad) and "cannot read audio" in e.problem
    assert not (tmp_path / "out" / "an4").exists() and list((tmp_path / "out").iterdir()) == []
    # another rate is named too; with skip_bad the bad utterances are counted and left out
    rate = an4.read_cmu(root, "train")[3].sph
    synthetic.write_sphere(rate, np.zeros(8000, np.int16), sample_rate=8000, byte_format="10")
    e = _error(an4.convert_cmu, root, tmp_path / "out" / "an4", log=lambda m: None)
    assert e.path == str(rate) and "8000" in e.problem
    logged = []
    out = an4.convert_cmu(root, tmp_path / "out" / "an4", log=logged.append, skip_bad=True)
    assert "skipped 2 bad utterances" in logged[0]
    ids = {e.id for s in an4.SPLITS for e in an4.find_split(out, s)}
    assert len(ids) == 19 and bad.stem not in ids and rate.stem not in ids
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["an4"]


# ---------------------------------------------------------------- bad input names the file (and line)
def test_manifest_errors(tmp_path):
    root = _corpus(tmp_path)
    lines = (root / "an4_train_manifest.csv").read_text().splitlines()
    manifest = root / "bad.csv"

    def check(text, problem, line):
        manifest.write_text(text)
        e = _error(an4.read_manifest, manifest)
        assert (e.path, e.line) == (str(manifest), line) and problem in e.problem, str(e)
        assert str(e).startswith(f"{manifest}:{line}: ")
        return e

    missing_wav = lines[2].replace("an3-", "an999-", 1)
    e = check("\n".join([lines[0], "", missing_wav, lines[3]]), "audio file not found", 3)
    assert str(root / "an4_dataset/train/wav/an999-faaa-b.wav") in e.problem
    check("\n".join(lines[:1] + [lines[1].rsplit(",", 1)[0] + ",nothing.txt"]), "transcript file not found", 2)
    for malformed in ("only_one_field.wav", "a.wav,b.txt,c", "a.wav,", ",b.txt"):
        check(lines[0] + "\n" + malformed + "\n", "expected 'wav_path,txt_path'", 2)
    # with an errors list bad lines are collected and skipped
    manifest.write_text("\n".join([lines[0], missing_wav, "x", lines[4]]))
    errors = []
    assert [e.line for e in an4.read_manifest(manifest, errors)] == [1, 4]
    assert [(x.path, x.line) for x in errors] == [(str(manifest), 2), (str(manifest), 3)]
    manifest.write_text("\n \n")
    assert "empty manifest" in str(_error(an4.read_manifest, manifest))
    assert _error(an4.read_manifest, root / "none.csv").path == str(root / "none.csv")
    manifest.write_bytes(lines[0].encode() + b"\n\xff\xfe,x\n")
    e = _error(an4.read_manifest, manifest)
    assert (e.path, e.line) == (str(manifest), 2) and "UTF-8" in e.problem
    # a folder where a file should be is named as such; a byte-order mark (Excel's CSV) is no error
    folder, txt = lines[0].split(",")[0].rsplit("/", 1)[0], lines[0].split(",")[1]
    check(f"{folder},{txt}\n", f"audio file is a folder: {root / folder}", 1)
    manifest.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines[:2]).encode())
    assert [e.wav for e in an4.read_manifest(manifest)] == [root / l.split(",")[0] for l in lines[:2]]
    e = _error(an4.detect_layout, manifest)
    assert e.path == str(manifest) and "not a folder" in e.problem


def test_an_audio_file_listed_twice(tmp_path):
    root = _corpus(tmp_path)
    assert [len(v) for v in an4.find_splits(root).values()] == [12, 4, 5]
    val = root / "an4_val_manifest.csv"
    first = val.read_text().splitlines()[0]
    val.write_text(val.read_text() + first.replace("an4_dataset/", "./an4_dataset/", 1) + "\n")   # same file
    e = _error(an4.find_splits, root)
    assert (e.path, e.line) == (str(val), 5) and "is already listed on line 1 of an4_val_manifest.csv" in e.problem
    assert _error(an4.find_splits, root, []).line == 5                  # never skipped

def test_utterance_errors(tmp_path):
    root = _corpus(tmp_path)
    entries = an4.find_split(root, "test")

    def fails(entry, path, problem):
        e = _error(an4.read_utterance, entry)
        assert e.path == str(path) and problem in e.problem, str(e)
        return e

    e0 = entries[0]
    sf.write(str(e0.wav), np.zeros(4000, np.int16), 8000, subtype="PCM_16")
    fails(e0, e0.wav, "8000")
    e1 = entries[1]
    e1.wav.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    fails(e1, e1.wav, "cannot read audio")
    e2 = entries[2]
    e2.txt.write_text(" \n\n")
    fails(e2, e2.txt, "empty transcript")
    e3 = entries[3]
    e3.txt.write_text("RUBOUT 3 G\n")
    assert "character '3'" in str(fails(e3, e3.txt, "not in the label set"))
    e4 = entries[4]
    e4.txt.write_bytes(b"RUBOUT\nG\n")
    assert fails(e4, e4.txt, "one line").line == 2
    e4.txt.write_bytes(b"RUB\xe9OUT\n")
    fails(e4, e4.txt, "UTF-8")
    e4.txt.unlink()
    fails(e4, e4.txt, "not found")


def test_cmu_transcription_errors(tmp_path):
    root = _corpus(tmp_path, "cmu")
    trans = root / "an4" / "etc" / "an4_train.transcription"
    good = trans.read_text().splitlines()

    def check(n, new, problem, split="train"):
        lines = list(good)
        lines[n - 1] = new
        trans.write_text("\n".join(lines) + "\n")
        e = _error(an4.read_cmu, root, split)
        assert (e.path, e.line) == (str(trans), n) and problem in e.problem, str(e)
        assert str(e).startswith(f"{trans}:{n}: ")
        return e

    e = check(12, good[11].replace("</s>", "3 </s>"), "not in the label set")
    assert str(e) == f"{trans}:12: character '3' is not in the label set"
    check(4, "<s> YES </s> (an5-faaa-b)", "does not match 'an4-faaa-b'")
    check(2, "<s> YES </s>", "expected '<s> TEXT </s> (utterance-id)'")
    check(3, "<s> </s> (an3-faaa-b)", "empty transcript")
    # the <s> markers are optional, extra spaces are fine
    lines = list(good)
    lines[0] = "rubout  g (an1-faaa-b)"
    trans.write_text("\n".join(lines) + "\n")
    assert an4.read_cmu(root, "train")[0].text == "RUBOUT G"
    # with an errors list a bad transcript is collected and its utterance left out
    lines[4] = "<s> A_B </s> (an5-maab-b)"
    trans.write_text("\n".join(lines) + "\n")
    errors = []
    assert len(an4.read_cmu(root, "train", errors)) == len(good) - 1
    assert [(x.path, x.line) for x in errors] == [(str(trans), 5)]
    # a listed audio file that is missing: the fileids line names it; with an errors list it is left out
    trans.write_text("\n".join(good) + "\n")
    fileids = root / "an4" / "etc" / "an4_train.fileids"
    gone = an4.read_cmu(root, "train")[6].sph
    gone.unlink()
    e = _error(an4.read_cmu, root, "train")
    assert (e.path, e.line, e.problem) == (str(fileids), 7, f"audio file not found: {gone}")
    errors = []
    assert gone not in [u.sph for u in an4.read_cmu(root, "train", errors)]
    assert [str(x) for x in errors] == [str(e)] and an4.where_of(errors[0]) == "an4_train.fileids:7"
    skipped = []
    out = an4.convert_cmu(root, tmp_path / "out", log=lambda m: None, skip_bad=True, skipped=skipped)
    assert [w for w, _ in skipped] == ["an4_train.fileids:7"]
    assert sum(len(an4.find_split(out, s)) for s in an4.SPLITS) == len(good) - 1 + 5
    # fileids and transcription out of step
    trans.write_text("\n".join(good[:-1]) + "\n")
    e = _error(an4.read_cmu, root, "train")
    fileids = root / "an4" / "etc" / "an4_train.fileids"
    assert (e.path, e.line) == (str(fileids), len(good)) and "transcriptions" in e.problem
