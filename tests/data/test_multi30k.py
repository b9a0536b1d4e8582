import gzip

import pytest

from lstm_ms.core.errors import UserError
from lstm_ms.data import multi30k, synthetic


def _write(path, text, gz=False):
    data = text.encode("utf-8") if isinstance(text, str) else text
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _folder(root, test="test2016", gz=False, langs=("de", "en")):
    root.mkdir(parents=True, exist_ok=True)
    for stem in ("train", "val", test):
        for lang in langs:
            _write(root / f"{stem}.{lang}", f"{stem} {lang} eins\n{stem} {lang} zwei\n", gz=gz)
    return root


@pytest.mark.parametrize("test_name", ["test2016", "test_2016_flickr"])
def test_both_test_file_namings(tmp_path, test_name):
    root = _folder(tmp_path / "m30k", test=test_name)
    files = multi30k.split_files(root, "de", "en")
    assert set(files) == set(multi30k.SPLITS) == {"train", "dev", "test"}
    assert files["dev"] == (root / "val.de", root / "val.en")
    assert files["test"] == (root / f"{test_name}.de", root / f"{test_name}.en")
    reverse = multi30k.split_files(root, "en", "de")
    assert reverse["train"] == (root / "train.en", root / "train.de")
    assert multi30k.read_pairs(*files["test"]) == [(f"{test_name} de eins", f"{test_name} en eins"),
                                                   (f"{test_name} de zwei", f"{test_name} en zwei")]


def test_gz_files_and_plain_preferred(tmp_path):
    root = _folder(tmp_path / "m30k", gz=True)
    files = multi30k.split_files(root, "de", "en")
    assert files["train"] == (root / "train.de.gz", root / "train.en.gz")
    assert multi30k.read_pairs(*files["train"])[1] == ("train de zwei", "train en zwei")
    _write(root / "train.de", "plain eins\nplain zwei\n")
    files = multi30k.split_files(root, "de", "en")
    assert files["train"] == (root / "train.de", root / "train.en.gz")
    assert multi30k.read_pairs(*files["train"])[0] == ("plain eins", "train en eins")


def test_missing_folder_names_languages(tmp_path):
    with pytest.raises(UserError) as exc:
        multi30k.split_files(tmp_path / "nope", "en", "de")
    assert exc.value.path == str(tmp_path / "nope")
    assert str(exc.value) == (f"{tmp_path / 'nope'}: dataset folder not found (expected train.en, val.en, "
                              "test2016.en or test_2016_flickr.en and their .de pairs, plain or .gz)")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="dataset folder not found"):
        multi30k.split_files(tmp_path / "file", "de", "en")


def test_missing_file_of_a_pair(tmp_path):
    root = _folder(tmp_path / "m30k")
    (root / "val.en").unlink()
    with pytest.raises(UserError) as exc:
        multi30k.split_files(root, "de", "en")
    assert exc.value.path == str(root / "val.en") and "val.en.gz" in str(exc.value)
    _write(root / "val.en", "a\nb\n")
    (root / "test2016.de").unlink()
    with pytest.raises(UserError) as exc:
        multi30k.split_files(root, "de", "en")
    assert exc.value.path == str(root / "test2016.de")
    assert "test_2016_flickr.de" in str(exc.value) and "file not found" in str(exc.value)
    (root / "test2016.en").unlink()
    with pytest.raises(UserError) as exc:
        multi30k.split_files(root, "de", "en")
    assert exc.value.path == str(root / "test2016.de")
    assert "test_2016_flickr.de, test_2016_flickr.de.gz" in str(exc.value)


@pytest.mark.parametrize("src,tgt,flag", [("de", "de", "--tgt_lang"), ("DE", "en", "--src_lang"),
                                          ("de", "english", "--tgt_lang"), ("d", "en", "--src_lang")])
def test_language_flags(tmp_path, src, tgt, flag):
    root = _folder(tmp_path / "m30k")
    with pytest.raises(UserError) as exc:
        multi30k.split_files(root, src, tgt)
    assert exc.value.path == flag and str(exc.value).startswith(f"{flag}: ")


def test_read_lines_keeps_content_strips_line_ends(tmp_path):
    path = _write(tmp_path / "a.de", "\ufeff  Grüße, Straße!  \r\nzwei\tTabs\x0bvt\nletzte ohne Zeilenende")
    assert multi30k.read_lines(path) == ["  Grüße, Straße!  ", "zwei\tTabs\x0bvt", "letzte ohne Zeilenende"]
    assert multi30k.read_lines(_write(tmp_path / "e.de", "")) == []


@pytest.mark.parametrize("gz", [False, True])
def test_not_utf8_names_file_and_line(tmp_path, gz):
    path = _write(tmp_path / "train.de", b"eins\nzwei\ndr\xe9i\n", gz=gz)
    with pytest.raises(UserError) as exc:
        multi30k.read_lines(path)
    assert str(exc.value) == f"{path}:3: not UTF-8 text"


