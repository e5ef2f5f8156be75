"""Persistence baseline, the floor every model must beat. Shapes: x (B, L, F) -> ŷ (B,).

    ŷ_t = y_{newest input step}    when the target's own history is an input
    ŷ_t = mean(y_train)            otherwise (sensors only)
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

    def __init__(self, groups, lookback, hidden_size=32, target_index=None):
        super().__init__(groups, lookback, hidden_size, target_index)
        self.mean = nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        if self.target_index is not None:
            return ModelOutput(x[:, -1, self.target_index])
        return ModelOutput(self.mean.to(x.dtype).expand(len(x)))

    @torch.no_grad()
    def fit_closed_form(self, train, val) -> None:
        total, count = 0.0, 0
        for _, y in train:
            total += float(y.double().sum())
            count += len(y)
        self.mean.fill_(total / max(count, 1))
