"""Checkpoints written atomically and loaded with a shape check against the network."""
from pathlib import Path

from ..core.atomic import atomic_path
from ..core.errors import UserError


def save(net, path):
    import mindspore as ms

    with atomic_path(path, suffix=".ckpt") as tmp:
        ms.save_checkpoint(net, tmp)


def load_into(net, path):
    """Load ``path`` into ``net``; a missing file or any name/shape mismatch is a UserError."""
    import mindspore as ms

    path = Path(path)
    if not path.is_file():
        raise UserError(path, "checkpoint file not found")
    try:
        params = ms.load_checkpoint(str(path))
    except (RuntimeError, ValueError) as exc:
        raise UserError(path, f"not a readable MindSpore checkpoint ({str(exc).splitlines()[0]})") from None
    params = {k: v for k, v in params.items() if not k.startswith(("moments.", "learning_rate", "global_step",
                                                                   "accum.", "scale_sense"))}
    mine = {p.name: p for p in net.get_parameters()}
    missing = sorted(set(mine) - set(params))
    if missing:
        raise UserError(path, f"checkpoint does not match the config: no parameter {missing[0]}"
                              + (f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""))
    for name, p in mine.items():
        if tuple(params[name].shape) != tuple(p.shape):
            raise UserError(path, f"checkpoint does not match the config: {name} has shape "
                                  f"{tuple(params[name].shape)}, the network wants {tuple(p.shape)}")
    ms.load_param_into_net(net, {k: params[k] for k in mine}, strict_load=True)
    return net
