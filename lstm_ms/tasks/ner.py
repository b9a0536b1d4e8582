"""Chinese NER on ResumeNER (char-level BMES): BiLSTM or BiLSTM-CRF, with optional soft-word tags."""
from pathlib import Path

import numpy as np

from ..core import ner_metrics, viterbi
from ..core.atomic import save_npy, write_json
from ..core.embeddings import embedding_matrix, load_vectors
from ..core.errors import UserError
from ..core.tags import entities
from ..core.vocab import Vocab
from ..data import bmes, mindrecord
from . import register
from .base import PreparedTask

FORMAT_VERSION = 1
SPLITS = ("train", "dev", "test")
SCHEMA = {"ids": {"type": "int32", "shape": [-1]}, "seg": {"type": "int32", "shape": [-1]},
          "tags": {"type": "int32", "shape": [-1]}, "length": {"type": "int32"}}
COLUMNS = ("ids", "seg", "length", "tags")
SHAPING_KEYS = ("max_len", "min_freq", "use_seg", "pretrained_path", "embed_size", "strict")
NETWORK_KEYS = ("embed_size", "num_hiddens", "num_layers", "seg_size", "dropout", "crf")
PAD_TAG = "<pad>"


def seg_tags(chars):
    """Soft-word feature: jieba's word boundaries as one tag per char (1 B, 2 M, 3 E, 4 S)."""
    import jieba

    out = []
    for word in jieba.lcut("".join(chars), HMM=True):
        n = len(word)
        out.extend([4] if n == 1 else [1] + [2] * (n - 2) + [3])
    if len(out) != len(chars):  # multi-char tokens in the input: fall back to no information
        return [0] * len(chars)
    return out


