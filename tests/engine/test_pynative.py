"""PyNative mode for every model: the first training step's loss equals graph mode's on the same batch and
weights, the step updates the weights, and the task's decoding runs on the trained network."""
import numpy as np
import pytest

from lstm_ms import tasks
from tests.engine.test_amp import META, TINY, batch, decode


@pytest.fixture()
def pynative(tmp_path, monkeypatch):
    import mindspore as ms

    monkeypatch.chdir(tmp_path)
    yield ms
    ms.set_context(mode=ms.GRAPH_MODE)


def first_step(task, cfg, mode, weights, inputs, label):
    """(loss of the first step, network after it) in ``mode``, from ``weights``."""
    import mindspore as ms

    from lstm_ms.engine.trainer import build_optimizer, build_train_step

    ms.set_context(mode=mode)
    net = task.network(cfg, META, pretrained=False)
    ms.load_param_into_net(net, {k: ms.Parameter(v.copy(), k) for k, v in weights.items()})
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.9}, net.trainable_params(),
                          np.full(4, 0.01, np.float32))
    step = build_train_step(net, task.loss(cfg, net), opt)
    return float(step(*inputs, label).asnumpy()), net


@pytest.mark.parametrize("name", tasks.names())
def test_first_step_equals_graph_mode_and_decoding_runs(pynative, name):
    ms = pynative
    from lstm_ms.core.config import config_file, load_yaml

    task = tasks.get_task(name)
    cfg = {**load_yaml(config_file(name, "CPU")), **TINY}
    ms.set_context(mode=ms.GRAPH_MODE)
    weights = {p.name: p.asnumpy() for p in task.network(cfg, META, pretrained=False).get_parameters()}
    inputs, label = batch(task, cfg)
    graph_loss, graph_net = first_step(task, cfg, ms.GRAPH_MODE, weights, inputs, label)
    loss, net = first_step(task, cfg, ms.PYNATIVE_MODE, weights, inputs, label)
    print(f"{name}: first-step loss graph {graph_loss!r}, pynative {loss!r}")
    assert np.isfinite(loss)
    assert loss == pytest.approx(graph_loss, rel=1e-5, abs=1e-6)
    moved = [p.name for p in net.trainable_params() if not np.array_equal(p.asnumpy(), weights[p.name])]
    assert len(moved) >= 0.9 * len(net.trainable_params())
    after = {p.name: p.asnumpy() for p in graph_net.trainable_params()}
    for p in net.trainable_params():  # the same update in both modes
        np.testing.assert_allclose(p.asnumpy(), after[p.name], rtol=1e-4, atol=1e-6, err_msg=p.name)
    assert len(decode(task, net, cfg, inputs)) == inputs[0].shape[0]
