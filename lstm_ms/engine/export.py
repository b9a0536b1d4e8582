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


ASCEND_ONLY_OPS = ("DynamicRNN", "DynamicGRUV2")  # what nn.LSTM / nn.GRU build on Ascend; no CPU or GPU kernel
NOT_ON_ASCEND_OPS = ("LSTM",)  # what nn.LSTM builds on CPU and GPU; no Ascend graph adapter maps it


def graph_ops(path):
    """The primitive op names a MINDIR file's graphs hold (read from its protobuf)."""
    from mindspore.train import mind_ir_pb2

    model = mind_ir_pb2.ModelProto()
    with open(path, "rb") as f:
        model.ParseFromString(f.read())
    names = set()
    for graph in [model.graph, *model.functions]:
        for node in graph.node:
            kind = node.op_type.split("::")[-1]
            names.add(kind.split(":")[0])
    return names


def graph_target(path):
    """Where a MINDIR can run, by its recurrent ops: "Ascend" (Ascend's fused ops), "CPU" (the CPU/GPU LSTM
    op: CPU and GPU only) or "any" (no fused recurrent op)."""
    ops = graph_ops(path)
    if ops & set(ASCEND_ONLY_OPS):
        return "Ascend"
    return "CPU" if ops & set(NOT_ON_ASCEND_OPS) else "any"
