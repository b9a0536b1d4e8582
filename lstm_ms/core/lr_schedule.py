"""Learning-rate schedules as per-step numpy arrays handed to the optimizer."""
import math

import numpy as np

from .errors import UserError


def constant(lr, total_steps):
    return np.full(total_steps, lr, dtype=np.float32)


def warmup_cosine(lr_init, lr_max, lr_end, warmup_epochs, adjust_epochs, total_epochs, steps_per_epoch):
    """Linear warm-up from ``lr_init`` to ``lr_max`` over ``warmup_epochs``, cosine decay to
    ``lr_end`` by ``adjust_epochs``, then ``lr_end`` until ``total_epochs``.

    Value at step k (0-based) is the rate used for the (k+1)-th update.
    """
    total = total_epochs * steps_per_epoch
    warm = warmup_epochs * steps_per_epoch
    adjust = max(adjust_epochs * steps_per_epoch, warm)
    k = np.arange(total, dtype=np.float64)
    lr = np.full(total, lr_end, dtype=np.float64)
    if warm > 0:
        w = k < warm
        lr[w] = lr_init + (lr_max - lr_init) * k[w] / warm
    if adjust > warm:
        c = (k >= warm) & (k < adjust)
        progress = (k[c] - warm) / (adjust - warm)
        lr[c] = lr_end + 0.5 * (lr_max - lr_end) * (1.0 + np.cos(math.pi * progress))
    return lr.astype(np.float32)


def anneal(lr, gamma, total_epochs, steps_per_epoch):
    """``lr * gamma ** epoch`` through each epoch (epoch 0-based): a per-epoch exponential decay."""
    epochs = np.arange(total_epochs * steps_per_epoch) // steps_per_epoch
    return (lr * np.power(float(gamma), epochs)).astype(np.float32)


SCHEDULES = ("cosine", "anneal")


def from_config(cfg, steps_per_epoch):
    """The schedule a config asks for: with ``dynamic_lr``, ``lr_schedule: cosine`` (the default: warm-up +
    cosine) or ``anneal`` (``learning_rate`` times ``lr_gamma`` per epoch); without, constant."""
    total_epochs = cfg["num_epochs"]
    kind = cfg.get("lr_schedule", "cosine")
    if kind not in SCHEDULES:
        raise UserError("--lr_schedule", f"must be one of {', '.join(SCHEDULES)}, got {kind!r}")
    if cfg.get("dynamic_lr") and kind == "anneal":
        return anneal(cfg["learning_rate"], cfg["lr_gamma"], total_epochs, steps_per_epoch)
    if cfg.get("dynamic_lr"):
        return warmup_cosine(cfg["lr_init"], cfg["lr_max"], cfg["lr_end"], cfg["warmup_epochs"],
                             cfg["lr_adjust_epoch"], total_epochs, steps_per_epoch)
    return constant(cfg["learning_rate"], total_epochs * steps_per_epoch)
