"""NER with ``optimizer: adam`` and ``dynamic_lr: true``: the LR Adam applies at step k is
lr_schedule.from_config(cfg, steps)[k], also after a resume (global_step restored or set to e * steps).

Every step is recomputed by hand: the gradient of the same loss at the same weights (clipped to
clip_norm like TrainStep), then MindSpore's Adam update (ApplyAdam) in numpy from the optimizer's moments
and beta powers before the step. The parameter change, divided by the Adam direction, is the LR used.
"""
import numpy as np
import pytest

from lstm_ms.core import lr_schedule
from lstm_ms.core.config import config_file, load_yaml

STEPS_PER_EPOCH = 3
META = {"vocab_size": 30, "num_tags": 7, "use_seg": True}
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    cfg = load_yaml(config_file("ner", "CPU"))
    assert cfg["optimizer"] == "adam" and cfg["clip_norm"] > 0
    cfg.update(embed_size=8, seg_size=4, num_hiddens=8, dropout=0.0, num_epochs=3, dynamic_lr=True,
               lr_init=0.002, lr_max=0.02, lr_end=0.001, warmup_epochs=1, lr_adjust_epoch=3, batch_size=4,
               ckpt_path=str(tmp_path_factory.mktemp("adam_ckpt")), pre_trained="", resume=False)
    return cfg


def batches(n, seed=0):
    import mindspore as ms

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        lengths = np.array([6, 3, 5, 1], np.int32)
        valid = np.arange(6)[None] < lengths[:, None]
        ids = np.where(valid, rng.integers(2, META["vocab_size"], (4, 6)), 0).astype(np.int32)
        seg = np.where(valid, rng.integers(1, 5, (4, 6)), 0).astype(np.int32)
        tags = np.where(valid, rng.integers(1, META["num_tags"], (4, 6)), 0).astype(np.int32)
        out.append(tuple(ms.Tensor(a) for a in (ids, seg, lengths, tags)))
    return out


def trainer(cfg, **changes):
    """A Trainer built exactly as Trainer.run builds it (network, schedule, Adam, train step)."""
    import mindspore as ms

    from lstm_ms.engine.trainer import Trainer
    from lstm_ms.tasks import get_task

    ms.set_context(mode=ms.GRAPH_MODE)
    ms.set_seed(1)
    t = Trainer(get_task("ner"), {**cfg, **changes}, META, log=lambda *a: None)
    t._build(STEPS_PER_EPOCH)
    assert type(t.optimizer).__name__ == "Adam"
    return t


class HandAdam:
    """One step of ``t.step_cell`` checked against numpy: returns the LR the step applied."""

    def __init__(self, t):
        import mindspore as ms
        from mindspore import nn, ops

        self.t = t
        with_loss = t.step_cell.network
        weights = ms.ParameterTuple(t.trainable)

        class Grad(nn.Cell):
            def __init__(self):
                super().__init__(auto_prefix=False)
                self.grad = ops.GradOperation(get_by_list=True)
                self.with_loss = with_loss

            def construct(self, *batch):
                return self.grad(self.with_loss, weights)(*batch)

        self.grad = Grad()

    def step(self, batch):
        t, opt = self.t, self.t.optimizer
        w = [p.asnumpy().astype(np.float64) for p in t.trainable]
        m = [p.asnumpy().astype(np.float64) for p in opt.moment1]
        v = [p.asnumpy().astype(np.float64) for p in opt.moment2]
        b1p = float(opt.beta1_power.asnumpy()) * BETA1
        b2p = float(opt.beta2_power.asnumpy()) * BETA2
        g = [x.asnumpy().astype(np.float64) for x in self.grad(*batch)]
        norm = np.sqrt(sum((x ** 2).sum() for x in g))
        g = [x * t.cfg["clip_norm"] / max(norm, t.cfg["clip_norm"]) for x in g]
        t.step_cell(*batch)
        direction, change = [], []
        for wi, mi, vi, gi, p in zip(w, m, v, g, t.trainable):
            mi = mi + (gi - mi) * (1 - BETA1)
            vi = vi + (gi * gi - vi) * (1 - BETA2)
            direction.append((np.sqrt(1 - b2p) / (1 - b1p) * mi / (np.sqrt(vi) + EPS)).ravel())
            change.append((wi - p.asnumpy()).ravel())
        direction, change = np.concatenate(direction), np.concatenate(change)
        lr = float(direction @ change / (direction @ direction))
        np.testing.assert_allclose(change, lr * direction, rtol=0, atol=1e-3 * np.abs(change).max())
        return lr


def test_adam_applies_the_schedule_and_continues_it_after_a_resume(cfg, tmp_path):
    from lstm_ms.engine import checkpoint

    lr = lr_schedule.from_config(cfg, STEPS_PER_EPOCH)
    assert len(lr) == 9 and np.all(np.abs(np.diff(lr)) > 0.05 * lr[1:])  # neighbours told apart at rel 1e-4
    data = batches(5)
    straight = trainer(cfg)
    hand = HandAdam(straight)
    for k in range(STEPS_PER_EPOCH):  # epoch 1
        assert hand.step(data[k]) == pytest.approx(lr[k], rel=1e-4), k
    assert int(straight.optimizer.global_step.asnumpy()[0]) == STEPS_PER_EPOCH
    full = tmp_path / "ner-1_3.ckpt"
    checkpoint.save(straight.step_cell, full, {"epoch": 1, "best_score": 0.5, "best_epoch": 1})
    weights_only = tmp_path / "ner-2_3.ckpt"
    checkpoint.save(straight.net, weights_only)
    assert hand.step(data[3]) == pytest.approx(lr[3], rel=1e-4)
    after_step_4 = [p.asnumpy() for p in straight.trainable]

    # --pre_trained a training checkpoint: global_step, moments and beta powers come back; step 4 is the same
    resumed = trainer(cfg, pre_trained=str(full))
    assert resumed._restore(STEPS_PER_EPOCH) == 1
    assert int(resumed.optimizer.global_step.asnumpy()[0]) == STEPS_PER_EPOCH
    assert HandAdam(resumed).step(data[3]) == pytest.approx(lr[3], rel=1e-4)
    for got, want in zip(resumed.trainable, after_step_4):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-7)

    # a checkpoint with network weights only (epoch 2 from its name): the LR index continues at 2 * steps
    again = trainer(cfg, pre_trained=str(weights_only))
    assert again._restore(STEPS_PER_EPOCH) == 2
    assert int(again.optimizer.global_step.asnumpy()[0]) == 2 * STEPS_PER_EPOCH
    check = HandAdam(again)
    for k in (6, 7):
        assert check.step(data[k - 3]) == pytest.approx(lr[k], rel=1e-4), k
