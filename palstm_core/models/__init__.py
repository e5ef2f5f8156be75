"""Model registry: name -> class. Every model shares the ``Forecaster`` interface (base.py)."""
from .base import Forecaster, ModelOutput
from .da_rnn import DARNN
from .gru import GRU
from .linear import Linear
from .lstm import LSTM
from .lstm_attention import LSTMAttention
from .pa_lstm import PALSTM
from .persistence import Persistence
from .rnn import RNN
from .seq2seq import Seq2Seq
from .transformer import Transformer

MODELS: dict[str, type[Forecaster]] = {
    m.name: m for m in (PALSTM, DARNN, LSTMAttention, LSTM, GRU, Linear, Persistence, Seq2Seq,
                        Transformer, RNN)
}

__all__ = ["MODELS", "Forecaster", "ModelOutput"]
