"""MINDIR (and AIR) export, written atomically."""
from ..core.atomic import atomic_path
from ..core.errors import UserError

_SUFFIX = {"MINDIR": ".mindir", "AIR": ".air"}


def export(net, inputs, file_name, file_format="MINDIR", device_target="CPU"):
    """Export ``net`` traced on ``inputs`` to ``file_name`` + the format's suffix; returns the path."""
    import mindspore as ms

    file_format = file_format.upper()
    if file_format not in _SUFFIX:
        raise UserError("--file_format", f"unknown format {file_format!r} (MINDIR or AIR)")
    if file_format == "AIR" and device_target != "Ascend":
        raise UserError("--file_format", "AIR can only be exported on Ascend; use MINDIR")
    target = str(file_name)
    if not target.endswith(_SUFFIX[file_format]):
        target += _SUFFIX[file_format]
    net.set_train(False)
    with atomic_path(target, suffix=_SUFFIX[file_format]) as tmp:
        ms.export(net, *inputs, file_name=tmp[: -len(_SUFFIX[file_format])], file_format=file_format)
    return target
