"""PA-LSTM: parallel attention-based LSTM.

Xie, Zhang, He, You, Fan, Yu, Lei, Zhang. "Parallel attention-based LSTM for building a prediction
model of vehicle emissions using PEMS and OBD." Measurement 185 (2021) 110074.

The inputs are split into G sensor groups. Each group g has its own branch, run in parallel:

  feature attention (DA-RNN input attention, within the group, conditioned on the branch state)
      e^k_t  = v_gᵀ tanh(W_g [h^g_{t-1}; c^g_{t-1}] + U_g x^k + b_g)      for k in group g
      α^k_t  = exp(e^k_t) / Σ_{j∈g} exp(e^j_t)                            (sums to 1 per group)
      x̃^g_t  = (α^1_t x^1_t, …, α^K_t x^K_t)
  branch LSTM
      i, f, o = σ(W_i x̃ + U_i h + b_i), …;  ĉ = tanh(W_c x̃ + U_c h + b_c)
      c^g_t  = f ⊙ c^g_{t-1} + i ⊙ ĉ;        h^g_t = o ⊙ tanh(c^g_t)

  here x^k ∈ R^L is the whole lookback of feature k (as in DA-RNN), x^k_t its value at step t.

  group weights (fusion; "which sensor group matters")
      γ_g   = softmax_g( u_γᵀ tanh(W_γ h^g_L + b_γ) )
      z_t   = G · [γ_1 h^1_t; …; γ_G h^G_t]                                (∈ R^{G·H})
  temporal attention over the lookback, queried by the newest fused state
      l_t   = v_τᵀ tanh(W_τ z_t + Q_τ z_L + b_τ);   β_t = softmax_t(l_t)
      ŷ     = w_oᵀ Σ_t β_t z_t + b_o

Implementation: all branches advance together. Groups are padded to the widest group (padded
inputs are masked out of the softmax) and every per-group product is one batched matmul over
the group dimension, so a time step costs a fixed handful of kernels whatever G is. The U_g x^k
terms do not depend on t and are computed once before the recurrence.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .base import Forecaster, ModelOutput


def _uniform(*shape: int, fan_in: int) -> nn.Parameter:
    bound = 1.0 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class ParallelInputAttentionEncoder(nn.Module):
    """G LSTM branches, each with input attention over its own columns, advanced in lockstep.

    forward(x: (B, L, F)) -> (states (B, L, G, H), alpha (B, L, F)).
    With G = 1 this is exactly DA-RNN's encoder.
    """

    def __init__(self, groups: Sequence[Sequence[int]], lookback: int, hidden_size: int,
                 attention_size: int | None = None):
        super().__init__()
        G, L, H = len(groups), lookback, hidden_size
        K = max(len(g) for g in groups)                    # widest group
        A = attention_size or hidden_size
        self.G, self.K, self.L, self.H, self.A = G, K, L, H, A
        index = torch.zeros(G, K, dtype=torch.long)
        mask = torch.zeros(G, K, dtype=torch.bool)
        for g, cols in enumerate(groups):
            index[g, :len(cols)] = torch.tensor(cols)
            mask[g, :len(cols)] = True
        self.register_buffer("index", index, persistent=False)            # (G, K) column ids
        self.register_buffer("mask", mask, persistent=False)              # (G, K) real column?
        # column j of x sits at flat position order[j] of the (G*K) padded layout
        order = torch.empty(sum(len(g) for g in groups), dtype=torch.long)
        order[index[mask]] = torch.arange(G * K).view(G, K)[mask]
        self.register_buffer("order", order, persistent=False)

        self.W_att = _uniform(G, 2 * H, A, fan_in=2 * H)    # W_g on [h; c]
        self.U_att = _uniform(G, L, A, fan_in=L)            # U_g on the series x^k
        self.b_att = nn.Parameter(torch.zeros(G, 1, 1, A))
        self.v_att = _uniform(G, A, fan_in=A)               # v_g
        self.W_ih = _uniform(G, K, 4 * H, fan_in=H)         # LSTM input weights  (i, f, g, o)
        self.W_hh = _uniform(G, H, 4 * H, fan_in=H)         # LSTM recurrent weights
        self.b = nn.Parameter(torch.zeros(G, 1, 4 * H))
        with torch.no_grad():
            self.b[..., H:2 * H] = 1.0                      # forget-gate bias 1 (Jozefowicz 2015)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, L, _ = x.shape
        G, K, H, A = self.G, self.K, self.H, self.A
        mask = self.mask[:, None, :]                                        # (G, 1, K)
        xg = x[:, :, self.index].permute(2, 0, 3, 1) * mask[..., None]      # (G, B, K, L)
        series = torch.matmul(xg, self.U_att[:, None]) + self.b_att         # (G, B, K, A)
        steps = xg.permute(3, 0, 1, 2)                                      # (L, G, B, K)
        # one matmul per step for everything that depends on the state: [h; c] -> (att, gates)
        zeros = self.W_hh.new_zeros(G, H, 4 * H)
        W_state = torch.cat([self.W_att, torch.cat([self.W_hh, zeros], 1)], 2)  # (G, 2H, A+4H)
        v = self.v_att[:, None, :, None]                                    # (G, 1, A, 1)
        h = x.new_zeros(G, B, H)
        c = x.new_zeros(G, B, H)
        hs, alphas = [], []
        for t in range(L):
            proj = torch.bmm(torch.cat([h, c], 2), W_state)                  # (G, B, A+4H)
            e = torch.matmul(torch.tanh(proj[..., None, :A] + series), v)   # (G, B, K, 1)
            e = e.squeeze(-1).masked_fill(~mask, float("-inf"))
            alpha = torch.softmax(e, dim=-1)                                # (G, B, K)
            gates = proj[..., A:] + torch.bmm(alpha * steps[t], self.W_ih) + self.b
            i, f, g, o = gates.chunk(4, dim=-1)                             # (G, B, H) each
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
            alphas.append(alpha)
        states = torch.stack(hs).permute(2, 0, 1, 3)                        # (B, L, G, H)
        alpha = torch.stack(alphas).permute(2, 0, 1, 3).reshape(B, L, G * K)
        return states, alpha[..., self.order]                               # (B, L, F)


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
