"""PA-LSTM: parallel attention-based LSTM.

Xie, Zhang, He, You, Fan, Yu, Lei, Zhang. "Parallel attention-based LSTM for building a prediction
model of vehicle emissions using PEMS and OBD." Measurement 185 (2021) 110074.

Shapes: B batch, L lookback, F input columns, G sensor groups, H hidden size per branch,
A attention size.

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

  group weights and fusion ("which sensor group matters")
      γ_g   = softmax_g( u_γᵀ tanh(W_γ h^g_L + b_γ) )
      z_t   = Σ_g γ_g h^g_t                                                (∈ R^H)
      x̄_t   = (G · γ_{g(k)} · α^k_t x^k_t)_k        attended inputs of all groups (∈ R^F)

  temporal attention over the lookback, queried by the newest fused state
      u_t   = [z_t; x̄_t]                                                   (∈ R^{H+F})
      l_t   = v_τᵀ tanh(W_τ u_t + Q_τ z_L + p_t + b_τ);     β_t = softmax_t(l_t)
      s     = Σ_t β_t u_t
      ŷ     = w_oᵀ tanh(W_o s + b_s) + b_o                 (the head sees the context only)
      steps S > 1: each forecast step k has its own position term p_{k,t} ∈ R^A (which lag it
                   reads) and its own share W_{o,k} of the output layer, so its own attention,
                   context and output (w_k = row k of the head):
                   β_{k,t} = softmax_t(v_τᵀ tanh(W_τ u_t + Q_τ z_L + p_t + p_{k,t} + b_τ))
                   s_k = Σ_t β_{k,t} u_t;    ŷ_k = w_kᵀ tanh((W_o + W_{o,k}) s_k + b_s) + b_{o,k}
                   p_{k,t} and W_{o,k} start at 0 (every step starts as the one-step model) and
                   exist only when S > 1 (a one-step model, its weights and cached runs are as
                   before). Why: with a PEMS delay, step 1 (t+1) reads older inputs than steps
                   2…S; with one shared β and output layer the majority of steps wins (urban
                   sample, S = 10: step-1 test R² 0.895 with one β, 0.909 with a learned query
                   offset per step, 0.957 with p_{k,t} but far steps overfit (step 10: −0.39),
                   0.939 with p_{k,t} and W_{o,k}, far steps better (step 10: 0.51, mean 0.81);
                   the one-step run: 0.976; docs/benchmarks.md).
                   ``temporal`` is then β̄_t = mean_k β_{k,t} (sums to 1) and the relevance uses β̄
                   (= the mean over steps of each step's relevance); α and γ serve all steps.

Why the temporal attention looks like this (the paper gives the idea, not every equation).
Attention over recurrent states alone cannot say *when* an input mattered: h_t at the newest
step already carries the memory of an input many steps back, so a head on Σ β_t h_t has no
reason to look back, and β drifts towards the newest steps whatever the true lag is (checked on
``simulate.planted_signal``: β rose monotonically to the newest step with the signal 8 steps
back). Three changes make β point at the step that carries the information:
  * the values u_t include the step's own attended inputs x̃_t, so the context can read a lagged
    input directly instead of through the recurrent memory;
  * p_t ∈ R^A is a learned position-in-window embedding (learned positions as in Gehring et al.,
    2017 and Vaswani et al., 2017). A PEMS analyzer sees the exhaust after a fixed transport
    delay, so "k steps back" is a property of the position, which content alone cannot express;
  * the head is a small non-linear layer on the context only (no skip from z_L), so a
    non-linear response to the lagged input is formed after the attention has selected it.
Why the fusion is a weighted *sum* of the branch states and not a concatenation: every branch
state is bounded (|h^g_t| ≤ 1), and in a sum all branches share the layers after it, so γ_g bounds
group g's share of z_t and a group with a small γ_g really contributes little. After a
concatenation [γ_1 h^1; …; γ_G h^G] the next linear layer has separate weights per group and can
undo any γ (measured on the urban sample: the engine group got γ = 0.08 while deleting MAF or
fuel rate raised the error by +240 % / +160 %). The direct input path x̄ is scaled by the same γ.
Relevance (``ModelOutput.relevance``, (B, L, F)): the weight input x^k_t gets in the context s
on its direct path. x^k_t enters s only as β_t · x̄^k_t = β_t · G·γ_{g(k)} · α^k_t · x^k_t, so its
weight is β_t · G·γ_{g(k)} · α^k_t; normalised per window (Σ_{t,k} = G·Σ_t β_t·Σ_g γ_g = G):

      r^k_t = β_t · γ_{g(k)} · α^k_t                        Σ_t Σ_k r^k_t = 1

Unlike α (which is nearly constant along t) it says *which sensor, when*. It covers the direct
path only: x^k_t also reaches s through the recurrent states z_t, which carry no per-input
weight; ``palstm_core.attribution.attribute`` measures the whole function.
With these, β peaks at the planted lag (tests/test_planted.py) and the accuracy on the sample
drives is unchanged or better (docs/benchmarks.md).

The branches are computed by ``ParallelInputAttentionEncoder`` (attention_encoder.py), which
advances all of them together with batched matmuls over the group dimension.
"""
from __future__ import annotations

