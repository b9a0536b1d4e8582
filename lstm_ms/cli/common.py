"""Helpers shared by the commands: networks from a checkpoint and the meta.json beside it."""
from pathlib import Path

from ..core.errors import UserError
from ..core.meta import read_meta


def require(cfg, key):
    if not cfg.get(key):
        raise UserError(f"--{key}", "is required")
    return cfg[key]


def exported_model(cfg, task):
    """(MINDIR path, its sidecar) for ``--mindir_file`` (default ``<file_name>.mindir``), checked
    to be an export of ``task``."""
    from ..core import deploy

    mindir = cfg["mindir_file"] or f"{cfg['file_name']}.mindir"
    side = deploy.read_sidecar(mindir)
    if side["task"] != task.name:
        raise UserError(deploy.sidecar_path(mindir), f"exported from model {side['task']!r}, not {task.name!r}")
    return mindir, side


MINDIR_FLAG = ("--mindir_file", {"default": "", "help": "the exported model (default: <file_name>.mindir); its "
                                                       "sidecar .json gives batch size, shapes and assets"})


def sidecar_meta(ckpt_file, task=None):
    """The meta.json that training writes beside its checkpoints (data meta + network shape), or None;
    with ``task`` (a model name), checked to be that model's."""
    side = Path(ckpt_file).parent / "meta.json"
    return read_meta(side, task) if side.is_file() else None


def adopt_checkpoint_settings(cfg, meta):
    """Set the config keys that shaped the checkpoint's data and network to the values it was trained
    with, so evaluating or exporting it needs no repeated flags."""
    if meta:
        trained = {**meta.get("fingerprint", {}).get("config_keys", {}), **meta.get("network", {})}
        cfg.update({k: v for k, v in trained.items() if k in cfg})
    return cfg


def checkpoint_meta(ckpt_file, cfg, data_meta=None):
    """The checkpoint's own meta.json; without one, the preprocessed data's meta.json (+ the config)."""
    meta = sidecar_meta(ckpt_file, cfg.get("model"))
    if meta is not None:
        return meta
    if data_meta is None:
        data_meta = read_meta(Path(cfg["preprocess_path"]) / "meta.json", cfg.get("model"))
    return data_meta


def network_from_checkpoint(task, cfg, ckpt_file, meta):
    """Build the network the checkpoint was trained as and load it (shape-checked)."""
    from ..engine import checkpoint

    net_cfg = {**cfg, **meta.get("network", {})}
    net = task.network(net_cfg, meta, pretrained=False)
    checkpoint.load_into(net, ckpt_file)
    net.set_train(False)
    return net


def write_hypotheses(result, json_path):
    """Move a result's per-input output sentences (``hypotheses``, seq2seq) out of the metrics into a
    text file beside ``json_path``, one line per input in the dataset's order; returns its path or None."""
    from ..core.atomic import write_text

    hypotheses = result.pop("hypotheses", None)
    if hypotheses is None:
        return None
    json_path = str(json_path)
    path = Path((json_path[:-5] if json_path.endswith(".json") else json_path) + ".hyp.txt")
    write_text(path, "".join(h + "\n" for h in hypotheses))
    result["hypotheses_file"] = str(path)
    return path
