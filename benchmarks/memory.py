"""Where training memory goes: resident memory (RSS) after one SentimentNet training step per padded
length, each length its own static graph as the trainer compiles them (``--dynamic_shape``: one
dynamic-shape graph for all), then after evaluation forwards at assorted lengths.

    python benchmarks/memory.py [--lengths 64,128,256,384,500] [--batch_size 64] [--dynamic_shape]
    python benchmarks/memory.py --single_cell 500     # one stock nn.LSTM(300 -> 100): forward, then backward

A benchmark, not a test: it prints MiB to read. Shapes are the sentiment defaults (E=300, H=100,
2-layer BiLSTM, vocabulary 20,000).
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_v", "3")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mindspore as ms  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.common import rss_mib as resident  # noqa: E402
from lstm_ms.engine.trainer import build_optimizer, build_train_step, for_evaluation  # noqa: E402
from lstm_ms.nn.sentiment import SentimentNet  # noqa: E402
from lstm_ms.tasks import get_task  # noqa: E402


def rss_mib():
    """This process's current resident memory (VmRSS), whole MiB."""
    return int(resident()[0])


def single_cell(steps, batch):
    """RSS of one stock nn.LSTM (300 -> 100, one layer, one direction) at [batch, steps]."""
    from mindspore import nn, ops

    class Cell(nn.Cell):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(300, 100, 1, batch_first=True)

        def construct(self, x):
            return self.rnn(x)[0].sum()

    net = Cell()
    x = ms.Tensor(np.random.default_rng(0).random((batch, steps, 300), dtype=np.float32))
    start = rss_mib()
    net(x)
    fwd = rss_mib()
    ops.GradOperation(get_by_list=True)(net, ms.ParameterTuple(net.trainable_params()))(x)
    both = rss_mib()
    print(f"one LSTM cell, B={batch} T={steps}: forward graph +{fwd - start} MiB, gradient graph +{both - fwd} MiB "
          f"(its output is {batch * steps * 100 * 4 / 2**20:.1f} MiB)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="64,128,256,384,500")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=20000)
    parser.add_argument("--dynamic_shape", action="store_true")
    parser.add_argument("--single_cell", type=int, default=0, help="only one stock LSTM cell at this length")
    args = parser.parse_args(argv)
    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_device("CPU")
    print(f"after imports: {rss_mib()} MiB")
    if args.single_cell:
        return single_cell(args.single_cell, args.batch_size)
    task = get_task("sentiment")
    net = SentimentNet(args.vocab, 300, 100, 2, True, 2, embedding=np.zeros((args.vocab, 300), np.float32))
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.9}, net.trainable_params(),
                          np.full(1000, 0.1, np.float32))
    step = build_train_step(net, ms.nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt)
    for_evaluation(net, task)
    net.set_train(True)
    if args.dynamic_shape:
        step.set_inputs(*task.input_specs())
    print(f"network built: {rss_mib()} MiB")
    rng = np.random.default_rng(0)
    before = rss_mib()
    for t in (int(x) for x in args.lengths.split(",")):
        ids = ms.Tensor(rng.integers(1, args.vocab, (args.batch_size, t)).astype(np.int32))
        lengths = ms.Tensor(np.full(args.batch_size, t, np.int32))
        step(ids, lengths, ms.Tensor(np.zeros(args.batch_size, np.int32)))
        now = rss_mib()
        print(f"train step T={t}: {now} MiB (+{now - before})", flush=True)
        before = now
    net.set_train(False)
    for t in (37, 90, 200, 333, 500, 64):
        net(ms.Tensor(rng.integers(1, args.vocab, (args.batch_size, t)).astype(np.int32)),
            ms.Tensor(np.full(args.batch_size, t, np.int32)))
        print(f"eval forward T={t}: {rss_mib()} MiB", flush=True)


if __name__ == "__main__":
    main()
