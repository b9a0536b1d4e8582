"""The one training loop every task uses: dataset -> network + loss -> optimizer -> epochs."""
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from ..core import lr_schedule
from ..core.atomic import append_jsonl, write_json, write_text
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
    """One training step around ``loss_fn(net(...), label)``; with mixed precision (O1-O3) the loss sees
    the network ``amp.mixed_precision`` returns, and the step is dynamically loss-scaled."""
    from mindspore import nn

    from .amp import mixed_precision
    from .steps import LossScaleTrainStep, TrainStep

    amp_net = mixed_precision(net, amp_level)
    with_loss = _cells()(amp_net, loss_fn)
    if amp_net is not net:
        scale = nn.DynamicLossScaleUpdateCell(loss_scale_value=float(loss_scale), scale_factor=2, scale_window=1000)
        step = LossScaleTrainStep(with_loss, optimizer, scale, clip_norm)
    else:
        step = TrainStep(with_loss, optimizer, clip_norm)
    step.set_train(True)
    return step


def static_evaluation(cfg):
    """Whether evaluation compiles static shapes: on Ascend unless ``dynamic_shape`` is asked (its
    recurrent kernels, DynamicRNN / DynamicGRUV2, and ReverseSequence are run with the static shapes of
    the buckets there: batches padded to their bucket, one graph per shape), elsewhere never."""
    return cfg.get("device_target") == "Ascend" and not cfg.get("dynamic_shape", False)


def for_evaluation(net, task, cfg=None):
    """Give ``net`` dynamic input shapes (the task's specs less the label): one forward graph for
    every batch shape, compiled once per run, however many batches and epochs are evaluated; with
    ``static_evaluation(cfg)`` the shapes stay static (one graph per padded batch shape)."""
    if not (cfg and static_evaluation(cfg)):
        net.set_inputs(*task.input_specs()[:-1])
    net.set_train(False)
    return net


