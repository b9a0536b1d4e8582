"""Helpers shared by the commands: networks from a checkpoint and its meta.json."""
import json
from pathlib import Path

from ..core.errors import UserError


def require(cfg, key):
    if not cfg.get(key):
        raise UserError(f"--{key}", "is required")
    return cfg[key]


def checkpoint_meta(ckpt_file, cfg, data_meta=None):
    """The meta.json written beside a checkpoint by training (it names the network's shape);
    without one, the preprocessed data's meta.json plus the config."""
    side = Path(ckpt_file).parent / "meta.json"
    if side.is_file():
        try:
            return json.loads(side.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(side, f"not valid JSON (line {exc.lineno})") from None
    if data_meta is None:
        from ..tasks.sentiment import _read_meta

        data_meta = _read_meta(Path(cfg["preprocess_path"]) / "meta.json")
    return data_meta


def network_from_checkpoint(task, cfg, ckpt_file, meta):
    """Build the network the checkpoint was trained as and load it (shape-checked)."""
    from ..engine import checkpoint

    net_cfg = {**cfg, **meta.get("network", {})}
    net = task.network(net_cfg, meta, pretrained=False)
    checkpoint.load_into(net, ckpt_file)
    net.set_train(False)
    return net
