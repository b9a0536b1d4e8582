"""TIMIT phone sets and the Lee & Hon foldings: 61 phones as transcribed, 48 for training, 39 for scoring.

The tables follow the standard 61 -> 48 -> 39 folding (Lee & Hon 1989, as in Kaldi's
``egs/timit/s5/conf/phones.60-48-39.map``). The glottal stop ``q`` has no 48-phone class: it maps to
``None`` and ``fold`` drops it.
"""

# phone: (48-phone class, 39-phone class); ``q`` is removed from both.
_TABLE = {
    "aa": ("aa", "aa"), "ae": ("ae", "ae"), "ah": ("ah", "ah"), "ao": ("ao", "aa"), "aw": ("aw", "aw"),
    "ax": ("ax", "ah"), "ax-h": ("ax", "ah"), "axr": ("er", "er"), "ay": ("ay", "ay"), "b": ("b", "b"),
    "bcl": ("vcl", "sil"), "ch": ("ch", "ch"), "d": ("d", "d"), "dcl": ("vcl", "sil"), "dh": ("dh", "dh"),
    "dx": ("dx", "dx"), "eh": ("eh", "eh"), "el": ("el", "l"), "em": ("m", "m"), "en": ("en", "n"),
    "eng": ("ng", "ng"), "epi": ("epi", "sil"), "er": ("er", "er"), "ey": ("ey", "ey"), "f": ("f", "f"),
    "g": ("g", "g"), "gcl": ("vcl", "sil"), "h#": ("sil", "sil"), "hh": ("hh", "hh"), "hv": ("hh", "hh"),
    "ih": ("ih", "ih"), "ix": ("ix", "ih"), "iy": ("iy", "iy"), "jh": ("jh", "jh"), "k": ("k", "k"),
    "kcl": ("cl", "sil"), "l": ("l", "l"), "m": ("m", "m"), "n": ("n", "n"), "ng": ("ng", "ng"),
    "nx": ("n", "n"), "ow": ("ow", "ow"), "oy": ("oy", "oy"), "p": ("p", "p"), "pau": ("sil", "sil"),
    "pcl": ("cl", "sil"), "q": (None, None), "r": ("r", "r"), "s": ("s", "s"), "sh": ("sh", "sh"),
    "t": ("t", "t"), "tcl": ("cl", "sil"), "th": ("th", "th"), "uh": ("uh", "uh"), "uw": ("uw", "uw"),
    "ux": ("uw", "uw"), "v": ("v", "v"), "w": ("w", "w"), "y": ("y", "y"), "z": ("z", "z"), "zh": ("zh", "sh"),
}

PHONES_61 = tuple(sorted(_TABLE))
"""The 61 phone labels of TIMIT ``.PHN`` files (including ``h#``, ``pau``, ``epi`` and ``q``)."""

MAP_61_48 = {p: m48 for p, (m48, _) in _TABLE.items()}
"""61 -> 48 training classes; ``q`` -> None (removed)."""

MAP_48_39 = {m48: m39 for m48, m39 in _TABLE.values() if m48 is not None}
"""48 -> 39 scoring classes (e.g. ``ao`` -> ``aa``, ``cl``/``vcl``/``epi`` -> ``sil``, ``zh`` -> ``sh``)."""

MAP_61_39 = {p: m39 for p, (_, m39) in _TABLE.items()}
"""61 -> 39 in one step (the composition of the two maps above); ``q`` -> None."""

PHONES_48 = tuple(sorted(MAP_48_39))
PHONES_39 = tuple(sorted(set(MAP_48_39.values())))
SILENCE = "sil"
"""The silence class of both the 48 and the 39 sets (``h#``, ``pau`` fold into it)."""


def fold(phones, table):
    """Maps each phone through ``table`` (e.g. ``MAP_61_48``), dropping those that map to None.

    A symbol missing from ``table`` raises ValueError naming it.
    """
    out = []
    for p in phones:
        try:
            m = table[p]
        except (KeyError, TypeError):
            raise ValueError(f"unknown phone {p!r} (not in this table of {len(table)} phones)") from None
        if m is not None:
            out.append(m)
    return out
