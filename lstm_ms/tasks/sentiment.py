"""Sentiment classification on aclImdb with GloVe: the ModelZoo LSTM, done right."""
import sys
from pathlib import Path

import numpy as np

from ..core import metrics
from ..core.atomic import save_npy, write_json
from ..core.embeddings import embedding_matrix, load_vectors, resolve_vector_file, sniff_header
from ..core.errors import UserError
from ..core.text import tokenize
from ..core.vocab import Vocab
from ..data import aclimdb, mindrecord
from . import register
from .base import PreparedTask

FORMAT_VERSION = 1
SCHEMA = {"ids": {"type": "int32", "shape": [-1]}, "length": {"type": "int32"}, "label": {"type": "int32"}}
COLUMNS = ("ids", "length", "label")
SHAPING_KEYS = ("max_len", "lowercase", "min_freq", "max_vocab", "embed_size", "dev_fraction", "seed")
NETWORK_KEYS = ("embed_size", "num_hiddens", "num_layers", "bidirectional", "num_classes", "dropout")


def review_tokens(text, lowercase, max_len):
    """Tokens of one review as the model sees them (also used by 310 preprocessing and predict)."""
    return tokenize(text, lowercase)[:max_len]


def encode_tokens(tokens, vocab):
    """Token ids; an empty review becomes one ``<unk>`` so every sequence has length >= 1."""
    return vocab.encode(tokens) if tokens else np.array([vocab.unk_id], np.int32)


