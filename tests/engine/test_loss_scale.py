"""Mixed precision (amp_level != O0): the loss-scaled step build_train_step makes, stepped on CPU with its
portable (IsFinite) overflow check.

loss = w . x (w: a bias-free Dense(2, 1) under O2, so in float16), plain SGD with lr 0.1: the gradient
of w is x, and one step moves w by -lr * (x clipped to global norm clip_norm) unless it overflowed.
"""
import numpy as np
import pytest

LR = 0.1
SCALE = 1024.0
@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """amp's network rewrite writes source files into the working folder: keep them out of the repo."""
    monkeypatch.chdir(tmp_path)


def build(clip_norm):
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.engine.trainer import build_optimizer, build_train_step

    ms.set_context(mode=ms.GRAPH_MODE)

    class Identity(nn.Cell):
        def construct(self, out, label):
            return out.sum() + label * 0

    net = nn.Dense(2, 1, has_bias=False, weight_init="zeros")
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.0}, net.trainable_params(),
                          np.full(8, LR, np.float32))
    return net, build_train_step(net, Identity(), opt, amp_level="O2", loss_scale=SCALE, clip_norm=clip_norm)


def run_step(step, x):
    import mindspore as ms

    loss, overflow, scale = step(ms.Tensor(np.array([x], np.float32)), ms.Tensor(np.float32(0)))
    return bool(overflow.asnumpy()), float(scale.asnumpy())


def test_amp_builds_the_loss_scaled_step_with_the_portable_overflow_check_on_cpu():
    from mindspore import nn

    from lstm_ms.engine.steps import LossScaleTrainStep

    for clip_norm in (1.0, 0.0):
        _, step = build(clip_norm)
        assert type(step) is LossScaleTrainStep and step.clip_norm == clip_norm
        assert step.portable_check  # CPU has neither the Ascend nor the GPU float-status kernel
        assert isinstance(step.loss_scaling_manager, nn.DynamicLossScaleUpdateCell)
        assert float(step.scale_sense.asnumpy()) == SCALE


@pytest.mark.parametrize("clip_norm", [1.0, 0.0])
def test_loss_scaled_step_runs_as_built_on_cpu(clip_norm):
    net, step = build(clip_norm)
    assert run_step(step, [0.3, 0.4]) == (False, SCALE)
    np.testing.assert_allclose(net.weight.asnumpy(), [[-LR * 0.3, -LR * 0.4]], atol=1e-4)


def test_loss_scale_step_unscales_clips_and_skips_overflow():
    net, step = build(clip_norm=1.0)
    w = np.zeros((1, 2))
    # |x| = 5 > clip_norm 1: the unscaled gradient is clipped to x / 5
    assert run_step(step, [3.0, 4.0]) == (False, SCALE)
    w -= LR * np.array([[0.6, 0.8]])
    np.testing.assert_allclose(net.weight.asnumpy(), w, atol=1e-4)
    # |x| = 0.5 < clip_norm: not clipped, and unscaled (the scaled one, x * 1024, would be clipped to x / |x|)
    assert run_step(step, [0.3, 0.4]) == (False, SCALE)
    w -= LR * np.array([[0.3, 0.4]])
    np.testing.assert_allclose(net.weight.asnumpy(), w, atol=1e-4)
    # an infinite gradient: no update, the loss scale halves
    assert run_step(step, [np.inf, 1.0]) == (True, SCALE / 2)
    np.testing.assert_allclose(net.weight.asnumpy(), w, atol=1e-4)


def test_overflow_without_clipping_skips_the_update_and_halves_the_scale():
    net, step = build(clip_norm=0.0)
    assert run_step(step, [3.0, 4.0]) == (False, SCALE)
    np.testing.assert_allclose(net.weight.asnumpy(), [[-LR * 3.0, -LR * 4.0]], atol=1e-3)
    assert run_step(step, [np.inf, 1.0]) == (True, SCALE / 2)
    np.testing.assert_allclose(net.weight.asnumpy(), [[-LR * 3.0, -LR * 4.0]], atol=1e-3)
    assert run_step(step, [np.nan, 1.0]) == (True, SCALE / 4)
