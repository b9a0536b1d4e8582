"""seq2seq end to end on generated Multi30k-format data: train, eval (beam and greedy), export, the 310
CPU leg, predict; bad Multi30k input."""
import gzip
import json

import numpy as np
import pytest

from lstm_ms.data import synthetic
from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import eval_cpu, export_and_infer, run_cli, train_cpu

pytestmark = pytest.mark.slow
SMALL = ["--embed_size", "64", "--num_hiddens", "128", "--dropout", "0.1", "--max_len", "24",
         "--bucket_lengths", "[12, 16]", "--max_decode_len", "24"]
FLAGS = ["--model", "seq2seq", "--num_epochs", "5", "--batch_size", "32", "--lr_max", "0.005", "--lr_init", "0.0005",
         "--lr_end", "0.0002", "--lr_adjust_epoch", "5", "--progress", "false", "--seed", "1", *SMALL]


@pytest.fixture(scope="module")
def s2s_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("seq2seq")
    synthetic.write_multi30k(work / "multi30k", n_train=2000, n_val=150, n_test=200, seed=4)
    return train_cpu(work, work / "multi30k", *FLAGS)


def evaluate(work, *flags):
    return eval_cpu(work, work / "multi30k", "seq2seq", *flags)


def test_seeded_run_reaches_bleu_90_with_beam_search(s2s_run):
    result_file = s2s_run / "beam.json"
    proc = evaluate(s2s_run, "--beam_size", "5", "--result_file", result_file)
    lines = proc.stdout.splitlines()
    first = next(i for i, l in enumerate(lines) if l.startswith("BLEU "))
    assert lines[first].split() == ["BLEU", f"{json.loads(result_file.read_text())['bleu']:.2f}"]
    assert "case:lc" in lines[first + 1] and "case:mixed" in lines[first + 2]
    result = json.loads(result_file.read_text())
    assert result["n"] == 200 and result["beam_size"] == 5
    assert result["bleu"] >= 90, result
    assert 1.0 <= result["perplexity"] < 2.0
    hyps = (s2s_run / "beam.hyp.txt").read_text(encoding="utf-8").splitlines()
    refs = (s2s_run / "multi30k" / "test_2016_flickr.en").read_text(encoding="utf-8").splitlines()
    assert len(hyps) == len(refs) == 200
    assert sum(h == r for h, r in zip(hyps, refs)) >= 150  # in the test file's order, detokenised and recased


def test_training_log_and_best_checkpoint_by_dev_bleu(s2s_run):
    records = [json.loads(l) for l in (s2s_run / "ckpt_seq2seq" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, 6))
    assert all("hypotheses" not in r["dev"] for r in records)
    best = json.loads((s2s_run / "ckpt_seq2seq" / "best.json").read_text())
    assert best["criterion"] == "dev bleu"
    assert best["score"] == max(r["dev"]["bleu"] for r in records)
    assert records[-1]["dev"]["bleu"] > records[0]["dev"]["bleu"]


def test_greedy_eval_equals_exported_graph_and_310_chain(s2s_run):
    evaluate(s2s_run, "--beam_size", "1", "--result_file", s2s_run / "greedy.json")
    greedy = json.loads((s2s_run / "greedy.json").read_text())
    side, deployed, infer = export_and_infer(s2s_run, "seq2seq", s2s_run / "ckpt_seq2seq" / "seq2seq-best.ckpt",
                                             s2s_run / "multi30k")
    assert [i["name"] for i in side["inputs"]] == ["src", "lengths"]
    assert side["outputs"][0]["shape"] == [16, 24] and side["outputs"][0]["dtype"] == "int32"
    assert deployed["n"] == 200  # 200 = 12 full batches of 16 + 8 rows padding the last one
    assert deployed["bleu"] == pytest.approx(greedy["bleu"], abs=1e-9)
    assert deployed["bleu_cased"] == pytest.approx(greedy["bleu_cased"], abs=1e-9)
    assert (infer / "acc.hyp.txt").read_text() == (s2s_run / "greedy.hyp.txt").read_text()


