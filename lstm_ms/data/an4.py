"""Reader for the AN4 alphanumeric speech corpus (CMU) in the two layouts users have.

``manifest``: as deepspeech.pytorch / the ModelZoo DeepSpeech2 seed prepare it,
``<data_path>/an4_{train,val,test}_manifest.csv`` with one ``wav_path,txt_path`` line per utterance (relative
paths resolve against the manifest's folder), usually pointing into ``an4_dataset/<split>/{wav,txt}/``.
``cmu``: CMU's ``an4_sphere.tar.gz`` unpacked, ``an4/etc/an4_{train,test}.{fileids,transcription}`` and
16 kHz NIST SPHERE audio under ``an4/wav/{an4_clstk,an4test_clstk}/<speaker>/<id>.sph``;
:func:`cmu_splits` reads it as train/val/test (holding out whole training speakers for val) and
:func:`convert_cmu` turns it into the manifest layout.

Every problem with the data is a ``UserError`` naming the file (and line), raised per item so that a
caller can catch, count and skip bad utterances. Each utterance has a ``where``, ``<listing file>:<line>``,
that names it in a way that survives a copy of the corpus (what ``--skip_bad`` records).
"""
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import UserError
from .audio import SAMPLE_RATE, read_audio

# deepspeech.pytorch's labels.json: CTC blank "_" at 0, apostrophe, A-Z, space.
LABELS = "_'ABCDEFGHIJKLMNOPQRSTUVWXYZ "
BLANK = 0
SPLITS = ("train", "val", "test")
CMU_SPLITS = ("train", "test")
_CMU_AUDIO = {"train": "an4_clstk", "test": "an4test_clstk"}
_LOOKUP = np.full(128, -1, np.int32)           # ASCII code -> label id, -1 if not a label
_LOOKUP[np.frombuffer(LABELS[1:].encode("ascii"), np.uint8)] = np.arange(1, len(LABELS), dtype=np.int32)
_TRANSCRIPTION = re.compile(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\(\s*([^()\s]+)\s*\)\s*")


@dataclass(frozen=True)
class Entry:
    """One utterance of a manifest: its audio and transcript files, and the manifest line naming them."""
    wav: Path
    txt: Path
    manifest: Path
    line: int

    @property
    def id(self):
        return self.wav.stem

    @property
    def where(self):
        """``<manifest file name>:<line>``."""
        return f"{self.manifest.name}:{self.line}"


def where_of(exc):
    """``<file name>:<line>`` of a ``UserError`` raised for a listing line (cf. ``Entry.where``)."""
    return f"{Path(exc.path).name}:{exc.line}"


def _file_problem(kind, file):
    """Why ``file`` (a ``kind`` file named by a listing) cannot be used, or None when it is a file."""
    if file.is_file():
        return None
    if file.is_dir():
        return f"{kind} file is a folder: {file}"
    return f"{kind} file not found: {file}" + (" (a broken link)" if file.is_symlink() else "")


def encode_transcript(text, path, line=None):
    """Label ids (np.int32) of ``text``: upper-cased, runs of whitespace collapsed to one space, stripped.

    A character outside :data:`LABELS` (the blank ``_`` included) or an empty transcript is a ``UserError``
    naming ``path`` and ``line``."""
    text = " ".join(str(text).upper().split())
    if not text:
        raise UserError(path, "empty transcript", line=line)
    codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
    ids = np.where(codes < 128, _LOOKUP[np.minimum(codes, 127)], -1)
    bad = np.flatnonzero(ids < 0)
    if bad.size:
        raise UserError(path, f"character {text[bad[0]]!r} is not in the label set", line=line)
    return ids.astype(np.int32)


def decode_ids(ids):
    """The text of label ids (inverse of :func:`encode_transcript`); blanks (id 0) are dropped."""
    ids = np.asarray(ids, np.int64).reshape(-1)
    if ids.size and (ids.min() < 0 or ids.max() >= len(LABELS)):
        raise ValueError(f"label ids must be in [0, {len(LABELS)}), got {ids.min()}..{ids.max()}")
    return "".join(np.array(list(LABELS))[ids[ids != BLANK]].tolist())


def _read_text(path, what):
    """The text of a UTF-8 file; missing or undecodable files are ``UserError``s naming it (and the line)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(path, f"{what} not found") from None
    except OSError as exc:
        raise UserError(path, f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")   # a byte-order mark (Windows editors, Excel) is dropped
    except UnicodeDecodeError as exc:
        raise UserError(path, "not UTF-8 text", line=data[: exc.start].count(b"\n") + 1) from None


def read_transcript(txt_path):
    """The transcript held by a manifest's ``.txt`` file: its one non-blank line, stripped (UTF-8/ASCII)."""
    lines = [(n, s.strip()) for n, s in enumerate(_read_text(txt_path, "transcript file").splitlines(), 1)]
    lines = [(n, s) for n, s in lines if s]
    if not lines:
        raise UserError(txt_path, "empty transcript")
    if len(lines) > 1:
        raise UserError(txt_path, "expected the transcript on one line, found another one", line=lines[1][0])
    return lines[0][1]


def read_manifest(path, errors=None):
    """``[Entry]`` of a manifest CSV: one ``wav_path,txt_path`` line per utterance, no header, blank lines
    ignored; relative paths resolve against the manifest's folder, absolute ones are used as they are.

    A line without exactly two non-empty comma-separated fields, or naming a missing file, is a
    ``UserError(manifest, ..., line)``; with a list as ``errors`` such lines are appended to it and skipped
    instead. A manifest without entries is an error either way."""
    path = Path(path)
    out = []
    for n, line in enumerate(_read_text(path, "manifest").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(_manifest_entry(path, n, line))
        except UserError as exc:
            if errors is None:
                raise
            errors.append(exc)
    if not out:
        raise UserError(path, "empty manifest: no 'wav_path,txt_path' lines"
                        + (f" ({len(errors)} bad)" if errors else ""))
    return out


def _manifest_entry(manifest, n, line):
    fields = [f.strip() for f in line.split(",")]
    if len(fields) != 2 or not all(fields):
        raise UserError(manifest, f"expected 'wav_path,txt_path', got {line.strip()!r}", line=n)
    wav, txt = (manifest.parent / f for f in fields)   # an absolute field replaces the folder
    for kind, file in (("audio", wav), ("transcript", txt)):
        problem = _file_problem(kind, file)
        if problem:
            raise UserError(manifest, problem, line=n)
    return Entry(wav, txt, manifest, n)


def read_utterance(entry, sample_rate=SAMPLE_RATE):
    """(float32 samples, int32 label ids) of a manifest :class:`Entry`; a bad file is a ``UserError`` naming it."""
    ids = encode_transcript(read_transcript(entry.txt), entry.txt)
    return read_audio(entry.wav, sample_rate), ids


def _cmu_base(data_path):
    """The ``an4`` folder of the CMU layout (``data_path/an4`` or ``data_path`` itself), else None."""
    for base in (data_path / "an4", data_path):
        if (base / "etc" / "an4_train.fileids").is_file():
            return base
    return None


def detect_layout(data_path):
    """``"manifest"`` (``an4_train_manifest.csv`` in ``data_path``) or ``"cmu"`` (``an4/etc/an4_train.fileids``
    under ``data_path``, which may also be the ``an4`` folder itself)."""
    data_path = Path(data_path)
    if not data_path.is_dir():
        raise UserError(data_path, "not a folder: pass the folder holding an4_{train,val,test}_manifest.csv or an4/"
                        if data_path.exists() else "AN4 folder not found")
    if (data_path / "an4_train_manifest.csv").is_file():
        return "manifest"
    if _cmu_base(data_path) is not None:
        return "cmu"
    raise UserError(data_path, "no AN4 data found: expected an4_{train,val,test}_manifest.csv or "
                               "an4/etc/an4_train.fileids")


def find_split(data_path, split, errors=None):
    """``[Entry]`` of ``split`` (train, val or test) from ``data_path/an4_<split>_manifest.csv``
    (``errors``: see :func:`read_manifest`). CMU-layout data must be converted first (:func:`convert_cmu`)."""
    if split not in SPLITS:
        raise UserError(None, f"unknown AN4 split {split!r}: expected one of {', '.join(SPLITS)}")
    if detect_layout(data_path) == "cmu":
        raise UserError(data_path, "AN4 in CMU's layout (an4/etc, an4/wav): convert it to manifests first")
    return read_manifest(Path(data_path) / f"an4_{split}_manifest.csv", errors)


def find_splits(data_path, errors=None):
    """``{split: [Entry]}`` of train, val and test (see :func:`find_split`). An audio file listed twice, in
    one manifest or in two, is a ``UserError`` naming the second line (never skipped: it is no bad
    file but a listing that would count an utterance twice, or test on training data)."""
    out, seen = {}, {}
    for split in SPLITS:
        out[split] = find_split(data_path, split, errors)
        for e in out[split]:
            first = seen.setdefault(os.path.realpath(e.wav), e)
            if first is not e:
                raise UserError(e.manifest, f"audio file {e.wav} is already listed on line {first.line} of "
                                            f"{first.manifest.name}", line=e.line)
    return out


@dataclass(frozen=True)
class CmuUtterance:
    """One utterance of CMU's release: its SPHERE file, transcript and where they are listed."""
    sph: Path
    text: str
    speaker: str
    id: str
    transcription: Path
    line: int

    @property
    def wav(self):
        """The audio file (the name the speech tasks use for it)."""
        return self.sph

    @property
    def where(self):
        """``<transcription file name>:<line>``."""
        return f"{self.transcription.name}:{self.line}"


def _lines(path, what):
    """[(line number, stripped line)] of the non-blank lines of a text file."""
    return [(n, s.strip()) for n, s in enumerate(_read_text(path, what).splitlines(), 1) if s.strip()]


def read_cmu(data_path, split, errors=None):
    """``[CmuUtterance]`` of CMU's ``split`` (train or test): line i of ``an4_<split>.fileids``
    (``an4_clstk/fash/an251-fash-b``, under ``wav/``, no extension) pairs with line i of
    ``an4_<split>.transcription`` (``<s> RUBOUT G M E F THREE NINE </s> (an251-fash-b)``, the ``<s>``
    markers optional), whose id must be the fileid's basename. The transcripts are checked against
    :data:`LABELS` and the audio files for existence here, not opened (with a list as ``errors``, such a
    failure is appended to it and its utterance left out instead of raising); a listing that does not
    pair up is an error either way."""
    if split not in CMU_SPLITS:
        raise UserError(None, f"unknown CMU AN4 split {split!r}: expected train or test")
    data_path = Path(data_path)
    base = _cmu_base(data_path) if data_path.is_dir() else None
    if base is None:
        detect_layout(data_path)   # names the problem
        raise UserError(data_path, "not CMU's AN4 layout: expected an4/etc/an4_train.fileids")
    fileids = base / "etc" / f"an4_{split}.fileids"
    transcription = base / "etc" / f"an4_{split}.transcription"
    ids, texts = _lines(fileids, "fileids file"), _lines(transcription, "transcription file")
    if not ids:
        raise UserError(fileids, "empty fileids file")
    if len(ids) != len(texts):
        where, line = (transcription, texts[len(ids)][0]) if len(texts) > len(ids) else (fileids, ids[len(texts)][0])
        raise UserError(where, f"{len(ids)} fileids but {len(texts)} transcriptions", line=line)
    out, seen = [], {}
    for (n_id, fileid), (n, line) in zip(ids, texts):
        match = _TRANSCRIPTION.fullmatch(line)
        if match is None:
            raise UserError(transcription, f"expected '<s> TEXT </s> (utterance-id)', got {line!r}", line=n)
        text, uid = match.group(1).strip(), match.group(2)
        rel = Path(fileid)
        if uid != rel.name:
            raise UserError(transcription, f"utterance id {uid!r} does not match {rel.name!r} on line {n_id} of "
                                           f"{fileids.name}", line=n)
        if uid in seen:
            raise UserError(fileids, f"utterance {uid!r} listed twice (first on line {seen[uid]})", line=n_id)
        seen[uid] = n_id
        try:
            text = decode_ids(encode_transcript(text, transcription, line=n))
        except UserError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        sph = base / "wav" / f"{fileid}.sph"
        problem = _file_problem("audio", sph)
        if problem:
            if errors is None:
                raise UserError(fileids, problem, line=n_id)
            errors.append(UserError(fileids, problem, line=n_id))
            continue
        speaker = rel.parent.name or (uid.split("-")[1] if uid.count("-") >= 2 else uid)
        out.append(CmuUtterance(sph, text, speaker, uid, transcription, n))
    return out


def _val_speakers(train, val_fraction, seed, where):
    """A seeded set of whole training speakers holding about ``val_fraction`` of the utterances (>= 1)."""
    if not 0.0 < val_fraction < 1.0:
        raise UserError("--val_fraction", f"must be between 0 and 1 (exclusive), got {val_fraction}")
    speakers, counts = np.unique([u.speaker for u in train], return_counts=True)
    if len(speakers) < 2:
        raise UserError(where, f"{len(speakers)} training speaker(s): need 2 or more to hold some out for val")
    order = np.random.default_rng(seed).permutation(len(speakers))
    total = np.cumsum(counts[order])
    k = 1 + int(np.argmin(np.abs(total[:-1] - val_fraction * total[-1])))   # 1 .. speakers - 1
    return set(speakers[order[:k]].tolist())


def cmu_splits(data_path, val_fraction=0.1, seed=0, errors=None):
    """``{"train", "val", "test"}`` lists of :class:`CmuUtterance` of CMU's layout: val is a seeded choice
    of whole training speakers with about ``val_fraction`` of the training utterances (at least one
    speaker); no speaker is in two splits. ``errors``: see :func:`read_cmu`."""
    utts = {split: read_cmu(data_path, split, errors) for split in CMU_SPLITS}
    val = _val_speakers(utts["train"], val_fraction, seed, data_path)
    overlap = {u.speaker for u in utts["test"]} & {u.speaker for u in utts["train"]}
    if overlap:
        raise UserError(utts["test"][0].transcription, f"speaker(s) {', '.join(sorted(overlap))} in both "
                                                       "train and test")
    return {"train": [u for u in utts["train"] if u.speaker not in val],
            "val": [u for u in utts["train"] if u.speaker in val], "test": utts["test"]}


def convert_cmu(data_path, out_dir, val_fraction=0.1, seed=0, log=print, skip_bad=False, skipped=None):
    """Write CMU-layout AN4 at ``data_path`` as the manifest layout in ``out_dir`` and return ``out_dir``.

    ``out_dir/an4_dataset/{train,val,test}/{wav,txt}/<id>.{wav,txt}`` (16-bit WAV, one-line transcript) and
    ``out_dir/an4_{train,val,test}_manifest.csv`` with paths relative to ``out_dir``; the splits are those
    of :func:`cmu_splits`. Audio goes through :func:`read_audio` (16 kHz mono), so a bad file is a
    ``UserError`` naming it; with ``skip_bad`` such utterances (and those :func:`read_cmu` leaves out) are
    counted and left out instead, and ``skipped`` (a list) receives ``(where, UserError)`` for each.
    The output is built in a temporary sibling folder and renamed into place: a failure leaves nothing.
    Logs one summary line.
    """
    import soundfile as sf

    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError(out_dir, "already exists and is not an empty folder")
    listing = [] if skip_bad else None
    splits = cmu_splits(data_path, val_fraction, seed, listing)
    bad = [(where_of(exc), exc) for exc in listing or ()]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    speakers = {}
    try:
        for split, items in splits.items():
            rows, speakers[split] = [], []
            for kind in ("wav", "txt"):
                (tmp / "an4_dataset" / split / kind).mkdir(parents=True)
            for u in items:
                try:
                    samples = read_audio(u.sph)
                except UserError as exc:
                    if not skip_bad:
                        raise
                    bad.append((u.where, exc))
                    continue
                wav, txt = (f"an4_dataset/{split}/{kind}/{u.id}.{kind}" for kind in ("wav", "txt"))
                pcm = np.clip(np.round(samples.astype(np.float64) * 32768), -32768, 32767).astype(np.int16)
                sf.write(str(tmp / wav), pcm, SAMPLE_RATE, subtype="PCM_16", format="WAV")
                (tmp / txt).write_text(u.text + "\n", encoding="ascii")
                rows.append(f"{wav},{txt}\n")
                speakers[split].append(u.speaker)
            if not rows:
                raise UserError(data_path, f"no usable {split} utterances ({len(bad)} skipped)")
            (tmp / f"an4_{split}_manifest.csv").write_text("".join(rows), encoding="utf-8")
        if out_dir.is_dir():
            out_dir.rmdir()     # empty (checked above); os.replace needs it gone on some systems
        os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    counts = {s: (len(v), len(set(v))) for s, v in speakers.items()}
    if skipped is not None:
        skipped += bad
    note = f"; skipped {len(bad)} bad utterances (first: {bad[0][1]})" if bad else ""
    log(f"an4: converted CMU layout {data_path} -> {out_dir}: "
        + ", ".join(f"{s} {n} utterances ({k} speakers)" for s, (n, k) in counts.items())
        + f", val speakers drawn with seed {seed}{note}")
    return out_dir
