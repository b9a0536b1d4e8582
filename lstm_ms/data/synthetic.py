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


# ---------------------------------------------------------------- TIMIT-shaped speech
# Words with TIMIT-style phone transcriptions; together with h#/pau/epi they cover all 61 phones.
_TIMIT_LEXICON = {
    "she": "sh iy", "had": "hv ae dcl d", "your": "y axr", "dark": "dcl d aa r kcl k", "suit": "s ux tcl t",
    "in": "ix n", "greasy": "gcl g r iy s iy", "wash": "w ao sh", "water": "w ao dx axr", "all": "ao l",
    "year": "y ih axr", "don't": "dcl d ow n tcl t", "ask": "ae s kcl k", "me": "m iy", "to": "tcl t uw",
    "carry": "kcl k eh r iy", "an": "en", "oily": "oy l iy", "rag": "r ae gcl g", "like": "l ay kcl k",
    "that": "dh ae q", "thin": "th ih n", "zebra": "z iy bcl b r ax", "vision": "v ih zh ax n",
    "church": "ch er tcl ch", "judge": "jh ah dcl jh", "song": "s ao ng", "bottle": "bcl b aa dx el",
    "bottom": "bcl b aa dx em", "washington": "w aa sh eng tcl t ax n", "how": "hh aw", "boy": "bcl b oy",
    "good": "gcl g uh dcl d", "five": "f ay v", "pay": "pcl p ey", "potato": "pcl p ax-h tcl t ey dx ow",
    "winner": "w ih nx axr", "the": "dh ix", "you": "y uw",
}
_TIMIT_SILENT = ("h#", "pau", "epi")


def write_sphere(path, samples, sample_rate=16000, byte_format="01", database_id="TIMIT"):
    """A NIST SPHERE file (1024-byte header, 16-bit PCM, mono) holding int16 ``samples``.

    ``byte_format`` is the header's ``sample_byte_format``: ``"01"`` little-endian (TIMIT), ``"10"``
    big-endian (AN4)."""
    if byte_format not in ("01", "10"):
        raise ValueError(f"byte_format must be '01' (little-endian) or '10' (big-endian), got {byte_format!r}")
    samples = np.asarray(np.asarray(samples, dtype=np.int16), dtype="<i2" if byte_format == "01" else ">i2")
    fields = ["NIST_1A", "   1024", f"database_id -s{len(database_id)} {database_id}",
              f"sample_count -i {len(samples)}", f"sample_rate -i {sample_rate}", "channel_count -i 1",
              "sample_n_bytes -i 2", f"sample_byte_format -s2 {byte_format}", "sample_coding -s3 pcm",
              "sample_sig_bits -i 16", "end_head"]
    header = ("\n".join(fields) + "\n").encode("ascii")
    path = Path(path)
    path.write_bytes(header.ljust(1024, b" ") + samples.tobytes())
    return path


def _phone_sound(phone, n, rng):
    """``n`` samples of a phone's fixed signature: two phone-specific tones under a phone-specific
    envelope, or low noise for the silence-like phones."""
    from ..core.phones import PHONES_61
    if phone in _TIMIT_SILENT:
        return rng.normal(scale=0.004, size=n)
    return _two_tones(PHONES_61.index(phone), len(PHONES_61), n, rng)


def _two_tones(i, count, n, rng, step1=41.0, step2=67.0, scale=1.0):
    """``n`` samples of symbol ``i`` (of ``count``; ``7`` and ``count`` coprime)'s fixed signature: tones at
    ``180 + step1 * i`` and ``1100 + step2 * (7 i mod count)`` Hz (times a speaker's ``scale``) under an
    envelope peaking ``(i % 4) / 3`` of the way through, at level ``0.25 + 0.05 * (i % 5)``, plus light noise."""
    t = np.arange(n) / 16000.0
    f1, f2 = scale * (180.0 + step1 * i), scale * (1100.0 + step2 * ((i * 7) % count))
    shape = (i % 4) / 3.0  # where the envelope peaks: 0 = start, 1 = end
    env = np.exp(-((np.linspace(0, 1, n) - shape) ** 2) / 0.18)
    sound = (0.6 * np.sin(2 * np.pi * f1 * t) + 0.4 * np.sin(2 * np.pi * f2 * t)) * env
    return (0.25 + 0.05 * (i % 5)) * sound + rng.normal(scale=0.002, size=n)


