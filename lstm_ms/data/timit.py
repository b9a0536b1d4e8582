"""Reader for TIMIT as distributed: the LDC tree ``TIMIT/{TRAIN,TEST}/DR1..DR8/<SPEAKER>/<UTT>.{WAV,PHN,...}``
(upper- or lower-case names, NIST SPHERE or RIFF audio) or NLTK's flat sample ``dr1-fvmh0/sa1.{wav,phn}``.

Splits follow the usual phone-recognition convention: train is TRAIN without the SA sentences, dev the
50 standard development speakers and test the 24 core-test speakers (SI/SX only, 192 utterances on the
full corpus). Partial copies fall back to seeded held-out training speakers.
"""
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import UserError
from ..core.phones import PHONES_61


# The 24 core-test speakers (3 per dialect region: 2 male, 1 female), all under TEST.
CORE_TEST_SPEAKERS = {
    "dr1": ("mdab0", "mwbt0", "felc0"), "dr2": ("mtas1", "mwew0", "fpas0"),
    "dr3": ("mjmp0", "mlnt0", "fpkt0"), "dr4": ("mlll0", "mtls0", "fjlm0"),
    "dr5": ("mbpm0", "mklt0", "fnlp0"), "dr6": ("mcmj0", "mjdh0", "fmgd0"),
    "dr7": ("mgrt0", "mnjm0", "fdhc0"), "dr8": ("mjln0", "mpam0", "fmld0"),
}
CORE_TEST = frozenset(s for group in CORE_TEST_SPEAKERS.values() for s in group)

# The 50 development speakers (from TEST, disjoint from the core test set), as in Kaldi's dev_spk.list.
DEV_SPEAKERS = (
    "faks0", "fdac1", "fjem0", "mgwt0", "mjar0", "mmdb1", "mmdm2", "mpdf0", "fcmh0", "fkms0",
    "mbdg0", "mbwm0", "mcsh0", "fadg0", "fdms0", "fedw0", "mgjf0", "mglb0", "mrtk0", "mtaa0",
    "mtdt0", "mthc0", "mwjg0", "fnmr0", "frew0", "fsem0", "mbns0", "mmjr0", "mdls0", "mdlf0",
    "mdvc0", "mers0", "fmah0", "fdrw0", "mrcs0", "mrjm4", "fcal1", "mmwh0", "fjsj0", "majc0",
    "mjsw0", "mreb0", "fgjd0", "fjmg0", "mroa0", "mteb0", "mjfc0", "mrjr0", "fmml0", "mrws1",
)
DEV = frozenset(DEV_SPEAKERS)

TEST_SETS = ("core", "complete")
_SENTENCE = re.compile(r"s[aix]\d+")
_REGION = re.compile(r"dr\d")
_NLTK_DIR = re.compile(r"(dr\d)-([a-z]{3,4}\d)")


@dataclass(frozen=True)
class Utterance:
    """One TIMIT recording: its audio and phone files and where it sits in the corpus."""
    wav: Path
    phn: Path
    split: str      # "train" or "test": the corpus folder it came from (NLTK sample: always "train")
    dialect: str    # "dr1" .. "dr8"
    speaker: str    # lower case, e.g. "fcjf0"
    sentence: str   # lower case, e.g. "sa1", "si1027", "sx127"
    layout: str     # "ldc" or "nltk"

    @property
    def id(self):
        return f"{self.speaker}_{self.sentence}"


def _children(folder, pattern=None, dirs=True):
    """Sub-folders (or files) of ``folder`` as {lower-case name: path}, optionally matching ``pattern``."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.is_dir() == dirs and (pattern is None or pattern.fullmatch(p.name.lower())):
            out[p.name.lower()] = p
    return out


def _check_file(path):
    """``path`` itself if it is a readable regular file (or a link to one), else a ``UserError``."""
    if not path.is_file():
        raise UserError(path, "a broken link (its target is missing)" if path.is_symlink() else "not a regular file")
    return path


def _utterances_in(folder, split, dialect, speaker, layout):
    files = _children(folder, dirs=False)
    out = []
    for name, wav in files.items():
        stem, dot, ext = name.rpartition(".")
        if ext != "wav" or not _SENTENCE.fullmatch(stem):  # skips e.g. SA1.WAV.wav conversions
            continue
        phn = files.get(stem + ".phn")
        if phn is None:
            raise UserError(wav, f"no phone transcription next to it (expected {wav.with_suffix('.PHN').name} "
                                 f"or {wav.with_suffix('.phn').name})")
        out.append(Utterance(_check_file(wav), _check_file(phn), split, dialect, speaker, stem, layout))
    return out


def _candidates(root):
    """``root`` and, when present, its ``TIMIT``/``timit`` sub-folder."""
    inner = _children(root).get("timit")
    return [root] + ([inner] if inner is not None else [])


def _ldc_root(root):
    """{"train": path, "test": path} (whichever exist) under ``root`` or ``root/TIMIT``, else None."""
    for folder in _candidates(root):
        splits = {k: v for k, v in _children(folder).items() if k in ("train", "test")}
        if splits:
            return splits
    return None


def find_utterances(root):
    """All utterances under ``root`` (the folder holding TRAIN/TEST, its parent ``TIMIT``, or an NLTK
    ``timit`` sample folder), sorted by split, dialect, speaker and sentence."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(root, "not a folder: pass the TIMIT folder" if root.exists() else "TIMIT folder not found")
    out = []
    splits = _ldc_root(root)
    if splits:
        for split, folder in sorted(splits.items(), key=lambda kv: kv[0] != "train"):
            for dialect, dr in _children(folder, _REGION).items():
                for speaker, spk in _children(dr).items():
                    out += _utterances_in(spk, split, dialect, speaker, "ldc")
    else:
        folders = [f for f in _candidates(root) if _children(f, _NLTK_DIR)]
        if not folders:
            raise UserError(root, "not a TIMIT folder: expected TRAIN/ and TEST/ (LDC layout, any case, here or "
                                  "under TIMIT/) or NLTK-style speaker folders such as dr1-fvmh0/")
        for name, spk in _children(folders[0], _NLTK_DIR).items():
            dialect, speaker = _NLTK_DIR.fullmatch(name).groups()
            out += _utterances_in(spk, "train", dialect, speaker, "nltk")
    if not out:
        raise UserError(root, "no utterances found (expected <SENTENCE>.WAV with a matching .PHN, e.g. SA1.WAV)")
    folders = {}
    for u in out:  # one folder per speaker: a copied speaker would sit in two splits (or twice in one)
        first = folders.setdefault(u.speaker, u.wav.parent)
        if first != u.wav.parent:
            raise UserError(u.wav.parent, f"speaker {u.speaker} is also in {first}: each speaker must have one folder "
                                          "(TIMIT's TRAIN and TEST share no speaker)")
    return out


