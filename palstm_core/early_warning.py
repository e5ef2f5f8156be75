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

    w = pc.early_warning(run, ds, threshold=8.5, lead=5, probability=0.8)
    w.scores            # per drive: crossings, hits, misses, false_alarms, hit_rate, mean_warning_s
    w.total             # the same summed over drives
    w.tradeoff()        # hit rate and false alarms as the alarm probability moves

``lead`` counts forecast steps (1 … ``window.steps``); step k of a window forecasts
``horizon + k − 1`` sampling steps after its newest input, so the warning looks
``(horizon + lead − 1)`` sampling steps ahead (a one-step run: its horizon).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dataclasses import dataclass

from .data import DataError
from .data.campaign import Campaign
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


def _step_seconds(data) -> float:
    """Median sampling step [s] of a drive (a campaign: the median over its drives)."""
    drives = list(data.drives.values()) if isinstance(data, Campaign) else [data]
    steps = [float(np.median(np.diff(d.times))) for d in drives if len(d) > 1]
    return float(np.median(steps)) if steps else 1.0


@dataclass
class EarlyWarning:
    """An early warning scored on measured data (``early_warning``)."""

    threshold: float
    lead: int                   # forecast steps
    lead_s: float               # seconds ahead the warning looks
    probability: float          # the alarm probability
    step_s: float
    predictions: pd.DataFrame   # the run's predict frame it was computed from
    probabilities: pd.DataFrame  # per window: origin, probability (+ drive)
    scores: pd.DataFrame        # per drive: crossings, hits, misses, false_alarms, hit_rate,
    #                             mean_warning_s

    @property
    def total(self) -> dict:
        """Scores summed over drives (mean warning time weighted by hits)."""
        s = self.scores
        hits, n = int(s["hits"].sum()), int(s["crossings"].sum())
        warned = s["mean_warning_s"].to_numpy(float) * s["hits"].to_numpy(float)
        return {"crossings": n, "hits": hits, "misses": int(s["misses"].sum()),
                "false_alarms": int(s["false_alarms"].sum()),
                "hit_rate": hits / n if n else np.nan,
                "mean_warning_s": float(np.nansum(warned) / hits) if hits else np.nan}

    def tradeoff(self, probabilities=None) -> pd.DataFrame:
        """Hit rate and false alarms (summed over drives) as the alarm probability moves."""
        return tradeoff(self.predictions, self.probabilities, self.threshold,
                        self._steps_ahead, self.step_s, probabilities)

    @property
    def _steps_ahead(self) -> int:
        return max(int(round(self.lead_s / self.step_s)), 1)


def early_warning(run, data, threshold: float, lead: int | None = None,
                  probability: float = 0.5, part: str = "test",
                  predictions: pd.DataFrame | None = None) -> EarlyWarning:
    """The warning "``run.target`` passes ``threshold`` within ``lead`` forecast steps with
    probability ≥ ``probability``" on the ``part`` windows of ``data`` (a drive or a campaign),
    scored against the measured target: ``EarlyWarning`` (scores per drive, ``tradeoff()``).
    ``lead`` defaults to ``window.steps``; ``predictions`` reuses ``run.predict(data, part)``.
    The probability comes from the joint validation residuals of the run's calibration."""
    threshold, probability = float(threshold), float(probability)
    if not np.isfinite(threshold):
        raise DataError("The warning threshold must be a number.")
    if not 0 < probability <= 1:
        raise DataError(f"The alarm probability must be between 0 and 1, not {probability!r}.")
    cal = run.interval_calibration(data)
    lead = run.window.steps if lead is None else int(lead)
    pred = run.predict(data, part) if predictions is None else predictions
    step_s = _step_seconds(data)
    ahead = run.window.horizon + lead - 1
    if ahead < 1:
        raise DataError("This run predicts the current value (horizon 0), so it cannot warn "
                        "ahead of time; train it with a horizon of 1 or more.")
    prob = exceedance_probability(pred, cal, threshold, lead, run.window.horizon, step_s)
    scores = score_warnings(pred, prob, threshold, probability, ahead, step_s)
    return EarlyWarning(threshold, lead, ahead * step_s, probability, step_s, pred, prob, scores)


def warning_tradeoff(run, data, threshold: float, lead: int | None = None, part: str = "test",
                     probabilities=None, predictions: pd.DataFrame | None = None) -> pd.DataFrame:
    """``early_warning(...).tradeoff()``: hits, misses, false alarms and hit rate (summed over
    drives) for each alarm probability (default 0.05 … 0.95)."""
    return early_warning(run, data, threshold, lead, 0.5, part, predictions).tradeoff(
        probabilities)
