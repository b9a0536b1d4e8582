import pytest

from lstm_ms.core.errors import UserError
from lstm_ms.data import aclimdb, synthetic


def test_reads_real_layout_sorted_by_id(tmp_path):
    synthetic.write_aclimdb(tmp_path / "aclImdb", n_train=24, n_test=8, seed=0)
    files = aclimdb.review_files(tmp_path / "aclImdb", "train")
    assert len(files) == 24 and [l for _, l in files] == [0] * 12 + [1] * 12
    ids = [int(f.name.split("_")[0]) for f, l in files if l == 0]
    assert ids == sorted(ids)
    assert aclimdb.review_files(tmp_path, "test")  # the folder above aclImdb/ works too
    text = aclimdb.read_review(files[0][0])
    assert text and text.endswith("Don't miss it.")


def test_missing_and_wrong_layouts(tmp_path):
    with pytest.raises(UserError, match="aclImdb folder not found"):
        aclimdb.review_files(tmp_path / "nope", "train")
    (tmp_path / "a" / "train" / "pos").mkdir(parents=True)
    with pytest.raises(UserError, match="missing folder") as exc:
        aclimdb.review_files(tmp_path / "a", "train")
    assert exc.value.path.endswith("train/neg")
    (tmp_path / "a" / "train" / "neg").mkdir()
    (tmp_path / "a" / "train" / "neg" / "review.txt").write_text("x")
    with pytest.raises(UserError, match="no reviews named"):
        aclimdb.review_files(tmp_path / "a", "train")


def test_non_utf8_review(tmp_path):
    bad = tmp_path / "0_1.txt"
    bad.write_bytes(b"caf\xe9")
    with pytest.raises(UserError, match="not UTF-8"):
        aclimdb.read_review(bad)
