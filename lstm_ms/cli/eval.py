"""``eval.py``: evaluate a checkpoint on the test split; prints the metrics and writes them as JSON."""
from pathlib import Path

from . import log, run
from ..core import config
from ..core.atomic import write_json
from ..core.errors import UserError
from .common import (adopt_checkpoint_settings, checkpoint_meta, network_from_checkpoint, require, sidecar_meta,
                     write_hypotheses)

USES = ("aclimdb_path", "glove_path", "data_path", "pretrained_path", "preprocess", "preprocess_path", "ckpt_file", "split", "batch_size",
        "beam_size", "length_penalty", "device_target", "device_id", "mode")
EXTRA = [("--result_file", {"default": "", "help": "metrics JSON (default: <ckpt_file>.eval.json)"}),
         ("--split", {"default": "test", "help": "which preprocessed split to evaluate"})]


def main(argv):
    cfg = config.parse_args(argv, "eval.py", "Evaluate a checkpoint of the lstm_ms zoo.", extra=EXTRA, uses=USES)
    from ..engine import context
    from ..tasks import get_task

    task = get_task(cfg["model"])
    ckpt_file = require(cfg, "ckpt_file")
    if not Path(ckpt_file).is_file():
        raise UserError(ckpt_file, "checkpoint file not found")
    adopt_checkpoint_settings(cfg, sidecar_meta(ckpt_file, task.name))
    context.setup(cfg["device_target"], cfg["device_id"], cfg["mode"], seed=cfg["seed"])
    data_meta = task.ensure_prepared(cfg, log=log, reuse_without_raw=True)
    meta = checkpoint_meta(ckpt_file, cfg, data_meta)
    if meta.get("vocab_size") != data_meta.get("vocab_size"):
        raise UserError(ckpt_file, f"trained with a vocabulary of {meta.get('vocab_size')} entries, the data in "
                                   f"{cfg['preprocess_path']} has {data_meta.get('vocab_size')}")
    from ..engine.trainer import for_evaluation

    net = for_evaluation(network_from_checkpoint(task, cfg, ckpt_file, meta), task, cfg)
    result = task.evaluate(net, task.dataset(cfg["split"], cfg, data_meta, training=False), cfg, data_meta)
    result.update({"checkpoint": str(ckpt_file), "split": cfg["split"], "model": task.name})
    log(task.report(result))
    out = cfg["result_file"] or f"{ckpt_file}.eval.json"
    hyp_file = write_hypotheses(result, out)
    write_json(out, result)
    log(f"metrics written to {out}" + (f", translations to {hyp_file}" if hyp_file else ""))
    return 0


if __name__ == "__main__":
    run(main)