def _timit_utterance(rng):
    """(int16 samples, [(start, end, phone)], [(start, end, word)], text) of one synthetic sentence."""
    words = [str(w) for w in rng.choice(list(_TIMIT_LEXICON), size=int(rng.integers(3, 7)))]
    phones, spans = ["h#"], []
    for k, w in enumerate(words):
        if k and rng.random() < 0.2:
            phones.append(str(rng.choice(["pau", "epi"])))
        first = len(phones)
        phones += _TIMIT_LEXICON[w].split()
        spans.append((first, len(phones), w))
    phones.append("h#")
    audio, segments, pos = [], [], 0
    for p in phones:
        n = int(rng.integers(480, 1921))  # 30-120 ms at 16 kHz
        audio.append(_phone_sound(p, n, rng))
        segments.append((pos, pos + n, p))
        pos += n
    samples = np.clip(np.round(np.concatenate(audio) * 32767), -32768, 32767).astype(np.int16)
    wrd = [(segments[a][0], segments[b - 1][1], w) for a, b, w in spans]
    text = " ".join(words).capitalize() + "."
    return samples, segments, wrd, text


def _timit_speakers(include_core, per_region):
    """{(split, region): [speaker, ...]} with made-up names, plus real core/dev names under TEST."""
    from .timit import CORE_TEST_SPEAKERS, DEV_SPEAKERS
    out = {}
    for r in range(1, 9):
        region = f"dr{r}"
        out["train", region] = [f"{'fm'[i % 2]}x{chr(96 + r)}{chr(97 + i)}0" for i in range(per_region)]
        if include_core:
            out["test", region] = list(CORE_TEST_SPEAKERS[region][:per_region]) + [DEV_SPEAKERS[r - 1]]
        else:
            out["test", region] = [f"{'fm'[i % 2]}y{chr(96 + r)}{chr(97 + i)}0" for i in range(per_region)]
    return out


def write_timit(root, layout="ldc", case="upper", audio="sphere", speakers_per_region=2,
                sentences=("sa1", "si1", "sx1"), seed=0, include_core=True):
    """A small TIMIT-shaped tree of synthetic 16 kHz 16-bit speech with matching PHN/WRD/TXT files.

    ``layout="ldc"``: ``root/TIMIT/{TRAIN,TEST}/DR1..DR8/<SPK>/<UTT>.{WAV,PHN,WRD,TXT}`` (``case`` picks
    upper- or lower-case names); with ``include_core`` TEST holds real core-test and dev speaker names (the
    dev speakers' regions here are arbitrary) so the standard splits apply. ``layout="nltk"``: the flat
    ``root/dr1-<spk>/<utt>.{wav,phn,wrd,txt}`` folders of NLTK's sample (training speakers only).
    ``audio``: ``"sphere"`` (NIST SPHERE, as LDC ships it) or ``"wav"`` (RIFF). Returns the folder to read.
    """
    if layout not in ("ldc", "nltk") or case not in ("upper", "lower") or audio not in ("sphere", "wav"):
        raise ValueError(f"bad layout/case/audio: {layout!r}, {case!r}, {audio!r}")
    rng = np.random.default_rng(seed)
    root = Path(root)
    name = str.upper if case == "upper" and layout == "ldc" else str.lower
    base = root / name("timit") if layout == "ldc" else root
    for (split, region), speakers in _timit_speakers(include_core, speakers_per_region).items():
        if layout == "nltk" and split == "test":
            continue
        for spk in speakers:
            folder = (base / name(split) / name(region) / name(spk) if layout == "ldc"
                      else base / f"{region}-{spk}")
            folder.mkdir(parents=True, exist_ok=True)
            for sent in sentences:
                samples, phn, wrd, text = _timit_utterance(rng)
                stem = folder / name(sent)
                wav = stem.with_name(stem.name + name(".wav"))
                if audio == "sphere":
                    write_sphere(wav, samples)
                else:
                    import soundfile as sf
                    sf.write(str(wav), samples, 16000, subtype="PCM_16", format="WAV")
                for ext, rows in ((".phn", phn), (".wrd", wrd)):
                    stem.with_name(stem.name + name(ext)).write_text(
                        "".join(f"{a} {b} {x}\n" for a, b, x in rows), encoding="ascii")
                stem.with_name(stem.name + name(".txt")).write_text(f"0 {len(samples)} {text}\n", encoding="ascii")
    return base


