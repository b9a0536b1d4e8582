"""The deployment contract shared by the Ascend 310 app and the Python MINDIR runner.

- ``<model>.mindir`` comes with a sidecar ``<model>.json``: task, bin name, input and output
  specs (name, dtype, shape), the data meta, and asset files (e.g. the vocabulary) beside it.
- Inputs: ``<result_path>/NN_data/<name>_<i>.bin`` holds input NN of batch i as raw bytes in the
  exported shape; ``label_ids.npy`` holds the labels, -1 for rows that only pad the last batch.
- Outputs: ``result_Files/<name>_<i>.bin`` (``<name>_<i>_<k>.bin`` when a model has several) and
  ``time_Result/test_perform_static.txt`` with the mean latency.
"""
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .atomic import write_json, write_text
from .errors import UserError

SIDECAR_VERSION = 1
_BIN = re.compile(r"^(.*)_(\d+)\.bin$")


def sidecar_path(mindir_path):
    return Path(str(mindir_path)).with_suffix(".json")


def write_sidecar(mindir_path, task, inputs, outputs, meta, assets, graph_target="CPU"):
    """``inputs``/``outputs``: lists of (name, numpy dtype name, shape); ``assets``: {key: source file};
    ``graph_target``: where the graph can run by the recurrent ops it holds: "CPU" (``LSTM``, CPU and
    GPU only), "Ascend" (``DynamicRNN`` / ``DynamicGRUV2``, Ascend only) or "any"."""
    mindir_path = Path(mindir_path)
    copied = {}
    for key, src in assets.items():
        dest = mindir_path.with_suffix(f".{key}")
        shutil.copyfile(src, dest)
        copied[key] = dest.name
    spec = [{"name": n, "dtype": d, "shape": list(s)} for n, d, s in inputs]
    out = [{"name": n, "dtype": d, "shape": list(s)} for n, d, s in outputs]
    meta = _portable({k: v for k, v in meta.items() if k != "fingerprint"})
    write_json(sidecar_path(mindir_path), {"version": SIDECAR_VERSION, "task": task, "name": mindir_path.stem,
                                           "mindir": mindir_path.name, "graph_target": graph_target,
                                           "inputs": spec, "outputs": out,
                                           "batch_size": spec[0]["shape"][0], "meta": meta, "assets": copied})


def _portable(value):
    """``value`` with every absolute path replaced by its file name: a sidecar travels to other machines."""
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v) for v in value]
    if isinstance(value, str) and os.path.isabs(value):
        return Path(value).name
    return value


def read_sidecar(mindir_path):
    path = sidecar_path(mindir_path)
    try:
        side = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(path, "sidecar of the MINDIR not found (export.py writes it beside the .mindir)") from None
    except json.JSONDecodeError as exc:
        raise UserError(path, f"not valid JSON (line {exc.lineno})") from None
    if side.get("version") != SIDECAR_VERSION:
        raise UserError(path, f"sidecar version {side.get('version')} (this code reads {SIDECAR_VERSION})")
    side["asset_paths"] = {k: path.parent / v for k, v in side["assets"].items()}
    return side


def _replace_dir(stage, target):
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    os.replace(stage, target)


def write_input_bins(result_path, name, batches):
    """``batches`` yields (list of input arrays, labels); written into a staging folder, then moved."""
    result_path = Path(result_path)
    result_path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{result_path.name}-", dir=result_path.parent))
    try:
        labels, count = [], 0
        for i, (arrays, label) in enumerate(batches):
            for k, array in enumerate(arrays):
                folder = stage / f"{k:02d}_data"
                folder.mkdir(exist_ok=True)
                np.ascontiguousarray(array).tofile(folder / f"{name}_{i}.bin")
            labels.append(np.asarray(label))
            count = i + 1
        np.save(stage / "label_ids.npy", np.stack(labels) if labels else np.zeros((0,)))
        _replace_dir(stage, result_path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return count


def list_batches(input_path):
    """Sorted [(i, file name)] of the bins in ``NN_data`` folder 00, checked against the others."""
    input_path = Path(input_path)
    folders = sorted(p for p in input_path.glob("[0-9][0-9]_data") if p.is_dir())
    if not folders:
        raise UserError(input_path, "no NN_data folders (run preprocess.py first)")
    found = []
    for f in folders[0].iterdir():
        m = _BIN.match(f.name)
        if m:
            found.append((int(m.group(2)), f.name))
    if not found:
        raise UserError(folders[0], "no <name>_<i>.bin files")
    for folder in folders[1:]:
        for _, fname in found:
            if not (folder / fname).is_file():
                raise UserError(folder / fname, "missing: every input folder needs the same bins")
    return folders, sorted(found)


def read_bin(path, dtype, shape):
    data = np.fromfile(path, dtype=dtype)
    if data.size != int(np.prod(shape)):
        raise UserError(path, f"holds {data.size} {dtype} values, the model wants shape {tuple(shape)}")
    return data.reshape(shape)


def output_name(stem, k, n_outputs):
    return f"{stem}.bin" if n_outputs == 1 else f"{stem}_{k}.bin"


def write_latency(time_path, mean_ms, count):
    write_text(Path(time_path) / "test_perform_static.txt",
               f"NN inference cost average time: {mean_ms:.3f} ms of infer_count {count}\n")


def read_outputs(result_path, sidecar, count):
    """[(list of output arrays) per batch i < count] from ``result_Files``."""
    result_path = Path(result_path)
    specs = sidecar["outputs"]
    batches = []
    for i in range(count):
        arrays = []
        for k, spec in enumerate(specs):
            path = result_path / output_name(f"{sidecar['name']}_{i}", k, len(specs))
            if not path.is_file():
                raise UserError(path, "result missing (did inference run on every batch?)")
            arrays.append(read_bin(path, spec["dtype"], spec["shape"]))
        batches.append(arrays)
    return batches


def pad_batches(rows, batch_size, fill):
    """Group per-example tuples of arrays into full batches; the last is completed with ``fill``
    rows. Yields (list of stacked arrays, valid row count)."""
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        valid = len(chunk)
        chunk = chunk + [fill] * (batch_size - valid)
        yield [np.stack([r[k] for r in chunk]) for k in range(len(fill))], valid
