"""Small datasets written in the exact on-disk formats of the real ones (for samples and tests).

The text is generated, the format is real: readers see the same folders, names and markup.
"""
import gzip
from pathlib import Path

import numpy as np

POSITIVE = ["great", "excellent", "wonderful", "superb", "brilliant", "moving", "delightful", "masterpiece",
            "enjoyable", "beautiful", "charming", "gripping", "funny", "touching", "stunning"]
NEGATIVE = ["awful", "terrible", "boring", "dull", "horrible", "waste", "stupid", "poorly", "worst",
            "mediocre", "painful", "annoying", "bland", "forgettable", "mess"]
FILLER = ("the a this film movie story actor actress plot scene director script it was is and but with of "
          "in to that character ending music camera cast screen time watch seen really quite very some "
          "every one two his her their they we i you dialogue role performance sequel studio budget "
          "minutes hour audience critics theatre dvd version original remake book novel").split()
RARE = ["zorblax", "quixotica", "flumberg"]  # words no vector file knows: exercise the OOV path


def _review(rng, label, mean_len):
    n = int(np.clip(rng.lognormal(np.log(mean_len), 0.5), 8, 4 * mean_len))
    words = list(rng.choice(FILLER, size=n))
    own, other = (POSITIVE, NEGATIVE) if label == 1 else (NEGATIVE, POSITIVE)
    k = max(2, n // 12)
    for _ in range(k):
        words.insert(rng.integers(0, len(words) + 1), str(rng.choice(own)))
    for _ in range(k // 4):
        words.insert(rng.integers(0, len(words) + 1), str(rng.choice(other)))
    if rng.random() < 0.3:
        words.insert(rng.integers(0, len(words) + 1), str(rng.choice(RARE)))
    text, out = [], []
    for i, w in enumerate(words):
        out.append(w.capitalize() if i == 0 or text and text[-1].endswith(".") else w)
        text = out
        if rng.random() < 0.08:
            out[-1] += rng.choice([".", ",", "!", "..."])
    body = " ".join(out)
    cut = len(body) // 2
    return body[:cut] + ("<br /><br />" if rng.random() < 0.5 else " ") + body[cut:] + " Don't miss it."


def write_aclimdb(root, n_train=400, n_test=200, mean_len=40, seed=0):
    """``root/{train,test}/{pos,neg}/<id>_<rating>.txt``, half positive (rating 7-10) half negative (1-4)."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    for split, n in (("train", n_train), ("test", n_test)):
        for label, name in ((0, "neg"), (1, "pos")):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n // 2):
                rating = int(rng.integers(7, 11) if label else rng.integers(1, 5))
                (folder / f"{i}_{rating}.txt").write_text(_review(rng, label, mean_len), encoding="utf-8")
    return root


def write_glove(path, dim=300, header=False, seed=0, extra_words=()):
    """A GloVe text file (``word v1 ... vd``, optional ``count dim`` header) covering the sample's
    words except ``RARE``; sentiment words point along one direction, filler is noise."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dim)
    direction /= np.linalg.norm(direction)
    words = list(dict.fromkeys(FILLER + POSITIVE + NEGATIVE + [".", ",", "!", "...", "n't", "do", "miss"]
                               + list(extra_words)))
    lines = []
    for w in words:
        v = rng.normal(scale=0.4, size=dim)
        if w in POSITIVE:
            v += 4.0 * direction
        elif w in NEGATIVE:
            v -= 4.0 * direction
        lines.append(w + " " + " ".join(f"{x:.5f}" for x in v))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"{len(lines)} {dim}\n" if header else "") + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- ResumeNER-style BMES
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_NER_PARTS = {
    "CONT": ["中国国籍", "美国国籍", "加拿大国籍"],
    "RACE": ["汉族", "回族", "满族", "壮族"],
    "EDU": ["本科", "硕士", "博士", "大专", "研究生"],
    "TITLE": ["总经理", "董事长", "副总裁", "高级工程师", "财务总监", "独立董事", "经济师"],
    "ORG": ["中国银行", "华为技术有限公司", "北京大学", "上海证券交易所", "招商局集团", "深圳市投资控股有限公司"],
    "PRO": ["经济学", "计算机科学", "会计学", "法学", "工商管理"],
    "LOC": ["北京市", "上海市", "广东省", "浙江省杭州市", "江苏省"],
}
_TEMPLATES = [
    ["{NAME}", "，男，", "{CONT}", "，无境外居留权。"],
    ["{NAME}", "女士，", "{RACE}", "，", "{EDU}", "学历。"],
    ["现任", "{ORG}", "{TITLE}", "，", "{NAME}", "先生。"],
    ["{NAME}", "毕业于", "{ORG}", "{PRO}", "专业，", "{EDU}", "。"],
    ["曾任", "{ORG}", "{TITLE}", "，现居", "{LOC}", "。"],
    ["{NAME}", "，", "{CONT}", "，", "{RACE}", "，籍贯", "{LOC}", "，", "{TITLE}", "。"],
]


def _bmes(text, kind):
    if kind is None:
        return [(c, "O") for c in text]
    if len(text) == 1:
        return [(text, f"S-{kind}")]
    return [(c, f"{p}-{kind}") for c, p in zip(text, "B" + "M" * (len(text) - 2) + "E")]


def _ner_sentence(rng):
    pairs = []
    for part in _TEMPLATES[rng.integers(len(_TEMPLATES))]:
        if part == "{NAME}":
            name = str(rng.choice(list(_SURNAMES))) + "".join(rng.choice(list(_GIVEN), size=rng.integers(1, 3)))
            pairs += _bmes(name, "NAME")
        elif part.startswith("{"):
            kind = part[1:-1]
            pairs += _bmes(str(rng.choice(_NER_PARTS[kind])), kind)
        else:
            pairs += _bmes(part, None)
    return pairs


def write_bmes_corpus(root, n_train=600, n_dev=100, n_test=150, seed=0, clauses=1.0):
    """``root/{train,dev,test}.char.bmes`` in the ResumeNER format (``char TAG``, blank line between
    sentences) with resume-like sentences and entities of the ResumeNER types.

    ``clauses`` is the mean number of template clauses per sentence (geometric, at most 10): 1.0 gives
    short one-clause sentences (~19 chars); 1.7 gives ResumeNER's length profile (mean ~32, a few
    sentences of 150+ chars), which is what compile and epoch times depend on.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("dev", n_dev), ("test", n_test)):
        lines = []
        for _ in range(n):
            k = 1 if clauses <= 1 else min(10, int(rng.geometric(1.0 / clauses)))
            pairs = [p for _ in range(k) for p in _ner_sentence(rng)]
            lines += [f"{c} {t}" for c, t in pairs] + [""]
        (root / f"{split}.char.bmes").write_text("\n".join(lines), encoding="utf-8")
    return root


# ---------------------------------------------------------------- Multi30k-style German/English
# A small real lexicon; the English side is a function of the German derivation and vice versa.
_MT_AGENTS = [("Mann", "m", "man"), ("Frau", "f", "woman"), ("Mädchen", "n", "girl"), ("Kind", "n", "child"),
              ("Hund", "m", "dog"), ("Katze", "f", "cat"), ("Arbeiter", "m", "worker"),
              ("Tänzerin", "f", "dancer")]
_MT_THINGS = [("Ball", "m", "ball"), ("Hut", "m", "hat"), ("Tasche", "f", "bag"), ("Buch", "n", "book"),
              ("Apfel", "m", "apple"), ("Schirm", "m", "umbrella"), ("Fahrrad", "n", "bike")]
_MT_PLACES = [("Straße", "f", "street"), ("Park", "m", "park"), ("Strand", "m", "beach"),
              ("Wiese", "f", "meadow"), ("Brücke", "f", "bridge"), ("Bank", "f", "bench"),
              ("Gras", "n", "grass"), ("Wasser", "n", "water")]
_MT_ADJECTIVES = [("rot", "red"), ("blau", "blue"), ("grün", "green"), ("schwarz", "black"),
                  ("weiß", "white"), ("klein", "small"), ("groß", "big"), ("jung", "young"), ("alt", "old"),
                  ("müde", "tired")]
# (finite verb, clause-final complement or None, English, takes an accusative object)
_MT_VERBS = [("läuft", None, "runs", False), ("sitzt", None, "sits", False), ("steht", None, "stands", False),
             ("springt", None, "jumps", False), ("schwimmt", None, "swims", False),
             ("schläft", None, "sleeps", False), ("lacht", None, "laughs", False),
             ("fährt", "Fahrrad", "rides a bike", False), ("fährt", "Auto", "drives a car", False),
             ("spielt", "Fußball", "plays soccer", False),
             ("hält", None, "holds", True), ("trägt", None, "carries", True), ("wirft", None, "throws", True),
             ("sieht", None, "sees", True)]
_MT_PREPOSITIONS = [("auf", "on"), ("in", "in"), ("an", "at"), ("neben", "next to"), ("vor", "in front of"),
                    ("hinter", "behind")]
_MT_ARTICLES = {  # (definite, case) -> article by gender m, f, n
    (True, "nom"): ("der", "die", "das"), (True, "acc"): ("den", "die", "das"), (True, "dat"): ("dem", "der", "dem"),
    (False, "nom"): ("ein", "eine", "ein"), (False, "acc"): ("einen", "eine", "ein"),
    (False, "dat"): ("einem", "einer", "einem")}
_MT_ENDINGS = {  # adjective endings after the article (weak after der, mixed after ein)
    (True, "nom"): ("e", "e", "e"), (True, "acc"): ("en", "e", "e"), (True, "dat"): ("en", "en", "en"),
    (False, "nom"): ("er", "e", "es"), (False, "acc"): ("en", "e", "es"), (False, "dat"): ("en", "en", "en")}
_MT_CONTRACTIONS = {("in", "dem"): "im", ("an", "dem"): "am"}


def _mt_noun_phrase(rng, pool, case):
    noun, gender, english = pool[rng.integers(len(pool))]
    definite = bool(rng.random() < 0.5)
    g = "mfn".index(gender)
    de, en = [_MT_ARTICLES[definite, case][g]], []
    if rng.random() < 0.3:
        adj, adj_en = _MT_ADJECTIVES[rng.integers(len(_MT_ADJECTIVES))]
        ending = _MT_ENDINGS[definite, case][g]
        de.append(adj + (ending[1:] if adj.endswith("e") else ending))
        en.append(adj_en)
    de.append(noun)
    en.append(english)
    article = "the" if definite else ("an" if en[0][0] in "aeiou" else "a")
    return de, [article] + en


def _mt_prep_phrase(rng, prep, prep_en, pool):
    de, en = _mt_noun_phrase(rng, pool, "dat")
    short = _MT_CONTRACTIONS.get((prep, de[0]))
    return ([short] + de[1:] if short else [prep] + de), [prep_en] + en


def _mt_clause(rng, front):
    """German and English word lists of one clause; ``front`` moves the place phrase first (German V2)."""
    subj_de, subj_en = _mt_noun_phrase(rng, _MT_AGENTS, "nom")
    verb, complement, verb_en, transitive = _MT_VERBS[rng.integers(len(_MT_VERBS))]
    obj_de, obj_en = _mt_noun_phrase(rng, _MT_THINGS, "acc") if transitive else ([], [])
    with_de, with_en = _mt_prep_phrase(rng, "mit", "with", _MT_AGENTS) if rng.random() < 0.2 else ([], [])
    place_de, place_en = [], []
    if rng.random() < 0.55:
        prep, prep_en = _MT_PREPOSITIONS[rng.integers(len(_MT_PREPOSITIONS))]
        place_de, place_en = _mt_prep_phrase(rng, prep, prep_en, _MT_PLACES)
    tail = [complement] if complement else []
    if front and place_de:
        de = place_de + [verb] + subj_de + obj_de + with_de + tail
        en = place_en + [","] + subj_en + [verb_en] + obj_en + with_en
    else:
        de = subj_de + [verb] + obj_de + with_de + place_de + tail
        en = subj_en + [verb_en] + obj_en + with_en + place_en
    return de, en


def _mt_sentence(rng):
    while True:
        de, en = _mt_clause(rng, front=bool(rng.random() < 0.3))
        if rng.random() < 0.25:
            de2, en2 = _mt_clause(rng, front=False)
            de, en = de + ["und"] + de2, en + ["and"] + en2
        if len(de) <= 14:
            break
    de_text = " ".join(de)
    en_text = " ".join(en).replace(" ,", ",")
    return de_text[0].upper() + de_text[1:] + ".", en_text[0].upper() + en_text[1:] + "."


def write_multi30k(root, n_train=2000, n_val=200, n_test=200, seed=0, gz=False, test_name="test_2016_flickr"):
    """``root/{train,val,<test_name>}.{de,en}`` (``.gz`` with ``gz``): generated German captions of 3-14
    words and their English translations, e.g. ``Ein Mann fährt Fahrrad.`` / ``A man rides a bike.``
    (always in train). Articles, adjective endings and ``im``/``am`` follow gender and case, a clause-final
    complement (``fährt ... Fahrrad``) and a fronted place phrase reorder words; the English is a function
    of the German and the German of the English."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for stem, n in (("train", n_train), ("val", n_val), (test_name, n_test)):
        pairs = [_mt_sentence(rng) for _ in range(n)]
        if stem == "train" and pairs and ("Ein Mann fährt Fahrrad.", "A man rides a bike.") not in pairs:
            pairs[0] = ("Ein Mann fährt Fahrrad.", "A man rides a bike.")
        for side, lang in enumerate(("de", "en")):
            data = "".join(p[side] + "\n" for p in pairs).encode("utf-8")
            if gz:
                (root / f"{stem}.{lang}.gz").write_bytes(gzip.compress(data, mtime=0))
            else:
                (root / f"{stem}.{lang}").write_bytes(data)
    return root
