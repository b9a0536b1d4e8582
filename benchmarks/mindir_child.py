"""The exported MINDIRs through the CPU runner's path (``mindspore.load`` + ``nn.GraphCell``, as
``lstm_ms.engine.mindir_runner`` runs them), in a process of their own (no PyTorch, no training
graph), so that its peak resident memory is an inference process's.

``python benchmarks/mindir_child.py CASES_JSON OUT_JSON REPEATS``: CASES_JSON lists the cases that
``common.export_case`` wrote; OUT_JSON gets per case the load time, first call and the median, min
and max of REPEATS calls, and the process's peak RSS.
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_v", "3")


def main(argv):
    cases_path, out_path, repeats = argv[0], argv[1], int(argv[2])
    import mindspore as ms
    import numpy as np
    from mindspore import nn

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.common import rss_mib, timed

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_device("CPU")
    results = []
    for case in json.loads(Path(cases_path).read_text()):
        start = time.perf_counter()
        graph = nn.GraphCell(ms.load(case["mindir"]))
        loaded = time.perf_counter() - start
        with np.load(case["inputs"]) as arrays:
            inputs = [ms.Tensor(arrays[f"arr_{i}"]) for i in range(len(arrays.files))]

        def call():
            out = graph(*inputs)
            for o in (out if isinstance(out, (tuple, list)) else [out]):
                o.asnumpy()

        first = timed(call)
        times = [timed(call) for _ in range(repeats)]
        med = statistics.median(times)
        results.append({**case, "load_s": loaded, "first_call_s": first, "median_s": med, "min_s": min(times),
                        "max_s": max(times), "ms_per_sample": 1e3 * med / case["batch_size"],
                        "per_s": case["batch_size"] / med})
    Path(out_path).write_text(json.dumps({"cases": results, "peak_rss_mib": rss_mib()[1]}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
