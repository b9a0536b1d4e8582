"""Translation text: Moses tokenisation/detokenisation, corpus BLEU (sacrebleu) and perplexity."""
import math

from sacrebleu.metrics import BLEU
from sacremoses import MosesDetokenizer, MosesTokenizer


class MosesText:
    """Moses tokenizer and detokenizer of one language (``de``, ``en``, ...).

    With ``lowercase`` the tokens are lower-cased after tokenising, and ``detokenize`` upper-cases
    the sentence's first letter: a simple sentence-initial recasing, so cased BLEU is meaningful
    (other capitals, such as German nouns, are not restored).
    """

    def __init__(self, lang, lowercase=True):
        self.lang = lang
        self.lowercase = lowercase
        self._tokenizer = MosesTokenizer(lang=lang)
        self._detokenizer = MosesDetokenizer(lang=lang)

    def tokenize(self, line):
        """``"Ein Mann fährt Fahrrad."`` -> ``["ein", "mann", "fährt", "fahrrad", "."]`` (no HTML escaping)."""
        tokens = self._tokenizer.tokenize(line, aggressive_dash_splits=False, escape=False)
        return [t.lower() for t in tokens] if self.lowercase else tokens

    def detokenize(self, tokens):
        """Tokens -> sentence; with ``lowercase`` its first letter is upper-cased."""
        text = self._detokenizer.detokenize(list(tokens), unescape=False)
        return _capitalise_first(text) if self.lowercase else text


def _capitalise_first(text):
    """Upper-case the first letter unless a digit comes first (leading quotes/brackets are skipped)."""
    for i, ch in enumerate(text):
        if ch.isalnum():
            return text[:i] + ch.upper() + text[i + 1:] if ch.isalpha() and len(ch.upper()) == 1 else text
    return text


def bleu(hypotheses, references):
    """Corpus BLEU of detokenised sentences against one reference each (sacrebleu, 13a tokenisation):
    ``{"bleu", "bleu_signature"}`` lower-cased and ``{"bleu_cased", "bleu_cased_signature"}`` as is."""
    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not references:
        raise ValueError("no sentences to score")
    out = {}
    for key, lowercase in (("bleu", True), ("bleu_cased", False)):
        metric = BLEU(lowercase=lowercase, tokenize="13a")
        out[key] = float(metric.corpus_score(hypotheses, [references]).score)
        out[f"{key}_signature"] = str(metric.get_signature())
    return out


def perplexity(total_nll, tokens):
    """``exp(total_nll / tokens)`` with the exponent capped at 700 (finite for any loss)."""
    if tokens <= 0:
        raise ValueError(f"perplexity needs at least one token, got {tokens}")
    return math.exp(min(total_nll / tokens, 700.0))
