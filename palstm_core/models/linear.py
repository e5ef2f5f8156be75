"""Linear baseline: ridge regression on the flattened window, fitted in closed form.

Hoerl & Kennard, "Ridge regression", Technometrics 12(1), 1970. Shapes: x (B, L, F) ->
vec(X) (B, L·F) -> ŷ (B,).

    ŷ = wᵀ vec(X) + b,      X ∈ R^{L×F}
    w = argmin ‖y - Xw - b‖² + λ‖w‖²  =  (XᵀX + λI)⁻¹ Xᵀy    (on centred data)

XᵀX and Xᵀy are accumulated batch by batch (no design matrix in memory); λ is chosen from a
log grid by the validation error.

Several forecast steps (S > 1): one ridge regression per step, all sharing XᵀX and λ
(W ∈ R^{L·F × S}, b ∈ R^S; λ chosen by the validation error summed over the steps).
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Forecaster, ModelOutput
from ..i18n import N_

LAMBDAS = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)


class Linear(Forecaster):
    name = "linear"
    description = N_("Ridge regression on the flattened window (closed form)")
    closed_form = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        P = self.lookback * self.n_features
        # one step: a weight vector and a scalar bias, as before (cached runs keep loading)
        self.weight = nn.Parameter(torch.zeros(P) if self.steps == 1 else torch.zeros(P, self.steps))
        self.bias = nn.Parameter(torch.zeros(()) if self.steps == 1 else torch.zeros(self.steps))

    def forward(self, x: torch.Tensor) -> ModelOutput:
        return ModelOutput(x.flatten(1) @ self.weight.to(x.dtype) + self.bias)   # (B,) / (B, S)

    @torch.no_grad()
    def fit_closed_form(self, train, val) -> None:
        P = self.weight.shape[0]
        xtx = torch.zeros(P + 1, P + 1, dtype=torch.float64, device=self.weight.device)
        xty = torch.zeros(P + 1, *self.weight.shape[1:], dtype=torch.float64,
                          device=self.weight.device)
        for x, y in train:
            a = torch.cat([x.flatten(1).double(), x.new_ones(len(x), 1).double()], 1)
            xtx += a.T @ a
            xty += a.T @ y.double()
        n = xtx[-1, -1]
        best = None
        for lam in LAMBDAS:
            reg = torch.eye(P + 1, dtype=torch.float64, device=xtx.device) * lam * n / 1000
            reg[-1, -1] = 0                                          # bias is not penalised
            wb = torch.linalg.solve(xtx + reg, xty)
            self.weight.copy_(wb[:-1].float())
            self.bias.copy_(wb[-1].float())
            err = sum(float(((self(x).y - y) ** 2).sum()) for x, y in val)
            if best is None or err < best[0]:
                best = (err, wb)
        self.weight.copy_(best[1][:-1].float())
        self.bias.copy_(best[1][-1].float())
