"""Review text normalisation and tokenisation (English, GloVe-compatible)."""
import html
import re

_MARKUP = re.compile(r"<[^>]{0,40}>")
_NT = re.compile(r"(?<=[^\W_])n't\b")
_TOKEN = re.compile(r"n't|'(?:s|re|ve|ll|d|m)\b|[^\W_]+(?:[-.'][^\W_]+)*|[^\w\s]")


def clean(text, lowercase=True):
    """Drop HTML markup such as ``<br />``, unescape entities, normalise case."""
    text = html.unescape(_MARKUP.sub(" ", text))
    return text.lower() if lowercase else text


def tokenize(text, lowercase=True):
    """Split into words and punctuation the way GloVe's corpus was: ``don't.`` -> ``do n't .``."""
    text = _NT.sub(" n't", clean(text, lowercase))
    return _TOKEN.findall(text)
