import numpy as np
import pytest
import soundfile as sf

from lstm_ms.core.errors import UserError
from lstm_ms.core.phones import PHONES_61
from lstm_ms.data import synthetic, timit
from lstm_ms.data.audio import read_audio


def _tree(tmp_path, **kw):
    kw.setdefault("speakers_per_region", 1)
    return synthetic.write_timit(tmp_path / "corpus", **kw)


def _no_shared_speakers(splits):
    spk = {k: {u.speaker for u in v} for k, v in splits.items()}
    assert not (spk["train"] & spk["dev"] or spk["train"] & spk["test"] or spk["dev"] & spk["test"])


@pytest.mark.parametrize("case", ["upper", "lower"])
def test_ldc_layout_both_cases(tmp_path, case):
    base = _tree(tmp_path, case=case)
    assert base.name == ("TIMIT" if case == "upper" else "timit")
    assert (base / ("TRAIN/DR1" if case == "upper" else "train/dr1")).is_dir()
    # root may be the folder holding TRAIN/TEST or its parent
    utts = timit.find_utterances(base)
    assert timit.find_utterances(base.parent) == utts
    assert len(utts) == (8 * 1 + 8 * 2) * 3
    u = utts[0]
    assert (u.split, u.dialect, u.layout, u.sentence) == ("train", "dr1", "ldc", "sa1")
    assert u.speaker == u.speaker.lower() and u.id == f"{u.speaker}_sa1"
    assert {x.split for x in utts} == {"train", "test"}
    assert {"mdab0", "faks0"} <= {x.speaker for x in utts if x.split == "test"}
    audio = read_audio(u.wav)
    assert audio.dtype == np.float32 and audio.ndim == 1
    segs = timit.read_phn(u.phn, len(audio))
    assert segs[0][2] == segs[-1][2] == "h#" and segs[0][0] == 0 and segs[-1][1] == len(audio)
    assert all(a < b == c for (a, b, _), (c, _, _) in zip(segs, segs[1:]))
    assert all(p in PHONES_61 for _, _, p in segs)
    stem = u.wav.with_suffix("")
    wrd = stem.with_name(stem.name + (".WRD" if case == "upper" else ".wrd")).read_text().split("\n")
    txt = stem.with_name(stem.name + (".TXT" if case == "upper" else ".txt")).read_text().split()
    assert txt[:2] == ["0", str(len(audio))] and txt[-1].endswith(".") and len(wrd) >= 3


def test_nltk_layout(tmp_path):
    root = _tree(tmp_path, layout="nltk", audio="wav", sentences=("sa1", "sx3"))
    assert (root / "dr1-fxaa0" / "sa1.wav").is_file() and (root / "dr1-fxaa0" / "sa1.phn").is_file()
    utts = timit.find_utterances(root)
    assert len(utts) == 8 * 2 and {u.split for u in utts} == {"train"} and {u.layout for u in utts} == {"nltk"}
    assert utts[0].dialect == "dr1" and utts[0].speaker == "fxaa0"
    assert sf.info(str(utts[0].wav)).format == "WAV"


def test_sphere_and_wav_read_back_as_written(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768, 1234, -999], dtype=np.int16)
    path = synthetic.write_sphere(tmp_path / "X.WAV", samples)
    assert path.read_bytes()[:16] == b"NIST_1A\n   1024\n" and path.stat().st_size == 1024 + 2 * len(samples)
    info = sf.info(str(path))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("NIST", "PCM_16", 16000, 1)
    np.testing.assert_array_equal(read_audio(path), samples / np.float32(32768))
    # the same seed writes the same speech as SPHERE and as RIFF WAV
    sph = timit.find_utterances(_tree(tmp_path / "a", audio="sphere"))
    wav = timit.find_utterances(_tree(tmp_path / "b", audio="wav"))
    assert sf.info(str(sph[5].wav)).format == "NIST" and sf.info(str(wav[5].wav)).format == "WAV"
    for a, b in zip(sph[:6], wav[:6]):
        np.testing.assert_array_equal(read_audio(a.wav), read_audio(b.wav))
        assert a.phn.read_text() == b.phn.read_text()


def test_standard_splits(tmp_path):
    utts = timit.find_utterances(_tree(tmp_path, speakers_per_region=2))
    logged = []
    s = timit.split_utterances(utts, log=logged.append)
    assert logged == []
    assert {u.speaker for u in s["test"]} <= timit.CORE_TEST and len({u.speaker for u in s["test"]}) == 16
    assert {u.speaker for u in s["dev"]} == set(timit.DEV_SPEAKERS[:8])
    assert {u.split for u in s["train"]} == {"train"} and len(s["train"]) == 16 * 2
    assert not any(u.sentence.startswith("sa") for v in s.values() for u in v)
    _no_shared_speakers(s)


def test_complete_test_set(tmp_path):
    utts = timit.find_utterances(_tree(tmp_path))
    logged = []
    s = timit.split_utterances(utts, test_set="complete", log=logged.append)
    assert len(logged) == 1 and "dev" in logged[0]
    assert {u.speaker for u in s["test"]} == {u.speaker for u in utts if u.split == "test"}
    assert len(s["test"]) == 16 * 2 and {u.split for u in s["dev"]} == {"train"} and len(s["dev"]) == 2
    _no_shared_speakers(s)
    with pytest.raises(UserError, match="test_set"):
        timit.split_utterances(utts, test_set="full")


