"""Reader for the Large Movie Review Dataset layout ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``."""
import re
from pathlib import Path

from ..core.errors import UserError

LABELS = ("neg", "pos")
_NAME = re.compile(r"^(\d+)_(\d+)\.txt$")


def resolve_root(path):
    """Accept the ``aclImdb`` folder itself or a folder that holds it."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(path, "aclImdb folder not found")
    if not (path / "train").is_dir() and (path / "aclImdb" / "train").is_dir():
        path = path / "aclImdb"
    return path


def review_files(root, split):
    """Sorted ``(file, label)`` pairs of one split; raises UserError for a wrong layout."""
    root = resolve_root(root)
    out = []
    for label, name in enumerate(LABELS):
        folder = root / split / name
        if not folder.is_dir():
            raise UserError(folder, "missing folder: expected aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt")
        files = []
        for f in folder.iterdir():
            m = _NAME.match(f.name)
            if m:
                files.append((int(m.group(1)), f))
        if not files:
            raise UserError(folder, "no reviews named <id>_<rating>.txt")
        out.extend((f, label) for _, f in sorted(files))
    return out


def read_review(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(path, f"not UTF-8 text (byte {exc.start})") from None
