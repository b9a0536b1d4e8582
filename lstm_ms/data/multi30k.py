"""Reader for Multi30k as distributed: one folder with ``train.{de,en}``, ``val.{de,en}`` and
``test2016.{de,en}`` or ``test_2016_flickr.{de,en}``, each plain or ``.gz``, UTF-8, one sentence per line.
"""
import gzip
import re
import zlib
from pathlib import Path

from ..core.errors import UserError

SPLITS = ("train", "dev", "test")
_STEMS = {"train": ("train",), "dev": ("val",), "test": ("test2016", "test_2016_flickr")}
_LANG = re.compile(r"[a-z]{2,3}")


def _check_langs(src_lang, tgt_lang):
    for flag, lang in (("--src_lang", src_lang), ("--tgt_lang", tgt_lang)):
        if not isinstance(lang, str) or not _LANG.fullmatch(lang):
            raise UserError(flag, f"{lang!r} is not a language code (2-3 lowercase letters, e.g. de or en)")
    if src_lang == tgt_lang:
        raise UserError("--tgt_lang", f"must differ from --src_lang (both are {src_lang!r})")


def _find(root, stem, lang):
    """The plain file if present, else its ``.gz``, else None."""
    for name in (f"{stem}.{lang}", f"{stem}.{lang}.gz"):
        if (root / name).is_file():
            return root / name
    return None


def _pair(root, stems, src_lang, tgt_lang):
    found = [(_find(root, s, src_lang), _find(root, s, tgt_lang)) for s in stems]
    for src, tgt in found:
        if src and tgt:
            return src, tgt
    # report the missing side of the first half-present pair, else the source side
    stem, lang = stems[0], src_lang
    for s, (src, tgt) in zip(stems, found):
        if src or tgt:
            stem, lang = s, (tgt_lang if src else src_lang)
            break
    others = [f"{stem}.{lang}.gz"] + [n for s in stems if s != stem for n in (f"{s}.{lang}", f"{s}.{lang}.gz")]
    raise UserError(root / f"{stem}.{lang}", f"file not found (nor {', '.join(others)})")


def split_files(root, src_lang, tgt_lang):
    """``{"train": (src_path, tgt_path), "dev": ..., "test": ...}``; a plain file wins over its ``.gz``."""
    _check_langs(src_lang, tgt_lang)
    root = Path(root)
    if not root.is_dir():
        raise UserError(root, f"dataset folder not found (expected train.{src_lang}, val.{src_lang}, "
                              f"test2016.{src_lang} or test_2016_flickr.{src_lang} and their .{tgt_lang} pairs, "
                              "plain or .gz)")
    return {split: _pair(root, _STEMS[split], src_lang, tgt_lang) for split in SPLITS}


def read_lines(path):
    """Lines of a plain or gzip UTF-8 file, without their ``\\n``/``\\r\\n`` ends (a leading BOM is dropped)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(path, "file not found")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UserError(path, f"not a readable gzip file ({exc})") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(path, "not UTF-8 text", line=line) from None
    if not text:
        return []
    lines = text.split("\n")  # not splitlines(): \x0b, \x1c, U+2028 ... are not line ends here
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_pairs(src_path, tgt_path):
    """``[(source sentence, target sentence)]`` of one split; both files must have the same line count
    and no blank line."""
    src_path, tgt_path = Path(src_path), Path(tgt_path)
    src, tgt = read_lines(src_path), read_lines(tgt_path)
    for path, lines in ((src_path, src), (tgt_path, tgt)):
        if not lines:
            raise UserError(path, "no sentences")
    if len(src) != len(tgt):
        raise UserError(tgt_path, f"{len(tgt)} lines, but {src_path.name} has {len(src)}: "
                                  "a parallel pair needs one sentence per line in both")
    for k, (s, t) in enumerate(zip(src, tgt), 1):
        for path, line in ((src_path, s), (tgt_path, t)):
            if not line.strip():
                raise UserError(path, "empty sentence", line=k)
    return list(zip(src, tgt))
