"""SentimentNet: frozen pretrained embedding -> 2-layer BiLSTM -> final states -> Dense."""
import mindspore as ms
from mindspore import nn

from .rnn import PaddedRNN


class SentimentNet(nn.Cell):
    """``construct(ids [B, T] int32, lengths [B] int32) -> logits [B, num_classes]``.

    The sentence vector is the last layer's forward and backward final states at each review's
    true length (not time steps 0 and T-1, which read padding for short reviews).
    """

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, bidirectional, num_classes,
                 embedding=None, dropout=0.0, freeze_embedding=True):
        super().__init__()
        table = ms.Tensor(embedding, ms.float32) if embedding is not None else "normal"
        self.embedding = nn.Embedding(vocab_size, embed_size, embedding_table=table)
        self.embedding.embedding_table.requires_grad = not freeze_embedding
        self.encoder = PaddedRNN(embed_size, num_hiddens, num_layers, bidirectional, dropout, cell="LSTM")
        self.decoder = nn.Dense(num_hiddens * (2 if bidirectional else 1), num_classes)

    def construct(self, ids, lengths):
        _, final = self.encoder(self.embedding(ids), lengths)
        return self.decoder(final)