def read_phn(path, n_samples):
    """``[(start, end, phone)]`` from a ``.PHN`` file (``start end phone`` per line, in samples).

    Segments must be in time order without overlapping (each start at or after the previous end) and end
    within the audio; a gap (an unlabelled stretch) is allowed. Anything else is a ``UserError`` naming
    the line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(path, "file not found") from None
    except OSError as exc:
        raise UserError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise UserError(path, "not ASCII text", line=data[: exc.start].count(b"\n") + 1) from None
    out, previous = [], None
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or not (fields[0].isdigit() and fields[1].isdigit()):
            raise UserError(path, f"expected 'start end phone', got {line.strip()!r}", line=n)
        start, end, phone = int(fields[0]), int(fields[1]), fields[2]
        if start >= end:
            raise UserError(path, f"start {start} is not before end {end}", line=n)
        if previous is not None and start < previous[1]:
            raise UserError(path, f"segment {start}-{end} starts before the previous one (line {previous[0]}) ends "
                                  f"at {previous[1]}: lines out of order or overlapping", line=n)
        previous = (n, end)
        if end > n_samples:
            raise UserError(path, f"end {end} is past the audio ({n_samples} samples)", line=n)
        if phone not in PHONES_61:
            raise UserError(path, f"unknown phone {phone!r} (not one of the 61 TIMIT phones)", line=n)
        out.append((start, end, phone))
    if not out:
        raise UserError(path, "empty file: no phones")
    return out


def _hold_out(speakers, rng, taken):
    """About 10 % (at least 1) of ``speakers`` not in ``taken``, drawn with ``rng``."""
    free = sorted(set(speakers) - taken)
    k = max(1, round(0.1 * len(free)))
    if len(free) <= k:
        raise UserError(None, f"too few training speakers ({len(free)}) to hold some out for dev/test")
    return set(rng.choice(free, size=k, replace=False).tolist())


def split_utterances(utts, test_set="core", seed=0, log=print):
    """``{"train", "dev", "test"}`` lists of utterances, SA sentences excluded everywhere.

    ``core``: train = TRAIN, dev = the 50 dev speakers, test = the 24 core-test speakers (other TEST
    speakers unused). ``complete``: test = every TEST speaker (1344 utterances on the full corpus, dev speakers
    included, as is usual for the complete test set), so dev is held out from the training speakers.
    Missing speakers (partial copies): dev, then test, falls back to seeded held-out training speakers
    (about 10 % each) and one line is logged. No speaker is in two splits.
    """
    if test_set not in TEST_SETS:
        raise UserError("--test_set", f"{test_set!r} is not one of {', '.join(TEST_SETS)}")
    utts = [u for u in utts if not u.sentence.startswith("sa")]
    train_spk = {u.speaker for u in utts if u.split == "train"}
    test_spk = {u.speaker for u in utts if u.split == "test"}
    notes = []
    if test_set == "complete":
        dev, test = set(), set(test_spk)
    else:
        dev, test = test_spk & DEV, test_spk & CORE_TEST
        if test_spk and not test:  # a TEST folder without the core speakers: use what it has
            test = test_spk - dev
            notes.append(f"test = all {len(test)} TEST speakers (no core-test speakers found)")
    rng = np.random.default_rng(seed)
    if not dev:
        dev = _hold_out(train_spk, rng, set())
        why = "complete test set uses every TEST speaker" if test_set == "complete" else "no standard dev speakers found"
        notes.append(f"dev = {len(dev)} held-out training speakers ({why})")
    if not test:
        test = _hold_out(train_spk, rng, dev)
        notes.append(f"test = {len(test)} held-out training speakers (no TEST speakers found)")
    if notes:
        log(f"timit splits (seed {seed}): " + "; ".join(notes))
    out = {"train": [], "dev": [], "test": []}
    for u in utts:
        if u.speaker in dev:
            out["dev"].append(u)
        elif u.speaker in test:
            out["test"].append(u)
        elif u.split == "train":
            out["train"].append(u)
    seen = [{u.speaker for u in out[k]} for k in ("train", "dev", "test")]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2]), "a speaker is in two splits"
    return out
