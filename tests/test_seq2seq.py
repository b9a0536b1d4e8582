"""seq2seq end to end on generated Multi30k-format data: train, eval (beam and greedy), export, the 310
CPU leg, predict; bad Multi30k input."""
import gzip
import json

import numpy as np
import pytest
import sacrebleu

from lstm_ms.core.translation import MosesText
from lstm_ms.data import synthetic
from lstm_ms.tasks.seq2seq import EOS_ID, SOS_ID
from tests.cli.test_bad_input import assert_one_line_error
from tests.conftest import eval_network, eval_once, export_and_infer, exported_mindir, run_cli, train_cpu

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


@pytest.fixture(scope="module")
def mindir(s2s_run):
    return exported_mindir(s2s_run, "seq2seq", 16)


def evaluate(work, beam):
    """(result, stdout) of eval.py with ``--beam_size BEAM``, run once; hypotheses in work/eval_beam<BEAM>.hyp.txt."""
    return eval_once(work, work / "multi30k", "seq2seq", beam)


def core_search(task, net, ds, meta, width, alpha):
    """Detokenised hypotheses, in test-file order, of ``core.beam`` (greedy for width 1) driven directly
    over the network's compiled encoder and decoder step, batch by batch of ``ds``."""
    import mindspore as ms

    from lstm_ms.core import beam

    _, step = task.decoding_cells(net)
    text, found = MosesText(meta["tgt_lang"], meta["lowercase"]), {}
    for src, src_len, _, _, index, _ in ds.create_tuple_iterator(num_epochs=1, output_numpy=True):
        enc_out, keys, mask, s0 = (np.repeat(t.asnumpy(), width, 0) for t in task.encode(net, src, src_len))
        context = [ms.Tensor(a) for a in (enc_out, keys, mask)]

        def decode_step(tokens, state, context=context):
            log_probs, s, _ = step(ms.Tensor(tokens.astype(np.int32)), ms.Tensor(state[0]), *context)
            return log_probs.asnumpy(), (s.asnumpy(),)

        if width == 1:
            hyps, _ = beam.greedy_search(decode_step, (s0,), len(src_len), meta["max_decode_len"], SOS_ID, EOS_ID)
        else:
            hyps, _ = beam.beam_search(decode_step, (s0,), len(src_len), width, meta["max_decode_len"], SOS_ID, EOS_ID,
                                       alpha)
        found.update((i, text.detokenize([meta["tgt_itos"][t] for t in h])) for i, h in zip(index.tolist(), hyps))
    return [found[i] for i in sorted(found)]


