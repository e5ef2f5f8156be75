"""Grouped input-attention LSTM encoder shared by PA-LSTM (G groups) and DA-RNN (G = 1).

For every group g and step t (x^k ∈ R^L is feature k's whole lookback, x^k_t its value at t):

    e^k_t = v_gᵀ tanh(W_g [h^g_{t-1}; c^g_{t-1}] + U_g x^k + b_k)     k in group g
    α^k_t = softmax over the group's features of e^k_t
    (h^g_t, c^g_t) = LSTM_g((α^k_t x^k_t)_k, (h^g_{t-1}, c^g_{t-1}))

b_k is a learned vector per feature (DA-RNN uses one shared bias; with b_k the attention can
learn which sensor matters, not only which series shape).

Implementation: all branches advance together. Groups are padded to the widest group (padded
inputs are masked out of the softmax) and every per-group product is one batched matmul over
the group dimension, so a time step costs a fixed handful of kernels whatever G is. The
U_g x^k + b_k terms do not depend on t and are computed once before the recurrence.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


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
        self.b_att = _uniform(G, 1, K, A, fan_in=A)         # b_k, one vector per feature
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
