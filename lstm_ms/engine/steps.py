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

    Returns ``(loss, overflow, scale)`` like the stock cell.
    """

    def __init__(self, network, optimizer, scale_sense, clip_norm=0.0):
        super().__init__(network, optimizer, scale_sense)
        self.clip_norm = float(clip_norm)

    def construct(self, *inputs):
        loss = self.network(*inputs)
        scale = self.scale_sense
        status = ops.zeros((8,), ms.int32)
        grads = self.grad(self.network, self.weights)(*inputs, ops.ones_like(loss) * scale.astype(loss.dtype))
        grads = self.hyper_map(ops.partial(_unscale, scale), grads)
        grads = self.grad_reducer(grads)
        overflow = self.process_loss_scale(self.get_overflow_status(status, grads))
        if self.clip_norm > 0:
            grads = ops.clip_by_global_norm(grads, self.clip_norm)
        if not overflow:
            loss = ops.depend(loss, self.optimizer(grads))
        return loss, overflow, scale


_unscale = ops.MultitypeFuncGraph("unscale")


@_unscale.register("Tensor", "Tensor")
def _unscale_tensor(scale, grad):
    return grad * ops.cast(ops.reciprocal(scale), grad.dtype)
