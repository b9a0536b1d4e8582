"""Mixed precision: the network the loss sees, with the cells that must stay float32 kept so.

``ms.amp.auto_mixed_precision`` converts the network it is given (O2: in place, flagging every cell
float16) and *returns* the network to train: at O2/O3 a wrapper that casts the outputs back to float32;
at O1 a network rewritten from its source code (which fails for ``DeepSpeech2Net``'s list of recurrent
layers and for a ``GRUCell`` subclass: a one-line error then says to use O2). The training step must be built around that returned network, and the
parameters keep their names (the wrappers add no prefix), so checkpoints move between targets.

Whatever the level, a cell is then put back to float32 (``Cell.to_float``: its inputs and parameters are
cast to float32 inside it) when it is numerically unsafe in float16:

- cells whose class sets ``keep_fp32 = True``: the CRF (``exp`` of transition scores up to +-80, the
  forward algorithm's log-sum-exp), the masked batch norm (counts of valid frames above 65,504 and the
  variance), ...;
- stock ``nn.LogSoftmax`` / ``nn.Softmax`` cells: the CTC loss refuses float16 log-probabilities, and
  normalising in float16 loses the small probabilities beam search ranks.
"""
from ..core.errors import UserError

LEVELS = ("O0", "O1", "O2", "O3")


def fp32_cells(net):
    """The cells of ``net`` (itself included) that mixed precision must leave in float32."""
    from mindspore import nn

    return [cell for _, cell in net.cells_and_names()
            if getattr(type(cell), "keep_fp32", False) or isinstance(cell, (nn.LogSoftmax, nn.Softmax))]


def mixed_precision(net, amp_level):
    """``net`` under ``amp_level`` (O0: ``net`` itself): returns the network to build the loss around."""
    import mindspore as ms

    level = str(amp_level or "O0").upper()
    if level not in LEVELS:
        raise UserError("--amp_level", f"unknown level {amp_level!r} (one of {', '.join(LEVELS)})")
    if level == "O0":
        return net
    try:
        amp_net = ms.amp.auto_mixed_precision(net, level)
    except (TypeError, IndexError, ValueError, RuntimeError) as exc:  # O1 rewrites the network's source code
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError("--amp_level", f"{level}: MindSpore cannot convert {type(net).__name__} at this level "
                                       f"({type(exc).__name__}: {why}); use O2") from None
    for cell in fp32_cells(net) + ([] if amp_net is net else fp32_cells(amp_net)):
        cell.to_float(ms.float32)
    return amp_net
