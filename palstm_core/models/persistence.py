"""Persistence baseline, the floor every model must beat. Shapes: x (B, L, F) -> ŷ (B,).

    ŷ_t = y_{newest input step}    when the target's own history is an input
    ŷ_t = mean(y_train)            otherwise (sensors only)

Several forecast steps (S > 1): the same value for every step (the last observed value, or
the training mean over all steps' targets), as (B, S).
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Forecaster, ModelOutput
from ..i18n import N_


class Persistence(Forecaster):
    name = "persistence"
    description = N_("Last observed target value (or the training mean without target history)")
    closed_form = True

    def __init__(self, groups, lookback, hidden_size=32, target_index=None, steps=1):
        super().__init__(groups, lookback, hidden_size, target_index, steps)
        self.mean = nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        if self.target_index is not None:
            last = x[:, -1, self.target_index]
            return ModelOutput(last if self.steps == 1 else last[:, None].expand(-1, self.steps))
        shape = (len(x),) if self.steps == 1 else (len(x), self.steps)
        return ModelOutput(self.mean.to(x.dtype).expand(*shape))

    @torch.no_grad()
    def fit_closed_form(self, train, val) -> None:
        total, count = 0.0, 0
        for _, y in train:
            total += float(y.double().sum())
            count += y.numel()
        self.mean.fill_(total / max(count, 1))
