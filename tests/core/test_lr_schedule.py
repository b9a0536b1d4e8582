import numpy as np
import pytest

from lstm_ms.core import lr_schedule
from lstm_ms.core.errors import UserError
from lstm_ms.core.config import load_yaml, config_file


def test_warmup_cosine_shape():
    lr = lr_schedule.warmup_cosine(0.05, 0.1, 0.01, warmup_epochs=1, adjust_epochs=6, total_epochs=20,
                                   steps_per_epoch=10)
    assert lr.shape == (200,) and lr.dtype == np.float32
    assert lr[0] == pytest.approx(0.05)
    assert lr[5] == pytest.approx(0.075)          # half-way through warm-up
    assert lr[10] == pytest.approx(0.1)           # peak at the end of warm-up
    assert lr[35] == pytest.approx(0.055)         # half-way through the cosine: (0.1 + 0.01) / 2
    assert np.all(np.diff(lr[10:60]) <= 1e-9)     # decays
    assert np.allclose(lr[60:], 0.01)             # then constant


def test_ascend_configs_give_the_original_schedules():
    one = load_yaml(config_file("sentiment", "Ascend"))
    eight = load_yaml(config_file("sentiment", "ascend_8p"))
    lr1 = lr_schedule.from_config(one, steps_per_epoch=4)
    lr8 = lr_schedule.from_config(eight, steps_per_epoch=4)
    assert (one["lr_init"], one["lr_max"], one["lr_end"], one["warmup_epochs"], one["lr_adjust_epoch"]) == \
        (0.05, 0.1, 0.01, 1, 6)
    assert lr1.max() == pytest.approx(0.1) and lr1[-1] == pytest.approx(0.01)
    assert lr8.max() == pytest.approx(0.3) and np.argmax(lr8) == 8 and lr8[-1] > 0.01
    cpu = lr_schedule.from_config(load_yaml(config_file("sentiment", "CPU")), 4)
    assert cpu.shape == (80,) and np.allclose(cpu, 0.1)


def test_optimizer_uses_the_schedule_value_at_each_step():
    """w <- w - lr[k] * grad with momentum 0 and loss = sum(w * x): the step size reveals lr[k]."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.engine.trainer import build_optimizer, build_train_step

    ms.set_context(mode=ms.GRAPH_MODE)

    class Linear(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = ms.Parameter(ms.Tensor(np.zeros(3, np.float32)), name="w")

        def construct(self, x):
            return (self.w * x).sum()

    class Identity(nn.Cell):
        def construct(self, out, label):
            return out + label * 0

    lr = lr_schedule.warmup_cosine(0.05, 0.1, 0.01, 1, 3, 4, steps_per_epoch=5)
    net = Linear()
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.0}, net.trainable_params(), lr)
    step = build_train_step(net, Identity(), opt)
    x = ms.Tensor(np.array([1.0, 2.0, -1.0], np.float32))
    prev = net.w.asnumpy().copy()
    for k in range(len(lr)):
        step(x, ms.Tensor(np.float32(0)))
        now = net.w.asnumpy().copy()
        np.testing.assert_allclose(prev - now, lr[k] * x.asnumpy(), rtol=1e-5, atol=1e-8)
        prev = now


def test_anneal_reaches_the_optimizer_schedule_per_epoch():
    cfg = {"num_epochs": 3, "dynamic_lr": True, "lr_schedule": "anneal", "learning_rate": 1.5e-4, "lr_gamma": 0.99}
    lr = lr_schedule.from_config(cfg, steps_per_epoch=4)
    assert lr.shape == (12,) and lr.dtype == np.float32
    np.testing.assert_allclose(lr, np.repeat([1.5e-4, 1.5e-4 * 0.99, 1.5e-4 * 0.99 ** 2], 4), rtol=1e-6)
    with pytest.raises(UserError, match="lr_schedule"):
        lr_schedule.from_config({**cfg, "lr_schedule": "step"}, 4)
