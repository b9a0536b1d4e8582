"""``train.py``: preprocess (when asked) and train a model of the zoo, on one device or data parallel."""
from pathlib import Path

from . import log, run
from ..core import config
from ..core.atomic import copy_atomic, write_json
from ..core.errors import UserError

USES = ("aclimdb_path", "glove_path", "data_path", "pretrained_path", "preprocess", "preprocess_path", "ckpt_path", "num_epochs", "batch_size",
        "pre_trained", "resume", "amp_level", "device_target", "device_id", "mode", "distribute", "seed")
EXTRA = [("--preprocess_only", {"action": "store_true", "help": "preprocess, then exit (used before "
                                                               "launching distributed workers)"})]


def main(argv):
    cfg = config.parse_args(argv, "train.py", "Train a model of the lstm_ms zoo (MindSpore).", extra=EXTRA,
                            uses=USES)
    from ..engine import context, distributed
    from ..engine.trainer import Trainer
    from ..tasks import get_task

    task = get_task(cfg["model"])
    if cfg["preprocess_only"]:  # needs no device: the launch scripts run it before starting workers
        distributed.expand_rank(cfg, 0, task.path_keys)
        task.ensure_prepared(cfg, log=log)
        return 0
    context.setup(cfg["device_target"], cfg["device_id"], cfg["mode"], seed=cfg["seed"])
    rank, size = distributed.init(cfg["distribute"])
    distributed.expand_rank(cfg, rank, task.path_keys)
    if size > 1 and cfg["preprocess"]:
        raise UserError("--preprocess", "preprocess once before starting workers (the run_distribute_train "
                                        "scripts do); workers take --preprocess false")
    meta = task.ensure_prepared(cfg, log=log)
    ckpt_dir = Path(cfg["ckpt_path"])
    if size > 1:
        log(f"data parallel on {size} devices (this is rank {rank}): global batch {cfg['batch_size']} x {size} = "
            f"{cfg['batch_size'] * size}; gradients are averaged, the LR is used as configured (no automatic "
            f"scaling; config_ascend_8p.yaml raises lr_max to 0.3 for 8 devices)")
    if rank == 0:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        write_json(ckpt_dir / "meta.json", {**meta, "network": task.network_config(cfg)})
        config.dump(cfg, ckpt_dir / "config.yaml")
        for asset in task.assets:  # what export and predict need besides the checkpoint
            copy_atomic(Path(cfg["preprocess_path"]) / asset, ckpt_dir / asset)
    Trainer(task, cfg, meta, log=log, rank=rank, group_size=size).run()
    return 0


if __name__ == "__main__":
    run(main)
