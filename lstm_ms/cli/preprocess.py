"""``preprocess.py``: a raw test split -> ``NN_data/<name>_<i>.bin`` + ``label_ids.npy`` for the 310 app
(or the Python MINDIR runner), encoded by the same code the trainer uses."""
from pathlib import Path

import numpy as np

from . import log, run
from ..core import config, deploy
from ..core.errors import UserError
from .common import MINDIR_FLAG, exported_model, require

EXTRA = [MINDIR_FLAG,
         ("--dataset_path", {"default": "", "help": "the raw dataset (e.g. the aclImdb folder)"}),
         ("--result_path", {"default": "./preprocess_Result", "help": "where the bins go"}),
         ("--split", {"default": "test", "help": "which split of the raw dataset"})]


def main(argv):
    cfg = config.parse_args(argv, "preprocess.py", __doc__, extra=EXTRA, uses=("split",))
    from ..tasks import get_task

    task = get_task(cfg["model"])
    _, side = exported_model(cfg, task)
    dataset = require(cfg, "dataset_path")
    examples = task.raw_examples(dataset, side["meta"], side["asset_paths"], cfg["split"])
    if not examples:
        raise UserError(dataset, f"no examples in the {cfg['split']} split")
    no_label = np.full_like(np.asarray(examples[0][1]), -1)  # the label of a row that only pads the last batch
    fill = (task.pad_example(side["meta"]), no_label)
    batches = ((arrays, [label for _, label in chunk] + [no_label] * (side["batch_size"] - valid))
               for (arrays, valid), chunk in _chunks(examples, side["batch_size"], fill))
    count = deploy.write_input_bins(cfg["result_path"], side["name"], batches)
    log(f"wrote {count} batches of {side['batch_size']} ({len(examples)} examples) under {Path(cfg['result_path'])}")
    return 0


def _chunks(examples, batch_size, fill):
    """((stacked input arrays, valid rows), the examples of that batch) per batch."""
    rows = [inputs for inputs, _ in examples]
    for b, packed in enumerate(deploy.pad_batches(rows, batch_size, fill[0])):
        yield packed, examples[b * batch_size:(b + 1) * batch_size]


if __name__ == "__main__":
    run(main)
