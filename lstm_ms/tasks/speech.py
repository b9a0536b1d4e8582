"""What the CTC speech tasks share (``ctc`` on TIMIT, ``deepspeech2`` on AN4): audio -> features computed
once into MindRecord, frame-bucketed batches, a network returning ``(log_probs, output_lengths)``, CTC
loss, greedy / prefix-beam decoding in numpy, edit-distance scoring, export and the 310 CPU chain.

A subclass says what differs: where the utterances are (``utterances``), their labels (``labels``), the
features (``featurise`` with ``feature_keys``, normalised over the train set or per utterance), the
class names (``classes``), how the network shortens time (``output_lengths``), and the scores
(``scores``, ``report``).

Data rows: ``features`` [frames, F] float32 (normalised), ``frames`` int32 and ``packed`` int32
[label length, class ids...] (``CTCTaskLoss``'s label), plus ``index`` (the utterance's place in its
split). Class 0 is the CTC blank everywhere.

``--skip_bad`` (tasks whose config has it): the utterances left out are counted in ``meta.json``
(``skipped``) and named there (``skipped_utterances``: an item's ``where`` such as
``an4_train_manifest.csv:3``, else its id), so that deployment preprocessing leaves out the same ones.
"""
from pathlib import Path

import numpy as np

from ..core import ctc as ctc_decode
from ..core.atomic import write_json, write_text
from ..core.errors import UserError
from ..core.features import Normalizer
from ..data import mindrecord
from ..data.audio import read_audio
from .base import PreparedTask

SPLITS = ("train", "dev", "test")
COLUMNS = ("features", "frames", "packed")  # the network's inputs in order, then the label
PAGE_SIZE = 1 << 20  # at least 1 MiB MindRecord pages; raised to fit the longest utterance's row


def _speakers(items):
    return {getattr(item, "speaker", None) for item in items} - {None}


