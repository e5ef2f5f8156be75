"""High-emission early warning with a lead time and a probability (Xie et al. 2021 warn of high
emission; here the warning says how sure it is and how early it comes).

At every window origin (the time of its newest input) the forecast ŷ_1 … ŷ_S and the joint
validation residuals give P(target > θ within the next ``lead`` steps) (``intervals``). An alarm
is raised when that probability reaches ``probability``. Scored against the measured target:

    crossing      the measured target goes from ≤ θ to > θ (one event, however long it stays up)
    hit           a crossing with an alarm raised in the ``lead`` steps before it
    miss          a crossing without one
    false alarm   an alarm onset (the alarm switching on while the target is ≤ θ) with no
                  crossing within ``lead`` steps after it
    warning time  seconds from the first alarm of that lead window to the crossing (mean over hits)

All per drive; ``tradeoff`` sweeps the probability to draw hit rate against false alarms.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .data import DataError
from .intervals import Calibration, _wide


def exceedance_probability(pred: pd.DataFrame, cal: Calibration, threshold: float, lead: int,
                           horizon: int, step_s: float) -> pd.DataFrame:
    """Per window: origin (s), probability that the target passes ``threshold`` within ``lead``
    forecast steps (+ drive). ``step_s`` is the drive's sampling step in seconds."""
    p = _wide(pred, "predicted")
    S = p.shape[1]
    if not 1 <= int(lead) <= S:
        raise DataError(f"The lead time must be 1 to {S} step(s) for this run (it forecasts "
                        f"{S} step(s) ahead); train with more steps for a longer lead.")
    lead = int(lead)
    future = p[:, None, :lead] + cal.residuals[None, :, :lead]      # (windows, cal, lead)
    prob = (future.max(axis=2) > threshold).mean(axis=1)
    if "origin" in pred:
        origin = pred["origin"].to_numpy(float).reshape(-1, S)[:, 0]
    else:
        origin = pred["time"].to_numpy(float) - horizon * step_s
    out = pd.DataFrame({"origin": origin, "probability": prob})
    if "drive" in pred:
        out["drive"] = pred["drive"].to_numpy().reshape(-1, S)[:, 0]
    return out


def _measured(pred: pd.DataFrame) -> pd.Series:
    """Measured target by predicted time (one value per time)."""
    a = pred[["time", "actual"]].drop_duplicates("time").sort_values("time")
    return pd.Series(a["actual"].to_numpy(float), index=a["time"].to_numpy(float))


def _score_drive(prob: pd.DataFrame, actual: pd.Series, threshold: float, probability: float,
                 lead_s: float) -> dict:
    t = actual.index.to_numpy(float)
    a = actual.to_numpy(float)
    up = np.flatnonzero((a[1:] > threshold) & (a[:-1] <= threshold)) + 1
    crossings = t[up]
    origins = prob["origin"].to_numpy(float)
    alarm = prob["probability"].to_numpy(float) >= probability
    # the target at the origin: an alarm while it is already high is no warning
    row = np.clip(np.searchsorted(t, origins), 0, len(t) - 1)
    low = a[row] <= threshold
    onset = alarm & np.r_[True, ~alarm[:-1]] & low
    hits, warn_times = 0, []
    for c in crossings:
        before = origins[alarm & low & (origins < c) & (origins >= c - lead_s)]
        if len(before):
            hits += 1
            warn_times.append(float(c - before.min()))
    false = sum(1 for o in origins[onset] if not ((crossings > o) & (crossings <= o + lead_s)).any())
    n = len(crossings)
    return {"crossings": n, "hits": hits, "misses": n - hits, "false_alarms": int(false),
            "hit_rate": hits / n if n else np.nan,
            "mean_warning_s": float(np.mean(warn_times)) if warn_times else np.nan}


def score_warnings(pred: pd.DataFrame, prob: pd.DataFrame, threshold: float, probability: float,
                   lead: int, step_s: float) -> pd.DataFrame:
    """Hits, misses, false alarms and mean warning time per drive (one row "all" without
    drives)."""
    if not np.isfinite(pred["actual"]).any():
        raise DataError("The drive has no measured target, so warnings cannot be scored "
                        "(they can still be shown).")
    lead_s = lead * step_s
    if "drive" not in pred:
        return pd.DataFrame([{"drive": "all", **_score_drive(prob, _measured(pred), threshold,
                                                               probability, lead_s)}])
    rows = []
    for name, g in pred.groupby("drive", sort=False):
        rows.append({"drive": name, **_score_drive(prob[prob["drive"] == name], _measured(g),
                                                   threshold, probability, lead_s)})
    return pd.DataFrame(rows)


def tradeoff(pred: pd.DataFrame, prob: pd.DataFrame, threshold: float, lead: int, step_s: float,
             probabilities=None) -> pd.DataFrame:
    """Hit rate and false alarms (summed over drives) as the alarm probability moves."""
    probabilities = np.linspace(0.05, 0.95, 19) if probabilities is None else probabilities
    out = []
    for p in probabilities:
        s = score_warnings(pred, prob, threshold, float(p), lead, step_s)
        n = int(s["crossings"].sum())
        out.append({"probability": float(p), "hits": int(s["hits"].sum()),
                    "misses": int(s["misses"].sum()), "false_alarms": int(s["false_alarms"].sum()),
                    "hit_rate": int(s["hits"].sum()) / n if n else np.nan})
    return pd.DataFrame(out)
