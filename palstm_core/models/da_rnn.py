"""DA-RNN: dual-stage attention-based recurrent neural network.

Qin, Song, Chen, Cheng, Jiang, Cottrell. "A Dual-Stage Attention-Based Recurrent Neural Network
for Time Series Prediction." IJCAI 2017.

Stage 1, encoder with input attention over all N driving series (no sensor groups):
    e^k_t = v_eᵀ tanh(W_e [h_{t-1}; s_{t-1}] + U_e x^k + b_k)    x^k ∈ R^L: series k
    α^k_t = softmax_k(e^k_t);   h_t = LSTM(h_{t-1}, (α^1_t x^1_t, …, α^N_t x^N_t))
Stage 2, decoder with temporal attention over the encoder states h_1..h_L:
    l^i_t = v_dᵀ tanh(W_d [d_{t-1}; s'_{t-1}] + U_d h_i);   β^i_t = softmax_i(l^i_t)
    c_t   = Σ_i β^i_t h_i
    ỹ_t   = w̃ᵀ [y_t; c_t] + b̃        (without the target's history: ỹ_t = w̃ᵀ c_t + b̃)
    d_t   = LSTM(d_{t-1}, ỹ_t)
    ŷ     = v_yᵀ (W_y [d_L; c_L] + b_w) + b_v      steps S > 1: V_y ∈ R^{S×H}, ŷ ∈ R^S

The encoder is the grouped input-attention encoder (attention_encoder.py) with a single group
over the exogenous columns (with a per-feature bias b_k); the
target's own history (when it is an input) feeds only the decoder, as in the paper. ``explain``
reports β of the last decoder step as the temporal attention.

Relevance (``ModelOutput.relevance``, (B, L, F)). DA-RNN has no direct path from an input to
the output: x^k_t enters only the encoder LSTM, weighted α^k_t, and the decoder reads the
encoder states h_i weighted by β^i. The relevance is the product of the two attention stages
along that path (attention flow: x^k_t → h_t with weight α^k_t, h_t → c_L with weight β^t_L,
the last decoder step's temporal attention, the one the head sees):

      r^k_t = β^t_L · α^k_t          k exogenous;  Σ_t Σ_k r^k_t = Σ_t β^t_L = 1

The target's history (when it is an input) enters the decoder without any attention weight, so
its relevance is 0 (not measured, not "unimportant"). Because h_t also carries the memory of
earlier inputs, β^t_L is a weight on a state, not on the step's own inputs (see below); the
relevance inherits that and is less trustworthy as a "when" than PA-LSTM's.

Shapes: x (B, L, F); encoder states (B, L, H); α (B, L, F) with the target-history column (if
any) as a group of its own with weight 1; β (B, L).

What the attention can be trusted for (tests/test_planted.py): the input attention α ranks the
planted feature first among all sensors (thanks to b_k). The temporal attention β is the paper's,
over recurrent encoder states, and is *not* a reliable "when": h_i at late steps already carries
the memory of earlier inputs, so on planted data β rises towards the newest steps instead of
peaking at the planted lag. PA-LSTM's temporal attention (pa_lstm.py, one per branch) adds the attended inputs
and a position term to the keys/values to fix this; DA-RNN is kept as published for comparison.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Forecaster, ModelOutput
from .attention_encoder import ParallelInputAttentionEncoder
from ..i18n import N_


class DARNN(Forecaster):
    name = "da_rnn"
    description = N_("DA-RNN: input attention over all features + decoder temporal attention")
    has_feature_attention = True
    has_temporal_attention = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        H = self.hidden_size
        self.exogenous = [c for c in range(self.n_features) if c != target_index]
        self.register_buffer("exo_index", torch.tensor(self.exogenous), persistent=False)
        self.encoder = ParallelInputAttentionEncoder([list(range(len(self.exogenous)))],
                                                     self.lookback, H)
        self.W_d = nn.Linear(2 * H, H)                     # on [d_{t-1}; s'_{t-1}]
        self.U_d = nn.Linear(H, H, bias=False)             # on encoder states h_i
        self.v_d = nn.Linear(H, 1, bias=False)
        self.w_tilde = nn.Linear(H + (target_index is not None), 1)
        self.decoder = nn.LSTMCell(1, H)
        self.W_y = nn.Linear(2 * H, H)
        self.v_y = nn.Linear(H, self.steps)

    @property
    def attention_groups(self) -> list[list[int]]:
        extra = [[self.target_index]] if self.target_index is not None else []
        return [self.exogenous] + extra

    def forward(self, x: torch.Tensor) -> ModelOutput:
        B, L, F = x.shape
        states, alpha = self.encoder(x[:, :, self.exo_index])               # (B, L, 1, H), (B, L, N)
        enc = states[:, :, 0]                                               # (B, L, H)
        keys = self.U_d(enc)                                                # (B, L, H)
        d = x.new_zeros(B, self.hidden_size)
        s = x.new_zeros(B, self.hidden_size)
        for t in range(L):
            score = self.v_d(torch.tanh(self.W_d(torch.cat([d, s], 1))[:, None] + keys))
            beta = torch.softmax(score.squeeze(-1), dim=-1)                 # (B, L)
            context = torch.bmm(beta[:, None], enc).squeeze(1)              # (B, H)
            inp = context if self.target_index is None else \
                torch.cat([x[:, t, self.target_index, None], context], 1)
            d, s = self.decoder(self.w_tilde(inp), (d, s))
        y = self.shaped(self.v_y(self.W_y(torch.cat([d, context], 1))))    # (B,) or (B, S)
        feature = x.new_zeros(B, L, F)
        feature[:, :, self.exo_index] = alpha.to(feature.dtype)
        if self.target_index is not None:
            feature[:, :, self.target_index] = 1.0                         # a group of its own
        relevance = x.new_zeros(B, L, F, dtype=torch.float32)
        relevance[:, :, self.exo_index] = beta.float()[:, :, None] * alpha.float()
        return ModelOutput(y, feature, beta, relevance=relevance)