class SpeechTask(PreparedTask):
    columns = COLUMNS
    path_keys = ("data_path", "preprocess_path", "ckpt_path", "pre_trained")
    raw_keys = ("data_path",)
    input_names = ("features", "lengths")
    feature_keys = ()        # config keys the features depend on (copied into meta)
    global_normalizer = True  # True: mean/std per feature over the train frames; False: ``featurise`` normalises
    skip_bad = False          # whether ``--skip_bad`` exists for this task

    def __init__(self):
        self._frames = {}  # predict.py: frames of each input file, for ``describe``
        self.listing_errors = []  # ``--skip_bad``: (where, UserError) of listing lines ``utterances`` left out

    # ---------------------------------------------------------------- subclass surface
    def utterances(self, cfg, log=print):
        """{"train"|"dev"|"test": [items with a ``wav`` path]} of the raw dataset."""
        raise NotImplementedError

    @staticmethod
    def item_files(item):
        """The raw files an item is read from (for the dataset's fingerprint)."""
        return (item.wav,)

    def labels(self, item, n_samples):
        """int32 class ids (1..C-1) of an item's transcript."""
        raise NotImplementedError

    def featurise(self, audio, params):
        """float32 [frames, F] features of 16 kHz samples; ``params`` has the ``feature_keys``."""
        raise NotImplementedError

    def num_features(self, params):
        raise NotImplementedError

    def classes(self):
        """Class names, index 0 the blank."""
        raise NotImplementedError

    @staticmethod
    def output_lengths(frames):
        """Frames of the network's output for ``frames`` input frames (numpy)."""
        return np.asarray(frames)

    def scores(self, refs, hyps):
        """Metrics dict of reference and hypothesis class-id lists."""
        raise NotImplementedError

    def transcript(self, ids):
        """(text printed by predict.py, extra fields) of decoded class ids."""
        raise NotImplementedError

    # ---------------------------------------------------------------- data
    def raw_files(self, cfg):
        files = set()
        for items in self.utterances(cfg, log=lambda *_: None).values():
            for item in items:
                files.update(self.item_files(item))
        return sorted(files)

    @staticmethod
    def where(item):
        """What names an item in ``skipped_utterances``: its listing line (``where``) if it has one, else its id."""
        return getattr(item, "where", None) or item.id

    def _raw(self, item, params):
        """(features before any train-set normalisation, label ids) of one raw item. Audio that is all
        zeros, or too short for CTC to align its labels (fewer output frames than labels plus repeats),
        is a ``UserError`` naming the audio file."""
        audio = read_audio(item.wav)
        if not audio.any():
            raise UserError(item.wav, "every sample is zero (a silent recording)")
        ids = self.labels(item, len(audio))
        feat = self.featurise(audio, params)
        frames = int(self.output_lengths(np.array([len(feat)]))[0])
        need = len(ids) + int(np.count_nonzero(ids[1:] == ids[:-1]))
        if frames < need:
            raise UserError(item.wav, f"too short for its transcript: {frames} output frames, CTC needs at least "
                                      f"{need} for its {len(ids)} labels (truncated audio?)")
        return feat, ids

    def _example(self, item, params, norm):
        """(normalised features, label ids) of one raw item."""
        feat, ids = self._raw(item, params)
        return self._normalise(feat, norm), ids

    @staticmethod
    def _normalise(feat, norm):
        return feat if norm is None else norm.apply(feat)

    def _read_split(self, items, params, fit, desc, skip):
        """Validate every item (features computed and dropped); returns (kept items, frames, label lengths,
        skipped [(item, error)])."""
        from tqdm import tqdm

        kept, frames, lengths, bad = [], [], [], []
        for item in tqdm(items, desc=desc, unit="utt", mininterval=2.0, disable=None):
            try:
                feat, ids = self._raw(item, params)
            except UserError as exc:
                if not skip:
                    raise
                bad.append((item, exc))
                continue
            if fit is not None:
                fit.update(feat)
            kept.append(item)
            frames.append(len(feat))
            lengths.append(len(ids))
        return kept, frames, lengths, bad

    def prepare(self, cfg, fingerprint, log=print, skipped=()):
        """Preprocess the raw dataset into ``preprocess_path``; ``skipped``: (where, UserError) of utterances
        already left out before (e.g. by a conversion), counted and recorded with the others."""
        out = Path(cfg["preprocess_path"])
        out.mkdir(parents=True, exist_ok=True)
        self.listing_errors = []
        splits_items = self.utterances(cfg, log)
        skipped = list(skipped) + self.listing_errors
        for split in SPLITS:
            if not splits_items[split]:
                raise UserError(cfg["data_path"], f"no utterances for the {split} split")
        params = {k: cfg[k] for k in self.feature_keys}
        skip = bool(cfg.get("skip_bad", False))
        # pass 1: validate everything and fit the normaliser on train frames only (features are recomputed
        # when writing, so memory stays one utterance deep)
        norm = Normalizer() if self.global_normalizer else None
        frames, lengths = {}, {}
        for split in SPLITS:
            kept, frames[split], lengths[split], bad = self._read_split(
                splits_items[split], params, norm if split == "train" else None, f"reading {split}", skip)
            for item, exc in bad:
                log(f"skipped: {exc}")
            skipped += [(self.where(item), exc) for item, exc in bad]
            if not kept:
                raise UserError(cfg["data_path"], f"no usable utterances for the {split} split")
            splits_items[split] = kept
        if skip:
            log(f"--skip_bad: skipped {len(skipped)} bad utterance(s)")
        log(f"{self.name} {cfg['data_path']}: " + ", ".join(
            f"{s} {len(splits_items[s])} utterances ({sum(frames[s]) / 100 / 3600:.2f} h"
            + (f", {len(_speakers(splits_items[s]))} speakers" if _speakers(splits_items[s]) else "") + ")"
            for s in SPLITS))
        longest = max(max(f) for f in frames.values())
        max_frames = int(cfg["max_frames"]) or longest
        if max_frames < longest:
            raise UserError("--max_frames", f"{max_frames} is shorter than the longest utterance ({longest} frames); "
                                            "utterances are never cut: use 0 (the longest) or more")
        dim = self.num_features(params)
        schema = {"features": {"type": "float32", "shape": [-1, dim]}, "frames": {"type": "int32"},
                  "packed": {"type": "int32", "shape": [-1]}, "index": {"type": "int32"}}
        page = max(PAGE_SIZE, 1 << int(np.ceil(np.log2(longest * dim * 4 + 4096))))
        splits = {}
        for split in SPLITS:
            from tqdm import tqdm

            name = f"{self.name}_{split}.mindrecord"

            def rows(items=splits_items[split], split=split):
                for i, item in enumerate(tqdm(items, desc=f"writing {split}", unit="utt", mininterval=2.0,
                                              disable=None)):
                    feat, ids = self._example(item, params, norm)
                    yield {"features": feat, "frames": np.int32(len(feat)),
                           "packed": np.concatenate(([len(ids)], ids)).astype(np.int32), "index": np.int32(i)}

            mindrecord.write(out / name, schema, rows(), description=f"{self.name} {split}", page_size=page)
            f, n = np.array(frames[split]), np.array(lengths[split])
            splits[split] = {"file": name, "n": len(f), "frames_mean": float(f.mean()), "frames_max": int(f.max()),
                             "frames_min": int(f.min()), "hours": float(f.sum() / 100 / 3600),
                             "label_length_mean": float(n.mean()), "label_length_max": int(n.max())}
            if _speakers(splits_items[split]):
                splits[split]["speakers"] = len(_speakers(splits_items[split]))
        write_text(out / self.assets[0], "".join(c + "\n" for c in self.classes()))
        meta = {"format_version": self.format_version, "task": self.name, "num_features": dim,
                "num_classes": len(self.classes()), "vocab_size": len(self.classes()), "classes": list(self.classes()),
                **params, "max_frames": max_frames, "longest": longest,
                "normalizer": norm.to_dict() if norm is not None else None, "skipped": len(skipped),
                "skipped_utterances": sorted(where for where, _ in skipped), "splits": splits,
                "data_config": {k: cfg.get(k) for k in self.shaping_keys}, "fingerprint": fingerprint}
        write_json(out / "meta.json", meta)
        return meta

    def dataset(self, split, cfg, meta, training, shard=None, epoch=1):
        """Batches of (features [B, T, F], frames [B], packed [B, L]) bucketed by frames and padded with
        zeros to their bucket's frame count (one graph per bucket). Evaluation pads to bucket boundaries
        too, and the last bucket reaches the longest utterance of any split, so nothing is ever cut."""
        meta = {**meta, "max_len": meta["max_frames"]}  # the last bucket (prepare: max_frames >= the longest)
        ds = self.bucketed(split, cfg, meta, COLUMNS, ("packed",), training, shard, to_boundary=True, epoch=epoch,
                           length_column="frames",
                           pad_shapes={"features": ([None, meta["num_features"]], 0.0)})
        return self.augment(ds, cfg, epoch) if training else ds

    def augment(self, ds, cfg, epoch):
        """Training-only transforms of the batches (none here)."""
        return ds

    # ---------------------------------------------------------------- model
    def inference_network(self, net, meta):
        """The network itself (features, lengths -> log-probs, output lengths); CTC decoding runs after the
        graph in ``lstm_ms.core.ctc`` (greedy for a deployed graph)."""
        return net, {**meta, "decoder": "greedy"}

    def input_specs(self):
        import mindspore as ms

        return [ms.Tensor(shape=[None, None, None], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32),
                ms.Tensor(shape=[None, None], dtype=ms.int32)]

    def loss(self, cfg, net):
        from ..nn.ctc import CTCTaskLoss

        return CTCTaskLoss(blank=0)

    def _dims(self, cfg, meta):
        """(features, classes): from meta, else (a meta without data, e.g. a shape test) from the config."""
        return (int(meta.get("num_features") or self.num_features(cfg)),
                int(meta.get("num_classes") or len(self.classes())))

    # ---------------------------------------------------------------- scoring
    @staticmethod
    def decode(log_probs, lengths, beam_size=1):
        """Class-id lists: greedy (``beam_size`` <= 1) or CTC prefix beam search."""
        if beam_size <= 1:
            return ctc_decode.greedy_decode(log_probs, lengths)
        return ctc_decode.beam_decode(log_probs, lengths, beam=beam_size)[0]

    def evaluate(self, net, ds, cfg, meta):
        """Scores of ``net`` on ``ds``: the forward graph, then greedy or prefix beam decoding in numpy."""
        net.set_train(False)
        beam = int(cfg.get("beam_size", 1))
        refs, hyps = [], []
        for features, frames, packed in ds.create_tuple_iterator(num_epochs=1):
            log_probs, out_lengths = net(features, frames)
            hyps += self.decode(log_probs.asnumpy(), out_lengths.asnumpy(), beam)
            refs += [row[1:1 + row[0]].tolist() for row in packed.asnumpy()]
        return {**self.scores(refs, hyps), "beam_size": beam}

    # ---------------------------------------------------------------- export and deployment
    def export_inputs(self, cfg, meta, batch_size):
        import mindspore as ms

        feats, _ = self._dims(cfg, meta)
        steps = int(meta.get("max_frames") or meta["max_len"])
        return [ms.Tensor(np.zeros((batch_size, steps, feats), np.float32)),
                ms.Tensor(np.full((batch_size,), steps, np.int32))]

    def pad_example(self, meta):
        return np.zeros((meta["max_frames"], meta["num_features"]), np.float32), np.int32(1)

    @staticmethod
    def _norm(meta):
        return Normalizer.from_dict(meta["normalizer"]) if meta.get("normalizer") else None

    def _file_example(self, path, meta, norm):
        """(features [max_frames, F] zero-padded, frames) of one audio file."""
        feat = self._normalise(self.featurise(read_audio(path), meta), norm)
        return self._pad(feat, path, meta)

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
        norm = self._norm(meta)
        out = []
        for t in texts:
            example = self._file_example(t, meta, norm)
            self._frames[t] = int(example[1])
            out.append(example)
        return out

    def raw_split(self, dataset_path, meta, split):
        """The items of a split of the raw dataset as preprocessing chose them: the same split settings
        (``data_config``, kept in an export's sidecar too) and without the utterances it skipped
        (``skipped_utterances``); any other bad listing line is an error."""
        if split not in SPLITS:
            raise UserError("--split", f"{split!r} is not one of {', '.join(SPLITS)}")
        skipped = set(meta.get("skipped_utterances", ()))
        cfg = {**meta.get("fingerprint", {}).get("config_keys", {}), **meta.get("data_config", {}),
               "data_path": dataset_path, "skip_bad": bool(skipped)}
        self.listing_errors = []
        items = self.utterances(cfg, log=lambda *_: None)[split]
        for where, exc in self.listing_errors:
            if where not in skipped:
                raise exc
        return [item for item in items if self.where(item) not in skipped]

    def raw_examples(self, dataset_path, meta, asset_paths, split="test"):
        """The split's utterances featurised from the raw audio; each label row is
        [frames, class ids..., -1...] (width 1 + the split's longest label)."""
        norm = self._norm(meta)
        rows = []
        for item in self.raw_split(dataset_path, meta, split):
            feat, ids = self._example(item, meta, norm)
            rows.append((self._pad(feat, item.wav, meta), ids))
        width = 1 + max((len(ids) for _, ids in rows), default=0)
        out = []
        for example, ids in rows:
            label = np.full(width, -1, np.int32)
            label[0], label[1:1 + len(ids)] = example[1], ids
            out.append((example, label))
        return out

    def metrics_from_outputs(self, outputs, labels, meta):
        """``outputs``: log-prob rows [N, T', C] (the first output), greedy-decoded over the output lengths
        of the input frames; ``labels``: ``raw_examples`` rows."""
        labels = np.asarray(labels)
        hyps = self.decode(np.asarray(outputs), self.output_lengths(labels[:, 0]), 1)
        refs = [[int(i) for i in row[1:] if i >= 0] for row in labels]
        return {**self.scores(refs, hyps), "beam_size": 1}

    def describe(self, output_row, text, meta):
        frames = self._frames.get(text)
        if frames is None:
            frames = self._file_example(text, meta, self._norm(meta))[1]
        ids = self.decode(np.asarray(output_row)[None], self.output_lengths(np.array([frames])), 1)[0]
        shown, extra = self.transcript(ids)
        return {**extra, "frames": int(frames), "summary": f"{text}\t{shown}"}
