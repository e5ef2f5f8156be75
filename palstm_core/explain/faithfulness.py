"""Deletion check of a run's feature attention: does removing the most-attended inputs hurt?"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .scoring import removed_predictions
from ..i18n import _


@dataclass
class Faithfulness:
    """Result of the deletion check (``faithfulness``); errors in the target's own units.

    baseline_rmse         RMSE with the inputs unchanged
    rmse_top_removed      RMSE after replacing the k most-attended inputs by their training mean
    rmse_bottom_removed   same for the k least-attended inputs
    increase_top/bottom   RMSE increase over the baseline (in target units)
    summary               one sentence for the Results page
    """

    baseline_rmse: float
    rmse_top_removed: float
    rmse_bottom_removed: float
    increase_top: float
    increase_bottom: float
    k: int
    mode: str
    n_windows: int
    summary: str

    def to_dict(self) -> dict:
        return asdict(self)


def _feature_scores(model, att, sensors: list[int]) -> np.ndarray:
    """(N, L, S) importance of each sensor at each step: α^k_t, times the group weight γ_g(k)
    when the model has group weights (so scores are comparable across groups)."""
    alpha = att.feature[:, :, sensors]
    if att.group is not None:
        group_of = {c: g for g, cols in enumerate(model.groups) for c in cols}
        alpha = alpha * att.group[:, None, [group_of[c] for c in sensors]]
    return alpha


def faithfulness(run, ds, part: str = "test", k: int = 1, mode: str = "window",
                 batch_size: int = 1024) -> Faithfulness:
    """Deletion check of the feature attention of ``run`` on the ``part`` windows of ``ds`` (a
    Dataset or a Campaign, windows from ``run.inputs``: a run with ``test_drives`` scores them).

    The k most-attended sensor inputs are replaced by their training mean (0 in the scaled
    space the model sees) and the RMSE is recomputed; likewise for the k least-attended ones.
    A trustworthy attention gives a much larger error increase when the inputs it points at are
    removed. ``mode`` chooses what "an input" is:

      "window"  per window: the k sensors with the largest mean attention over the window's
                steps are removed at every step (default)
      "step"    per window: the k (step, sensor) cells with the largest attention are removed;
                with temporal attention a cell's weight is β_t · α^k_t
      "mean"    one ranking for the whole part: the k sensors with the largest mean attention

    Attention of a sensor = its feature attention α^k_t, times its group weight γ_g when the
    model has group weights. The target's own history (when it is an input) is never removed.
    Models without feature attention get NaNs and a summary that says so.
    """
    if mode not in ("window", "step", "mean"):
        raise ValueError(_("mode must be 'window', 'step' or 'mean'"))
    model = run.model
    nan = float("nan")
    if not model.has_feature_attention:
        return Faithfulness(nan, nan, nan, nan, nan, k, mode, 0,
                            f"{run.config.model} has no feature attention, so there is nothing "
                            "to check by deletion.")
    inp = run.inputs(ds, part)                   # a Dataset or a Campaign, its drive names
    valid = np.flatnonzero(np.isfinite(inp.y))
    if len(valid) == 0:
        raise ValueError(_("no windows with a known target in the {part!r} part", part=part))
    sensors = [i for i, c in enumerate(run.columns) if c != run.target or not run.window.target_history]
    k = max(1, min(int(k), len(sensors)))
    y = run.scaler.inverse(inp.y[valid].astype(float))
    att = run.explain(ds, part=part)
    score = _feature_scores(model, att, sensors)[valid]                       # (N, L, S)
    temporal = None if att.temporal is None else att.temporal[valid]
    masks = [_keep(score, temporal, order, k, mode, sensors, len(run.columns))
             for order in ("top", "bottom")]

    def keep(i: int, x: torch.Tensor) -> torch.Tensor:
        sel = [torch.as_tensor(m[i:i + len(x)], device=x.device) for m in masks]
        return torch.stack([torch.ones_like(sel[0]), *sel])
    base, top, bottom = removed_predictions(model, inp.x, valid, keep, 3, batch_size)

    def rmse(pred_scaled: np.ndarray) -> float:
        p = run.scaler.inverse(pred_scaled.astype(float))
        return float(np.sqrt(np.mean((p - y) ** 2)))

    b, t, m = rmse(base), rmse(top), rmse(bottom)
    summary = _summary(run, part, k, mode, b, t, m)
    return Faithfulness(b, t, m, t - b, m - b, k, mode, int(len(valid)), summary)


def _keep(score: np.ndarray, temporal, order: str, k: int, mode: str, sensors: list[int],
          n_features: int) -> np.ndarray:
    """(N, L, F) boolean mask: False where the ``order`` ("top"/"bottom") k inputs are removed."""
    N, L, S = score.shape
    keep = np.ones((N, L, S), dtype=bool)
    if mode == "mean":
        rank = np.argsort(-score.sum(axis=(0, 1)))
        cols = rank[:k] if order == "top" else rank[::-1][:k]
        keep[:, :, cols] = False
    elif mode == "window":
        rank = np.argsort(-score.mean(axis=1), axis=1)             # (N, S)
        cols = rank[:, :k] if order == "top" else rank[:, ::-1][:, :k]
        np.put_along_axis(keep, np.broadcast_to(cols[:, None, :], (N, L, k)), False, 2)
    else:
        cell = score * (temporal[:, :, None] if temporal is not None else 1.0)
        rank = np.argsort(-cell.reshape(N, -1), axis=1)
        cols = rank[:, :k] if order == "top" else rank[:, ::-1][:, :k]
        flat = keep.reshape(N, -1)
        np.put_along_axis(flat, cols, False, 1)
        keep = flat.reshape(N, L, S)
    full = np.ones((N, L, n_features), dtype=bool)
    full[:, :, sensors] = keep
    return full


def _summary(run, part: str, k: int, mode: str, b: float, t: float, m: float) -> str:
    """One sentence for the Results page: what was removed, the RMSEs, and the verdict."""
    what = {"window": "most-attended sensor" if k == 1 else f"{k} most-attended sensors",
            "step": "most-attended input cell" if k == 1 else f"{k} most-attended input cells",
            "mean": "sensor with the most attention overall" if k == 1
            else f"{k} sensors with the most attention overall"}[mode]
    unit = f" {run.target_unit}" if getattr(run, "target_unit", "") else ""
    verdict = ("so the attention points at inputs the model really uses"
               if t - b > 2 * max(m - b, 0) and t - b > 0.02 * b else
               "so the attention is not a reliable guide to what the model uses")
    summary = (f"Replacing the {what} of each window by its training mean raised the {part} RMSE "
               f"from {b:.3g} to {t:.3g}{unit} ({100 * (t - b) / b:+.0f} %); replacing the least-"
               f"attended one{'s' if k > 1 else ''} gave {m:.3g}{unit} "
               f"({100 * (m - b) / b:+.0f} %), {verdict}.")
    if mode == "mean":
        summary = summary.replace(" of each window", "")
    return summary