def test_seeded_run_reaches_bleu_90_with_beam_search(s2s_run):
    result, stdout = evaluate(s2s_run, 5)
    lines = stdout.splitlines()
    first = next(i for i, l in enumerate(lines) if l.startswith("BLEU "))
    assert lines[first].split() == ["BLEU", f"{result['bleu']:.2f}"]
    assert "case:lc" in lines[first + 1] and "case:mixed" in lines[first + 2]
    assert result["n"] == 200 and result["beam_size"] == 5
    assert result["bleu"] >= 90, result
    assert 1.0 <= result["perplexity"] < 2.0
    hyps = (s2s_run / "eval_beam5.hyp.txt").read_text(encoding="utf-8").splitlines()
    refs = (s2s_run / "multi30k" / "test_2016_flickr.en").read_text(encoding="utf-8").splitlines()
    assert len(hyps) == len(refs) == 200
    assert sum(h == r for h, r in zip(hyps, refs)) >= 150  # in the test file's order, detokenised and recased
    # the scores are those of the written translations against the raw references
    assert result["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs], lowercase=True).score, abs=1e-9)
    assert result["bleu_cased"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score, abs=1e-9)


def test_eval_translations_are_the_core_search_of_their_beam_width(s2s_run):
    """eval.py's translations with --beam_size 5 (the config's length penalty) and 1 are core.beam's
    beam search and greedy search over the checkpoint network, and differ."""
    written = {}
    for k in (1, 5):
        evaluate(s2s_run, k)
        written[k] = (s2s_run / f"eval_beam{k}.hyp.txt").read_text(encoding="utf-8").splitlines()
    task, cfg, meta, net, ds = eval_network(s2s_run, "seq2seq")
    greedy, beam = core_search(task, net, ds, meta, 1, 0.0), core_search(task, net, ds, meta, 5, cfg["length_penalty"])
    assert written[1] == greedy and written[5] == beam
    assert sum(g != b for g, b in zip(greedy, beam)) >= 1


def test_beam_width_and_length_penalty_change_what_evaluate_returns(s2s_run):
    """On one batch, with the output layer scaled down (flatter distributions: greedy stays the same,
    the beam and the length penalty matter), ``evaluate`` returns core.beam's result for each beam width
    and length penalty, and these differ."""
    import mindspore as ms

    task, cfg, meta, net, ds = eval_network(s2s_run, "seq2seq")
    for p in net.get_parameters():
        if p.name in ("out.weight", "out.bias"):
            p.set_data(ms.Tensor(p.asnumpy() * 0.3))
    ds = ds.take(1)
    expected = {}
    for width, alpha in ((1, 0.0), (3, 0.0), (3, 1.0)):
        expected[width, alpha] = core_search(task, net, ds, meta, width, alpha)
        got = task.evaluate(net, ds, {**cfg, "beam_size": width, "length_penalty": alpha}, meta)
        assert got["hypotheses"] == expected[width, alpha], (width, alpha)
    assert len(expected[1, 0.0]) >= 32
    assert expected[3, 0.0] != expected[1, 0.0] and expected[3, 1.0] != expected[3, 0.0]


def test_training_log_and_best_checkpoint_by_dev_bleu(s2s_run):
    records = [json.loads(l) for l in (s2s_run / "ckpt_seq2seq" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, 6))
    assert all("hypotheses" not in r["dev"] for r in records)
    best = json.loads((s2s_run / "ckpt_seq2seq" / "best.json").read_text())
    assert best["criterion"] == "dev bleu"
    assert best["score"] == max(r["dev"]["bleu"] for r in records)
    assert records[-1]["dev"]["bleu"] > records[0]["dev"]["bleu"]


def test_greedy_eval_equals_exported_graph_and_310_chain(s2s_run):
    greedy, _ = evaluate(s2s_run, 1)
    side, deployed, infer = export_and_infer(s2s_run, "seq2seq", s2s_run / "ckpt_seq2seq" / "seq2seq-best.ckpt",
                                             s2s_run / "multi30k")
    assert [i["name"] for i in side["inputs"]] == ["src", "lengths"]
    assert side["outputs"][0]["shape"] == [16, 24] and side["outputs"][0]["dtype"] == "int32"
    assert deployed["n"] == 200  # 200 = 12 full batches of 16 + 8 rows padding the last one
    assert deployed["bleu"] == pytest.approx(greedy["bleu"], abs=1e-9)
    assert deployed["bleu_cased"] == pytest.approx(greedy["bleu_cased"], abs=1e-9)
    assert (infer / "acc.hyp.txt").read_text() == (s2s_run / "eval_beam1.hyp.txt").read_text()


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


def test_predict_translates_from_checkpoint_and_mindir(s2s_run, mindir):
    ckpt = s2s_run / "ckpt_seq2seq" / "seq2seq-best.ckpt"
    proc = run_cli("predict.py", "--model", "seq2seq", "--ckpt_file", ckpt, "Ein Mann fährt Fahrrad.",
                   "Die rote Katze sitzt.", cwd=s2s_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-2:] == ["A man rides a bike.", "The red cat sits."]
    proc = run_cli("predict.py", "--model", "seq2seq", "--mindir_file", mindir, "--json", "Ein Mann fährt Fahrrad.",
                   cwd=s2s_run)
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
    pre = tmp_path / "preprocess_seq2seq"
    meta = json.loads((pre / "meta.json").read_text())
    assert meta["splits"]["train"]["truncated"] == 1 and meta["splits"]["test"]["truncated"] == 0
    assert meta["splits"]["test"]["n"] == 11 and meta["splits"]["test"]["src_length_max"] > 20
    assert meta["export_src_len"] == meta["splits"]["test"]["src_length_max"]
    # what was written: every train row within the limit, the long pair cut to its first 19 ids + <eos>;
    # test rows whole; the counters count the rows actually cut
    de, en = MosesText("de"), MosesText("en")
    written = {}
    for split, stem in (("train", "train"), ("test", "test_2016_flickr")):
        rows = written[split] = mindrecord_rows(pre / f"seq2seq_{split}.mindrecord")
        raw = [(len(de.tokenize(s)) + 1, len(en.tokenize(t)) + 1) for s, t in zip(
            (root / f"{stem}.de").read_text(encoding="utf-8").splitlines(),
            (root / f"{stem}.en").read_text(encoding="utf-8").splitlines())]
        assert len(rows) == len(raw) == meta["splits"][split]["n"]
        limit = 20 if split == "train" else 10 ** 6
        lengths = [(len(r["src"]), len(r["tgt"])) for r in rows]
        assert lengths == [(min(s, limit), min(t, limit)) for s, t in raw]
        assert all(r["src_len"] == len(r["src"]) and r["src"][-1] == r["tgt"][-1] == EOS_ID for r in rows)
        assert sum(s != rs or t != rt for (s, t), (rs, rt) in zip(lengths, raw)) == meta["splits"][split]["truncated"]
        assert max(s for s, _ in lengths) == (20 if split == "train" else meta["splits"][split]["src_length_max"])
    cut, whole = written["train"][-1], written["test"][-1]
    for key in ("src", "tgt"):
        assert len(whole[key]) > 20
        np.testing.assert_array_equal(cut[key], np.append(whole[key][:19], EOS_ID))


def mindrecord_rows(path):
    """Every row of a MindRecord file as written, in file order ({column: numpy value})."""
    import mindspore.dataset as ds

    rows = ds.MindDataset(str(path), columns_list=["index", "src", "src_len", "tgt"], shuffle=False)
    rows = sorted(rows.create_dict_iterator(num_epochs=1, output_numpy=True), key=lambda r: int(r["index"]))
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    return rows
