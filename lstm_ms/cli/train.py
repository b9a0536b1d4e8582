"""``train.py``: preprocess (when asked) and train a model of the zoo."""
from pathlib import Path

from . import log, run
from ..core import config
from ..core.atomic import copy_atomic, write_json


def main(argv):
    cfg = config.parse_args(argv, "train.py", "Train a model of the lstm_ms zoo (MindSpore).")
    from ..engine import context
    from ..engine.trainer import Trainer
    from ..tasks import get_task

    task = get_task(cfg["model"])
    context.setup(cfg["device_target"], cfg["device_id"], cfg["mode"], seed=cfg["seed"])
    meta = task.ensure_prepared(cfg, log=log)
    ckpt_dir = Path(cfg["ckpt_path"])
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    write_json(ckpt_dir / "meta.json", {**meta, "network": task.network_config(cfg)})
    config.dump(cfg, ckpt_dir / "config.yaml")
    for asset in task.assets:  # what export and predict need besides the checkpoint
        copy_atomic(Path(cfg["preprocess_path"]) / asset, ckpt_dir / asset)
    Trainer(task, cfg, meta, log=log).run()
    return 0


if __name__ == "__main__":
    run(main)
