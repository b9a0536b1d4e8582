"""``export.py``: checkpoint + meta.json -> MINDIR (AIR on Ascend), checked by loading it back."""
from pathlib import Path

import numpy as np

from . import log, run
from ..core import config
from ..core.errors import UserError
from .common import checkpoint_meta, network_from_checkpoint, require

EXTRA = [("--verify", {"default": "true", "help": "load the MINDIR back and compare its outputs (true/false)"})]


def main(argv):
    cfg = config.parse_args(argv, "export.py", "Export a checkpoint of the lstm_ms zoo to MINDIR/AIR.", extra=EXTRA)
    from ..engine import context
    from ..engine.export import export
    from ..tasks import get_task

    task = get_task(cfg["model"])
    ckpt_file = require(cfg, "ckpt_file")
    if not Path(ckpt_file).is_file():
        raise UserError(ckpt_file, "checkpoint file not found")
    context.setup(cfg["device_target"], cfg["device_id"], "graph")
    meta = checkpoint_meta(ckpt_file, cfg)
    net = network_from_checkpoint(task, cfg, ckpt_file, meta)
    inputs = task.export_inputs(cfg, meta, cfg["batch_size"])
    path = export(net, inputs, cfg["file_name"], cfg["file_format"], cfg["device_target"])
    shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in inputs)
    log(f"exported {path} (inputs: {shapes})")
    if config.str2bool(cfg["verify"]) and cfg["file_format"].upper() == "MINDIR":
        diff = verify(net, path, task.export_inputs(cfg, meta, cfg["batch_size"]))
        log(f"verified: MINDIR outputs equal the checkpoint network's (max abs diff {diff:.2e})")
    return 0


def verify(net, path, inputs):
    """Run the exported graph and the network on the same inputs; return the max abs difference."""
    import mindspore as ms
    from mindspore import nn

    graph = nn.GraphCell(ms.load(path))
    expected = net(*inputs).asnumpy()
    got = graph(*inputs).asnumpy()
    diff = float(np.abs(expected - got).max())
    if not diff <= 1e-5:
        raise UserError(path, f"exported graph disagrees with the checkpoint network (max abs diff {diff})")
    return diff


if __name__ == "__main__":
    run(main)