# ---------------------------------------------------------------- AN4-shaped speech
# AN4 is spoken letters, digits and a few commands ("RUBOUT G M E F THREE NINE"). Each character has its
# own two-tone signature (50-90 ms), words are separated by 60-120 ms of low noise, so a small CTC network
# can learn to read characters off the spectrogram.
_AN4_CHARS = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ"      # 27 symbols: 7 and 27 are coprime (see _two_tones)
_AN4_WORDS = (list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
              "ZERO OH ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE".split(),
              "RUBOUT ENTER STOP YES NO REPEAT".split())
_AN4_WORD_MIX = np.array([0.5, 0.35, 0.15])     # letters, digit words, commands
_AN4_RATE = 16000


def _an4_silence(n, rng):
    return rng.normal(scale=0.004, size=n)


def _an4_utterance(rng, voice):
    """(int16 samples, text) of one synthetic AN4 utterance of about 0.8-2.5 s spoken with
    ``voice = (frequency scale, gain)``: 100-200 ms of silence, words, silence (padded to 0.8 s)."""
    scale, gain = voice
    budget = rng.uniform(0.8, 2.5) * _AN4_RATE
    lead, tail = (int(n) for n in rng.integers(1600, 3201, size=2))     # 100-200 ms
    pieces, words, used = [_an4_silence(lead, rng)], [], lead + tail
    while True:
        pool = _AN4_WORDS[int(rng.choice(3, p=_AN4_WORD_MIX))]
        word = pool[int(rng.integers(len(pool)))]
        durations = rng.integers(800, 1441, size=len(word))             # 50-90 ms a character
        gap = int(rng.integers(960, 1921)) if words else 0               # 60-120 ms between words
        if words and used + gap + durations.sum() > budget:
            break
        if gap:
            pieces.append(_an4_silence(gap, rng))
        for c, n in zip(word, durations):
            pieces.append(gain * _two_tones(_AN4_CHARS.index(c), len(_AN4_CHARS), int(n), rng,
                                            step1=83.0, step2=97.0, scale=scale))
        words.append(word)
        used += gap + int(durations.sum())
    pieces.append(_an4_silence(max(tail, int(0.8 * _AN4_RATE) - (used - tail)), rng))
    samples = np.clip(np.round(np.concatenate(pieces) * 32767), -32768, 32767).astype(np.int16)
    return samples, " ".join(words)


def _an4_speaker(k):
    """AN4-style speaker name of speaker ``k``: gender letter and three letters, e.g. ``faab``."""
    return f"{'fm'[k % 2]}{chr(97 + k // 676 % 26)}{chr(97 + k // 26 % 26)}{chr(97 + k % 26)}"


