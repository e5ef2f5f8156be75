"""Plain GRU baseline (Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder
for Statistical Machine Translation", EMNLP 2014). Shapes: x (B, L, F) -> (B, L, H) -> ŷ (B,).

    r_t = σ(W_r x_t + U_r h_{t-1} + b_r)          z_t = σ(W_z x_t + U_z h_{t-1} + b_z)
    ĥ_t = tanh(W_h x_t + r_t ⊙ (U_h h_{t-1}) + b_h)
    h_t = (1 - z_t) ⊙ ĥ_t + z_t ⊙ h_{t-1}         ŷ = wᵀ h_L + b
    steps S > 1: ŷ = W h_L + b ∈ R^S (the LSTM's multi-output head)
"""
from __future__ import annotations

from torch import nn

from .lstm import LSTM
from ..i18n import N_


class GRU(LSTM):
    name = "gru"
    description = N_("GRU, last hidden state → linear head (no attention)")
    rnn_class = nn.GRU
