import re

import pytest

from lstm_ms.core.errors import UserError
from lstm_ms.core.tags import bio_to_bmes, detect_scheme, entities, repair_bmes, to_bmes
from lstm_ms.data.bmes import read_bmes


def test_bio_and_bioes_become_bmes():
    assert bio_to_bmes(["B-ORG", "I-ORG", "I-ORG", "O", "B-LOC", "B-LOC", "I-LOC"]) == \
        ["B-ORG", "M-ORG", "E-ORG", "O", "S-LOC", "B-LOC", "E-LOC"]
    assert to_bmes(["B-ORG", "I-ORG", "E-ORG", "S-LOC"], "BIOES") == ["B-ORG", "M-ORG", "E-ORG", "S-LOC"]
    assert detect_scheme({"B", "I", "O"}) == "BIO" and detect_scheme({"B", "I", "E", "S"}) == "BIOES"
    assert detect_scheme({"B", "M", "E", "S", "O"}) == "BMES"
    with pytest.raises(ValueError, match="mixes"):
        detect_scheme({"M", "I"})


@pytest.mark.parametrize("tags, fixed, n_problems", [
    (["B-X", "M-X", "E-X", "S-Y", "O"], ["B-X", "M-X", "E-X", "S-Y", "O"], 0),
    (["O", "E-X", "O"], ["O", "S-X", "O"], 1),                  # E- with nothing open
    (["M-X", "E-X"], ["B-X", "E-X"], 1),                        # M- with nothing open
    (["B-X", "M-X", "O"], ["B-X", "E-X", "O"], 1),              # left open by O
    (["B-X", "B-Y", "E-Y"], ["S-X", "B-Y", "E-Y"], 1),          # left open by a new B-
    (["B-X", "E-Y"], ["S-X", "S-Y"], 2),                        # type changes mid-entity
    (["B-X", "M-X"], ["B-X", "E-X"], 1),                        # open at the end
])
def test_repair(tags, fixed, n_problems):
    out, problems = repair_bmes(tags)
    assert out == fixed and len(problems) == n_problems
    assert repair_bmes(out) == (out, [])


def test_entities_are_exact_spans_and_broken_ones_are_ignored():
    assert entities(["B-X", "M-X", "E-X", "O", "S-Y"]) == [("X", 0, 2), ("Y", 4, 4)]
    assert entities(["B-X", "E-Y", "M-X", "E-X"]) == []


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_reader_bom_crlf_and_bio(tmp_path):
    f = write(tmp_path / "a.char.bmes", "\ufeff高 B-NAME\r\n勇 I-NAME\r\n， O\r\n\r\n男 O\r\n")
    sents, report = read_bmes(f)
    assert sents == [(["高", "勇", "，"], ["B-NAME", "E-NAME", "O"]), (["男"], ["O"])]
    assert report["scheme"] == "BIO" and report["repaired"] == 0


def test_reader_repairs_and_counts_or_refuses_with_strict(tmp_path):
    f = write(tmp_path / "b.char.bmes", "高 B-NAME\n勇 O\n\n中 E-ORG\n")
    sents, report = read_bmes(f)
    assert sents[0][1] == ["S-NAME", "O"] and sents[1][1] == ["S-ORG"]
    assert report["repaired"] == 2 and report["problems"][0].startswith("line 2:")
    with pytest.raises(UserError) as exc:
        read_bmes(f, strict=True)
    assert exc.value.line == 2 and "NAME entity not closed" in str(exc.value)


@pytest.mark.parametrize("text, encoding, problem, line", [
    ("高 B-NAME\n勇\n", "utf-8", "expected 'char TAG'", 2),
    ("高 B-NAME\n勇 X-NAME\n", "utf-8", "unknown tag 'X-NAME'", 2),
    ("高 B-PER\n勇 I-PER\n\n中 M-ORG\n", "utf-8", "mixes M- (BMES) and I- (BIO/BIOES) tags", None),
    ("\n\n", "utf-8", "empty file", None),
    ("高 B-NAME\n勇 E-NAME\n", "gbk", "not UTF-8", 1),
])
def test_reader_errors_name_file_and_line(tmp_path, text, encoding, problem, line):
    f = write(tmp_path / "bad.char.bmes", text, encoding)
    with pytest.raises(UserError, match=re.escape(problem)) as exc:
        read_bmes(f)
    assert exc.value.path == str(f) and exc.value.line == line
