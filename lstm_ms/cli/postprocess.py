"""``postprocess.py``: result bins + labels -> the task's metrics, printed and written to
``acc.log`` and JSON."""
from pathlib import Path

import numpy as np

from . import log, run
from ..core import config, deploy
from ..core.atomic import write_json, write_text
from ..core.errors import UserError
from .common import MINDIR_FLAG, exported_model, write_hypotheses

EXTRA = [MINDIR_FLAG,
         ("--result_path", {"default": "./result_Files", "help": "the inference results"}),
         ("--label_path", {"default": "./preprocess_Result/label_ids.npy", "help": "labels from preprocess.py"}),
         ("--metrics_file", {"default": "./acc.json", "help": "metrics as JSON; acc.log goes beside it"})]


def main(argv):
    cfg = config.parse_args(argv, "postprocess.py", __doc__, extra=EXTRA, uses=("beam_size",))
    from ..tasks import get_task

    task = get_task(cfg["model"])
    mindir, side = exported_model(cfg, task)
    label_path = Path(cfg["label_path"])
    if not label_path.is_file():
        raise UserError(label_path, "labels not found (run preprocess.py first)")
    labels = np.load(label_path)
    batches = deploy.read_outputs(cfg["result_path"], side, len(labels))
    first = np.concatenate([b[0] for b in batches])
    rows = labels.reshape((-1,) + labels.shape[2:])
    keep = rows.reshape(len(rows), -1).max(axis=1) >= 0  # rows that only pad the last batch are all -1
    result = task.metrics_from_outputs(first[keep], rows[keep], side["meta"])
    result.update({"model": task.name, "mindir": str(mindir), "result_path": str(cfg["result_path"])})
    text = task.report(result)
    log(text)
    out = Path(cfg["metrics_file"])
    write_hypotheses(result, out)
    write_json(out, result)
    write_text(out.parent / "acc.log", text + "\n")
    log(f"metrics written to {out} and {out.parent / 'acc.log'}")
    return 0


if __name__ == "__main__":
    run(main)
