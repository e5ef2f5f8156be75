"""Regression metrics in the target's own units."""
from __future__ import annotations

import numpy as np


def regression_metrics(actual, predicted) -> dict[str, float]:
    """RMSE, MAE, MAPE (%) and R² over the rows where both values are finite.

    MAPE divides by max(|actual|, 1 % of mean |actual|) so that near-zero emissions (idle, fuel
    cut) do not blow it up.
    """
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    a, p = a[ok], p[ok]
    if a.size == 0:
        return {"rmse": float("nan"), "mae": float("nan"), "mape": float("nan"), "r2": float("nan")}
    err = p - a
    floor = max(0.01 * float(np.mean(np.abs(a))), 1e-12)
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "mape": float(100 * np.mean(np.abs(err) / np.maximum(np.abs(a), floor))),
        "r2": float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
    }


def exceedance_flags(actual, predicted, threshold: float) -> np.ndarray:
    """Per-row early-warning outcome of ``predicted > threshold`` against ``actual > threshold``.

    Returns an array of strings: "hit" (both above), "miss" (actual above, prediction not),
    "false alarm" (prediction above, actual not), "quiet" (both below) and "" where either
    value is missing.
    """
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    real, warn = a > threshold, p > threshold
    out = np.full(a.shape, "", dtype=object)
    out[ok & real & warn] = "hit"
    out[ok & real & ~warn] = "miss"
    out[ok & ~real & warn] = "false alarm"
    out[ok & ~real & ~warn] = "quiet"
    return out


def exceedance_counts(actual, predicted, threshold: float) -> dict[str, float]:
    """High-emission early warning: how often ``predicted > threshold`` matched
    ``actual > threshold``.

    Counts rows (time steps): hits, misses, false_alarms, quiet (both below); plus
    ``hit_rate`` = hits / (hits + misses) and ``false_alarm_ratio`` = false alarms / warnings
    (NaN when undefined). Rows where either value is missing are not counted.
    """
    flags = exceedance_flags(actual, predicted, threshold)
    hits = int(np.sum(flags == "hit"))
    misses = int(np.sum(flags == "miss"))
    false_alarms = int(np.sum(flags == "false alarm"))
    quiet = int(np.sum(flags == "quiet"))
    return {
        "hits": hits, "misses": misses, "false_alarms": false_alarms, "quiet": quiet,
        "hit_rate": hits / (hits + misses) if hits + misses else float("nan"),
        "false_alarm_ratio": false_alarms / (hits + false_alarms) if hits + false_alarms
        else float("nan"),
    }


def highest_actual_time(pred: pd.DataFrame) -> float | None:
    """Predicted time of the window whose actual target is highest (a high-emission event)."""
    a = pred["actual"]
    if not a.notna().any():
        return None
    return float(pred["time"].iloc[int(np.nanargmax(a.to_numpy(dtype=float)))])


def at_step(pred: pd.DataFrame, step: int) -> pd.DataFrame:
    """The rows of a multi-step ``run.predict`` frame (long form) for one forecast ``step``
    (1-based): one row per window, time = the time that step predicts, as a one-step frame
    (time, actual, predicted, + origin, drive where present). A one-step frame (no ``step``
    column) is returned as it is for step 1. Use it for the early warning at a lead time:
    lead ``horizon + step - 1`` steps after the newest input."""
    if "step" not in pred.columns:
        if step != 1:
            raise ValueError(f"this forecast has one step only, not step {step}")
        return pred
    steps = pred["step"].to_numpy()
    if step < 1 or step > int(steps.max(initial=0)):
        raise ValueError(f"step must be 1 … {int(steps.max(initial=0))}, not {step}")
    out = pred[steps == step].drop(columns="step").reset_index(drop=True)
    out.attrs = dict(pred.attrs)
    return out


def step_for_lead(lead: int, horizon: int, steps: int) -> int:
    """The forecast step (1 … steps) whose prediction lies ``lead`` steps after the newest input
    (step k predicts ``horizon + k − 1`` steps ahead), clipped to the steps there are."""
    return int(min(max(int(lead) - int(horizon) + 1, 1), int(steps)))


def step_metrics(pred: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Forecast step -> ``regression_metrics`` of that step's rows of a ``run.predict`` frame
    (one-step frame: ``{1: …}`` of all rows); on a run's test predictions it is
    ``run.metrics_by_step``, on another drive's the same per step there."""
    if "step" not in pred.columns:
        return {1: regression_metrics(pred["actual"], pred["predicted"])}
    return {int(k): regression_metrics(g["actual"], g["predicted"])
            for k, g in pred.groupby("step", sort=True)}
