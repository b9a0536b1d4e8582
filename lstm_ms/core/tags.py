"""Sequence-labelling tag schemes: BMES (BMESO), BIOES and BIO, converted to BMES and repaired.

BMES: ``B-X`` begins, ``M-X`` continues, ``E-X`` ends an entity of type X, ``S-X`` is a one-token
entity, ``O`` is outside. BIOES writes ``I-X`` for ``M-X``; BIO has no ``E-``/``S-``.
"""
import re

_TAG = re.compile(r"^(?:O|([BMIES])-(\S+))$")


def split_tag(tag):
    """('B', 'ORG') for 'B-ORG', ('O', None) for 'O'; None when the tag is not of any scheme."""
    m = _TAG.match(tag)
    if not m:
        return None
    return ("O", None) if tag == "O" else (m.group(1), m.group(2))


def detect_scheme(prefixes):
    """The scheme of a file from the set of prefixes it uses; raises ValueError for a mix."""
    if "M" in prefixes and "I" in prefixes:
        raise ValueError("mixes M- (BMES) and I- (BIO/BIOES) tags")
    if "M" in prefixes:
        return "BMES"
    if "I" in prefixes and prefixes & {"E", "S"}:
        return "BIOES"
    if "I" in prefixes:
        return "BIO"
    return "BMES"  # only B/E/S/O


def bio_to_bmes(tags):
    """BIO -> BMES: the last token of an entity becomes E- (S- when it is the only one)."""
    out = list(tags)
    for i, tag in enumerate(tags):
        prefix, kind = split_tag(tag)
        if prefix == "O":
            continue
        nxt = split_tag(tags[i + 1]) if i + 1 < len(tags) else ("O", None)
        continues = nxt == ("I", kind)
        if prefix == "B":
            out[i] = f"B-{kind}" if continues else f"S-{kind}"
        else:  # I
            out[i] = f"M-{kind}" if continues else f"E-{kind}"
    return out


def to_bmes(tags, scheme):
    if scheme == "BIO":
        return bio_to_bmes(tags)
    if scheme == "BIOES":
        return [("M" + t[1:]) if t.startswith("I-") else t for t in tags]
    return list(tags)


def repair_bmes(tags):
    """Make a BMES sequence well formed; returns (tags, [(index, problem), ...]).

    An ``M-``/``E-`` with no open entity of its type starts one (``B-``/``S-``); an entity left open
    (by ``O``, ``S-``, a new ``B-`` or the end) is closed at its last token (``E-``, or ``S-`` if it
    was one token long).
    """
    out = list(tags)
    problems = []
    open_kind = None

    def close(i):
        prefix, kind = split_tag(out[i])
        out[i] = f"S-{kind}" if prefix == "B" else f"E-{kind}"

    for i, tag in enumerate(tags):
        prefix, kind = split_tag(tag)
        continues = prefix in ("M", "E") and open_kind == kind
        if open_kind is not None and not continues:
            problems.append((i, f"{open_kind} entity not closed before {tag}"))
            close(i - 1)
            open_kind = None
        if prefix in ("M", "E") and not continues:
            problems.append((i, f"{tag} with no open {kind} entity"))
            out[i] = f"B-{kind}" if prefix == "M" else f"S-{kind}"
            prefix = "B" if prefix == "M" else "S"
        open_kind = kind if prefix in ("B", "M") else None
    if open_kind is not None:
        problems.append((len(tags), f"{open_kind} entity not closed at the end of the sentence"))
        close(len(tags) - 1)
    return out, problems


def entities(tags):
    """Well-formed entities of a BMES sequence as (type, start, end_inclusive); broken spans are
    ignored (an M-/E- that does not continue its type ends nothing)."""
    found, start, kind = [], None, None
    for i, tag in enumerate(tags):
        parsed = split_tag(tag) or ("O", None)
        prefix, k = parsed
        if prefix == "S":
            found.append((k, i, i))
            start = None
        elif prefix == "B":
            start, kind = i, k
        elif prefix == "M" and start is not None and k == kind:
            continue
        elif prefix == "E" and start is not None and k == kind:
            found.append((k, start, i))
            start = None
        else:
            start = None
    return found
