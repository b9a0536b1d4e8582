"""``predict.py``: run a trained model on your own input, from a checkpoint or an exported MINDIR.

    python predict.py --ckpt_file ckpt/lstm-best.ckpt "A wonderful, moving film."
    python predict.py --mindir_file lstm.mindir --input_file reviews.txt      (one input per line)
"""
import json
from pathlib import Path

import numpy as np

from . import log, run
from ..core import config, deploy
from ..core.errors import UserError
from .common import checkpoint_meta, network_from_checkpoint

EXTRA = [("texts", {"nargs": "*", "help": "inputs to predict"}),
         ("--input_file", {"default": "", "help": "a UTF-8 file with one input per line"}),
         ("--mindir_file", {"default": "", "help": "use an exported MINDIR (with its sidecar) instead of --ckpt_file"}),
         ("--json", {"action": "store_true", "help": "print one JSON object per input"})]


def read_inputs(cfg):
    """The inputs to predict: the texts given, then the non-blank lines of ``--input_file``; a blank text,
    a blank or empty input file, or no input at all is a UserError naming where it came from."""
    texts = list(cfg["texts"])
    for k, text in enumerate(texts, 1):
        if not text.strip():
            raise UserError("predict.py", f"input {k} is empty or blank (nothing to predict in it)")
    if cfg["input_file"]:
        path = Path(cfg["input_file"])
        try:
            lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
        except FileNotFoundError:
            raise UserError(path, "input file not found") from None
        except IsADirectoryError:
            raise UserError(path, "is a folder, not an input file") from None
        except UnicodeDecodeError:
            raise UserError(path, "not UTF-8 text") from None
        if not lines:
            raise UserError(path, "no input in it: the file is empty or blank (one input per line)")
        texts += lines
    if not texts:
        raise UserError("predict.py", "nothing to predict: give texts or --input_file")
    return texts


def main(argv):
    cfg = config.parse_args(argv, "predict.py", __doc__, extra=EXTRA, uses=("ckpt_file", "batch_size", "beam_size",
                            "length_penalty", "device_target", "device_id"))
    from ..engine import context
    from ..tasks import get_task
    from ..tasks.base import first_output

    import mindspore as ms

    task = get_task(cfg["model"])
    texts = read_inputs(cfg)
    context.setup(cfg["device_target"], cfg["device_id"], "graph")
    if cfg["mindir_file"]:
        from mindspore import nn

        if not Path(cfg["mindir_file"]).is_file():
            raise UserError(cfg["mindir_file"], "MINDIR file not found")
        side = deploy.read_sidecar(cfg["mindir_file"])
        # the MINDIR says which model it is; a --model that disagrees is refused
        if any(a == "--model" or str(a).startswith("--model=") for a in argv) and cfg["model"] != side["task"]:
            raise UserError(cfg["mindir_file"], f"a MINDIR of model {side['task']!r}, not {cfg['model']!r} "
                                                "(leave out --model: the sidecar names it)")
        task = get_task(side["task"])
        meta, assets, batch = side["meta"], side["asset_paths"], side["batch_size"]
        graph = nn.GraphCell(ms.load(cfg["mindir_file"]))

        def predict(arrays):  # the exported shapes: full batches at the exported length
            return first_output(graph(*[ms.Tensor(a) for a in arrays]))
    elif cfg["ckpt_file"]:
        ckpt = Path(cfg["ckpt_file"])
        if not ckpt.is_file():
            raise UserError(ckpt, "checkpoint file not found")
        meta = checkpoint_meta(ckpt, cfg)
        assets = {a: ckpt.parent / a for a in task.assets}
        # a checkpoint network takes any shape (dynamic graphs): batches only as large as the input and
        # only as long as their longest row, so one short sentence is a [1, length] forward pass
        batch = min(cfg["batch_size"], len(texts))
        predict, meta = task.predictor(network_from_checkpoint(task, cfg, ckpt, meta), cfg, meta)
    else:
        raise UserError("--ckpt_file", "is required (or --mindir_file)")
    examples = task.encode_texts(texts, meta, assets)
    rows = []
    for arrays, valid in deploy.pad_batches(examples, batch, task.pad_example(meta)):
        rows.extend(predict(arrays)[:valid])
    for text, row in zip(texts, rows):
        result = task.describe(np.asarray(row), text, meta)
        summary = result.pop("summary")
        log(json.dumps({"input": text, **result}, ensure_ascii=False) if cfg["json"] else summary)
    return 0


if __name__ == "__main__":
    run(main)
