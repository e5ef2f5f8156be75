"""Self-attention and multi-head attention on a window of a drive ("Attention is all you need",
the seeds' 003: SDPA and MHA), computed by hand so every intermediate can be shown.

    sa = self_attention(window, heads=2, d_model=8, seed=0)
    sa.scores       (n, L, L) query·key scores Q_h K_hᵀ / √d_h of every head h
    sa.weights      (n, L, L) softmax of each row (sums to 1): how much step i reads step j
    sa.output       (L, d) the heads' outputs side by side, times W^O
    sa.check        max |output − torch's nn.MultiheadAttention with the same weights|

Equations:
    Q_h = X W^Q_h,  K_h = X W^K_h,  V_h = X W^V_h          X = window (L × F) embedded + PE
    A_h = softmax(Q_h K_hᵀ / √d_h)                         (scaled dot-product attention)
    MHA(X) = [A_1 V_1; …; A_n V_n] W^O                      (heads side by side)

The weights are random (seeded) unless ``model`` (a trained ``palstm_core`` transformer's
``EncoderLayer`` input) is given: with a trained run, ``run.model.attention_maps(x)`` gives the
maps of the model itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..models.transformer import positional_encoding


@dataclass
class SelfAttention:
    scores: np.ndarray
    weights: np.ndarray
    output: np.ndarray
    embedded: np.ndarray
    check: float

    def query_row(self, step: int) -> np.ndarray:
        """(n, L): each head's weights of query ``step`` (0 = oldest, −1 = newest)."""
        return self.weights[:, step]


def self_attention(window, heads: int = 2, d_model: int = 8, seed: int = 0,
                   positions: bool = True) -> SelfAttention:
    """Scores, softmax weights and output of multi-head self-attention over ``window``
    ((L,) or (L, F) scaled values, oldest first), with seeded random projections."""
    x = np.asarray(window, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    L, F = x.shape
    heads, d_model = int(heads), int(d_model)
    if d_model % heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of heads ({heads})")
    torch.manual_seed(seed)
    embed = nn.Linear(F, d_model)
    mha = nn.MultiheadAttention(d_model, heads, batch_first=True)
    with torch.no_grad():
        z = embed(torch.as_tensor(x)) + (positional_encoding(L, d_model) if positions else 0)
        W_q, W_k, W_v = mha.in_proj_weight.chunk(3)
        b_q, b_k, b_v = mha.in_proj_bias.chunk(3)
        d_h = d_model // heads
        split = lambda t: t.view(L, heads, d_h).transpose(0, 1)     # noqa: E731  (n, L, d_h)
        q, k, v = split(z @ W_q.T + b_q), split(z @ W_k.T + b_k), split(z @ W_v.T + b_v)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d_h)           # (n, L, L)
        weights = torch.softmax(scores, dim=-1)
        out = mha.out_proj((weights @ v).transpose(0, 1).reshape(L, d_model))
        ref, ref_w = mha(z[None], z[None], z[None], need_weights=True,
                         average_attn_weights=False)
        check = float(max((out - ref[0]).abs().max(), (weights - ref_w[0]).abs().max()))
    return SelfAttention(scores.numpy(), weights.numpy(), out.numpy(), z.numpy(), check)
