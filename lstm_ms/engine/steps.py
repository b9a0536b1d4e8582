"""Training-step cells: forward + backward + (all-reduce) + optional global-norm clipping + update."""
import mindspore as ms
from mindspore import nn, ops


class TrainStep(nn.TrainOneStepCell):
    """``TrainOneStepCell`` that clips the reduced gradients to ``clip_norm`` (0: no clipping)."""

    def __init__(self, network, optimizer, clip_norm=0.0):
        super().__init__(network, optimizer)
        self.clip_norm = float(clip_norm)

    def construct(self, *inputs):
        loss = self.network(*inputs)
        sens = ops.fill(loss.dtype, loss.shape, self.sens)
        grads = self.grad_reducer(self.grad(self.network, self.weights)(*inputs, sens))
        if self.clip_norm > 0:
            grads = ops.clip_by_global_norm(grads, self.clip_norm)
        return ops.depend(loss, self.optimizer(grads))


class LossScaleTrainStep(nn.TrainOneStepWithLossScaleCell):
    """Mixed-precision step: scaled backward, unscale, reduce, clip, skip the update on overflow.

    Returns ``(loss, overflow, scale)`` like the stock cell. The overflow check is the stock cell's on
    GPU and Ascend (on Ascend 910 it reads the device's float status, which sees overflows that
    saturate to finite values); elsewhere (CPU, which has neither status kernel) it is ``IsFinite`` over
    the reduced gradients, summed over devices when distributed.
    """

    def __init__(self, network, optimizer, scale_sense, clip_norm=0.0):
        super().__init__(network, optimizer, scale_sense)
        self.clip_norm = float(clip_norm)
        self.portable_check = ms.get_context("device_target") not in ("GPU", "Ascend")

    def construct(self, *inputs):
        loss = self.network(*inputs)
        scale = self.scale_sense
        status = ops.zeros((8,), ms.int32)
        grads = self.grad(self.network, self.weights)(*inputs, ops.ones_like(loss) * scale.astype(loss.dtype))
        grads = self.hyper_map(ops.partial(_unscale, scale), grads)
        grads = self.grad_reducer(grads)
        if self.portable_check:
            flags = ops.stack(self.hyper_map(_not_finite, grads))
            if self.is_distributed:
                flags = self.allreduce(flags)
            cond = flags.sum() > 0
        else:
            cond = self.get_overflow_status(status, grads)
        overflow = self.process_loss_scale(cond)
        if self.clip_norm > 0:
            grads = ops.clip_by_global_norm(grads, self.clip_norm)
        if not overflow:
            loss = ops.depend(loss, self.optimizer(grads))
        return loss, cond, scale


_not_finite = ops.MultitypeFuncGraph("not_finite")


@_not_finite.register("Tensor")
def _not_finite_tensor(grad):
    return 1.0 - ops.cast(ops.isfinite(grad).all(), ms.float32)


_unscale = ops.MultitypeFuncGraph("unscale")


@_unscale.register("Tensor", "Tensor")
def _unscale_tensor(scale, grad):
    return grad * ops.cast(ops.reciprocal(scale), grad.dtype)