import torch
from torch import nn

from .attention_encoder import ParallelInputAttentionEncoder
from .base import Forecaster, ModelOutput
from ..i18n import N_


class PALSTM(Forecaster):
    name = "pa_lstm"
    description = N_("PA-LSTM: one attention LSTM branch per sensor group, group weights, temporal attention")
    has_feature_attention = True
    has_temporal_attention = True
    has_group_weights = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, attention_size=None,
                 steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        H, L, F = self.hidden_size, self.lookback, self.n_features
        A = attention_size or H
        self.encoder = ParallelInputAttentionEncoder(self.groups, L, H, A)
        self.group_proj = nn.Linear(H, A)                  # W_γ, b_γ
        self.group_score = nn.Linear(A, 1, bias=False)     # u_γ
        self.temporal_key = nn.Linear(H + F, A)            # W_τ, b_τ  on u_t = [z_t; x̄_t]
        self.temporal_query = nn.Linear(H, A, bias=False)  # Q_τ       on z_L
        self.position = nn.Parameter(torch.zeros(L, A))    # p_t
        self.temporal_score = nn.Linear(A, 1, bias=False)  # v_τ
        self.context_proj = nn.Linear(H + F, H)            # W_o, b_s
        self.head = nn.Linear(H, self.steps)               # w_o, b_o (W'_o for S steps)
        if self.steps > 1:       # created last: a one-step model's initialisation is unchanged
            self.step_position = nn.Parameter(torch.zeros(self.steps, L, A))  # p_{k,t}
            self.step_proj = nn.Parameter(torch.zeros(self.steps, H + F, H))  # W_{o,k} − W_o
        group_of = torch.zeros(F, dtype=torch.long)
        for g, cols in enumerate(self.groups):
            group_of[cols] = g
        self.register_buffer("group_of", group_of, persistent=False)  # (F,) group of column

    def forward(self, x: torch.Tensor) -> ModelOutput:
        B, L, _ = x.shape                                                   # x: (B, L, F)
        states, alpha = self.encoder(x)                                     # (B, L, G, H), (B, L, F)
        G = states.shape[2]
        gamma = torch.softmax(self.group_score(torch.tanh(self.group_proj(states[:, -1]))).squeeze(-1), -1)  # (B, G)
        z = (states * gamma[:, None, :, None].to(states.dtype)).sum(2)      # (B, L, H)
        x_bar = alpha.to(z.dtype) * x.to(z.dtype) * (G * gamma[:, None, self.group_of]).to(z.dtype)
        u = torch.cat([z, x_bar], -1)                                       # (B, L, H+F)
        pre = self.temporal_key(u) + self.temporal_query(z[:, -1:]) + self.position  # (B, L, A)
        if self.steps > 1:
            y, beta = self._steps_head(pre, u)                             # (B, S), (B, L)
        else:
            beta = torch.softmax(self.temporal_score(torch.tanh(pre)).squeeze(-1), dim=-1)  # (B, L)
            context = torch.bmm(beta[:, None, :].to(u.dtype), u).squeeze(1)  # (B, H+F)
            y = self.shaped(self.head(torch.tanh(self.context_proj(context))))  # (B,)
        relevance = beta.float()[:, :, None] * alpha.float() * gamma.float()[:, None, self.group_of]
        return ModelOutput(y, alpha, beta, gamma, relevance)                # relevance (B, L, F)

    def _step_attention(self, pre: torch.Tensor) -> torch.Tensor:
        """β_{k,t} (B, S, L): the temporal attention of every forecast step (S > 1)."""
        pre = pre[:, None] + self.step_position.to(pre.dtype)              # (B, S, L, A)
        return torch.softmax(self.temporal_score(torch.tanh(pre)).squeeze(-1), dim=-1)

    def _steps_head(self, pre: torch.Tensor, u: torch.Tensor):
        """Forecasts (B, S) from each step's own context, and β̄ (B, L)."""
        beta = self._step_attention(pre)                                    # (B, S, L)
        context = torch.bmm(beta.to(u.dtype), u)                            # (B, S, H+F)
        g = torch.tanh(self.context_proj(context)
                       + torch.einsum("bsi,sio->bso", context, self.step_proj.to(context.dtype)))
        y = (g * self.head.weight.to(g.dtype)).sum(-1) + self.head.bias.to(g.dtype)
        return y, beta.mean(1)
