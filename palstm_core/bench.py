"""``python -m palstm_core bench``: speed and scale of the core, measured side by side.

Everything in the table is measured in the same process and run (the 1M-row load in a child
process, so that its peak RSS is that of loading alone); warm-up calls are excluded and every
time is the median of several repeats.

This module also holds ``NaiveInputAttentionEncoder``: the PA-LSTM branch encoder written the
straightforward way (a Python loop over groups inside a Python loop over time, plain autograd).
It exists only as the reference the fast encoder is compared with (speed here, values and
gradients in tests/test_bench.py).
"""
from __future__ import annotations

import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .models.attention_encoder import ParallelInputAttentionEncoder


# ---------------------------------------------------------------------------- naive reference
class NaiveInputAttentionEncoder(nn.Module):
    """Same parameters and function as ``ParallelInputAttentionEncoder``, computed naively.

    Parameter names and shapes are those of the fast encoder, so ``load_state_dict`` moves
    weights between them. Padded slots of the fast layout are simply not used here.
    """

    def __init__(self, groups: Sequence[Sequence[int]], lookback: int, hidden_size: int,
                 attention_size: int | None = None):
        super().__init__()
        fast = ParallelInputAttentionEncoder(groups, lookback, hidden_size, attention_size)
        self.groups = [list(map(int, g)) for g in groups]
        self.H = hidden_size
        for name, p in fast.named_parameters():
            self.register_parameter(name, nn.Parameter(p.detach().clone()))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, L, F = x.shape
        H = self.H
        states_g, alpha_g = [], []
        for g, cols in enumerate(self.groups):
            K = len(cols)
            xs = x[:, :, cols].transpose(1, 2)                               # (B, K, L)
            series = xs @ self.U_att[g] + self.b_att[g, 0, :K]               # (B, K, A)
            h = x.new_zeros(B, H)
            c = x.new_zeros(B, H)
            hs, als = [], []
            for t in range(L):
                att = torch.cat([h, c], 1) @ self.W_att[g]                   # (B, A)
                e = torch.tanh(att[:, None, :] + series) @ self.v_att[g]     # (B, K)
                alpha = torch.softmax(e, dim=1)
                gates = (alpha * x[:, t, cols]) @ self.W_ih[g, :K] + h @ self.W_hh[g] + self.b[g, 0]
                i = torch.sigmoid(gates[:, :H])
                f = torch.sigmoid(gates[:, H:2 * H])
                gg = torch.tanh(gates[:, 2 * H:3 * H])
                o = torch.sigmoid(gates[:, 3 * H:])
                c = f * c + i * gg
                h = o * torch.tanh(c)
                hs.append(h)
                als.append(alpha)
            states_g.append(torch.stack(hs, 1))                              # (B, L, H)
            alpha_g.append(torch.stack(als, 1))                              # (B, L, K)
        alpha = x.new_empty(B, L, F)
        for cols, a in zip(self.groups, alpha_g):
            alpha = alpha.index_copy(2, torch.tensor(cols, device=x.device), a)
        return torch.stack(states_g, 2), alpha                               # (B, L, G, H), (B, L, F)


def naive_copy(model: nn.Module) -> nn.Module:
    """A copy of a PA-LSTM / DA-RNN model whose encoder is the naive reference (same weights)."""
    naive = copy.deepcopy(model)
    enc = model.encoder
    groups = [enc.index[g, :int(enc.mask[g].sum())].tolist() for g in range(enc.G)]
    ref = NaiveInputAttentionEncoder(groups, enc.L, enc.H, enc.A)
    ref.load_state_dict(enc.state_dict())
    p = next(model.parameters())
    naive.encoder = ref.to(device=p.device, dtype=p.dtype)
    return naive
