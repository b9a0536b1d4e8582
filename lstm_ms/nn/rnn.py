"""Multi-layer (bi)directional LSTM/GRU over padded batches, exact at each sequence's true length.

Built from the stock cells (``nn.LSTM`` / ``nn.GRU``, one layer and one direction each, called
without ``seq_length``): fused kernels on GPU (cuDNN) and Ascend, and for the LSTM on CPU (oneDNN).
MindSpore's CPU ``nn.GRU`` has no fused kernel: it loops over the time axis in the graph, so on CPU
a GRU needs a static sequence length (one graph per padded length). Passing ``seq_length``
to the stock cell makes MindSpore unroll a Python loop over every time step on CPU/GPU (measured:
~55x the compile time and ~5x the step time at 128 steps), so lengths are handled around the cells:

- forward direction: outputs before a sequence's end never see its padding, so they are exact;
- backward direction: each sequence is reversed *within its length* (``ReverseSequence``), run
  forward, and reversed back, so it starts at the true last token, never at padding;
- the final state of each direction is its output at position ``length - 1`` of its own order.

Positions at or past a sequence's length hold values that no exact position depends on.
"""
import mindspore as ms
from mindspore import nn, ops
from mindspore.nn.layer.rnn_cells import _gru_cell

_CELLS = {"LSTM": nn.LSTM, "GRU": nn.GRU}


def use_ascend_kernels(net):
    """Switch every stock ``nn.LSTM`` / ``nn.GRU`` in ``net`` to the fused Ascend ops (``DynamicRNN`` /
    ``DynamicGRUV2``, what the cells build on Ascend) on any machine, parameters unchanged: for an export
    that Ascend (310) can build, since the ``LSTM`` op the CPU and GPU cells emit has no Ascend mapping.
    Those ops have no CPU kernel: such a network can be exported here, not run. Returns ``net``."""
    from mindspore.nn.layer import rnns

    for name, cell in net.cells_and_names():
        if isinstance(cell, nn.LSTM):
            cell.rnn = rnns._DynamicLSTMAscend()
        elif isinstance(cell, nn.GRU):
            if cell.hidden_size % 16:
                raise ValueError(f"{name}: Ascend's GRU needs a hidden size divisible by 16, not {cell.hidden_size}")
            cell.rnn = rnns._DynamicGRUAscend()
    return net


class GRUCell(nn.GRUCell):
    """``nn.GRUCell`` (same parameters, same arithmetic) that runs in its input's dtype: the stock cell
    hands its weights to a function, where mixed precision leaves them float32 beside float16 inputs."""

    def construct(self, x, hx):
        w_ih, w_hh, b_ih, b_hh = (p.astype(x.dtype) for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh))
        return _gru_cell(x, hx.astype(x.dtype), w_ih, w_hh, b_ih, b_hh)


class PaddedRNN(nn.Cell):
    """Args: input_size, hidden_size, num_layers, bidirectional, dropout (between layers),
    cell ("LSTM" or "GRU").

    ``construct(x [B, T, input_size] float, lengths [B] int32)`` returns
    ``(outputs [B, T, D*hidden], final [B, D*hidden])`` with D = 2 if bidirectional else 1;
    ``final`` concatenates the last layer's forward then backward final hidden states.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, dropout=0.0, cell="LSTM"):
        super().__init__()
        make = _CELLS[cell]
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        fwd, bwd = [], []
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size * self.num_directions
            fwd.append(make(size, hidden_size, 1, batch_first=True))
            if bidirectional:
                bwd.append(make(size, hidden_size, 1, batch_first=True))
        self.fwd = nn.CellList(fwd)
        self.bwd = nn.CellList(bwd) if bidirectional else None
        self.dropout = nn.Dropout(p=dropout) if dropout > 0 else None
        self.reverse = ops.ReverseSequence(seq_dim=1, batch_dim=0)

    def _last(self, outputs, lengths):
        """outputs[b, lengths[b] - 1] for every b, as a masked sum (differentiable, static shape)."""
        steps = ops.arange(outputs.shape[1], dtype=ms.int32).reshape(1, -1)
        pick = ops.cast(ops.equal(steps, (lengths - 1).reshape(-1, 1)), outputs.dtype)
        return (outputs * pick.expand_dims(-1)).sum(axis=1)

    def construct(self, x, lengths):
        outputs = x
        final = None
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout is not None:
                outputs = self.dropout(outputs)
            out_f, _ = self.fwd[layer](outputs)
            if self.bidirectional:
                out_b_rev, _ = self.bwd[layer](self.reverse(outputs, lengths))
                if layer == self.num_layers - 1:
                    final = ops.concat((self._last(out_f, lengths), self._last(out_b_rev, lengths)), -1)
                outputs = ops.concat((out_f, self.reverse(out_b_rev, lengths)), -1)
            else:
                outputs = out_f
                if layer == self.num_layers - 1:
                    final = self._last(out_f, lengths)
        return outputs, final
