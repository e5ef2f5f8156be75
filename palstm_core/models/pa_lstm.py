"""PA-LSTM: parallel attention-based LSTM.

Xie, Zhang, He, You, Fan, Yu, Lei, Zhang. "Parallel attention-based LSTM for building a prediction
model of vehicle emissions using PEMS and OBD." Measurement 185 (2021) 110074.

The inputs are split into G sensor groups. Each group g has its own branch, run in parallel:

  feature attention (DA-RNN input attention, within the group, conditioned on the branch state)
      e^k_t  = v_gᵀ tanh(W_g [h^g_{t-1}; c^g_{t-1}] + U_g x^k + b_k)      for k in group g
      α^k_t  = exp(e^k_t) / Σ_{j∈g} exp(e^j_t)                            (sums to 1 per group)
      x̃^g_t  = (α^1_t x^1_t, …, α^K_t x^K_t)
  branch LSTM
      i, f, o = σ(W_i x̃ + U_i h + b_i), …;  ĉ = tanh(W_c x̃ + U_c h + b_c)
      c^g_t  = f ⊙ c^g_{t-1} + i ⊙ ĉ;        h^g_t = o ⊙ tanh(c^g_t)

  here x^k ∈ R^L is the whole lookback of feature k (as in DA-RNN), x^k_t its value at step t,
  and b_k is a learned per-feature vector. DA-RNN's score has a shared bias, so it can only tell
  features apart by the shape of their series; with b_k it can learn *which* sensor matters.

  group weights (fusion; "which sensor group matters")
      γ_g   = softmax_g( u_γᵀ tanh(W_γ h^g_L + b_γ) )
      z_t   = G · [γ_1 h^1_t; …; γ_G h^G_t]                                (∈ R^{G·H})
  temporal attention over the lookback, queried by the newest fused state
      l_t   = v_τᵀ tanh(W_τ z_t + Q_τ z_L + b_τ);   β_t = softmax_t(l_t)
      ŷ     = w_oᵀ Σ_t β_t z_t + b_o

The branches are computed by ``ParallelInputAttentionEncoder`` (attention_encoder.py), which
advances all of them together with batched matmuls over the group dimension.
"""
from __future__ import annotations

import torch
from torch import nn

from .attention_encoder import ParallelInputAttentionEncoder
from .base import Forecaster, ModelOutput


class PALSTM(Forecaster):
    name = "pa_lstm"
    description = "PA-LSTM: one attention LSTM branch per sensor group, group weights, temporal attention"
    has_feature_attention = True
    has_temporal_attention = True
    has_group_weights = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, attention_size=None):
        super().__init__(groups, lookback, hidden_size, target_index)
        G, H = len(self.groups), self.hidden_size
        A = attention_size or H
        D = G * H
        self.encoder = ParallelInputAttentionEncoder(self.groups, self.lookback, H, A)
        self.group_proj = nn.Linear(H, A)                  # W_γ, b_γ
        self.group_score = nn.Linear(A, 1, bias=False)     # u_γ
        self.temporal_key = nn.Linear(D, A)                # W_τ, b_τ
        self.temporal_query = nn.Linear(D, A, bias=False)  # Q_τ
        self.temporal_score = nn.Linear(A, 1, bias=False)  # v_τ
        self.head = nn.Linear(D, 1)                        # w_o, b_o

    def forward(self, x: torch.Tensor) -> ModelOutput:
        B, L, _ = x.shape
        states, alpha = self.encoder(x)                                     # (B, L, G, H), (B, L, F)
        G = states.shape[2]
        gamma = torch.softmax(self.group_score(torch.tanh(self.group_proj(states[:, -1]))).squeeze(-1), -1)  # (B, G)
        z = (states * (G * gamma)[:, None, :, None]).reshape(B, L, -1)      # (B, L, D)
        score = self.temporal_score(torch.tanh(self.temporal_key(z) + self.temporal_query(z[:, -1:])))
        beta = torch.softmax(score.squeeze(-1), dim=-1)                     # (B, L)
        context = torch.bmm(beta[:, None, :], z).squeeze(1)                 # (B, D)
        return ModelOutput(self.head(context).squeeze(-1), alpha, beta, gamma)
