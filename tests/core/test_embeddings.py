import numpy as np
import pytest

from lstm_ms.core import embeddings
from lstm_ms.core.errors import UserError
from lstm_ms.core.vocab import Vocab

WORDS = {"the": [0.1, 0.2, 0.3], "film": [1.0, -1.0, 0.5], "n't": [0.0, 0.0, 1.0]}


def write(path, header):
    lines = [f"{w} " + " ".join(str(x) for x in v) for w, v in WORDS.items()]
    path.write_text((f"{len(lines)} 3\n" if header else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("header", [True, False])
def test_glove_with_or_without_header(tmp_path, header):
    path = write(tmp_path / "glove.6B.3d.txt", header)
    assert embeddings.sniff_header(path) == (header, 3)
    words, vectors = embeddings.load_vectors(path, dim=3, log=lambda m: None)
    assert words == list(WORDS)
    np.testing.assert_allclose(vectors, np.array(list(WORDS.values()), np.float32))


def test_folder_resolves_to_file_of_the_dimension(tmp_path):
    write(tmp_path / "glove.6B.3d.txt", False)
    (tmp_path / "glove.6B.50d.txt").write_text("x 1\n")
    assert embeddings.resolve_vector_file(tmp_path, 3).name == "glove.6B.3d.txt"


def test_cache_means_no_second_read(tmp_path, monkeypatch):
    path = write(tmp_path / "g.txt", False)
    first = embeddings.load_vectors(path, cache_dir=tmp_path / "cache", log=lambda m: None)

    def boom(*a, **k):
        raise AssertionError("text file read again")

    monkeypatch.setattr(embeddings, "_load_with_gensim", boom)
    words, vectors = embeddings.load_vectors(path, cache_dir=tmp_path / "cache", log=lambda m: None)
    assert words == first[0]
    np.testing.assert_array_equal(vectors, first[1])


@pytest.mark.parametrize("content, problem", [
    ("", "empty"),
    ("the 0.1 0.2 0.3\nfilm 0.1 zz 0.3\n", "garbled"),
    ("hello world foo\n", "not a word-vector line"),
    ("3 3\n", "header but no vectors"),
])
def test_bad_vector_files(tmp_path, content, problem):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=problem):
        embeddings.load_vectors(path, log=lambda m: None)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(UserError, match="UTF-8"):
        embeddings.load_vectors(path, log=lambda m: None)


def test_dimension_mismatch(tmp_path):
    with pytest.raises(UserError, match="dimension 3, config embed_size is 300"):
        embeddings.load_vectors(write(tmp_path / "g.txt", True), dim=300, log=lambda m: None)


def test_embedding_matrix_covers_and_seeds():
    vocab = Vocab(["the", "film", "zorblax"])
    words, vectors = list(WORDS), np.array(list(WORDS.values()), np.float32)
    m1, covered = embeddings.embedding_matrix(vocab, words, vectors, seed=7)
    m2, _ = embeddings.embedding_matrix(vocab, words, vectors, seed=7)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(m1[vocab.stoi["film"]], WORDS["film"])
    assert not m1[vocab.pad_id].any()
    assert covered.tolist() == [False, False, True, True, False]
    assert m1[vocab.stoi["zorblax"]].any()
