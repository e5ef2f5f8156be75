"""Plain LSTM baseline (cuDNN-fused ``nn.LSTM`` on GPU).

Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997; forget gate
as in Gers, Schmidhuber & Cummins, 2000. Shapes: x (B, L, F) -> states (B, L, H) -> ŷ (B,).

    i_t = σ(W_i x_t + U_i h_{t-1} + b_i)      f_t = σ(W_f x_t + U_f h_{t-1} + b_f)
    o_t = σ(W_o x_t + U_o h_{t-1} + b_o)      ĉ_t = tanh(W_c x_t + U_c h_{t-1} + b_c)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ ĉ_t           h_t = o_t ⊙ tanh(c_t)
    ŷ   = wᵀ h_L + b                          (last hidden state → linear head)
    steps S > 1: ŷ = W h_L + b ∈ R^S, one output per forecast step
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Forecaster, ModelOutput
from ..i18n import N_


class LSTM(Forecaster):
    name = "lstm"
    description = N_("LSTM, last hidden state → linear head (no attention)")
    rnn_class = nn.LSTM

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        self.rnn = self.rnn_class(self.n_features, self.hidden_size, batch_first=True)
        self.head = nn.Linear(self.hidden_size, self.steps)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        out, _ = self.rnn(x)                                        # (B, L, H)
        return ModelOutput(self.shaped(self.head(out[:, -1])))      # (B,) or (B, S)
