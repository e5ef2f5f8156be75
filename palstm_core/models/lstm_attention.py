"""LSTM with attention pooling over its hidden states (as in ningshixian/LSTM_Attention; the
pooling is the feed-forward attention of Raffel & Ellis, 2015, and Zhou et al., ACL 2016).
Shapes: x (B, L, F) -> H (B, L, H) -> α (B, L) -> h (B, H) -> ŷ (B,).

    H = LSTM(X)                    H = [h_1, …, h_L],  h_j ∈ R^H
    α = softmax(wᵀ tanh(H))        one weight per time step, sums to 1
    h = Σ_j α_j h_j
    ŷ = w_oᵀ tanh(h) + b_o         steps S > 1: ŷ = W_o tanh(h) + b_o ∈ R^S

With several forecast steps, one α per window serves all of them (the pooled state h feeds the
multi-output head), so the map says which time steps the whole forecast reads.
Temporal attention only: every feature enters the LSTM unweighted.

Relevance: none (``ModelOutput.relevance`` is None). α_j weighs the state h_j, which mixes all
F inputs of steps 1..j through the LSTM without any per-input weight, so the model's own
equations give no weight for an input x^k_t. Spreading α_j evenly over features would invent a
feature split the model does not have; use ``palstm_core.attribution.attribute`` instead.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Forecaster, ModelOutput
from ..i18n import N_


class LSTMAttention(Forecaster):
    name = "lstm_attention"
    description = N_("LSTM + attention pooling over time steps")
    has_temporal_attention = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        self.lstm = nn.LSTM(self.n_features, self.hidden_size, batch_first=True)
        self.w = nn.Linear(self.hidden_size, 1, bias=False)
        self.head = nn.Linear(self.hidden_size, self.steps)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        H, _ = self.lstm(x)                                         # (B, L, H)
        alpha = torch.softmax(self.w(torch.tanh(H)).squeeze(-1), -1)  # (B, L)
        h = torch.bmm(alpha[:, None], H).squeeze(1)                 # (B, H)
        return ModelOutput(self.shaped(self.head(torch.tanh(h))), temporal=alpha)
