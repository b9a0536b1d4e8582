"""Every registered task: its network runs forward and backward on tiny shapes, every trainable
parameter gets a gradient, nothing is NaN; the registry refuses bad registrations."""
import numpy as np
import pytest

from lstm_ms import tasks


def tiny_config(task_name):
    from lstm_ms.core.config import config_file, load_yaml

    cfg = load_yaml(config_file(task_name, "CPU"))
    cfg.update(embed_size=8, num_hiddens=6, batch_size=4)
    return cfg


@pytest.mark.parametrize("name", tasks.names())
def test_forward_backward(name, tmp_path):
    import mindspore as ms

    ms.set_context(mode=ms.GRAPH_MODE)
    task = tasks.get_task(name)
    cfg = tiny_config(name)
    meta = {"vocab_size": 30, "max_len": 10, "pad_id": 0, "num_tags": 5, "use_seg": True, "src_vocab_size": 30,
            "tgt_vocab_size": 30, "export_src_len": 10, "max_decode_len": 10}
    net = task.network(cfg, meta, pretrained=False)
    net.set_train(True)
    inputs = [ms.Tensor(np.asarray(t.asnumpy())) for t in task.export_inputs(cfg, meta, 3)]
    rng = np.random.default_rng(0)
    # random ids (or, for ctc, feature values) in the dtype the network takes
    inputs[0] = ms.Tensor(rng.integers(1, 30, size=inputs[0].shape).astype(inputs[0].asnumpy().dtype))
    for _ in task.input_specs()[len(inputs):-1]:  # training-only inputs (seq2seq: the teacher-forced target)
        inputs.append(ms.Tensor(rng.integers(1, 30, size=inputs[0].shape).astype(np.int32)))
    label_rank = len(task.input_specs()[-1].shape)  # (B,) per example or (B, T) per token
    label_shape = inputs[0].shape[:label_rank]
    label = ms.Tensor(rng.integers(1, 3, size=label_shape).astype(np.int32))
    from tests.helpers import gradients

    loss, params, grads = gradients(net, task.loss(cfg, net), inputs, label)
    assert np.isfinite(loss.asnumpy()).all()
    for p, g in zip(params, grads):
        g = g.asnumpy()
        assert np.isfinite(g).all(), p.name
        assert np.abs(g).sum() > 0, f"{p.name} gets no gradient"


def test_registry_refuses_duplicates_and_incomplete_tasks():
    with pytest.raises(ValueError, match="twice"):
        tasks.register(type(tasks.get_task("sentiment")))

    class Half:
        name = "half"

    with pytest.raises(TypeError, match="lacks"):
        tasks.register(Half)


def test_unknown_model_is_a_user_error():
    from lstm_ms.core.errors import UserError

    with pytest.raises(UserError, match="unknown model 'nope'"):
        tasks.get_task("nope")
