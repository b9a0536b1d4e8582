"""Preprocessed data is reused only while the raw files and shaping config are the same, by content."""
import json
import shutil

import numpy as np
import pytest

from lstm_ms.core.config import config_file, load_yaml
from lstm_ms.core.errors import UserError
from lstm_ms.core.fingerprint import files_fingerprint
from lstm_ms.data import synthetic
from lstm_ms.tasks import get_task


@pytest.fixture()
def setup(tmp_path):
    synthetic.write_aclimdb(tmp_path / "aclImdb", n_train=40, n_test=20, mean_len=10, seed=1)
    synthetic.write_glove(tmp_path / "glove" / "glove.6B.50d.txt", dim=50)
    cfg = {**load_yaml(config_file("sentiment", "CPU")), "aclimdb_path": str(tmp_path / "aclImdb"),
           "glove_path": str(tmp_path / "glove"), "embed_size": 50, "preprocess": True,
           "preprocess_path": str(tmp_path / "pre")}
    task = get_task("sentiment")
    task.ensure_prepared(cfg, log=lambda m: None)
    return tmp_path, task, cfg


def prepare(task, cfg):
    lines = []
    meta = task.ensure_prepared(cfg, log=lines.append)
    return meta, "\n".join(lines)


def written(root):
    """(content, mtime_ns, inode) of each MindRecord file (and its .db index) in ``root/pre``."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted((root / "pre").glob("*.mindrecord*"))}


def test_untouched_dataset_is_reused(setup):
    root, task, cfg = setup
    before = written(root)
    assert len(before) == 6  # train, dev and test, each with its .db
    _, log = prepare(task, cfg)
    assert "up to date" in log and "rebuilding" not in log
    assert written(root) == before  # not rewritten: same bytes, same mtime, same inode


def test_same_size_edit_triggers_a_rebuild(setup):
    root, task, cfg = setup
    review = next((root / "aclImdb" / "train" / "pos").glob("*.txt"))
    text = review.read_text()
    swapped = text.replace("a", "e", 1) if "a" in text else text.replace("e", "a", 1)
    assert swapped != text and len(swapped.encode()) == len(text.encode())
    review.write_text(swapped)
    before = written(root)
    meta, log = prepare(task, cfg)
    assert "the dataset changed" in log and "rebuilding" in log
    assert json.loads((root / "pre" / "meta.json").read_text())["fingerprint"] == meta["fingerprint"]
    rebuilt = written(root)
    assert rebuilt.keys() == before.keys()
    for name, (content, mtime, inode) in rebuilt.items():  # every file written anew
        assert inode != before[name][2] and mtime != before[name][1], name
    assert any(rebuilt[n][0] != before[n][0] for n in rebuilt)  # the edited review's row changed
    assert "up to date" in prepare(task, cfg)[1]
    assert written(root) == rebuilt


def test_pos_to_neg_move_triggers_a_rebuild(setup):
    root, task, cfg = setup
    src = next((root / "aclImdb" / "train" / "pos").glob("*.txt"))
    dest = root / "aclImdb" / "train" / "neg" / src.name
    shutil.move(src, dest)  # a relabel: same bytes, another folder
    before = json.loads((root / "pre" / "meta.json").read_text())["splits"]
    _, log = prepare(task, cfg)
    assert "the dataset changed" in log
    after = json.loads((root / "pre" / "meta.json").read_text())["splits"]
    assert sum(s["labels"][0] for s in after.values()) == sum(s["labels"][0] for s in before.values()) + 1


def test_fingerprint_sees_content_and_folder_not_location(tmp_path):
    for folder in ("a/pos", "a/neg", "b/pos"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a/pos/1.txt").write_text("good film")
    (tmp_path / "a/neg/2.txt").write_text("bad film")
    fp = files_fingerprint([tmp_path / "a/pos/1.txt", tmp_path / "a/neg/2.txt"])
    (tmp_path / "b/pos/1.txt").write_text("good film")
    (tmp_path / "b/neg").mkdir()
    (tmp_path / "b/neg/2.txt").write_text("bad film")
    assert files_fingerprint([tmp_path / "b/pos/1.txt", tmp_path / "b/neg/2.txt"]) == fp  # a copied dataset
    (tmp_path / "b/neg/2.txt").write_text("bad filM")
    assert files_fingerprint([tmp_path / "b/pos/1.txt", tmp_path / "b/neg/2.txt"]) != fp


def test_another_tasks_folder_is_refused(setup):
    _, _, cfg = setup
    ner = get_task("ner")
    ner_cfg = {**load_yaml(config_file("ner", "CPU")), "preprocess_path": cfg["preprocess_path"]}
    for preprocess in (True, False):
        with pytest.raises(UserError, match="model 'sentiment'|another task"):
            ner.ensure_prepared({**ner_cfg, "preprocess": preprocess}, log=lambda m: None)


def test_another_format_version_is_refused_without_preprocess(setup, monkeypatch):
    _, task, cfg = setup
    monkeypatch.setattr(type(task), "format_version", task.format_version + 1)
    with pytest.raises(UserError, match="another task or version"):
        task.ensure_prepared({**cfg, "preprocess": False}, log=lambda m: None)
    _, log = prepare(task, cfg)
    assert "format version" in log and "rebuilding" in log


def test_batch_tokens_bounds_rows_times_padded_length(setup):
    """``batch_tokens``: long buckets get fewer rows, short ones keep batch_size; no row is lost
    from evaluation."""
    _, task, cfg = setup
    cfg = {**cfg, "batch_size": 8, "bucket_lengths": [16, 24], "max_len": 64, "batch_tokens": 96}
    meta = task.ensure_prepared(cfg, log=lambda m: None)
    assert task.bucket_batch_sizes(cfg, task.bucket_lengths(cfg, meta)) == [6, 4, 1]
    shapes = [ids.shape for ids, _, _ in task.dataset("train", cfg, meta, training=True).create_tuple_iterator(
        num_epochs=1, output_numpy=True)]
    assert shapes and all(rows * length <= 96 for rows, length in shapes)
    assert {(4, 24), (1, 64)} <= set(shapes), shapes  # the budget, not batch_size, sets these batches
    n_test = sum(len(label) for _, _, label in task.dataset("test", cfg, meta, training=False).create_tuple_iterator(
        num_epochs=1, output_numpy=True))
    assert n_test == meta["splits"]["test"]["n"]


@pytest.mark.parametrize("target,dynamic,static", [("CPU", False, False), ("Ascend", False, True),
                                                   ("Ascend", True, False)])
def test_evaluation_pads_to_buckets_and_stays_static_on_ascend(setup, target, dynamic, static):
    import mindspore as ms

    from lstm_ms.engine.trainer import for_evaluation

    ms.set_context(mode=ms.GRAPH_MODE)
    _, task, cfg = setup
    cfg = {**cfg, "device_target": target, "dynamic_shape": dynamic, "bucket_lengths": [8, 12, 16]}
    meta = task.ensure_prepared(cfg, log=lambda m: None)
    widths = {ids.shape[1] for ids, length, _ in task.dataset("test", cfg, meta, training=False)
              .create_tuple_iterator(num_epochs=1, output_numpy=True)}
    longest = {int(length.max()) for _, length, _ in task.dataset("test", cfg, meta, training=False)
               .create_tuple_iterator(num_epochs=1, output_numpy=True)}
    assert (widths <= set(task.bucket_lengths(cfg, meta))) if static else (widths == longest)
    net = for_evaluation(task.network(cfg, meta), task, cfg)
    out = net(ms.Tensor(np.ones((2, 8), np.int32)), ms.Tensor(np.array([8, 3], np.int32)))
    assert out.shape == (2, 2)
    # dynamic inputs: one graph whose declared input shapes are unknown; static: none declared
    assert (net.get_inputs() is None) == static
