"""The one training loop every task uses: dataset -> network + loss -> optimizer -> epochs."""
import hashlib
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

from ..core import lr_schedule
from ..core.atomic import append_jsonl, write_json
from ..core.errors import UserError
from . import checkpoint


def _cells():
    """Cells built lazily so that importing this module does not import mindspore."""
    from mindspore import nn

    class WithLoss(nn.Cell):
        """``construct(*inputs, label) -> loss(net(*inputs), label)``."""

        def __init__(self, net, loss_fn):
            super().__init__(auto_prefix=False)
            self.net = net
            self.loss_fn = loss_fn

        def construct(self, *batch):
            return self.loss_fn(self.net(*batch[:-1]), batch[-1])

    return WithLoss


def build_optimizer(cfg, params, lr):
    """Momentum (``optimizer: momentum``, the ModelZoo default) or Adam over a per-step LR array."""
    import mindspore as ms
    from mindspore import nn

    lr = ms.Tensor(np.asarray(lr, dtype=np.float32))
    name = cfg.get("optimizer", "momentum").lower()
    if name == "momentum":
        return nn.Momentum(params, learning_rate=lr, momentum=cfg["momentum"],
                           weight_decay=cfg.get("weight_decay", 0.0))
    if name == "adam":
        return nn.Adam(params, learning_rate=lr, weight_decay=cfg.get("weight_decay", 0.0))
    raise ValueError(f"unknown optimizer {name!r}")


def build_train_step(net, loss_fn, optimizer, amp_level="O0", loss_scale=1024.0, clip_norm=0.0):
    """One training step; with mixed precision (O1-O3) a dynamically loss-scaled one."""
    import mindspore as ms
    from mindspore import nn

    from .steps import LossScaleTrainStep, TrainStep

    with_loss = _cells()(net, loss_fn)
    if amp_level and amp_level != "O0":
        ms.amp.auto_mixed_precision(net, amp_level)
        scale = nn.DynamicLossScaleUpdateCell(loss_scale_value=float(loss_scale), scale_factor=2, scale_window=1000)
        if clip_norm:
            step = LossScaleTrainStep(with_loss, optimizer, scale, clip_norm)
        else:  # the stock cell where nothing of ours is needed
            step = nn.TrainOneStepWithLossScaleCell(with_loss, optimizer, scale_sense=scale)
    else:
        step = TrainStep(with_loss, optimizer, clip_norm)
    step.set_train(True)
    return step


def _epoch_of(path):
    m = re.search(r"-(\d+)_(\d+)\.ckpt$", str(path))
    return int(m.group(1)) if m else 0