def write_an4(root, layout="manifest", n_train=120, n_val=20, n_test=30, seed=0, speakers=(6, 2, 3)):
    """A small AN4-shaped corpus of synthetic 16 kHz 16-bit speech (deterministic given ``seed``).

    Utterances (ids like ``an7-faab-b``) are 0.8-2.5 s of spelled letters, digit words and commands;
    ``speakers`` gives the number of speakers of train, val and test (each speaker has its own slight
    pitch and level). ``layout="manifest"``: ``root/an4_dataset/{train,val,test}/{wav,txt}/<id>.{wav,txt}``
    (RIFF WAV, one-line upper-case transcript) and ``root/an4_{train,val,test}_manifest.csv`` with
    ``wav,txt`` paths relative to ``root``. ``layout="cmu"``: CMU's ``an4_sphere`` release,
    ``root/an4/etc/an4_{train,test}.{fileids,transcription}`` and big-endian NIST SPHERE audio in
    ``root/an4/wav/{an4_clstk,an4test_clstk}/<speaker>/<id>.sph``; it has no val split, so the val
    speakers' utterances are part of train (the same seed gives the same audio in both layouts).
    Returns ``root``, the folder to pass as data_path.
    """
    if layout not in ("manifest", "cmu"):
        raise ValueError(f"layout must be 'manifest' or 'cmu', got {layout!r}")
    counts = {"train": n_train, "val": n_val, "test": n_test}
    speakers = dict(zip(counts, speakers))
    if any(counts[s] > 0 and not 1 <= speakers[s] <= counts[s] for s in counts):
        raise ValueError(f"each split needs between 1 and its utterance count of speakers, got {speakers}")
    rng = np.random.default_rng(seed)
    root = Path(root)
    done, first = [], 0
    for split, n in counts.items():
        names = [_an4_speaker(first + k) for k in range(speakers[split])]
        first += speakers[split]
        voices = [(rng.uniform(0.98, 1.02), rng.uniform(0.8, 1.2)) for _ in names]
        for j in range(n):
            k = j * len(names) // n       # contiguous blocks: files come sorted by speaker as in AN4
            samples, text = _an4_utterance(rng, voices[k])
            done.append((split, names[k], f"an{len(done) + 1}-{names[k]}-b", samples, text))
    if layout == "manifest":
        _write_an4_manifest(root, done)
    else:
        _write_an4_cmu(root, done)
    return root


def _write_an4_manifest(root, utterances):
    import soundfile as sf

    rows = {"train": [], "val": [], "test": []}
    for split, _, uid, samples, text in utterances:
        wav, txt = (Path("an4_dataset", split, kind, f"{uid}.{kind}") for kind in ("wav", "txt"))
        for rel in (wav, txt):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(root / wav), samples, _AN4_RATE, subtype="PCM_16", format="WAV")
        (root / txt).write_text(text + "\n", encoding="ascii")
        rows[split].append(f"{wav.as_posix()},{txt.as_posix()}\n")
    for split, lines in rows.items():
        (root / f"an4_{split}_manifest.csv").write_text("".join(lines), encoding="utf-8")


def _write_an4_cmu(root, utterances):
    base = root / "an4"
    (base / "etc").mkdir(parents=True, exist_ok=True)
    fileids, transcripts = {"train": [], "test": []}, {"train": [], "test": []}
    for split, speaker, uid, samples, text in utterances:
        split = "test" if split == "test" else "train"
        fileid = f"{'an4test_clstk' if split == 'test' else 'an4_clstk'}/{speaker}/{uid}"
        sph = base / "wav" / f"{fileid}.sph"
        sph.parent.mkdir(parents=True, exist_ok=True)
        write_sphere(sph, samples, _AN4_RATE, byte_format="10", database_id="AN4")
        fileids[split].append(fileid + "\n")
        transcripts[split].append(f"<s> {text} </s> ({uid})\n")
    for split in fileids:
        (base / "etc" / f"an4_{split}.fileids").write_text("".join(fileids[split]), encoding="ascii")
        (base / "etc" / f"an4_{split}.transcription").write_text("".join(transcripts[split]), encoding="ascii")