def test_mindir_decodes_the_checkpoints_greedy_ids(s2s_run, tmp_path):
    """The exported graph's ids on real test rows of mixed lengths equal the compiled decoder step's
    greedy loop over the checkpoint network."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.cli.common import network_from_checkpoint
    from lstm_ms.core.config import config_file, load_yaml
    from lstm_ms.core.meta import read_meta
    from lstm_ms.tasks import get_task
    from lstm_ms.tasks.seq2seq import strip_ids

    ckpt = s2s_run / "ckpt_seq2seq" / "seq2seq-best.ckpt"
    proc = run_cli("export.py", "--model", "seq2seq", "--ckpt_file", ckpt, "--file_name", tmp_path / "cmp",
                   "--batch_size", "8", "--verify", "false", cwd=s2s_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ms.set_context(mode=ms.GRAPH_MODE)
    task = get_task("seq2seq")
    meta = read_meta(ckpt.parent / "meta.json")
    rows = task.raw_examples(s2s_run / "multi30k", meta, {"src_vocab.txt": ckpt.parent / "src_vocab.txt"})
    lengths = np.array([int(r[0][1]) for r in rows])
    picked = [rows[i] for i in np.argsort(lengths, kind="stable")[np.linspace(0, len(rows) - 1, 8).astype(int)]]
    src = np.stack([p[0][0] for p in picked])
    src_len = np.array([p[0][1] for p in picked], np.int32)
    assert len(set(src_len.tolist())) >= 5
    deployed = nn.GraphCell(ms.load(str(tmp_path / "cmp.mindir")))(ms.Tensor(src), ms.Tensor(src_len)).asnumpy()
    cfg = {**load_yaml(config_file("seq2seq", "CPU")), **meta["network"]}
    net = network_from_checkpoint(task, cfg, ckpt, meta)
    loop = task.translate(net, src[:, : src_len.max()], src_len, meta["max_decode_len"], beam_size=1)
    assert [strip_ids(r) for r in deployed] == loop
    assert deployed.shape == (8, meta["max_decode_len"])


def test_predict_translates_from_checkpoint_and_mindir(s2s_run):
    ckpt = s2s_run / "ckpt_seq2seq" / "seq2seq-best.ckpt"
    proc = run_cli("predict.py", "--model", "seq2seq", "--ckpt_file", ckpt, "Ein Mann fährt Fahrrad.",
                   "Die rote Katze sitzt.", cwd=s2s_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-2:] == ["A man rides a bike.", "The red cat sits."]
    mindir = s2s_run / "seq2seq.mindir"
    if mindir.is_file():  # written by the deployment test
        proc = run_cli("predict.py", "--model", "seq2seq", "--mindir_file", mindir, "--json",
                       "Ein Mann fährt Fahrrad.", cwd=s2s_run)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert json.loads(proc.stdout.strip().splitlines()[-1])["translation"] == "A man rides a bike."


def _corpus(tmp_path):
    root = synthetic.write_multi30k(tmp_path / "multi30k", n_train=40, n_val=10, n_test=10, seed=1)
    return root


@pytest.mark.parametrize("case", ["unequal", "missing", "empty", "bytes", "gz"])
def test_bad_multi30k_input(tmp_path, case):
    root = _corpus(tmp_path)
    if case == "unequal":
        bad = root / "val.en"
        bad.write_text("\n".join(bad.read_text(encoding="utf-8").splitlines()[:-1]) + "\n", encoding="utf-8")
        fragment = f"{bad}: 9 lines, but val.de has 10"
    elif case == "missing":
        bad = root / "train.en"
        bad.unlink()
        fragment = f"{bad}: file not found"
    elif case == "empty":
        bad = root / "test_2016_flickr.de"
        bad.write_text("", encoding="utf-8")
        fragment = f"{bad}: no sentences"
    elif case == "bytes":
        bad = root / "train.de"
        lines = bad.read_bytes().split(b"\n")
        lines[2] = "Ein Mann fährt.".encode("latin-1")
        bad.write_bytes(b"\n".join(lines))
        fragment = f"{bad}:3: not UTF-8 text"
    else:
        bad = root / "val.de.gz"
        (root / "val.de").unlink()
        bad.write_bytes(gzip.compress(b"Ein Mann.\n")[:-6])
        fragment = f"{bad}: not a readable gzip file"
    proc = run_cli("train.py", "--model", "seq2seq", "--data_path", root, "--num_epochs", "1", cwd=tmp_path)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "preprocess_seq2seq" / "meta.json").exists()


def test_either_direction_and_gz_files(tmp_path):
    synthetic.write_multi30k(tmp_path / "m", n_train=60, n_val=10, n_test=10, seed=2, gz=True, test_name="test2016")
    proc = run_cli("train.py", "--model", "seq2seq", "--data_path", tmp_path / "m", "--src_lang", "en",
                   "--tgt_lang", "de", "--preprocess_only", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    meta = json.loads((tmp_path / "preprocess_seq2seq" / "meta.json").read_text())
    assert (meta["src_lang"], meta["tgt_lang"]) == ("en", "de")
    assert "fährt" in meta["tgt_itos"] and "rides" not in meta["tgt_itos"]
    assert meta["splits"]["test"]["n"] == 10


def test_long_pairs_truncated_for_training_only(tmp_path):
    root = _corpus(tmp_path)
    long_de = "Ein Mann " + " ".join(["und ein Hund"] * 12) + " läuft."
    for split, n in (("train", 40), ("test_2016_flickr", 10)):
        for lang, text in (("de", long_de), ("en", "A man " + " ".join(["and a dog"] * 12) + " runs.")):
            path = root / f"{split}.{lang}"
            path.write_text(path.read_text(encoding="utf-8") + text + "\n", encoding="utf-8")
    proc = run_cli("train.py", "--model", "seq2seq", "--data_path", root, "--preprocess_only", "--max_len", "20",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "train: 1 pairs longer than max_len 20 (with <eos>) truncated for training" in proc.stdout
    meta = json.loads((tmp_path / "preprocess_seq2seq" / "meta.json").read_text())
    assert meta["splits"]["train"]["truncated"] == 1 and meta["splits"]["test"]["truncated"] == 0
    assert meta["splits"]["test"]["n"] == 11 and meta["splits"]["test"]["src_length_max"] > 20
    assert meta["export_src_len"] == meta["splits"]["test"]["src_length_max"]