def test_corrupt_gz_is_one_line(tmp_path):
    for name, data in (("bad.de.gz", b"not gzip at all"), ("cut.de.gz", gzip.compress(b"eins\n" * 100)[:-12])):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UserError) as exc:
            multi30k.read_lines(tmp_path / name)
        assert exc.value.path == str(tmp_path / name) and "gzip" in str(exc.value)
        assert "\n" not in str(exc.value)


def test_pair_errors(tmp_path):
    src = _write(tmp_path / "train.de", "eins\nzwei\ndrei\n")
    tgt = _write(tmp_path / "train.en", "one\ntwo\n")
    with pytest.raises(UserError) as exc:
        multi30k.read_pairs(src, tgt)
    assert str(exc.value) == (f"{tgt}: 2 lines, but train.de has 3: "
                              "a parallel pair needs one sentence per line in both")
    empty = _write(tmp_path / "val.de", "")
    with pytest.raises(UserError) as exc:
        multi30k.read_pairs(empty, _write(tmp_path / "val.en", ""))
    assert str(exc.value) == f"{empty}: no sentences"
    tgt = _write(tmp_path / "train.en", "one\n  \nthree\n")
    with pytest.raises(UserError) as exc:
        multi30k.read_pairs(src, tgt)
    assert str(exc.value) == f"{tgt}:2: empty sentence"
    src = _write(tmp_path / "train.de", "eins\nzwei\n\n")
    with pytest.raises(UserError) as exc:
        multi30k.read_pairs(src, _write(tmp_path / "train.en", "one\ntwo\nthree\n"))
    assert str(exc.value) == f"{src}:3: empty sentence"


# ---------------------------------------------------------------- the synthetic writer
def test_synthetic_multi30k_is_deterministic_and_readable(tmp_path):
    a = synthetic.write_multi30k(tmp_path / "a", n_train=300, n_val=40, n_test=50, seed=1)
    b = synthetic.write_multi30k(tmp_path / "b", n_train=300, n_val=40, n_test=50, seed=1)
    c = synthetic.write_multi30k(tmp_path / "c", n_train=300, n_val=40, n_test=50, seed=2)
    names = sorted(p.name for p in a.iterdir())
    assert names == ["test_2016_flickr.de", "test_2016_flickr.en", "train.de", "train.en", "val.de", "val.en"]
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert (a / "train.de").read_bytes() != (c / "train.de").read_bytes()
    files = multi30k.split_files(a, "de", "en")
    counts = {split: len(multi30k.read_pairs(*files[split])) for split in multi30k.SPLITS}
    assert counts == {"train": 300, "dev": 40, "test": 50}
    train_de = multi30k.read_lines(a / "train.de")
    assert "Ein Mann fährt Fahrrad." in train_de
    assert dict(multi30k.read_pairs(*files["train"]))["Ein Mann fährt Fahrrad."] == "A man rides a bike."
    text = (a / "train.de").read_text(encoding="utf-8")
    assert any(ch in text for ch in "äöü") and "ß" in text


def test_synthetic_multi30k_mapping_is_a_function(tmp_path):
    root = synthetic.write_multi30k(tmp_path, n_train=3000, n_val=300, n_test=300, seed=0, test_name="test2016")
    files = multi30k.split_files(root, "de", "en")
    de_to_en, en_to_de, lengths = {}, {}, set()
    for split in multi30k.SPLITS:
        for de, en in multi30k.read_pairs(*files[split]):
            assert de_to_en.setdefault(de, en) == en
            assert en_to_de.setdefault(en, de) == de
            assert de[0].isupper() and en[0].isupper() and de.endswith(".") and en.endswith(".")
            lengths.add(len(de.split()))
    assert min(lengths) == 3 and max(lengths) == 14
    assert len(de_to_en) > 1000  # mostly distinct sentences


def test_synthetic_multi30k_gz(tmp_path):
    root = synthetic.write_multi30k(tmp_path, n_train=50, n_val=10, n_test=10, seed=0, gz=True)
    assert sorted(p.name for p in root.iterdir())[0] == "test_2016_flickr.de.gz"
    files = multi30k.split_files(root, "en", "de")
    assert files["train"] == (root / "train.en.gz", root / "train.de.gz")
    pairs = multi30k.read_pairs(*files["train"])
    assert len(pairs) == 50 and ("A man rides a bike.", "Ein Mann fährt Fahrrad.") in pairs
    plain = synthetic.write_multi30k(tmp_path / "plain", n_train=50, n_val=10, n_test=10, seed=0)
    assert gzip.decompress((root / "val.de.gz").read_bytes()) == (plain / "val.de").read_bytes()
