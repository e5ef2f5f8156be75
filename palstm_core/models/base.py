"""The interface every model shares, so training, caching, explaining and the UI need no
per-model branches.

Shapes: B = batch, L = lookback, F = input columns, G = groups, H = hidden size.
A model is built from the input layout and returns a ``ModelOutput``:

    model = MODELS["pa_lstm"](groups=[[0, 1], [2, 3, 4]], lookback=30, hidden_size=32)
    out = model(x)            # x: (B, L, F) scaled inputs, oldest step first
    out.y                     # (B,)       prediction (scaled target); with steps = S > 1:
                              # (B, S)     column k-1 = the forecast of step k (t+horizon+k-1)
    out.feature               # (B, L, F)  feature attention, sums to 1 within each of
                              #            model.attention_groups at every step, or None
    out.temporal              # (B, L)     temporal attention, sums to 1, or None
    out.group                 # (B, G)     group weights, sums to 1, or None
    out.relevance             # (B, L, F)  weight each input x^k_t really gets on the model's
                              #            attention path, sums to 1 per window, or None
                              #            (each model's docstring gives its equation)

Multi-step forecasts (``steps`` > 1, ``WindowSpec.steps``): every model returns ``steps`` values
per window; most through a head with ``steps`` outputs (``nn.Linear(·, steps)``), the seq2seq
model through its decoder. With ``steps == 1`` the head is ``nn.Linear(·, 1)`` as before and
``y`` stays (B,) (``Forecaster.shaped``), so one-step runs, their weights and cached runs are
unchanged. The attention maps stay one per window (B, L, …), over the window's inputs; what a
map means for the steps of a forecast is in each model's docstring.

Teacher forcing (``teacher_forced`` models, seq2seq): during training the loop calls
``model(x, y)`` with the true targets (B, S) and ``model.set_epoch(epoch, epochs)`` before each
epoch; at inference (and validation) the model is called as ``model(x)``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn


def first_step(y: torch.Tensor) -> torch.Tensor:
    """``ModelOutput.y`` of the first forecast step (B,): the prediction of t+horizon, which is
    what the explanation tools (attribution, deletion checks) explain and score for a
    multi-step model. A one-step (B,) output is returned as it is."""
    return y if y.dim() == 1 else y[:, 0]


@dataclass
class ModelOutput:
    y: torch.Tensor
    feature: torch.Tensor | None = None
    temporal: torch.Tensor | None = None
    group: torch.Tensor | None = None
    relevance: torch.Tensor | None = None
    penalty: torch.Tensor | None = None      # training only: a regulariser over the batch's
                                             # windows, which the training loop adds to the loss


class Forecaster(nn.Module):
    """Base class. Subclasses set the class attributes and implement ``forward``.

    groups        list of column-index lists covering 0..F-1 (the sensor groups, plus a
                  "target history" group when the target is an input)
    lookback      L, steps per window
    hidden_size   H, recurrent state size (per branch for PA-LSTM)
    target_index  column of x that holds the target's own history, or None
    steps         S, targets forecast per window (1: ``y`` is (B,), else (B, S))
    """

    name = ""
    description = ""
    closed_form = False          # fitted by fit_closed_form() instead of gradient descent
    has_feature_attention = False
    has_temporal_attention = False
    has_group_weights = False
    teacher_forced = False       # forward(x, y) takes the true targets while training
    # set by the training loop under DDP: sums a tensor over the ranks' parts of the global
    # batch, with gradients (a penalty on a batch statistic needs the whole batch); None: this
    # process holds the whole batch
    batch_sum: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __init__(self, groups: Sequence[Sequence[int]], lookback: int, hidden_size: int = 32,
                 target_index: int | None = None, steps: int = 1):
        super().__init__()
        self.groups = [list(map(int, g)) for g in groups]
        self.n_features = sum(len(g) for g in self.groups)
        if sorted(c for g in self.groups for c in g) != list(range(self.n_features)):
            raise ValueError("groups must partition the input columns 0..F-1")
        self.lookback = int(lookback)
        self.hidden_size = int(hidden_size)
        self.target_index = target_index
        self.steps = int(steps)

    def shaped(self, y: torch.Tensor) -> torch.Tensor:
        """A head's (B, steps) output as ``ModelOutput.y``: (B,) for one step, else (B, steps)."""
        return y.squeeze(-1) if self.steps == 1 else y

    @property
    def attention_groups(self) -> list[list[int]]:
        """Column sets over which feature attention is normalised (default: the groups)."""
        return self.groups

    def forward(self, x: torch.Tensor) -> ModelOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_closed_form(self, train: Iterable[tuple[torch.Tensor, torch.Tensor]],
                        val: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Fit without gradient descent (only for ``closed_form`` models)."""
        raise NotImplementedError
