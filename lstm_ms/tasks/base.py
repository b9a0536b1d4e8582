"""What every task shares: preprocessed data checked by fingerprint, bucketed MindRecord batches."""
import os
import time
from pathlib import Path

import numpy as np

from ..core.errors import UserError
from ..core.fingerprint import config_fingerprint, files_fingerprint
from ..core.meta import read_meta
from ..data import mindrecord


def equal_steps(rows, batch_sizes):
    """Full batches that ``rows`` examples surely fill when spread over buckets of these batch sizes
    (each bucket leaves fewer than its batch size behind)."""
    steps = -(-(rows - sum(b - 1 for b in batch_sizes)) // max(batch_sizes))
    if steps < 1:
        raise UserError("--batch_size", f"{rows} examples per device fill no guaranteed batch of {max(batch_sizes)} "
                                        f"over {len(batch_sizes)} buckets; use fewer devices or a smaller batch")
    return steps


def complete_buckets(order, lengths, pads, sizes):
    """``order`` (row indices) followed by, for each bucket whose rows in ``order`` leave a partial last
    batch, the first rows of that bucket in ``order`` again, as many as complete it (cycling when the
    bucket has fewer rows than that). Buckets as MindSpore's ``bucket_batch_by_length`` forms them with
    boundaries ``pads[i] + 1`` (longer rows: one more bucket) and ``sizes`` rows per batch (the last
    size again for the extra bucket)."""
    order = np.asarray(order, np.int64)
    bucket = np.searchsorted(np.asarray(pads) + 1, lengths[order], side="right")
    extra = []
    for b, size in enumerate(list(sizes) + list(sizes[-1:])):
        rows = order[bucket == b]
        missing = -len(rows) % size
        if missing:
            extra.append(np.resize(rows, missing))
    return np.concatenate([order, *extra]) if extra else order


def first_output(out):
    """The first output of a network call (a tensor, or the first of a tuple) as numpy."""
    return (out[0] if isinstance(out, (tuple, list)) else out).asnumpy()


def _longest(*arrays):
    return max(len(a) for a in arrays)


class PreparedTask:
    """Subclasses set ``format_version`` and ``shaping_keys`` (the config keys that shape the
    preprocessed data) and define ``raw_files(cfg)`` and ``prepare(cfg, fingerprint, log)``."""

    format_version = 1
    shaping_keys = ()
    network_keys = ()  # the config keys that shape the network (kept in the checkpoint folder's meta.json)

    def network_config(self, cfg):
        return {k: cfg[k] for k in self.network_keys}

    def fingerprint(self, cfg, log=None):
        conf, picked = config_fingerprint(cfg, self.shaping_keys)
        files = self.raw_files(cfg)
        start = time.perf_counter()
        raw = files_fingerprint(files)
        if log is not None:
            size = sum(os.path.getsize(f) for f in files) / 2**20
            log(f"fingerprint of the {len(files):,} raw files ({size:,.0f} MiB, by content): "
                f"{time.perf_counter() - start:.1f} s")
        return {"raw": raw, "config": conf, "config_keys": picked}

    def ensure_prepared(self, cfg, log=print, reuse_without_raw=False):
        """Preprocess when asked (skipping an up-to-date folder), else check what is there; returns meta.

        ``reuse_without_raw`` (evaluation): when the raw dataset is not there but ``preprocess_path``
        holds this task's data, use that data as it is (checked like ``--preprocess false``) and say so.
        """
        out = Path(cfg["preprocess_path"])
        if not cfg["preprocess"]:
            return self._check_prepared(cfg, out)
        existing = read_meta(out / "meta.json") if (out / "meta.json").is_file() else None
        if existing is not None and existing.get("task") != self.name:  # never overwrite another model's data
            raise UserError(out, f"holds preprocessed data of model {existing.get('task')!r}; give --model "
                                 f"{self.name} its own --preprocess_path")
        try:
            fp = self.fingerprint(cfg, log)
        except UserError as exc:
            if not (reuse_without_raw and existing is not None):
                raise
            log(f"note: {exc}; evaluating the preprocessed data in {out} as it is")
            return self._check_prepared(cfg, out)
        if existing is not None:
            if existing.get("fingerprint") == fp and existing.get("format_version") == self.format_version:
                log(f"preprocessed data in {out} is up to date with the dataset and config; reusing it")
                return existing
            old = existing.get("fingerprint") or {}
            why = [w for w, changed in (("the dataset changed", old.get("raw") != fp["raw"]),
                                        ("the config changed", old.get("config") != fp["config"]),
                                        ("format version", existing.get("format_version") != self.format_version))
                   if changed]
            log(f"preprocessed data in {out} is out of date ({', '.join(why)}); rebuilding it")
        (out / "meta.json").unlink(missing_ok=True)  # an interrupted run must not look complete
        return self.prepare(cfg, fp, log)

    def _check_prepared(self, cfg, out):
        meta = read_meta(out / "meta.json")
        if meta.get("task") != self.name or meta.get("format_version") != self.format_version:
            raise UserError(out / "meta.json", "preprocessed by another task or version; run with --preprocess true")
        conf, picked = config_fingerprint(cfg, self.shaping_keys)
        if conf != meta["fingerprint"]["config"]:
            before = meta["fingerprint"]["config_keys"]
            diff = [f"{k}={before.get(k)!r} (config: {v!r})" for k, v in picked.items() if before.get(k) != v]
            raise UserError(out / "meta.json", f"preprocessed with {', '.join(diff)}; run with --preprocess true")
        return meta

    def sample_inputs(self, cfg, meta, n, seed=0):
        """``n`` random rows of the preprocessed test (else dev) split in ``cfg['preprocess_path']``, of
        mixed lengths, as per-example input tuples padded like ``pad_example`` (for checking an export on
        real data); None when that folder holds no data of this model and vocabulary."""
        out = Path(cfg["preprocess_path"])
        try:
            data_meta = read_meta(out / "meta.json")
        except UserError:
            return None
        if data_meta.get("task") != self.name or data_meta.get("vocab_size") != meta.get("vocab_size"):
            return None
        split = next((s for s in ("test", "dev") if s in data_meta.get("splits", {})), None)
        if split is None or not (out / data_meta["splits"][split]["file"]).is_file():
            return None
        total = data_meta["splits"][split]["n"]
        order = np.random.default_rng(seed).choice(total, size=min(n, total), replace=False)
        rows = mindrecord.open_dataset(out / data_meta["splits"][split]["file"], self.columns, order)
        fill = self.pad_example(meta)
        examples = []
        for row in rows.create_tuple_iterator(num_epochs=1, output_numpy=True):
            inputs = []
            for value, pad in zip(row[:len(fill)], fill):
                padded = np.array(pad, copy=True)
                if padded.ndim:
                    padded[tuple(slice(0, k) for k in value.shape)] = value[tuple(slice(0, k) for k in padded.shape)]
                else:
                    padded = value.astype(padded.dtype)
                inputs.append(padded)
            examples.append(tuple(inputs))
        return examples

    def has_split(self, split, cfg, meta):
        return split in meta["splits"]

    def bucket_lengths(self, cfg, meta):
        """Padded lengths of the buckets (max_len always last); just max_len with ``bucket: false``."""
        max_len = meta["max_len"]
        if not cfg["bucket"]:
            return [max_len]
        return sorted({min(int(p), max_len) for p in cfg["bucket_lengths"]} | {max_len})

    @staticmethod
    def bucket_batch_sizes(cfg, pads):
        """Rows per batch of each bucket: ``batch_size``, or with ``batch_tokens`` > 0 at most that many
        padded tokens per batch (fewer rows for long buckets: a training step's memory grows with
        rows x length)."""
        tokens = cfg.get("batch_tokens", 0)
        return [min(cfg["batch_size"], max(1, tokens // p)) if tokens else cfg["batch_size"] for p in pads]

    def bucketed(self, split, cfg, meta, columns, pad_columns, training, shard, to_boundary, epoch=1,
                 length_columns=None, pad_shapes=None, length_column=None):
        """MindRecord rows batched with rows of similar length, padded with 0 (``pad_columns``).

        ``to_boundary`` pads each batch to its bucket's length (one compiled graph per bucket), else to
        its longest row. Training reads the rows in an order that is a function of (seed, epoch) only,
        so a resumed run sees the same batches as an uninterrupted one. On one device every example is
        trained on every epoch: each bucket's last batch is completed with the first rows of that bucket
        in this epoch's order (a few examples twice, every batch full, no extra batch shape to compile).
        With ``shard`` = (devices, rank) each device takes every devices-th row of that order and every
        device runs the same number of full batches (``equal_steps``: at most one batch per bucket
        fewer than its own rows fill). A row's length is that of ``columns[0]`` (``length_column``: a
        column holding it, read instead of the rows themselves), or the longest of ``length_columns``
        (e.g. both sides of a sentence pair).
        ``pad_shapes`` ({column: (shape, value)}) pads those columns as MindSpore's ``pad_info`` says
        instead (a fixed width, or a 2-D column such as frames x features: ``([None, F], 0.0)``).
        """
        if split not in meta["splits"]:
            raise UserError(cfg["preprocess_path"], f"no {split} split was preprocessed")
        path = Path(cfg["preprocess_path"]) / meta["splits"][split]["file"]
        order = None
        if training:
            order = np.random.default_rng([cfg["seed"], epoch]).permutation(meta["splits"][split]["n"])
            if shard:
                order = order[shard[1]::shard[0]]
        pads = self.bucket_lengths(cfg, meta)
        sizes = self.bucket_batch_sizes(cfg, pads)
        if training and not shard:
            lengths = self.row_lengths(path, list(length_columns or columns[:1]), length_column)
            order = complete_buckets(order, lengths, pads, sizes)
        ds = mindrecord.open_dataset(path, columns, order, rows=meta["splits"][split]["n"])
        by, length_fn = [columns[0]], None
        if length_columns:
            by, length_fn = list(length_columns), _longest
        ds = ds.bucket_batch_by_length(by, [p + 1 for p in pads], sizes + sizes[-1:], element_length_function=length_fn,
                                       pad_info={**{c: ([None], 0) for c in pad_columns},
                                                 **(pad_shapes or {})},
                                       pad_to_bucket_boundary=to_boundary, drop_remainder=training)
        if shard:
            ds = ds.take(equal_steps(meta["splits"][split]["n"] // shard[0], sizes))
        return ds

    def row_lengths(self, path, length_columns, length_column=None):
        """Bucketing length of every row of the MindRecord file ``path`` (file order), read once per file
        and kept: the longest of ``length_columns``, or the values of the scalar ``length_column``."""
        key = (str(path), os.stat(path).st_mtime_ns)
        cache = self.__dict__.setdefault("_row_lengths", {})
        if key not in cache:
            rows = mindrecord.open_dataset(path, [length_column] if length_column else length_columns)
            cache[key] = np.array([int(row[0]) if length_column else max(len(c) for c in row)
                                   for row in rows.create_tuple_iterator(num_epochs=1, output_numpy=True)], np.int64)
        return cache[key]

    def predictor(self, net, cfg, meta):
        """(function: a batch of ``encode_texts`` input arrays -> first-output rows, meta) for
        predict.py from a checkpoint: the inference network with dynamic input shapes (one graph for
        every batch), fed batches cut to their longest row."""
        import mindspore as ms

        cell, meta = self.inference_network(net, meta)
        cell.set_inputs(*(ms.Tensor(shape=[None] * t.ndim, dtype=t.dtype) for t in self.export_inputs(cfg, meta, 1)))
        cell.set_train(False)
        at = self.input_names.index("lengths")

        def predict(arrays):
            longest = int(arrays[at].max())
            return first_output(cell(*(ms.Tensor(a[:, :longest] if a.ndim >= 2 else a) for a in arrays)))

        return predict, meta
