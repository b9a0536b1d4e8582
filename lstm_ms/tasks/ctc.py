"""BiLSTM + CTC phone recognition on TIMIT: 48 training phones (+ blank), scored on 39 (PER)."""
from pathlib import Path

import numpy as np

from ..core import ctc as ctc_decode
from ..core.atomic import write_json, write_text
from ..core.edit_distance import error_rates
from ..core.errors import UserError
from ..core.features import Normalizer, deltas, log_mel
from ..core.phones import MAP_48_39, MAP_61_48, PHONES_48, fold
from ..data import mindrecord, timit
from . import register
from .base import PreparedTask

FORMAT_VERSION = 1
SPLITS = ("train", "dev", "test")
BLANK = "<blank>"
PHONES = (BLANK,) + PHONES_48          # class ids: 0 the CTC blank, 1..48 the training phones
PHONE_ID = {p: i for i, p in enumerate(PHONES)}
COLUMNS = ("features", "frames", "packed")  # the network's inputs in order, then the label
SHAPING_KEYS = ("n_mels", "deltas", "test_set", "max_frames")
NETWORK_KEYS = ("num_hiddens", "num_layers", "dropout", "conv_channels")
PAGE_SIZE = 1 << 20  # 1 MiB MindRecord pages: one row of a 7.8 s utterance is 780 x 120 x 4 B = 375 KB


def num_features(cfg):
    """Feature dimension: ``n_mels`` log-mel energies and ``deltas`` orders of regression deltas."""
    return int(cfg["n_mels"]) * (int(cfg["deltas"]) + 1)


def featurise(audio, n_mels, order):
    """float32 [frames, n_mels * (order + 1)]: log-mel (25 ms / 10 ms) with ``order`` delta orders."""
    return deltas(log_mel(audio, n_mels=n_mels), order=order).astype(np.float32)


def label_ids(phn):
    """48-phone class ids (1..48) of ``read_phn`` segments: 61 -> 48 folded, ``q`` dropped."""
    return np.array([PHONE_ID[p] for p in fold([p for _, _, p in phn], MAP_61_48)], np.int32)


def to39(ids):
    """48-phone class ids -> 39-phone names (blank and padding ids dropped)."""
    return [MAP_48_39[PHONES[i]] for i in ids if 0 < i < len(PHONES)]


