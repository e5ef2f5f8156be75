"""Why gates help: how much gradient reaches each input step of a plain RNN, an LSTM and a GRU."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from .cell import build_recurrent


def gradient_by_step(lookback: int = 50, hidden: int = 16, batch: int = 64, seed: int = 0,
                     forget_bias: float = 1.0, kinds=("rnn", "lstm", "gru")) -> pd.DataFrame:
    """How much the loss at the END of a sequence still depends on each input step.

    Toy task "remember the first value": inputs x_1..x_L are random N(0, 1), the target is x_1,
    the prediction is a linear read-out of h_L. For every model (freshly initialised from
    ``seed``, same read-out seed), the loss is backpropagated with autograd and the norm of
    ∂loss/∂x_t over the batch is reported for every step t. Returns a DataFrame with columns
    step (1 = oldest), steps_back (L − step) and one column per kind.
    """
    L = int(lookback)
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randn(batch, L, 1, generator=gen, dtype=torch.float64)
    y = x0[:, 0, 0]
    out = {"step": np.arange(1, L + 1), "steps_back": L - np.arange(1, L + 1)}
    for kind in kinds:
        out[kind] = _input_gradient(kind, x0, y, hidden, seed, forget_bias)
    return pd.DataFrame(out)


def _input_gradient(kind, x0, y, hidden, seed, forget_bias) -> np.ndarray:
    """Norm over the batch of ∂loss/∂x_t for a fresh ``kind`` network (float64, so tiny
    gradients do not underflow to zero)."""
    module = build_recurrent(kind, hidden, seed,
                             forget_bias=forget_bias if kind == "lstm" else None).double()
    torch.manual_seed(seed + 7)
    head = nn.Linear(hidden, 1).double()
    x = x0.double().requires_grad_(True)
    h, _ = module(x)
    loss = torch.mean((head(h[:, -1]).squeeze(-1) - y) ** 2)
    (grad,) = torch.autograd.grad(loss, x)
    return grad[..., 0].norm(dim=0).numpy().astype(float)