class Trainer:
    """Runs ``cfg['num_epochs']`` epochs of a task, printing ModelZoo loss lines, a progress bar and
    samples/s; evaluates on dev when the task has one, keeps the best checkpoint, and appends one
    JSON line per epoch to ``<ckpt_path>/metrics.jsonl``.

    Continues a run from ``--pre_trained CKPT`` or, with ``--resume true``, from the newest epoch
    checkpoint in ``--ckpt_path``: network, optimizer state, epoch and best dev score are restored,
    and epoch ``e``'s batches are the same as in an uninterrupted run (the data order is a function
    of seed, epoch and rank).
    """

    def __init__(self, task, cfg, meta, log=print, rank=0, group_size=1):
        self.task, self.cfg, self.meta, self.log = task, cfg, meta, log
        self.rank, self.group_size = rank, group_size
        self.ckpt_dir = Path(cfg["ckpt_path"])
        self.prefix = task.ckpt_prefix
        self.shard = (group_size, rank) if group_size > 1 else None
        self.best, self.best_epoch = -math.inf, None
        # dev evaluation during training may decode more cheaply than eval.py (seq2seq: greedy, not beam)
        self.dev_cfg = {**cfg, "beam_size": cfg["dev_beam_size"]} if "dev_beam_size" in cfg else cfg

    # ---------------------------------------------------------------- pieces
    def _train_data(self, epoch):
        return self.task.dataset("train", self.cfg, self.meta, training=True, shard=self.shard, epoch=epoch)

    def _build(self, steps_per_epoch):
        cfg, task = self.cfg, self.task
        self.net = task.network(cfg, self.meta)
        self.lr = lr_schedule.from_config(cfg, steps_per_epoch)
        self.trainable = self.net.trainable_params()
        self.optimizer = build_optimizer(cfg, self.trainable, self.lr)
        self.step_cell = build_train_step(self.net, task.loss(cfg, self.net), self.optimizer,
                                          cfg.get("amp_level", "O0"), cfg.get("loss_scale", 1024.0),
                                          cfg.get("clip_norm", 0.0))
        specs = task.input_specs()
        if cfg.get("dynamic_shape", False):
            self.step_cell.set_inputs(*specs)
        for_evaluation(self.net, task, cfg)
        self.net.set_train(True)

    def _checkpoint_to_resume(self):
        cfg = self.cfg
        if cfg.get("pre_trained"):
            return Path(cfg["pre_trained"])
        if cfg.get("resume"):
            path = checkpoint.newest(self.ckpt_dir, self.prefix)
            if path is None:
                self.log(f"--resume: no {self.prefix}-<epoch>_<step>.ckpt in {self.ckpt_dir}; starting a new run")
            return path
        return None

    def _restore(self, steps_per_epoch):
        """Load the checkpoint to continue from, if any; returns the last finished epoch (0: fresh)."""
        path = self._checkpoint_to_resume()
        if path is None:
            if self.rank == 0:
                self._clear_earlier_run()
            return 0
        state = checkpoint.load_training_state(self.step_cell, self.net, path)
        start = min(state["epoch"], self.cfg["num_epochs"])
        if not state["with_optimizer"]:
            self.optimizer.global_step.set_data(_global_step(start * steps_per_epoch))
        self.best, self.best_epoch = state["best_score"], state["best_epoch"]
        if self.best_epoch is None:  # a checkpoint written without run state: best.json has it
            self.best, self.best_epoch = self._best_on_disk()
        restored = ("network and optimizer state" if state["with_optimizer"]
                    else "network weights only (the file has no optimizer state)")
        self.log(f"resuming from {path} after epoch {start} ({restored}; global step "
                 f"{int(self.optimizer.global_step.asnumpy()[0])}; best so far: "
                 + (f"epoch {self.best_epoch}, {self.best:.4f})" if self.best_epoch else "none)"))
        for note in state["notes"]:
            self.log(f"resuming from {path}: {note}")
        if self.rank == 0:
            self._keep_metrics_until(start)
        return start

    def _best_on_disk(self):
        path = self.ckpt_dir / "best.json"
        try:
            best = json.loads(path.read_text(encoding="utf-8"))
            return float(best["score"]), int(best["epoch"])
        except (OSError, ValueError, KeyError, TypeError):
            return -math.inf, None

    def _clear_earlier_run(self):
        """A new run in a folder that holds another run's files: those go, so that ``--resume``,
        pruning and ``best.json`` only ever see this run's."""
        old = [p for _, p in checkpoint.epoch_checkpoints(self.ckpt_dir, self.prefix)]
        old += [p for p in (self.ckpt_dir / f"{self.prefix}-best.ckpt", self.ckpt_dir / "best.json",
                            self.ckpt_dir / "metrics.jsonl") if p.exists()]
        if old:
            self.log(f"new run: removing {len(old)} file(s) of an earlier run in {self.ckpt_dir} "
                     "(use --resume true to continue it instead)")
        for p in old:
            p.unlink(missing_ok=True)

    def _keep_metrics_until(self, epoch):
        """metrics.jsonl keeps one line per epoch: lines of epochs after ``epoch`` (an interrupted
        run's) are dropped before the resumed run appends its own."""
        path = self.ckpt_dir / "metrics.jsonl"
        if not path.is_file():
            return
        kept = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill
            if record.get("epoch", 0) <= epoch:
                kept[record["epoch"]] = line
        write_text(path, "".join(kept[e] + "\n" for e in sorted(kept)))

    def _train_epoch(self, epoch, steps_per_epoch):
        from tqdm import tqdm

        cfg = self.cfg
        t0 = time.time()
        losses, samples = [], 0
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch}/{cfg['num_epochs']}", unit="step",
                   file=sys.stderr, disable=self.rank != 0 or not cfg.get("progress", True),
                   mininterval=1.0 if sys.stderr.isatty() else 30.0, leave=False)
        seen = hashlib.sha1() if self.group_size > 1 else None
        self.net.set_train(True)
        for batch in self._train_data(epoch).create_tuple_iterator(num_epochs=1):
            if seen is not None:
                seen.update(batch[0].asnumpy().tobytes())
            out = self.step_cell(*batch)
            loss = float((out[0] if isinstance(out, tuple) else out).asnumpy())
            losses.append(loss)
            samples += batch[0].shape[0]
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        bar.close()
        seconds = time.time() - t0
        self.log(f"epoch: {epoch} step: {len(losses)}, loss is {losses[-1]}")
        if seen is not None:
            self.log(f"rank {self.rank}: epoch {epoch} data digest {seen.hexdigest()[:16]} ({samples} samples)")
        return {"epoch": epoch, "steps": len(losses), "loss": float(np.mean(losses)), "last_loss": losses[-1],
                "lr": float(self.lr[epoch * steps_per_epoch - 1]),
                "samples_per_s": samples * self.group_size / seconds, "seconds": seconds, "dev": None}

    def _save(self, record):
        """Epoch checkpoint (pruned to keep_checkpoint_max), and the best one by dev metric (or by
        training loss without a dev split); rank 0 only."""
        cfg, task, epoch = self.cfg, self.task, record["epoch"]
        score = record["dev"][task.metric_name] if record["dev"] is not None else -record["loss"]
        improved = score > self.best
        if improved:
            self.best, self.best_epoch = score, epoch
        state = {"epoch": epoch, "best_score": float(self.best), "best_epoch": self.best_epoch or -1}
        append_jsonl(self.ckpt_dir / "metrics.jsonl", record)
        if epoch % cfg.get("save_checkpoint_epochs", 1) == 0 or epoch == cfg["num_epochs"]:
            checkpoint.save(self.step_cell, self.ckpt_dir / f"{self.prefix}-{epoch}_{record['steps']}.ckpt", state)
            for _, old in checkpoint.epoch_checkpoints(self.ckpt_dir, self.prefix)[:-cfg.get("keep_checkpoint_max", 10)]:
                old.unlink(missing_ok=True)
        if improved:
            checkpoint.save(self.step_cell, self.ckpt_dir / f"{self.prefix}-best.ckpt", state)
            write_json(self.ckpt_dir / "best.json", {"epoch": epoch, "criterion": (
                f"dev {task.metric_name}" if record["dev"] is not None else "-train loss"), "score": score})

    # ---------------------------------------------------------------- the loop
    def run(self):
        cfg, task = self.cfg, self.task
        steps_per_epoch = self._train_data(1).get_dataset_size()
        if steps_per_epoch == 0:
            raise UserError(cfg["preprocess_path"], f"the training split fills no batch of {cfg['batch_size']} "
                                                    "(per bucket); lower --batch_size")
        dev_ds = task.dataset("dev", cfg, self.meta, training=False) if task.has_split("dev", cfg, self.meta) else None
        self._build(steps_per_epoch)
        start_epoch = self._restore(steps_per_epoch)
        n_params = sum(int(np.prod(p.shape)) for p in self.trainable)
        self.log(f"training {task.name}: {steps_per_epoch} steps/epoch, {cfg['num_epochs']} epochs, "
                 f"batch {cfg['batch_size']} x {self.group_size} device(s)"
                 + (f" (at most {cfg['batch_tokens']} padded tokens per batch)" if cfg.get("batch_tokens") else "")
                 + f", {n_params:,} trainable parameters")
        for epoch in range(start_epoch + 1, cfg["num_epochs"] + 1):
            record = self._train_epoch(epoch, steps_per_epoch)
            if dev_ds is not None:
                record["dev"] = task.evaluate(self.net, dev_ds, self.dev_cfg, self.meta)
                record["dev"].pop("hypotheses", None)  # per-sentence outputs belong to eval.py's files
            summary = (f"epoch {epoch}: mean loss {record['loss']:.4f}, lr {record['lr']:.5g}, "
                       f"{record['samples_per_s']:.1f} samples/s, {record['seconds']:.1f} s")
            if record["dev"] is not None:
                summary += f", dev {task.metric_name} {record['dev'][task.metric_name]:.4f}"
            self.log(summary)
            if self.rank == 0:
                self._save(record)
        if self.group_size > 1:
            digest = hashlib.sha1()
            for p in sorted(self.net.get_parameters(), key=lambda p: p.name):
                digest.update(p.name.encode() + p.asnumpy().tobytes())
            self.log(f"rank {self.rank}: parameter digest {digest.hexdigest()[:16]}")
        if self.rank == 0:
            self.log(f"done; best epoch {self.best_epoch} -> {self.ckpt_dir / (self.prefix + '-best.ckpt')}")
        return self.net


def _global_step(value):
    import mindspore as ms

    return ms.Tensor(np.array([value], dtype=np.int32))