@register
class SentimentTask(PreparedTask):
    name = "sentiment"
    network_keys = NETWORK_KEYS
    format_version = FORMAT_VERSION
    shaping_keys = SHAPING_KEYS
    columns = COLUMNS  # MindRecord columns: the network's inputs in order, then the label
    path_keys = ("aclimdb_path", "glove_path", "preprocess_path", "ckpt_path", "pre_trained")
    raw_keys = ("aclimdb_path", "glove_path")  # the scripts' positional dataset arguments
    ckpt_prefix = "lstm"
    metric_name = "accuracy"
    labels = aclimdb.LABELS

    # ---------------------------------------------------------------- data
    def raw_files(self, cfg):
        files = [f for split in ("train", "test") for f, _ in aclimdb.review_files(cfg["aclimdb_path"], split)]
        glove = resolve_vector_file(cfg["glove_path"], cfg["embed_size"])
        _, dim = sniff_header(glove)  # fail fast, before minutes of reading reviews
        if dim != cfg["embed_size"]:
            raise UserError(glove, f"vectors have dimension {dim}, config embed_size is {cfg['embed_size']}")
        return files + [glove]

    def prepare(self, cfg, fingerprint, log=print):
        from tqdm import tqdm

        out = Path(cfg["preprocess_path"])
        out.mkdir(parents=True, exist_ok=True)
        max_len = cfg["max_len"]
        examples = {}
        for split in ("train", "test"):
            files = aclimdb.review_files(cfg["aclimdb_path"], split)
            rows = []
            bar = tqdm(files, desc=f"reading {split}", unit="review", mininterval=2.0, disable=None)  # tty only
            for path, label in bar:
                # interned: 50,000 reviews x ~270 tokens share one string object per distinct word
                tokens = [sys.intern(t) for t in review_tokens(aclimdb.read_review(path), cfg["lowercase"], max_len)]
                rows.append((tokens, label))
            examples[split] = rows
        train = examples["train"]
        order = np.random.default_rng(cfg["seed"]).permutation(len(train))
        n_dev = int(round(len(train) * cfg["dev_fraction"]))
        examples["dev"] = [train[i] for i in sorted(order[:n_dev])]
        examples["train"] = [train[i] for i in sorted(order[n_dev:])]

        vocab = Vocab.build((t for t, _ in examples["train"]), min_freq=cfg["min_freq"],
                            max_size=cfg["max_vocab"] or None)
        words, vectors = load_vectors(cfg["glove_path"], cfg["embed_size"], cache_dir=out / "cache", log=log)
        matrix, covered = embedding_matrix(vocab, words, vectors, seed=cfg["seed"], pad_id=vocab.pad_id)
        token_ids = np.concatenate([vocab.encode(t) for t, _ in examples["train"]])
        token_cov = float(covered[token_ids].mean())
        log(f"vocabulary: {len(vocab)} entries from train; pretrained vectors for {int(covered.sum())} "
            f"({covered[2:].mean():.1%} of words, {token_cov:.1%} of training tokens); the rest are seeded random")

        splits = {}
        for split in ("train", "dev", "test"):
            rows = examples[split]
            if not rows:
                continue
            name = f"aclImdb_{split}.mindrecord"

            def encoded(rows=rows):
                for tokens, label in rows:
                    ids = encode_tokens(tokens, vocab)
                    yield {"ids": ids, "length": np.int32(len(ids)), "label": np.int32(label)}

            mindrecord.write(out / name, SCHEMA, encoded(), description=f"aclImdb {split}")
            lengths = np.array([max(1, len(t)) for t, _ in rows])
            splits[split] = {"file": name, "n": len(rows), "labels": np.bincount([l for _, l in rows], minlength=2).tolist(),
                             "length_mean": float(lengths.mean()), "length_median": float(np.median(lengths)),
                             "truncated": int((lengths >= max_len).sum())}
            log(f"wrote {out / name}: {len(rows)} reviews, mean length {lengths.mean():.0f} tokens")
        vocab.save(out / "vocab.txt")
        save_npy(out / "embedding.npy", matrix)
        meta = {"format_version": FORMAT_VERSION, "task": self.name, "vocab_size": len(vocab),
                "embed_size": int(matrix.shape[1]), "max_len": max_len, "num_classes": len(self.labels),
                "labels": list(self.labels), "lowercase": cfg["lowercase"], "pad_id": vocab.pad_id, "unk_id": vocab.unk_id, "splits": splits,
                "pretrained": {"file": str(resolve_vector_file(cfg["glove_path"], cfg["embed_size"])),
                               "vocab_coverage": float(covered[2:].mean()), "token_coverage": token_cov},
                "fingerprint": fingerprint}
        write_json(out / "meta.json", meta)
        return meta

    def dataset(self, split, cfg, meta, training, shard=None, epoch=1):
        """Batches of (ids [B, L], length [B], label [B]), reviews of similar length batched together.

        Training batches are padded to their bucket's length (one compiled graph per bucket, the
        fastest steps) unless dynamic_shape is on; evaluation pads only to the longest review of the
        batch (forward-only graph with dynamic shapes) except on Ascend, where it pads to the bucket too
        (``static_evaluation``); bucket: false pads everything to max_len.
        """
        from ..engine.trainer import static_evaluation

        to_boundary = not cfg["bucket"] or ((training or static_evaluation(cfg)) and not cfg.get("dynamic_shape", False))
        return self.bucketed(split, cfg, meta, COLUMNS, ("ids",), training, shard, to_boundary, epoch)

    # ---------------------------------------------------------------- model
    def network(self, cfg, meta, pretrained=True):
        from ..nn.sentiment import SentimentNet

        embedding = None
        if pretrained:
            embedding = np.load(Path(cfg["preprocess_path"]) / "embedding.npy")
            if embedding.shape != (meta["vocab_size"], cfg["embed_size"]):
                raise UserError(Path(cfg["preprocess_path"]) / "embedding.npy",
                                f"shape {embedding.shape} does not match meta.json/config")
        return SentimentNet(meta["vocab_size"], cfg["embed_size"], cfg["num_hiddens"], cfg["num_layers"],
                            cfg["bidirectional"], cfg["num_classes"], embedding=embedding, dropout=cfg["dropout"])

    def input_specs(self):
        """Dynamic-shape placeholders for (ids, length, label): one compiled graph for every bucket."""
        import mindspore as ms

        return [ms.Tensor(shape=[None, None], dtype=ms.int32), ms.Tensor(shape=[None], dtype=ms.int32),
                ms.Tensor(shape=[None], dtype=ms.int32)]

    def inference_network(self, net, meta):
        """The network itself (logits out; the argmax is the postprocess)."""
        return net, meta

    def loss(self, cfg, net):
        from mindspore import nn

        return nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")

    def evaluate(self, net, ds, cfg, meta):
        net.set_train(False)
        logits, labels = [], []
        for ids, length, label in ds.create_tuple_iterator(num_epochs=1):
            logits.append(net(ids, length).asnumpy().astype(np.float32))  # float16 under amp
            labels.append(label.asnumpy())
        return self.metrics_from_outputs(np.concatenate(logits), np.concatenate(labels), meta)

    def report(self, result):
        return (f"accuracy: {result['accuracy']:.4f} on {result['n']} reviews (macro F1 {result['macro_f1']:.4f})\n"
                f"confusion matrix:\n{metrics.format_confusion(result['confusion_matrix'], result['labels'])}")

    def make_sample(self, out_dir, seed=0, size=1.0):
        """Generated aclImdb folders + a GloVe file (300d, no header) in the real formats."""
        from ..data import synthetic

        out_dir = Path(out_dir)
        root = synthetic.write_aclimdb(out_dir / "aclImdb", int(2000 * size), int(1000 * size), mean_len=40, seed=seed)
        glove = synthetic.write_glove(out_dir / "glove" / "glove.6B.300d.txt", dim=300, seed=seed)
        return {"aclimdb_path": str(root), "glove_path": str(glove.parent)}

    # ---------------------------------------------------------------- export and deployment
    assets = ("vocab.txt",)
    input_names = ("ids", "lengths")

    def export_inputs(self, cfg, meta, batch_size):
        import mindspore as ms

        ids = ms.Tensor(np.zeros((batch_size, meta["max_len"]), np.int32))
        lengths = ms.Tensor(np.full((batch_size,), meta["max_len"], np.int32))
        return [ids, lengths]

    def _example(self, text, vocab, meta):
        ids = encode_tokens(review_tokens(text, meta.get("lowercase", True), meta["max_len"]), vocab)
        padded = np.full(meta["max_len"], meta["pad_id"], np.int32)
        padded[: len(ids)] = ids
        return padded, np.int32(len(ids))

    def pad_example(self, meta):
        """The input row that fills up a last, partial batch."""
        return np.full(meta["max_len"], meta["pad_id"], np.int32), np.int32(1)

    def encode_texts(self, texts, meta, asset_paths):
        """Raw reviews -> per-example input tuples at the exported length."""
        vocab = Vocab.load(asset_paths["vocab.txt"])
        return [self._example(t, vocab, meta) for t in texts]

    def raw_examples(self, dataset_path, meta, asset_paths, split="test"):
        """(input tuple, label) per review of an aclImdb split, as the trainer encodes them."""
        files = aclimdb.review_files(dataset_path, split)
        examples = self.encode_texts([aclimdb.read_review(f) for f, _ in files], meta, asset_paths)
        return list(zip(examples, (label for _, label in files)))

    def metrics_from_outputs(self, outputs, labels, meta):
        """``outputs``: per-example first-output rows (logits); labels aligned."""
        preds = np.asarray(outputs).argmax(-1)
        return metrics.classification(np.asarray(labels), preds, list(self.labels))

    def describe(self, output_row, text, meta):
        """A prediction for people: the label and its softmax probability."""
        z = np.asarray(output_row, np.float64)
        p = np.exp(z - z.max())
        p /= p.sum()
        k = int(p.argmax())
        preview = text if len(text) <= 70 else text[:67] + "..."
        return {"label": self.labels[k], "probability": float(p[k]),
                "summary": f"{self.labels[k]}\t{p[k]:.4f}\t{preview}"}
