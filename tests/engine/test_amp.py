"""Mixed precision for every model at every amp_level its configs name: the real network and loss, one
loss-scaled step on CPU (the IsFinite overflow check), float32 loss, unscaled finite gradients, and decoding with the
float16 network afterwards, as training's dev evaluation does."""
import re

import numpy as np
import pytest

from lstm_ms import tasks
from lstm_ms.core.config import load_yaml, models_dir

META = {"vocab_size": 30, "max_len": 10, "pad_id": 0, "num_tags": 5, "use_seg": True, "src_vocab_size": 30,
        "tgt_vocab_size": 30, "export_src_len": 10, "max_decode_len": 6}
TINY = {"embed_size": 8, "num_hiddens": 16, "hidden_size": 16, "conv_channels": 4, "dropout": 0.0,
        "teacher_forcing": 1.0, "batch_size": 4}
LR = 0.01


def amp_cases():
    """(model, level, config file) for every non-O0 amp_level any of the model's configs names (O0 is what
    every other training test runs)."""
    cases = {}
    for name in tasks.names():
        for path in sorted((models_dir() / name).glob("config_*.yaml")):
            level = str(load_yaml(path)["amp_level"]).upper()
            if level != "O0":
                cases.setdefault((name, level), path)
    return [(name, level, path) for (name, level), path in sorted(cases.items())]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MindSpore writes its graph dumps and rank folders into the working folder


def batch(task, cfg, rows=3):
    """Random inputs of the task's export shapes (float features or int ids) and a label: one label of 1-2
    per example, per token, or a packed CTC target [length, labels...]."""
    import mindspore as ms

    rng = np.random.default_rng(0)
    inputs = [t.asnumpy() for t in task.export_inputs(cfg, META, rows)]
    inputs[0] = (rng.normal(size=inputs[0].shape).astype(np.float32) if inputs[0].dtype == np.float32
                 else rng.integers(1, 30, size=inputs[0].shape).astype(inputs[0].dtype))
    if task.name in ("ctc", "deepspeech2"):
        inputs[1] = np.array([inputs[0].shape[1], inputs[0].shape[1] - 3, 5][:rows], np.int32)  # mixed lengths
        label = np.array([[3, 2, 1, 2]] * rows, np.int32)
    else:
        for _ in task.input_specs()[len(inputs):-1]:  # seq2seq's teacher-forced target
            inputs.append(rng.integers(1, 30, size=inputs[0].shape).astype(np.int32))
        label = rng.integers(1, 3, size=inputs[0].shape[:len(task.input_specs()[-1].shape)]).astype(np.int32)
    return [ms.Tensor(a) for a in inputs], ms.Tensor(label)


def decode(task, net, cfg, inputs):
    """What dev evaluation does with ``net`` after training: the task's decoding of its outputs."""
    from lstm_ms.engine.trainer import for_evaluation

    if task.name == "seq2seq":
        src, src_len = inputs[0].asnumpy(), inputs[1].asnumpy()
        hyps = task.translate(net, src, src_len, 6, beam_size=2, alpha=0.6)
        nll, count = task.teacher_forced_nll(net, task.encode(net, src, src_len), inputs[2].asnumpy(),
                                             inputs[2].asnumpy())
        assert np.isfinite(nll) and count > 0
        return hyps
    out = for_evaluation(net, task)(*inputs)
    first = (out[0] if isinstance(out, tuple) else out).asnumpy().astype(np.float32)
    assert np.isfinite(first).all()
    if task.name == "ner":
        return task.decode(first, inputs[2].asnumpy(), task._crf_params(net))
    if task.name in ("ctc", "deepspeech2"):
        return task.decode(first, out[1].asnumpy(), beam_size=2)
    return first.argmax(-1).tolist()


@pytest.mark.parametrize("name,level,path", amp_cases(), ids=lambda v: getattr(v, "name", v))
def test_mixed_precision_step_and_decoding(name, level, path):
    import mindspore as ms

    from lstm_ms.engine.trainer import _cells, build_optimizer, build_train_step

    ms.set_context(mode=ms.GRAPH_MODE)
    task = tasks.get_task(name)
    cfg = {**load_yaml(path), **TINY}
    net32, net = task.network(cfg, META, pretrained=False), task.network(cfg, META, pretrained=False)
    ms.load_param_into_net(net, {p.name: ms.Parameter(p.asnumpy(), p.name) for p in net32.get_parameters()})
    names = [p.name for p in net.get_parameters()]
    net32.set_train(True)
    inputs, label = batch(task, cfg)
    loss32 = float(_cells()(net32, task.loss(cfg, net32))(*inputs, label).asnumpy())

    # plain gradient descent (momentum 0): a parameter moves by exactly -LR x its unscaled gradient
    opt = build_optimizer({"optimizer": "momentum", "momentum": 0.0}, net.trainable_params(),
                          np.full(4, LR, np.float32))
    step = build_train_step(net, task.loss(cfg, net), opt, level, 1024.0, cfg.get("clip_norm", 0.0))
    assert [p.name for p in net.get_parameters()] == names  # checkpoints move between targets
    before = {p.name: p.asnumpy().copy() for p in net.trainable_params()}
    loss, overflow, scale = step(*inputs, label)
    assert loss.dtype == ms.float32 and not bool(overflow.asnumpy()) and float(scale.asnumpy()) == 1024.0
    # the network ran in float16: close to the float32 loss, not equal to it
    assert 0 < abs(float(loss.asnumpy()) - loss32) < 0.05 * abs(loss32) + 0.05, (float(loss.asnumpy()), loss32)
    moved = 0
    for p in net.trainable_params():
        assert p.dtype == ms.float32, p.name
        grad = (before[p.name] - p.asnumpy()) / LR
        assert np.isfinite(grad).all() and np.abs(grad).max() < 1e3, p.name  # unscaled: not x1024
        moved += bool(np.abs(grad).sum() > 0)
    assert moved >= 0.9 * len(before)
    assert len(decode(task, net, cfg, inputs)) == inputs[0].shape[0]