def test_fallback_splits(tmp_path):
    # NLTK sample: no TEST at all -> dev and test both held out from training speakers, one log line
    utts = timit.find_utterances(_tree(tmp_path / "n", layout="nltk", speakers_per_region=3))
    logged = []
    s = timit.split_utterances(utts, seed=1, log=logged.append)
    assert len(logged) == 1 and "seed 1" in logged[0]
    assert len({u.speaker for u in s["dev"]}) == 2 and len({u.speaker for u in s["test"]}) == 2
    assert len({u.speaker for u in s["train"]}) == 20
    _no_shared_speakers(s)
    assert timit.split_utterances(utts, seed=1, log=lambda m: None) == s
    assert timit.split_utterances(utts, seed=2, log=lambda m: None) != s
    # a TEST folder without core/dev speakers: test = its speakers, dev from training speakers
    utts = timit.find_utterances(_tree(tmp_path / "p", include_core=False))
    logged = []
    s = timit.split_utterances(utts, log=logged.append)
    assert len(logged) == 1
    assert {u.split for u in s["test"]} == {"test"} and len(s["test"]) == 8 * 2
    assert {u.split for u in s["dev"]} == {"train"} and len({u.speaker for u in s["dev"]}) == 1
    _no_shared_speakers(s)


def _error(fn, *args):
    with pytest.raises(UserError) as info:
        fn(*args)
    return info.value


def test_layout_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    e = _error(timit.find_utterances, tmp_path / "empty")
    assert e.path == str(tmp_path / "empty") and "TRAIN" in e.problem and "dr1-" in e.problem
    e = _error(timit.find_utterances, tmp_path / "missing")
    assert e.path == str(tmp_path / "missing")
    base = _tree(tmp_path)
    e = _error(timit.find_utterances, base / "TRAIN" / "DR1" / "FXAA0" / "SA1.PHN")    # a file, not the folder
    assert "not a folder" in e.problem
    phn = next((base / "TRAIN" / "DR2").iterdir()) / "SI1.PHN"
    phn.unlink()
    e = _error(timit.find_utterances, base)
    assert e.path == str(phn.with_suffix(".WAV")) and "PHN" in e.problem


def test_audio_errors(tmp_path):
    cases = {"rate.wav": (np.zeros(100, np.int16), 8000), "stereo.wav": (np.zeros((100, 2), np.int16), 16000)}
    for name, (data, rate) in cases.items():
        sf.write(str(tmp_path / name), data, rate, subtype="PCM_16")
    e = _error(read_audio, tmp_path / "rate.wav")
    assert e.path == str(tmp_path / "rate.wav") and "8000" in e.problem
    e = _error(read_audio, tmp_path / "stereo.wav")
    assert "2 channels" in e.problem
    (tmp_path / "junk.WAV").write_bytes(b"NIST_1A\n   10")
    e = _error(read_audio, tmp_path / "junk.WAV")
    assert e.path == str(tmp_path / "junk.WAV") and "\n" not in e.problem
    e = _error(read_audio, tmp_path / "none.WAV")
    assert e.path == str(tmp_path / "none.WAV")


def test_truncated_audio_folders_and_broken_links(tmp_path):
    samples = np.arange(4000, dtype=np.int16)
    sph = synthetic.write_sphere(tmp_path / "SA1.WAV", samples)
    sf.write(str(tmp_path / "sa1.wav"), samples, 16000, subtype="PCM_16")
    for path in (sph, tmp_path / "sa1.wav"):
        assert len(read_audio(path)) == 4000
        path.write_bytes(path.read_bytes()[:-2000])         # cut short: 1000 samples fewer than the header says
        e = _error(read_audio, path)
        assert e.path == str(path) and e.problem == "truncated: the header promises 4000 samples, the file holds 3000"
    (tmp_path / "folder.wav").mkdir()
    assert _error(read_audio, tmp_path / "folder.wav").problem == "is a folder, not an audio file"
    (tmp_path / "link.wav").symlink_to(tmp_path / "gone.wav")
    assert _error(read_audio, tmp_path / "link.wav").problem == "audio file not found (a broken link)"


@pytest.mark.parametrize("lines, line, words", [
    (["0 100 h#", "100 oops"], 2, "start end phone"),
    (["0 100 h#", "100 x7 aa"], 2, "start end phone"),
    (["0 100 h#", "100 100 aa"], 2, "not before"),
    (["0 100 h#", "", "100 2000 aa"], 3, "past the audio"),
    (["0 100 h#", "100 200 xx"], 2, "'xx'"),
    (["0 100 h#", "200 300 aa", "100 200 b"], 3, "starts before the previous one (line 2) ends at 300"),  # swapped
    (["0 100 h#", "90 200 aa"], 2, "out of order or overlapping"),                                       # overlap
])
def test_phn_errors(tmp_path, lines, line, words):
    path = tmp_path / "SA1.PHN"
    path.write_text("\n".join(lines) + "\n")
    e = _error(timit.read_phn, path, 1000)
    assert (e.path, e.line) == (str(path), line) and words in e.problem
    assert str(e).startswith(f"{path}:{line}: ")


def test_phn_gap_is_allowed(tmp_path):
    path = tmp_path / "SA1.PHN"
    path.write_text("100 200 h#\n250 400 aa\n400 1000 h#\n")      # an unlabelled stretch, e.g. a lost line
    assert timit.read_phn(path, 1000) == [(100, 200, "h#"), (250, 400, "aa"), (400, 1000, "h#")]
    (tmp_path / "dir.PHN").mkdir()
    assert "cannot read" in _error(timit.read_phn, tmp_path / "dir.PHN", 1000).problem