@register
class NERTask(PreparedTask):
    name = "ner"
    network_keys = NETWORK_KEYS
    format_version = FORMAT_VERSION
    shaping_keys = SHAPING_KEYS
    columns = COLUMNS  # MindRecord columns: the network's inputs in order, then the label
    ckpt_prefix = "ner"
    metric_name = "entity_f1"
    path_keys = ("data_path", "pretrained_path", "preprocess_path", "ckpt_path", "pre_trained")
    raw_keys = ("data_path", "pretrained_path")
    assets = ("vocab.txt", "tags.txt")
    input_names = ("ids", "seg", "lengths")

    # ---------------------------------------------------------------- data
    def _files(self, cfg):
        root = Path(cfg["data_path"])
        if not root.is_dir():
            raise UserError(root, "dataset folder not found (expected {train,dev,test}.char.bmes)")
        return {s: root / f"{s}.char.bmes" for s in SPLITS}

    def raw_files(self, cfg):
        files = list(self._files(cfg).values()) + ([Path(cfg["pretrained_path"])] if cfg["pretrained_path"] else [])
        for f in files:
            if not f.is_file():
                raise UserError(f, "file not found")
        return files

    def prepare(self, cfg, fingerprint, log=print):
        out = Path(cfg["preprocess_path"])
        out.mkdir(parents=True, exist_ok=True)
        data, reports = {}, {}
        for split, path in self._files(cfg).items():
            data[split], reports[split] = bmes.read_bmes(path, strict=cfg["strict"])
            r = reports[split]
            log(f"{path}: {r['sentences']} sentences, {r['chars']} chars, scheme {r['scheme']}"
                + (f", {r['repaired']} broken tag sequences repaired (first: {r['problems'][0]})" if r["repaired"] else ""))
        vocab = Vocab.build((c for c, _ in data["train"]), min_freq=cfg["min_freq"])
        tag_names = sorted({t for _, tags in data["train"] for t in tags})
        for split in ("dev", "test"):  # name the file that has them
            unknown = sorted({t for _, tags in data[split] for t in tags} - set(tag_names))
            if unknown:
                raise UserError(self._files(cfg)[split], f"tags not seen in train: {', '.join(unknown)}")
        tag_vocab = Vocab(tag_names, specials=(PAD_TAG,))
        embedding_file = None
        if cfg["pretrained_path"]:
            words, vectors = load_vectors(cfg["pretrained_path"], cfg["embed_size"], cache_dir=out / "cache", log=log)
            matrix, covered = embedding_matrix(vocab, words, vectors, seed=cfg["seed"], pad_id=vocab.pad_id)
            save_npy(out / "embedding.npy", matrix)
            embedding_file = "embedding.npy"
            log(f"pretrained char vectors for {covered[2:].mean():.1%} of {len(vocab)} vocabulary entries")
        max_len = cfg["max_len"]
        splits = {}
        for split in SPLITS:
            name = f"ner_{split}.mindrecord"

            def rows(sents=data[split]):
                for chars, tags in sents:
                    chars, tags = chars[:max_len], tags[:max_len]
                    seg = seg_tags(chars) if cfg["use_seg"] else [0] * len(chars)
                    yield {"ids": vocab.encode(chars), "seg": np.array(seg, np.int32),
                           "tags": tag_vocab.encode(tags), "length": np.int32(len(chars))}

            mindrecord.write(out / name, SCHEMA, rows(), description=f"ner {split}")
            lengths = [len(c) for c, _ in data[split]]
            splits[split] = {"file": name, "n": len(lengths), "length_mean": float(np.mean(lengths)),
                             "length_max": int(max(lengths)), "truncated": int(sum(l > max_len for l in lengths))}
        vocab.save(out / "vocab.txt")
        tag_vocab.save(out / "tags.txt")
        meta = {"format_version": FORMAT_VERSION, "task": self.name, "vocab_size": len(vocab),
                "num_tags": len(tag_vocab), "tags": tag_vocab.itos, "max_len": max_len, "pad_id": vocab.pad_id,
                "use_seg": cfg["use_seg"], "embedding": embedding_file, "splits": splits, "reports": reports,
                "fingerprint": fingerprint}
        write_json(out / "meta.json", meta)
        return meta

    def dataset(self, split, cfg, meta, training, shard=None, epoch=1):
        """Batches of (ids, seg, length, tags). Training batches are padded to their bucket's length
        (the CRF's forward loop is unrolled over it: one compiled graph per bucket); evaluation pads to
        the batch's longest sentence and runs one dynamic-shape forward graph, except on Ascend, where it
        pads to the bucket too (``static_evaluation``)."""
        from ..engine.trainer import static_evaluation

        to_boundary = (training or static_evaluation(cfg)) and not cfg.get("dynamic_shape", False)
        return self.bucketed(split, cfg, meta, COLUMNS, ("ids", "seg", "tags"), training, shard, to_boundary, epoch)

    # ---------------------------------------------------------------- model
    def network(self, cfg, meta, pretrained=True):
        from ..nn.ner import NERNet

        embedding = None
        if pretrained and meta.get("embedding"):
            embedding = np.load(Path(cfg["preprocess_path"]) / meta["embedding"])
        return NERNet(meta["vocab_size"], cfg["embed_size"], cfg["num_hiddens"], meta["num_tags"],
                      num_layers=cfg["num_layers"], seg_size=cfg["seg_size"] if meta.get("use_seg", True) else 0,
                      dropout=cfg["dropout"], crf=cfg["crf"], embedding=embedding)

    def inference_network(self, net, meta):
        """(ids, seg, lengths) -> emissions, and the meta that says how to decode them: the CRF's
        parameters for Viterbi in ``core`` (``decoder: viterbi``), or ``decoder: argmax``."""
        from ..nn.ner import NEREmissions

        crf = self._crf_params(net)
        decoder = {"decoder": "viterbi", "crf": {k: v.tolist() for k, v in crf.items()}} if crf else {"decoder": "argmax"}
        return NEREmissions(net), {**meta, **decoder}

    @staticmethod
    def _crf_params(net):
        if net.crf is None:
            return None
        return viterbi.crf_params(*(p.asnumpy() for p in (net.crf.transitions, net.crf.start, net.crf.end)))

    @staticmethod
    def decode(emissions, lengths, crf):
        """Tag ids [B, T] from emissions [B, T, K]: Viterbi with ``crf`` params, else argmax."""
        if crf is None:
            return np.asarray(emissions).argmax(-1).astype(np.int32)
        return viterbi.viterbi(emissions, lengths, crf["transitions"], crf["start"], crf["end"])

    def input_specs(self):
        import mindspore as ms

        return [ms.Tensor(shape=[None, None], dtype=ms.int32), ms.Tensor(shape=[None, None], dtype=ms.int32),
                ms.Tensor(shape=[None], dtype=ms.int32), ms.Tensor(shape=[None, None], dtype=ms.int32)]

    def loss(self, cfg, net):
        from ..nn.ner import NERLoss

        return NERLoss(net)

    def _tag_names(self, meta):
        return meta["tags"]

    def _decode_rows(self, tag_ids, lengths, meta):
        names = self._tag_names(meta)
        return [["O" if i == 0 else names[i] for i in row[:n]] for row, n in zip(tag_ids, lengths)]

    def evaluate(self, net, ds, cfg, meta):
        """Entity and token scores of ``net`` on ``ds``: the network's forward graph (compiled once for
        all batch shapes when ``net`` has dynamic inputs), then Viterbi in numpy."""
        net.set_train(False)
        crf = self._crf_params(net)
        gold, pred = [], []
        for ids, seg, length, tags in ds.create_tuple_iterator(num_epochs=1):
            emissions = net(ids, seg, length)[0].asnumpy().astype(np.float32)  # float16 under amp
            length = length.asnumpy()
            pred += self._decode_rows(self.decode(emissions, length, crf), length, meta)
            gold += self._decode_rows(tags.asnumpy(), length, meta)
        return self.scores(gold, pred)

    def scores(self, gold, pred):
        ent = ner_metrics.entity_scores(gold, pred)
        tok = ner_metrics.token_scores(gold, pred)
        return {"entity_f1": ent["micro"]["f1"], "entity": ent, "token": tok, "n": len(gold)}

    def report(self, result):
        return (f"entity-level (exact span and type) micro F1 {result['entity_f1']:.4f} on {result['n']} sentences\n"
                f"{ner_metrics.format_entity_table(result['entity'])}\n"
                f"token-level scores per tag (scikit-learn; the reference's number is the weighted avg):\n"
                f"{result['token']['table']}\n"
                f"token-level weighted F1 (O included) {result['token']['f1']:.4f}, "
                f"precision {result['token']['precision']:.4f}, recall {result['token']['recall']:.4f}")

    def make_sample(self, out_dir, seed=0, size=1.0):
        from ..data import synthetic

        # size 6.37: ResumeNER's 3,821 / 463 / 477 sentences with its length profile
        root = synthetic.write_bmes_corpus(Path(out_dir) / "ResumeNER", n_train=int(600 * size),
                                           n_dev=int(72.7 * size), n_test=int(75 * size), seed=seed, clauses=1.7)
        return {"data_path": str(root)}

    # ---------------------------------------------------------------- export and deployment
    def export_inputs(self, cfg, meta, batch_size):
        import mindspore as ms

        zeros = np.zeros((batch_size, meta["max_len"]), np.int32)
        return [ms.Tensor(zeros), ms.Tensor(zeros), ms.Tensor(np.full((batch_size,), meta["max_len"], np.int32))]

    def pad_example(self, meta):
        zeros = np.zeros(meta["max_len"], np.int32)
        return zeros, zeros, np.int32(1)

    def _example(self, chars, vocab, meta):
        chars = chars[: meta["max_len"]]
        ids = np.zeros(meta["max_len"], np.int32)
        seg = np.zeros(meta["max_len"], np.int32)
        ids[: len(chars)] = vocab.encode(chars)
        if meta.get("use_seg"):
            seg[: len(chars)] = seg_tags(chars)
        return ids, seg, np.int32(max(1, len(chars)))

    def encode_texts(self, texts, meta, asset_paths):
        vocab = Vocab.load(asset_paths["vocab.txt"])
        return [self._example(list(t.strip()), vocab, meta) for t in texts]

    def raw_examples(self, dataset_path, meta, asset_paths, split="test"):
        vocab = Vocab.load(asset_paths["vocab.txt"])
        tag_vocab = Vocab.load(asset_paths["tags.txt"], specials=(PAD_TAG,))
        sents, _ = bmes.read_bmes(Path(dataset_path) / f"{split}.char.bmes")
        out = []
        for chars, tags in sents:
            label = np.full(meta["max_len"], -1, np.int32)
            tags = tags[: meta["max_len"]]
            label[: len(tags)] = tag_vocab.encode(tags)
            out.append((self._example(chars, vocab, meta), label))
        return out

    def _decode_meta(self, outputs, lengths, meta):
        crf = meta.get("crf")
        crf = {k: np.asarray(v) for k, v in crf.items()} if crf else None
        return self.decode(np.asarray(outputs), lengths, crf)

    def metrics_from_outputs(self, outputs, labels, meta):
        """``outputs``: emission rows [N, T, K] (decoded as the meta's ``decoder`` says); ``labels``:
        tag-id rows, -1 past each sentence."""
        lengths = np.array([int((row >= 0).sum()) for row in labels])
        tag_ids = self._decode_meta(outputs, lengths, meta)
        return self.scores(self._decode_rows(labels, lengths, meta), self._decode_rows(tag_ids, lengths, meta))

    def describe(self, output_row, text, meta):
        names = self._tag_names(meta)
        chars = list(text.strip())[: meta["max_len"]]
        tag_ids = self._decode_meta(np.asarray(output_row)[None], np.array([max(1, len(chars))]), meta)[0]
        tags = ["O" if i == 0 else names[i] for i in tag_ids[: len(chars)]]
        found = [{"type": k, "start": s, "end": e + 1, "text": "".join(chars[s:e + 1])} for k, s, e in entities(tags)]
        summary = "  ".join(f"{f['text']}/{f['type']}[{f['start']}:{f['end']}]" for f in found) or "(no entities)"
        return {"entities": found, "tags": tags, "summary": f"{summary}\t{text.strip()}"}
