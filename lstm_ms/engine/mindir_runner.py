"""Python twin of the Ascend 310 app: same input folders, same result bins, same latency file,
through ``mindspore.load`` + ``nn.GraphCell`` on CPU or GPU.

``python -m lstm_ms.engine.mindir_runner --mindir_path M --input_path preprocess_Result
[--result_path result_Files] [--time_path time_Result] [--device_target CPU] [--device_id 0]``
"""
import argparse
import time
from pathlib import Path

import numpy as np

from ..core import deploy
from ..core.atomic import atomic_path
from ..core.errors import UserError


def run(mindir_path, input_path, result_path="result_Files", time_path="time_Result", device_target="CPU",
        device_id=0, log=print):
    import mindspore as ms
    from mindspore import nn

    from . import context

    if not Path(mindir_path).is_file():
        raise UserError(mindir_path, "MINDIR file not found")
    side = deploy.read_sidecar(mindir_path)
    folders, batches = deploy.list_batches(input_path)
    if len(folders) != len(side["inputs"]):
        raise UserError(input_path, f"{len(folders)} input folders, the model has {len(side['inputs'])} inputs")
    context.setup(device_target, device_id, "graph")
    graph = nn.GraphCell(ms.load(str(mindir_path)))
    Path(result_path).mkdir(parents=True, exist_ok=True)
    n_out = len(side["outputs"])
    costs = []
    for i, fname in batches:
        inputs = [ms.Tensor(deploy.read_bin(folder / fname, spec["dtype"], spec["shape"]))
                  for folder, spec in zip(folders, side["inputs"])]
        start = time.perf_counter()
        outputs = graph(*inputs)
        outputs = [o.asnumpy() for o in (outputs if isinstance(outputs, (tuple, list)) else [outputs])]
        costs.append((time.perf_counter() - start) * 1000.0)
        for k, out in enumerate(outputs):
            target = Path(result_path) / deploy.output_name(Path(fname).stem, k, n_out)
            with atomic_path(target, suffix=".bin") as tmp:
                np.ascontiguousarray(out).tofile(tmp)
    mean = float(np.mean(costs)) if costs else 0.0
    deploy.write_latency(time_path, mean, len(costs))
    log(f"inferred {len(costs)} batches with {mindir_path} on {device_target}: mean {mean:.3f} ms per batch")
    return mean


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m lstm_ms.engine.mindir_runner", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mindir_path", required=True)
    parser.add_argument("--input_path", required=True)
    parser.add_argument("--result_path", default="result_Files")
    parser.add_argument("--time_path", default="time_Result")
    parser.add_argument("--device_target", default="CPU", choices=("CPU", "GPU"))
    parser.add_argument("--device_id", type=int, default=0)
    args = parser.parse_args(argv)
    run(args.mindir_path, args.input_path, args.result_path, args.time_path, args.device_target, args.device_id)
    return 0


if __name__ == "__main__":
    from ..cli import run as run_cli

    run_cli(main)
