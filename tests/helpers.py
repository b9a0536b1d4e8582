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


def count_compilations(patch=setattr):
    """Wrap MindSpore's graph compiler: every real compilation (not a cache hit) appends the compiled
    cell's class name to the returned list. ``patch``: ``monkeypatch.setattr`` in a test (undone after
    it), plain ``setattr`` in a throwaway interpreter."""
    from mindspore.common import api

    executor = api._cell_graph_executor
    original = executor.compile
    compiled = []

    def counting(obj, *args, **kwargs):
        phase, new = original(obj, *args, **kwargs)
        if new:
            compiled.append(type(obj).__name__)
        return phase, new

    patch(executor, "compile", counting)
    return compiled
