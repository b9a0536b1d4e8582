"""Small helpers shared by tests."""


def gradients(net, loss_fn, inputs, label):
    """(loss, [grad per trainable parameter]) of loss_fn(net(*inputs), label), in graph mode."""
    import mindspore as ms
    from mindspore import ops

    from lstm_ms.engine.trainer import _cells

    with_loss = _cells()(net, loss_fn)
    params = net.trainable_params()
    grad = ops.GradOperation(get_by_list=True)(with_loss, ms.ParameterTuple(params))
    return with_loss(*inputs, label), params, grad(*inputs, label)