@register
class CTCTask(PreparedTask):
    name = "ctc"
    format_version = FORMAT_VERSION
    shaping_keys = SHAPING_KEYS
    columns = COLUMNS
    ckpt_prefix = "ctc"
    metric_name = "neg_per"  # the trainer keeps the highest: -PER
    path_keys = ("data_path", "preprocess_path", "ckpt_path", "pre_trained")
    raw_keys = ("data_path",)
    assets = ("phones.txt",)
    input_names = ("features", "lengths")

    def __init__(self):
        self._frames = {}  # predict.py: frames of each input file, for ``describe``

    # ---------------------------------------------------------------- data
    def _splits(self, cfg, log=print):
        """train/dev/test utterances; held-out fallback speakers use a fixed seed (0), so preprocessing and
        ``raw_examples`` pick the same ones whatever the training seed."""
        utts = timit.find_utterances(cfg["data_path"])
        return timit.split_utterances(utts, test_set=cfg["test_set"], seed=0, log=log)

    def raw_files(self, cfg):
        return sorted(p for u in timit.find_utterances(cfg["data_path"]) for p in (u.wav, u.phn))

    def _utterance(self, utt, cfg):
        audio = timit.read_audio(utt.wav)
        ids = label_ids(timit.read_phn(utt.phn, len(audio)))
        return featurise(audio, cfg["n_mels"], cfg["deltas"]), ids

    def prepare(self, cfg, fingerprint, log=print):
        from tqdm import tqdm

        out = Path(cfg["preprocess_path"])
        out.mkdir(parents=True, exist_ok=True)
        splits_utts = self._splits(cfg, log)
        for split in SPLITS:
            if not splits_utts[split]:
                raise UserError(cfg["data_path"], f"no utterances for the {split} split")
        log(f"timit {cfg['data_path']}: " + ", ".join(f"{s} {len(splits_utts[s])} utterances "
                                                      f"({len({u.speaker for u in splits_utts[s]})} speakers)"
                                                      for s in SPLITS) + f" (test set: {cfg['test_set']})")
        # pass 1: validate everything and fit the normaliser on train frames only (features are
        # recomputed when writing, so memory stays one utterance deep)
        norm, frames, labels = Normalizer(), {}, {}
        for split in SPLITS:
            frames[split], labels[split] = [], []
            for u in tqdm(splits_utts[split], desc=f"reading {split}", unit="utt", mininterval=2.0, disable=None):
                feat, ids = self._utterance(u, cfg)
                if split == "train":
                    norm.update(feat)
                frames[split].append(len(feat))
                labels[split].append(len(ids))
        longest = max(max(f) for f in frames.values())
        max_frames = int(cfg["max_frames"]) or longest
        if max_frames < longest:
            raise UserError("--max_frames", f"{max_frames} is shorter than the longest utterance ({longest} frames); "
                                            "utterances are never cut: use 0 (the longest) or more")
        schema = {"features": {"type": "float32", "shape": [-1, num_features(cfg)]}, "frames": {"type": "int32"},
                  "packed": {"type": "int32", "shape": [-1]}, "index": {"type": "int32"}}
        splits = {}
        for split in SPLITS:
            name = f"ctc_{split}.mindrecord"

            def rows(utts=splits_utts[split], split=split):
                for i, u in enumerate(tqdm(utts, desc=f"writing {split}", unit="utt", mininterval=2.0, disable=None)):
                    feat, ids = self._utterance(u, cfg)
                    yield {"features": norm.apply(feat), "frames": np.int32(len(feat)),
                           "packed": np.concatenate(([len(feat), len(ids)], ids)).astype(np.int32),
                           "index": np.int32(i)}

            page = max(PAGE_SIZE, 1 << int(np.ceil(np.log2(longest * num_features(cfg) * 4 + 4096))))
            mindrecord.write(out / name, schema, rows(), description=f"ctc {split}", page_size=page)
            f, l = np.array(frames[split]), np.array(labels[split])
            splits[split] = {"file": name, "n": len(f), "frames_mean": float(f.mean()), "frames_max": int(f.max()),
                             "frames_min": int(f.min()), "label_length_mean": float(l.mean()),
                             "label_length_max": int(l.max()),
                             "speakers": len({u.speaker for u in splits_utts[split]})}
        write_text(out / "phones.txt", "".join(p + "\n" for p in PHONES))
        meta = {"format_version": FORMAT_VERSION, "task": self.name, "num_features": num_features(cfg),
                "num_classes": len(PHONES), "vocab_size": len(PHONES), "phones": list(PHONES),
                "n_mels": cfg["n_mels"], "deltas": cfg["deltas"], "max_frames": max_frames,
                "longest": longest, "normalizer": norm.to_dict(), "splits": splits, "fingerprint": fingerprint}
        write_json(out / "meta.json", meta)
        return meta

    def dataset(self, split, cfg, meta, training, shard=None, epoch=1):
        """Batches of (features [B, T, F], frames [B], packed [B, T]) bucketed by frames and padded with
        zeros to their bucket's frame count (one graph per bucket). ``packed`` rows are
        [frames, label length, 48-phone ids...] (``CTCTaskLoss``'s label), padded like the features.

        Evaluation pads to bucket boundaries too, and the last bucket reaches the longest utterance of
        any split, so nothing is ever cut."""
        meta = {**meta, "max_len": meta["max_frames"]}  # the last bucket (prepare: max_frames >= the longest)
        return self.bucketed(split, cfg, meta, COLUMNS, ("packed",), training, shard, to_boundary=True, epoch=epoch,
                             pad_shapes={"features": ([None, meta["num_features"]], 0.0)})

    # ---------------------------------------------------------------- model
    def network_config(self, cfg):
        return {k: cfg[k] for k in NETWORK_KEYS}

    @staticmethod
    def _dims(cfg, meta):
        """(features, classes): from meta, else (a meta without data, e.g. a shape test) from the config."""
        return int(meta.get("num_features") or num_features(cfg)), int(meta.get("num_classes") or len(PHONES))

    def network(self, cfg, meta, pretrained=True):
        from ..nn.ctc import CTCAcousticNet

        feats, classes = self._dims(cfg, meta)
        return CTCAcousticNet(feats, classes, cfg["num_hiddens"], cfg["num_layers"], cfg["dropout"],
                              cfg["conv_channels"])

    def inference_network(self, net, meta):
        """The network itself (features, lengths -> per-frame log-probs); CTC decoding runs after the
        graph in ``lstm_ms.core.ctc`` (greedy for a deployed graph)."""
        return net, {**meta, "decoder": "greedy"}

    def input_specs(self):
        import mindspore as ms

        return [ms.Tensor(shape=[None, None, None], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32),
                ms.Tensor(shape=[None, None], dtype=ms.int32)]

    def loss(self, cfg, net):
        from ..nn.ctc import CTCTaskLoss

        return CTCTaskLoss(blank=0)

    # ---------------------------------------------------------------- scoring
    @staticmethod
    def decode(log_probs, lengths, beam_size=1):
        """48-phone id lists: greedy (``beam_size`` <= 1) or CTC prefix beam search."""
        if beam_size <= 1:
            return ctc_decode.greedy_decode(log_probs, lengths)
        return ctc_decode.beam_decode(log_probs, lengths, beam=beam_size)[0]

    def scores(self, refs, hyps):
        """PER on the 39 folded phones of 48-phone id lists."""
        r = error_rates([to39(x) for x in refs], [to39(x) for x in hyps])
        return {"per": r["corpus"], "per_mean_utterance": r["mean_per_utterance"], self.metric_name: -r["corpus"],
                "phone_accuracy": 1.0 - r["corpus"], "edits": r["edits"], "ref_phones": r["ref_tokens"], "n": r["n"]}

    def evaluate(self, net, ds, cfg, meta):
        """PER of ``net`` on ``ds``: the forward graph, then greedy or prefix beam decoding in numpy."""
        net.set_train(False)
        beam = int(cfg.get("beam_size", 1))
        refs, hyps = [], []
        for features, frames, packed in ds.create_tuple_iterator(num_epochs=1):
            log_probs = net(features, frames).asnumpy()
            frames, packed = frames.asnumpy(), packed.asnumpy()
            hyps += self.decode(log_probs, frames, beam)
            refs += [row[2:2 + row[1]].tolist() for row in packed]
        return {**self.scores(refs, hyps), "beam_size": beam}

    def report(self, result):
        return (f"PER {100 * result['per']:.2f} %\n"
                f"mean per-utterance PER {100 * result['per_mean_utterance']:.2f} % (the ModelZoo's LER-style number)\n"
                f"{result['edits']} edits / {result['ref_phones']} reference phones (39-phone set) "
                f"in {result['n']} utterances")

    def make_sample(self, out_dir, seed=0, size=1.0):
        from ..data import synthetic

        # 64 speakers x 6 non-SA sentences = 384 training utterances: what a small network needs to learn
        # the synthetic phones in a dozen epochs (the recipe of tests/test_ctc.py and quickstart.sh ctc)
        root = synthetic.write_timit(Path(out_dir) / "timit", speakers_per_region=max(2, int(round(8 * size))),
                                     sentences=("sa1", "si1", "si2", "sx1", "sx2", "sx3", "sx4"), seed=seed)
        return {"data_path": str(root)}

    # ---------------------------------------------------------------- export and deployment
    def export_inputs(self, cfg, meta, batch_size):
        import mindspore as ms

        feats, _ = self._dims(cfg, meta)
        steps = int(meta.get("max_frames") or meta["max_len"])
        return [ms.Tensor(np.zeros((batch_size, steps, feats), np.float32)),
                ms.Tensor(np.full((batch_size,), steps, np.int32))]

    def pad_example(self, meta):
        return np.zeros((meta["max_frames"], meta["num_features"]), np.float32), np.int32(1)

    def _example(self, path, meta, norm):
        """(features [max_frames, F] zero-padded, frames) of one audio file."""
        audio = timit.read_audio(path)
        return self._pad(norm.apply(featurise(audio, meta["n_mels"], meta["deltas"])), path, meta)

    @staticmethod
    def _pad(feat, path, meta):
        if len(feat) > meta["max_frames"]:
            raise UserError(path, f"{len(feat)} frames, longer than the model's input of {meta['max_frames']} "
                                  "frames (preprocess and train with a larger --max_frames)")
        out = np.zeros((meta["max_frames"], meta["num_features"]), np.float32)
        out[: len(feat)] = feat
        return out, np.int32(len(feat))

    def encode_texts(self, texts, meta, asset_paths):
        """``texts``: paths of 16 kHz audio files, featurised and normalised like the training data."""
        norm = Normalizer.from_dict(meta["normalizer"])
        out = []
        for t in texts:
            example = self._example(t, meta, norm)
            self._frames[t] = int(example[1])
            out.append(example)
        return out

    def raw_examples(self, dataset_path, meta, asset_paths, split="test"):
        """The split's utterances featurised from the raw audio; each label row is
        [frames, 48-phone ids..., -1...] (width 1 + the split's longest label)."""
        cfg = {"data_path": dataset_path, "test_set": meta.get("fingerprint", {}).get("config_keys", {})
               .get("test_set", "core"), "n_mels": meta["n_mels"], "deltas": meta["deltas"]}
        utts = self._splits(cfg, log=lambda *_: None)[split]
        norm = Normalizer.from_dict(meta["normalizer"])
        rows = []
        for u in utts:
            audio = timit.read_audio(u.wav)
            example = self._pad(norm.apply(featurise(audio, meta["n_mels"], meta["deltas"])), u.wav, meta)
            rows.append((example, label_ids(timit.read_phn(u.phn, len(audio)))))
        width = 1 + max((len(ids) for _, ids in rows), default=0)
        out = []
        for example, ids in rows:
            label = np.full(width, -1, np.int32)
            label[0], label[1:1 + len(ids)] = example[1], ids
            out.append((example, label))
        return out

    def metrics_from_outputs(self, outputs, labels, meta):
        """``outputs``: log-prob rows [N, T, C], greedy-decoded; ``labels``: ``raw_examples`` rows."""
        labels = np.asarray(labels)
        hyps = self.decode(np.asarray(outputs), labels[:, 0], 1)
        refs = [[int(i) for i in row[1:] if i >= 0] for row in labels]
        return {**self.scores(refs, hyps), "beam_size": 1}

    def describe(self, output_row, text, meta):
        frames = self._frames.get(text)
        if frames is None:
            frames = self._example(text, meta, Normalizer.from_dict(meta["normalizer"]))[1]
        ids = self.decode(np.asarray(output_row)[None], np.array([frames]), 1)[0]
        phones = to39(ids)
        return {"phones": phones, "phones48": [PHONES[i] for i in ids], "frames": int(frames),
                "summary": f"{text}\t{' '.join(phones)}"}