def test_o1_on_a_network_it_cannot_rewrite_is_one_line():
    import mindspore as ms

    from lstm_ms.core.errors import UserError
    from lstm_ms.engine.amp import mixed_precision

    ms.set_context(mode=ms.GRAPH_MODE)
    task = tasks.get_task("deepspeech2")
    cfg = {**load_yaml(models_dir() / "deepspeech2" / "config_gpu.yaml"), **TINY}
    with pytest.raises(UserError, match="O1: MindSpore cannot convert DeepSpeech2Net.*use O2"):
        mixed_precision(task.network(cfg, META, pretrained=False), "O1")
    with pytest.raises(UserError, match="unknown level 'O4'"):
        mixed_precision(task.network(cfg, META, pretrained=False), "O4")


def test_resume_across_mixed_precision_keeps_the_optimizer_state(tmp_path):
    """A run moves between a CPU (no amp) and a device (amp) with its Adam moments; the loss scale is
    the one part that cannot move, and a line says so."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.engine import checkpoint
    from lstm_ms.engine.trainer import build_optimizer, build_train_step

    ms.set_context(mode=ms.GRAPH_MODE)

    class Sum(nn.Cell):
        def construct(self, out, label):
            return out.sum() + label * 0

    def make(level):
        net = nn.Dense(2, 1, weight_init="ones")
        opt = build_optimizer({"optimizer": "adam"}, net.trainable_params(), np.full(8, LR, np.float32))
        return net, build_train_step(net, Sum(), opt, level, 256.0)

    x, zero = ms.Tensor(np.array([[0.3, 0.4]], np.float32)), ms.Tensor(np.float32(0))
    for first, then, note in (("O0", "O2", "no loss scale (written without mixed precision): starting from 256"),
                              ("O2", "O0", "loss scale (256) is not used")):
        net, step = make(first)
        step(x, zero)
        path = tmp_path / f"{first}.ckpt"
        checkpoint.save(step, path, {"epoch": 1})
        saved = {p.name: p.asnumpy().copy() for p in step.get_parameters() if "moment" in p.name}
        net2, step2 = make(then)
        state = checkpoint.load_training_state(step2, net2, path)
        assert state["with_optimizer"] and len(saved) == 4
        assert len(state["notes"]) == 1 and note in state["notes"][0]
        for p in step2.get_parameters():
            if p.name in saved:
                np.testing.assert_array_equal(p.asnumpy(), saved[p.name])
        assert int(step2.optimizer.global_step.asnumpy()[0]) == 1


def test_train_py_with_amp_o2_on_cpu_trains_and_its_checkpoint_evaluates_without(tmp_path):
    from lstm_ms.data import synthetic
    from tests.conftest import run_cli

    synthetic.write_bmes_corpus(tmp_path / "ResumeNER", n_train=120, n_dev=20, n_test=20, seed=5)
    flags = ["--model", "ner", "--data_path", tmp_path / "ResumeNER", "--preprocess_path", tmp_path / "pre",
             "--embed_size", "16", "--num_hiddens", "16", "--batch_size", "16", "--progress", "false"]
    proc = run_cli("train.py", *flags, "--amp_level", "O2", "--num_epochs", "1", "--ckpt_path", tmp_path / "ck",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^epoch: 1 step: \d+, loss is \d", proc.stdout, re.M), proc.stdout
    proc = run_cli("eval.py", *flags, "--ckpt_file", tmp_path / "ck" / "ner-best.ckpt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "entity-level" in proc.stdout


def test_masked_batch_norm_counts_past_float16_range_under_o2():
    """70,000 valid frames: a float16 count would be inf (and the mean 0); kept float32 it normalises."""
    import mindspore as ms
    from mindspore import nn

    from lstm_ms.engine.amp import mixed_precision
    from lstm_ms.nn.deepspeech2 import MaskedBatchNorm

    ms.set_context(mode=ms.GRAPH_MODE)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.proj = nn.Dense(2, 2, weight_init="ones", bias_init="zeros")
            self.norm = MaskedBatchNorm(2, ndim=3, channel_axis=-1)

        def construct(self, x, mask):
            return self.norm(self.proj(x), mask)

    net = Net()
    net.set_train(True)
    amp_net = mixed_precision(net, "O2")
    x = np.tile(np.array([[[0.5, 0.25]], [[0.25, 0.5]]], np.float32), (1, 35000, 1)).reshape(1, 70000, 2)
    out = amp_net(ms.Tensor(x), ms.Tensor(np.ones((1, 70000, 1), np.bool_))).asnumpy()
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out.mean(axis=(0, 1)), 0.0, atol=1e-3)  # proj gives 0.75 everywhere: centred
    np.testing.assert_allclose(net.norm.moving_mean.asnumpy(), 0.1 * 0.75, rtol=1e-3)
