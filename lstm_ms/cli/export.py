"""``export.py``: checkpoint + meta.json -> MINDIR (AIR on Ascend) + sidecar, checked by loading it back."""
from pathlib import Path

import numpy as np

from . import log, run
from ..core import config, deploy
from ..core.errors import UserError
from .common import checkpoint_meta, network_from_checkpoint, require

USES = ("ckpt_file", "file_name", "file_format", "batch_size", "preprocess_path", "device_target", "device_id")
EXTRA = [("--verify", {"default": True, "type": config.str2bool,
                       "help": "load the MINDIR back and compare its outputs (true/false)"}),
         ("--export_target", {"default": None, "choices": ("CPU", "GPU", "Ascend"),
                              "help": "the target the graph is for (default: --device_target). Ascend (910 or 310) "
                                      "needs its recurrent ops (DynamicRNN, DynamicGRUV2), which any machine can "
                                      "export but only Ascend runs: such a graph is not verified here"})]


def main(argv):
    cfg = config.parse_args(argv, "export.py", "Export a checkpoint of the lstm_ms zoo to MINDIR/AIR.", extra=EXTRA,
                            uses=USES)
    from ..engine import context
    from ..engine.export import export, graph_target as export_graph_target
    from ..tasks import get_task

    task = get_task(cfg["model"])
    ckpt_file = require(cfg, "ckpt_file")
    if not Path(ckpt_file).is_file():
        raise UserError(ckpt_file, "checkpoint file not found")
    context.setup(cfg["device_target"], cfg["device_id"], "graph")
    meta = checkpoint_meta(ckpt_file, cfg)
    net, meta = task.inference_network(network_from_checkpoint(task, cfg, ckpt_file, meta), meta)
    net.set_train(False)
    inputs = task.export_inputs(cfg, meta, cfg["batch_size"])
    outputs = _as_list(net(*inputs))
    # the recurrent ops a graph holds: Ascend's own, or the LSTM op that CPU and GPU share
    graph_target = "Ascend" if (cfg["export_target"] or cfg["device_target"]) == "Ascend" else "CPU"
    runs_here = graph_target == ("Ascend" if cfg["device_target"] == "Ascend" else "CPU")
    if not runs_here and graph_target != "Ascend":
        raise UserError("--export_target", f"{cfg['export_target']}: a CPU/GPU graph is exported on CPU or GPU")
    if not runs_here:
        from ..nn.rnn import use_ascend_kernels

        try:
            use_ascend_kernels(net)
        except ValueError as exc:
            raise UserError("--export_target", f"Ascend: {exc}") from None
    path = export(net, inputs, cfg["file_name"], cfg["file_format"], cfg["device_target"])
    assets = {}
    for asset in task.assets:
        src = Path(ckpt_file).parent / asset
        if not src.is_file():
            src = Path(cfg["preprocess_path"]) / asset
        if not src.is_file():
            raise UserError(Path(ckpt_file).parent / asset, "missing (training copies it beside the checkpoint)")
        assets[asset] = src
    deploy.write_sidecar(path, task.name, _specs(task.input_names, inputs),
                         _specs([f"output_{k}" for k in range(len(outputs))], outputs), meta, assets,
                         export_graph_target(path) if path.endswith(".mindir") else graph_target)
    shapes = ", ".join(f"{n} {tuple(t.shape)} {t.dtype}" for n, t in zip(task.input_names, inputs))
    log(f"exported {path} (inputs: {shapes}) and its sidecar {deploy.sidecar_path(path)}")
    if not runs_here:
        log(f"not verified: the graph holds Ascend's recurrent ops (DynamicRNN / DynamicGRUV2), which "
            f"{cfg['device_target']} cannot run; run it on Ascend: scripts/run_infer_310.sh {path} DATA y Ascend310")
    elif cfg["verify"] and cfg["file_format"] == "MINDIR":
        rows = task.sample_inputs(cfg, meta, cfg["batch_size"])
        if rows:
            import mindspore as ms

            arrays, valid = next(deploy.pad_batches(rows, cfg["batch_size"], task.pad_example(meta)))
            lengths = sorted({int(a) for a in arrays[task.input_names.index("lengths")][:valid]})
            what = (f"{valid} random rows of the preprocessed data in {cfg['preprocess_path']} "
                    f"(lengths {lengths[0]}..{lengths[-1]}, {len(lengths)} distinct)")
            inputs = [ms.Tensor(a) for a in arrays]
        else:
            what = (f"the all-padding trace inputs only: no preprocessed data of this model in "
                    f"{cfg['preprocess_path']} (pass --preprocess_path to check on real rows)")
        diff = verify(net, path, inputs)
        log(f"verified: MINDIR outputs equal the checkpoint network's (max abs diff {diff:.2e}) on {what}")
    return 0


def _specs(names, tensors):
    return [(n, str(t.asnumpy().dtype), tuple(t.shape)) for n, t in zip(names, tensors)]


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def verify(net, path, inputs):
    """Run the exported graph and the network on the same inputs; return the max abs difference."""
    import mindspore as ms
    from mindspore import nn

    graph = nn.GraphCell(ms.load(path))
    diff = 0.0
    for want, got in zip(_as_list(net(*inputs)), _as_list(graph(*inputs))):
        diff = max(diff, float(np.abs(want.asnumpy().astype(np.float64) - got.asnumpy()).max()))
    if not diff <= 1e-5:
        raise UserError(path, f"exported graph disagrees with the checkpoint network (max abs diff {diff})")
    return diff


if __name__ == "__main__":
    run(main)
