"""Checkpoints written atomically; weights loaded with a shape check, training state restored whole.

A training checkpoint (``<prefix>-<epoch>_<step>.ckpt``, ``<prefix>-best.ckpt``) holds the training
step cell: network weights, optimizer state (momentum / Adam moments, ``global_step``), the loss
scale where mixed precision is on, and the ``epoch``, ``best_score`` and ``best_epoch`` of the run.
Eval, export and predict read only the network's weights from it.
"""
import math
import re
from pathlib import Path

from ..core.atomic import atomic_path
from ..core.errors import UserError

STATE_KEYS = ("epoch", "best_score", "best_epoch")
_NOT_STATE = ("learning_rate",)  # the LR array comes from the config's schedule, indexed by global_step
LOSS_SCALE = "scale_sense"  # the dynamic loss scale of a mixed-precision step (none without mixed precision)
# the loss scale and its update cell's counters: state of a mixed-precision step only
_LOSS_SCALE_STATE = (LOSS_SCALE, "current_iterator_step", "last_overflow_iterator_step")
_EPOCH_FILE = re.compile(r"-(\d+)_(\d+)\.ckpt$")


def save(cell, path, state=None):
    """``cell``'s parameters (+ ``state``: {key: int/float}) to ``path``, atomically."""
    import mindspore as ms

    with atomic_path(path, suffix=".ckpt") as tmp:
        ms.save_checkpoint(cell, tmp, append_dict=dict(state or {}))


def _read(path):
    import mindspore as ms

    path = Path(path)
    if not path.is_file():
        raise UserError(path, "checkpoint file not found")
    try:
        return ms.load_checkpoint(str(path))
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UserError(path, f"not a readable MindSpore checkpoint ({str(exc).splitlines()[0]})") from None


def _check_shapes(path, params, mine, what):
    """``mine``: {name: Parameter} that ``params`` (from the file) must all hold, with equal shapes."""
    missing = sorted(set(mine) - set(params))
    if missing:
        raise UserError(path, f"checkpoint does not match the {what}: no parameter {missing[0]}"
                              + (f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""))
    for name, p in mine.items():
        if tuple(params[name].shape) != tuple(p.shape):
            raise UserError(path, f"checkpoint does not match the {what}: {name} has shape "
                                  f"{tuple(params[name].shape)}, the network wants {tuple(p.shape)}")
    return mine


def load_into(net, path):
    """Load the network weights of ``path`` into ``net``; a missing file or any name/shape mismatch
    is a UserError. Optimizer state and run state in the file are ignored."""
    return _load_weights(net, path, _read(path))


def _load_weights(net, path, params):
    import mindspore as ms

    mine = _check_shapes(path, params, {p.name: p for p in net.get_parameters()}, "config")
    ms.load_param_into_net(net, {k: params[k] for k in mine}, strict_load=True)
    return net


def load_training_state(step_cell, net, path):
    """Restore a run from ``path`` into the training step cell: weights always; optimizer state when
    the file has all of it (``with_optimizer``); the loss scale when both the file and the step have one.
    A run moves between targets with its optimizer state: a checkpoint written without mixed precision
    resumes with it (from the configured ``loss_scale``) and the other way round. Returns the run state
    ``{"epoch", "best_score", "best_epoch", "with_optimizer", "notes"}`` (epoch from the file name for
    checkpoints written without it; ``notes``: one line per thing of the file not restored as it was)."""
    import mindspore as ms

    params = _read(path)
    _load_weights(net, path, params)
    weights = {p.name for p in net.get_parameters()}
    mine = {p.name: p for p in step_cell.get_parameters()}
    notes = []
    for name in _LOSS_SCALE_STATE:
        if name in mine and name in params:
            mine[name].set_data(ms.Tensor(params[name].asnumpy(), mine[name].dtype))
    if LOSS_SCALE in mine and LOSS_SCALE not in params:
        notes.append(f"the file has no loss scale (written without mixed precision): starting from "
                     f"{float(mine[LOSS_SCALE].asnumpy().reshape(-1)[0]):g}")
    elif LOSS_SCALE in params and LOSS_SCALE not in mine:
        notes.append(f"the file's loss scale ({_scalar(params[LOSS_SCALE]):g}) is not used: this run has no "
                     "mixed precision")
    optimizer_params = [p for name, p in mine.items() if name not in weights and name not in _NOT_STATE
                        and name not in _LOSS_SCALE_STATE]
    have = [p for p in optimizer_params if p.name in params]
    with_optimizer = bool(have) and len(have) == len(optimizer_params)
    if with_optimizer:
        _check_shapes(path, params, {p.name: p for p in have}, "optimizer")
        for p in have:  # by exact name (load_param_into_net's loose matching would map moments.x onto x)
            p.set_data(ms.Tensor(params[p.name].asnumpy(), p.dtype))
    state = {k: _scalar(params[k]) for k in STATE_KEYS if k in params}
    if "epoch" not in state:
        m = _EPOCH_FILE.search(str(path))
        state["epoch"] = int(m.group(1)) if m else 0
    state["epoch"] = int(state["epoch"])
    state.setdefault("best_score", -math.inf)
    state["best_epoch"] = int(state["best_epoch"]) if state.get("best_epoch", -1) >= 0 else None
    state["with_optimizer"] = with_optimizer
    state["notes"] = notes
    return state


def _scalar(value):
    return float(value.asnumpy().reshape(-1)[0]) if hasattr(value, "asnumpy") else float(value)


def epoch_checkpoints(ckpt_dir, prefix):
    """``[(epoch, path)]`` of ``<prefix>-<epoch>_<step>.ckpt`` in ``ckpt_dir``, oldest first."""
    found = []
    for path in Path(ckpt_dir).glob(f"{prefix}-*_*.ckpt"):
        m = _EPOCH_FILE.search(path.name)
        if m and path.name == f"{prefix}-{m.group(1)}_{m.group(2)}.ckpt":
            found.append((int(m.group(1)), path))
    return sorted(found)


def newest(ckpt_dir, prefix):
    """The epoch checkpoint with the highest epoch in ``ckpt_dir``, or None."""
    found = epoch_checkpoints(ckpt_dir, prefix)
    return found[-1][1] if found else None
