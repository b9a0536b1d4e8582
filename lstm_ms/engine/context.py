"""Device and execution-mode setup."""
import os

from ..core.errors import UserError


def setup(device_target="CPU", device_id=0, mode="graph", seed=None):
    """Graph mode (PyNative with ``mode='pynative'``) on an available target, else UserError."""
    import mindspore as ms

    if device_target not in ("Ascend", "GPU", "CPU"):
        raise UserError("--device_target", f"unknown target {device_target!r} (Ascend, GPU or CPU)")
    if device_target != "CPU" and not ms.hal.is_available(device_target):
        raise UserError("--device_target", f"{device_target} is not available on this machine "
                                           f"(this MindSpore build or driver has no {device_target} support)")
    ms.set_context(mode=ms.PYNATIVE_MODE if str(mode).lower() == "pynative" else ms.GRAPH_MODE)
    ms.set_device(device_target, int(os.environ.get("DEVICE_ID", device_id)))
    if seed is not None:
        set_seed(seed)


def set_seed(seed):
    import mindspore as ms
    import mindspore.dataset as ds
    import numpy as np

    ms.set_seed(seed)
    ds.config.set_seed(seed)
    np.random.seed(seed)
