"""Transformer encoder over the lookback (self-attention, "Attention is all you need").

Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin. "Attention Is All You
Need." NeurIPS 2017 (the seeds' 003: self-attention, scaled dot-product attention (SDPA) and
multi-head attention). Shapes: x (B, L, F); d = hidden size, n heads of size d_h = d / n
(n = 4, 2 or 1, the largest that divides d); layers N = 2.

  embedding and sinusoidal positional encoding (position t = 0 … L−1, oldest first)
      z⁰_t = W_e x_t + b_e + PE_t,   PE_{t,2i} = sin(t / 10000^{2i/d}),  PE_{t,2i+1} = cos(…)
  each of the N layers (pre-norm residual blocks)
      a = LN(z);   Q_h = a W^Q_h,  K_h = a W^K_h,  V_h = a W^V_h            (L × d_h per head h)
      A_h = softmax(Q_h K_hᵀ / √d_h)                                      (L × L, rows sum to 1)
      MHA(a) = [A_1 V_1; …; A_n V_n] W^O                                  (heads side by side)
      z ← z + MHA(a);   z ← z + W_2 ReLU(W_1 LN(z) + b_1) + b_2           (FFN, 2d wide)
  read-out at the newest step
      ŷ = wᵀ LN(z^N_L) + b            steps S > 1: ŷ = W LN(z^N_L) + b ∈ R^S

A_h V_h is computed by ``torch.nn.functional.scaled_dot_product_attention`` (fused kernels on
GPU). The attention weights themselves, which SDPA does not return, are recomputed from the same
Q and K with the formula above (tests check A_h V_h equals SDPA's output).

Maps. ``ModelOutput.temporal`` (B, L) is the last layer's attention of the newest position (the
query the read-out sees) over the L steps, averaged over the heads: row L of A_h, mean over h;
it sums to 1. It serves every forecast step (one read-out, S outputs). ``attention_maps(x)``
gives every layer's per-head maps (B, n, L, L) (query step × key step). These weigh the layer's
input vectors, which after the first layer mix all steps, so the last layer's map says which
positions the read-out attends to, not which raw inputs matter; there is no per-input relevance
(``relevance`` is None; ``palstm_core.attribution.attribute`` measures the whole function).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as nnf
from torch import nn

from .base import Forecaster, ModelOutput
from ..i18n import N_

LAYERS = 2


def positional_encoding(length: int, d: int) -> torch.Tensor:
    """(length, d) sinusoidal positional encoding of Vaswani et al. (2017)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d)
    pe[:, 0::2] = torch.sin(pos * rate)
    pe[:, 1::2] = torch.cos(pos * rate)[:, : d // 2]
    return pe


def n_heads(d: int) -> int:
    """The number of heads for model width ``d``: 4, 2 or 1, the largest that divides it."""
    return next(h for h in (4, 2, 1) if d % h == 0)


class EncoderLayer(nn.Module):
    """One pre-norm Transformer encoder layer: multi-head self-attention (SDPA) and an FFN."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads, self.d_head = heads, d // heads
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)                 # W^Q, W^K, W^V of all heads
        self.out = nn.Linear(d, d)                     # W^O
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))

    def _qkv(self, z: torch.Tensor):
        B, L, d = z.shape
        q, k, v = self.qkv(self.norm1(z)).view(B, L, 3, self.heads, self.d_head).unbind(2)
        return q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)   # (B, n, L, d_h)

    def weights(self, z: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        """A_h = softmax(Q_h K_hᵀ / √d_h): (B, n, L, L), or (B, n, L) for the newest query."""
        q, k, _ = self._qkv(z)
        if last_only:
            q = q[:, :, -1:]
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.d_head), dim=-1)
        return a[:, :, 0] if last_only else a

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        B, L, d = z.shape
        q, k, v = self._qkv(z)
        heads = nnf.scaled_dot_product_attention(q, k, v)                 # (B, n, L, d_h)
        z = z + self.out(heads.transpose(1, 2).reshape(B, L, d))
        return z + self.ffn(self.norm2(z))


class Transformer(Forecaster):
    name = "transformer"
    description = N_("Transformer encoder: multi-head self-attention (SDPA) over the lookback")
    has_temporal_attention = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        d = self.hidden_size
        self.heads = n_heads(d)
        self.embed = nn.Linear(self.n_features, d)                        # W_e, b_e
        self.register_buffer("pe", positional_encoding(self.lookback, d), persistent=False)
        self.layers = nn.ModuleList(EncoderLayer(d, self.heads) for _ in range(LAYERS))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, self.steps)

    def _encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The input of every layer and the last layer's output: N + 1 tensors (B, L, d)."""
        z = self.embed(x) + self.pe.to(x.dtype)
        out = [z]
        for layer in self.layers:
            z = layer(z)
            out.append(z)
        return out

    def forward(self, x: torch.Tensor) -> ModelOutput:
        zs = self._encode(x)
        temporal = self.layers[-1].weights(zs[-2], last_only=True).mean(1)   # (B, L)
        y = self.head(self.norm(zs[-1][:, -1]))                              # (B, S)
        return ModelOutput(self.shaped(y), temporal=temporal)

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-head attention of every layer: {"layer 1": (B, n, L, L), …} (query × key step)."""
        zs = self._encode(x)
        return {f"layer {i + 1}": layer.weights(z) for i, (layer, z)
                in enumerate(zip(self.layers, zs))}
