"""The seq2seq attention decoder step by step (the seeds' 004: "the decoder checks the
encoder's outputs at every step", an open-book test), on a piece of a drive.

    demo = decoder_demo(seq.scaled, lookback=12, steps=5, attention="luong", train_steps=60)
    demo.attention          (S, L) which encoder step each decoder step reads (rows sum to 1)
    demo.forecast           (S,) the decoder's forecasts without teacher forcing (inference)
    demo.forced_attention   (S, L) / demo.forced_forecast (S,): the same window with teacher
                            forcing (every decoder step fed the true previous value)
    demo.table()            one row per decoder step: target, forecasts, most-read input step

The model is ``palstm_core.models.Seq2Seq`` (the one the Train page trains), tiny and trained
here for ``train_steps`` Adam steps on every window of the sequence to forecast its next
``steps`` values (one channel, scaled). Equations (models/seq2seq.py):

    Luong    e_kj = d_kᵀ h_j                       Bahdanau   e_kj = vᵀ tanh(W_a d_{k-1} + U_a h_j)
    a_kj = softmax_j(e_kj),   c_k = Σ_j a_kj h_j,   ŷ_k = w_oᵀ tanh(W_c [c_k; d_k] + b_c) + b_o
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..models import MODELS


@dataclass
class DecoderDemo:
    attention: np.ndarray
    forecast: np.ndarray
    forced_attention: np.ndarray
    forced_forecast: np.ndarray
    inputs: np.ndarray              # (L,) the window's input values (scaled)
    targets: np.ndarray             # (S,) the values the decoder should forecast (scaled)
    kind: str
    losses: list[float] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        L = len(self.inputs)
        return pd.DataFrame({
            "decoder step": np.arange(1, len(self.targets) + 1),
            "target": self.targets, "forecast": self.forecast,
            "forecast (teacher forcing)": self.forced_forecast,
            "most-read input step": [f"t−{L - 1 - int(i)}" if i < L - 1 else "t"
                                     for i in np.argmax(self.attention, axis=1)],
            "its weight": self.attention.max(axis=1),
        })


def _windows(seq: np.ndarray, lookback: int, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(seq) - lookback - steps + 1
    idx = np.arange(n)[:, None]
    x = seq[idx + np.arange(lookback)]
    y = seq[idx + lookback + np.arange(steps)]
    return (torch.as_tensor(x, dtype=torch.float32)[:, :, None],
            torch.as_tensor(y, dtype=torch.float32))


def decoder_demo(seq, lookback: int = 12, steps: int = 5, attention: str = "luong",
                 hidden: int = 8, train_steps: int = 60, window: int | None = None,
                 seed: int = 0, lr: float = 0.02) -> DecoderDemo:
    """Train a tiny seq2seq on ``seq`` (1-D, scaled) and show one window's decoder: the
    attention of every decoder step over the encoder steps, with and without teacher forcing.
    ``window``: which window (default the last one). Deterministic for a given seed."""
    seq = np.asarray(seq, dtype=float)
    lookback, steps = int(lookback), int(steps)
    if len(seq) < lookback + steps + 1:
        raise ValueError(f"the sequence needs at least lookback + steps + 1 = "
                         f"{lookback + steps + 1} values, it has {len(seq)}")
    x, y = _windows(seq, lookback, steps)
    torch.manual_seed(seed)
    model = MODELS["seq2seq"](groups=[[0]], lookback=lookback, hidden_size=hidden, steps=steps,
                              target_index=0, attention=attention, teacher_forcing=0.5)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for epoch in range(1, int(train_steps) + 1):
        model.set_epoch(epoch, int(train_steps))
        loss = torch.mean((model(x, y).y - y) ** 2)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
    model.eval()
    i = len(x) - 1 if window is None else int(min(max(window, 0), len(x) - 1))
    xi, yi = x[i:i + 1], y[i:i + 1]
    with torch.no_grad():
        free, att = model._decode(xi, None)
        forced, f_att = model._decode(xi, yi, forced=torch.ones(1, steps, dtype=torch.bool))
    return DecoderDemo(att[0].numpy(), free[0].numpy(), f_att[0].numpy(), forced[0].numpy(),
                       xi[0, :, 0].numpy(), yi[0].numpy(), attention, losses)
