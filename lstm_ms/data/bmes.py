"""Reader for character-level sequence-labelling files such as ``ResumeNER/{train,dev,test}.char.bmes``:
one ``char TAG`` per line, a blank line between sentences, UTF-8 (a BOM and CRLF line ends are fine).
"""
from pathlib import Path

from ..core.errors import UserError
from ..core.tags import detect_scheme, repair_bmes, split_tag, to_bmes


def read_bmes(path, strict=False):
    """Returns (sentences as [(chars, bmes_tags)], report dict).

    The scheme (BMES, BIOES, BIO) is detected and converted to BMES. A broken sequence (e.g. ``E-X``
    with no open ``X``) is an error with ``strict``, else repaired and counted in the report.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(path, "file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(path, "not UTF-8 text", line=raw[: exc.start].count(b"\n") + 1) from None
    sentences, chars, tags, lines, prefixes = [], [], [], [], set()
    for n, line in enumerate(text.splitlines() + [""], 1):
        fields = line.split()
        if not fields:
            if chars:
                sentences.append((chars, tags, lines))
                chars, tags, lines = [], [], []
            continue
        if len(fields) != 2:
            raise UserError(path, f"expected 'char TAG', got {line.strip()!r}", line=n)
        parsed = split_tag(fields[1])
        if parsed is None:
            raise UserError(path, f"unknown tag {fields[1]!r} (expected B-X, M-X, E-X, S-X, I-X or O)", line=n)
        prefixes.add(parsed[0])
        chars.append(fields[0])
        tags.append(fields[1])
        lines.append(n)
    if not sentences:
        raise UserError(path, "empty file: no sentences")
    try:
        scheme = detect_scheme(prefixes)
    except ValueError as exc:
        raise UserError(path, str(exc)) from None
    out, problems = [], []
    for chars, tags, lines in sentences:
        fixed, found = repair_bmes(to_bmes(tags, scheme))
        for index, problem in found:
            line = lines[min(index, len(lines) - 1)]
            if strict:
                raise UserError(path, problem, line=line)
            problems.append((line, problem))
        out.append((chars, fixed))
    report = {"file": str(path), "scheme": scheme, "sentences": len(out), "chars": sum(len(c) for c, _ in out),
              "repaired": len(problems), "problems": [f"line {l}: {p}" for l, p in problems[:20]]}
    return out, report