class Trainer:
    """Runs ``cfg['num_epochs']`` epochs of a task, printing ModelZoo loss lines, a progress bar and
    samples/s; evaluates on dev when the task has one, keeps the best checkpoint, and appends one
    JSON line per epoch to ``<ckpt_path>/metrics.jsonl``.
    """

    def __init__(self, task, cfg, meta, log=print, rank=0, group_size=1):
        self.task, self.cfg, self.meta, self.log = task, cfg, meta, log
        self.rank, self.group_size = rank, group_size
        self.ckpt_dir = Path(cfg["ckpt_path"])
        self.prefix = task.ckpt_prefix

    def run(self):
        from tqdm import tqdm

        cfg, task = self.cfg, self.task
        shard = (self.group_size, self.rank) if self.group_size > 1 else None
        train_ds = task.dataset("train", cfg, self.meta, training=True, shard=shard)
        steps_per_epoch = train_ds.get_dataset_size()
        if steps_per_epoch == 0:
            raise UserError(cfg["preprocess_path"], f"the training split fills no batch of {cfg['batch_size']} "
                                                    "(per bucket); lower --batch_size")
        has_dev = task.has_split("dev", cfg, self.meta)
        dev_ds = task.dataset("dev", cfg, self.meta, training=False) if has_dev else None

        net = task.network(cfg, self.meta)
        lr = lr_schedule.from_config(cfg, steps_per_epoch)
        trainable = net.trainable_params()
        optimizer = build_optimizer(cfg, trainable, lr)
        step_cell = build_train_step(net, task.loss(cfg, net), optimizer, cfg.get("amp_level", "O0"),
                                     cfg.get("loss_scale", 1024.0), cfg.get("clip_norm", 0.0))
        specs = task.input_specs()
        if cfg.get("dynamic_shape", False):
            step_cell.set_inputs(*specs)
        net.set_inputs(*specs[:-1])  # evaluation: one forward graph for every batch shape
        start_epoch = 0
        if cfg.get("pre_trained"):
            checkpoint.load_into(net, cfg["pre_trained"])
            start_epoch = min(_epoch_of(cfg["pre_trained"]), cfg["num_epochs"])
            optimizer.global_step.set_data(_global_step(start_epoch * steps_per_epoch))
            self.log(f"resuming from {cfg['pre_trained']} at epoch {start_epoch + 1}")
        n_params = sum(int(np.prod(p.shape)) for p in trainable)
        self.log(f"training {task.name}: {steps_per_epoch} steps/epoch, {cfg['num_epochs']} epochs, "
                 f"batch {cfg['batch_size']} x {self.group_size} device(s), {n_params:,} trainable parameters")

        if start_epoch == 0 and self.rank == 0:  # a fresh run: curves of an earlier run in this folder go
            (self.ckpt_dir / "metrics.jsonl").unlink(missing_ok=True)
        best, best_epoch = -math.inf, None
        saved = []
        iterator = train_ds.create_tuple_iterator(num_epochs=cfg["num_epochs"] - start_epoch)
        for epoch in range(start_epoch + 1, cfg["num_epochs"] + 1):
            t0 = time.time()
            losses, samples = [], 0
            bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch}/{cfg['num_epochs']}", unit="step",
                       file=sys.stderr, disable=self.rank != 0 or not cfg.get("progress", True),
                       mininterval=1.0 if sys.stderr.isatty() else 30.0, leave=False)
            seen = hashlib.sha1() if self.group_size > 1 else None
            for batch in iterator:
                if seen is not None:
                    seen.update(batch[0].asnumpy().tobytes())
                out = step_cell(*batch)
                loss = float((out[0] if isinstance(out, tuple) else out).asnumpy())
                losses.append(loss)
                samples += batch[0].shape[0]
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.close()
            seconds = time.time() - t0
            step = len(losses)
            self.log(f"epoch: {epoch} step: {step}, loss is {losses[-1]}")
            if seen is not None:
                self.log(f"rank {self.rank}: epoch {epoch} data digest {seen.hexdigest()[:16]} ({samples} samples)")
            record = {"epoch": epoch, "steps": step, "loss": float(np.mean(losses)), "last_loss": losses[-1],
                      "lr": float(lr[epoch * steps_per_epoch - 1]), "samples_per_s": samples * self.group_size / seconds,
                      "seconds": seconds, "dev": None}
            if dev_ds is not None:
                record["dev"] = task.evaluate(net, dev_ds, cfg, self.meta)
                net.set_train(True)
            summary = (f"epoch {epoch}: mean loss {record['loss']:.4f}, lr {record['lr']:.5g}, "
                       f"{record['samples_per_s']:.1f} samples/s, {seconds:.1f} s")
            if record["dev"] is not None:
                summary += f", dev {task.metric_name} {record['dev'][task.metric_name]:.4f}"
            self.log(summary)
            if self.rank != 0:
                continue
            append_jsonl(self.ckpt_dir / "metrics.jsonl", record)
            if epoch % cfg.get("save_checkpoint_epochs", 1) == 0 or epoch == cfg["num_epochs"]:
                path = self.ckpt_dir / f"{self.prefix}-{epoch}_{step}.ckpt"
                checkpoint.save(step_cell, path)
                saved.append(path)
                while len(saved) > cfg.get("keep_checkpoint_max", 10):
                    saved.pop(0).unlink(missing_ok=True)
            score = record["dev"][task.metric_name] if record["dev"] is not None else -record["loss"]
            if score > best:
                best, best_epoch = score, epoch
                checkpoint.save(step_cell, self.ckpt_dir / f"{self.prefix}-best.ckpt")
                write_json(self.ckpt_dir / "best.json", {"epoch": epoch, "criterion": (
                    f"dev {task.metric_name}" if record["dev"] is not None else "-train loss"), "score": score})
        if self.group_size > 1:
            digest = hashlib.sha1()
            for p in sorted(net.get_parameters(), key=lambda p: p.name):
                digest.update(p.name.encode() + p.asnumpy().tobytes())
            self.log(f"rank {self.rank}: parameter digest {digest.hexdigest()[:16]}")
        if self.rank == 0:
            self.log(f"done; best epoch {best_epoch} -> {self.ckpt_dir / (self.prefix + '-best.ckpt')}")
        return net


def _global_step(value):
    import mindspore as ms

    return ms.Tensor(np.array([value], dtype=np.int32))
