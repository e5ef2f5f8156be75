"""Attention as a soft lookup: scaled dot-product and additive (Bahdanau) weights over 2-D keys,
and LSTM + attention pooling over hidden states."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z))
    return e / e.sum()


def attention_keys(seq, n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys and values for ``n`` steps spread evenly over a scaled sequence: key_t = (level
    x_t, 3 · change x_t − x_{t−1}) in 2-D so it can be drawn (×3 so both axes have a similar
    range); value_t = x_t. Returns (keys (n, 2), values (n,), step numbers (n,), 1-based)."""
    x = np.asarray(seq, dtype=float)
    d = np.diff(x, prepend=x[0])
    idx = np.unique(np.linspace(0, len(x) - 1, min(n, len(x))).round().astype(int))
    return np.stack([x, d * 3.0], 1)[idx], x[idx], idx + 1


def dot_attention(query, keys) -> np.ndarray:
    """Scaled dot-product attention weights softmax(q·k_j / √d) over the keys (sum to 1)."""
    q, K = np.asarray(query, dtype=float), np.asarray(keys, dtype=float)
    return softmax(K @ q / math.sqrt(K.shape[1]))


@dataclass
class AdditiveParams:
    """Bahdanau's scorer e_j = vᵀ tanh(W_q q + W_k k_j). Here fixed (seeded), not learned."""

    W_q: np.ndarray
    W_k: np.ndarray
    v: np.ndarray


def additive_params(dim: int = 2, size: int = 8, seed: int = 0) -> AdditiveParams:
    rng = np.random.default_rng(seed)
    return AdditiveParams(rng.normal(0, 1, (size, dim)), rng.normal(0, 1, (size, dim)),
                          rng.normal(0, 1, size))


def additive_attention(query, keys, params: AdditiveParams | None = None) -> np.ndarray:
    """Additive (Bahdanau) attention weights softmax_j(vᵀ tanh(W_q q + W_k k_j))."""
    q, K = np.asarray(query, dtype=float), np.asarray(keys, dtype=float)
    p = params or additive_params(K.shape[1])
    scores = np.tanh(p.W_q @ q + K @ p.W_k.T) @ p.v
    return softmax(scores)


def attention_pooling(H, w) -> tuple[np.ndarray, np.ndarray]:
    """LSTM + attention pooling: α = softmax(wᵀ tanh(H)), h = Σ_j α_j H_j.
    H: (T, hidden) hidden states, w: (hidden,). Returns (α (T,), h (hidden,))."""
    H, w = np.asarray(H, dtype=float), np.asarray(w, dtype=float)
    alpha = softmax(np.tanh(H) @ w)
    return alpha, alpha @ H
