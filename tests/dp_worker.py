"""One training step of a tiny SentimentNet, for tests/test_distributed.py.

    msrun --worker_num=2 ... tests/dp_worker.py OUT        each rank steps on its half of BATCH (data parallel
                                                          as train.py sets it up) and saves OUT/rank<r>.npz
    python tests/dp_worker.py OUT --single                one process steps on all of BATCH: OUT/single.npz

Every run starts from the same weights (drawn from a fixed numpy seed) and saves them before and after
the step. Plain SGD without clipping (clipping would hide a sum of gradients behind the clip).
"""
import sys
from pathlib import Path

import numpy as np

BATCH, LENGTH, VOCAB, LR = 8, 7, 40, 0.5
CFG = {"embed_size": 6, "num_hiddens": 5, "num_layers": 1, "bidirectional": True, "num_classes": 2, "dropout": 0.0}


def data():
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, LENGTH + 1, BATCH).astype(np.int32)
    ids = np.where(np.arange(LENGTH)[None] < lengths[:, None], rng.integers(2, VOCAB, (BATCH, LENGTH)), 0)
    return ids.astype(np.int32), lengths, rng.integers(0, 2, BATCH).astype(np.int32)


def main(out, single):
    import mindspore as ms

    from lstm_ms.engine import context, distributed
    from lstm_ms.engine.trainer import build_optimizer, build_train_step
    from lstm_ms.tasks import get_task

    context.setup("CPU", 0, "graph", seed=1)
    rank, size = distributed.init(not single)
    task = get_task("sentiment")
    net = task.network(CFG, {"vocab_size": VOCAB}, pretrained=False)
    rng = np.random.default_rng(0)
    for p in sorted(net.get_parameters(), key=lambda p: p.name):
        p.set_data(ms.Tensor(rng.normal(0.0, 0.5, p.shape).astype(np.float32)))
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.0}, net.trainable_params(), np.full(4, LR))
    step = build_train_step(net, task.loss(CFG, net), opt, clip_norm=0.0)
    rows = slice(None) if single else slice(rank * BATCH // size, (rank + 1) * BATCH // size)
    before = {p.name: p.asnumpy().copy() for p in net.trainable_params()}
    loss = step(*(ms.Tensor(a[rows]) for a in data()))
    after = {p.name: p.asnumpy() for p in net.trainable_params()}
    np.savez(Path(out) / ("single.npz" if single else f"rank{rank}.npz"), size=size, loss=loss.asnumpy(),
             **{"before/" + k: v for k, v in before.items()}, **{"after/" + k: v for k, v in after.items()})


if __name__ == "__main__":
    main(sys.argv[1], "--single" in sys.argv[2:])
