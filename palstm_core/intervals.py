"""How sure a prediction is: split-conformal intervals from the validation part, interval
metrics, and the early warning "the target passes a threshold within the lead time, with
probability p".

Split conformal (Vovk et al. 2005; Lei et al. 2018), per forecast step s, on the n validation
windows (never the test part), r_i = y_i − ŷ_i:
    score      e_i = |r_i| / σ̂_i,  σ̂ = |ŷ| + m·median|ŷ|   (locally weighted; m = ∞: σ̂ = 1,
               the plain "absolute" interval ŷ ± q)
    quantile   q = the ⌈(n+1)·level⌉-th smallest e_i;   interval ŷ ± q·σ̂
σ̂ makes the band wider where the prediction is high (emission errors grow with the level) and
narrower at idle. m is chosen ("auto") from M = (0.5, 1, 2, 4, 8, ∞) by the Winkler score
cross-fitted on the two halves of the validation windows in time (q from one half, the score on
the other), the score a mean without its highest 5 % (``choose_multiplier``); the final q uses
all n. The trim is there because one large event can decide the untrimmed mean: in the urban
sample's validation span 5 % of the windows hold 55 % of PA-LSTM's absolute error (seed 0; LSTM
52 %), and the untrimmed choice followed them to a strongly scaled band (m = 0.5–2) that is
narrow at the calm test span's low predictions. Measured on saved validation and test
predictions (docs/benchmarks.md), test Winkler score of the trimmed choice ÷ the untrimmed one:
urban sample, one step, 14 runs (PA-LSTM and LSTM seeds 0–4, GRU 0–2, linear) 0.93 (coverage in
0.87–0.93 for 10 of them, 7 before; seed 0 linear 0.924, LSTM 0.906, PA-LSTM 0.876); urban
10-step runs 0.97 (6 runs); real-log trips 1.004 (21 runs); no run worse than 1.03; trims of
2–20 % do about as well. With exchangeable windows the coverage is ≥ level; time series are not
exchangeable and a new drive is a shift, so the coverage on the test part is measured, not
assumed (``interval_metrics``): across five seeds of one model it spreads 0.59–0.96 on that
test span (LSTM), as the errors change in size or sign from the validation span to the test
span; ``error_shift`` measures which, for the sentence on Results.

The early warning uses the joint residuals: window j of the validation part gives a whole
residual vector (r_j1 … r_jS), so for a new window with forecast ŷ_1 … ŷ_S
    P(y passes θ within lead k) ≈ mean_j 1[max_{s≤k} (ŷ_s + r_js) > θ]
which keeps the correlation between the steps (a high error at step 2 usually comes with one at
step 3) instead of treating them as independent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import DataError
from .i18n import _

METHODS = ("auto", "absolute", "scaled")
MULTIPLIERS = (0.5, 1.0, 2.0, 4.0, 8.0, math.inf)
MAX_KEPT = 4000                        # validation windows kept with a run (evenly subsampled)
TRIM = 0.05                            # share of the highest scores left out when choosing m


def _wide(pred: pd.DataFrame, column: str) -> np.ndarray:
    """(n_windows, S) matrix of ``column`` from a predict frame (long form when it has steps)."""
    if "step" not in pred:
        return pred[column].to_numpy(float)[:, None]
    S = int(pred["step"].max())
    return pred[column].to_numpy(float).reshape(-1, S)


@dataclass
class Calibration:
    """Signed validation residuals (actual − predicted) per window and step, and the predictions
    they belong to; enough to build any interval level and the warning probability later."""

    residuals: np.ndarray              # (n, S)
    predicted: np.ndarray              # (n, S)
    multiplier: float = math.inf       # m of σ̂ = |ŷ| + m·median|ŷ|; inf = absolute
    level_hint: float = 0.9            # the level m was chosen for

    @classmethod
    def from_predictions(cls, val: pd.DataFrame, method: str = "auto",
                         level: float = 0.9) -> "Calibration":
        if method not in METHODS:
            raise DataError(f"Unknown interval method '{method}'; use {' or '.join(METHODS)}.")
        r = _wide(val, "actual") - _wide(val, "predicted")
        p = _wide(val, "predicted")
        ok = np.isfinite(r).all(axis=1)
        r, p = r[ok], p[ok]
        if len(r) < 20:
            raise DataError(f"Only {len(r)} validation windows have a measured target; intervals "
                            "need at least 20. Use a longer drive or a larger validation part.")
        keep = np.unique(np.linspace(0, len(r) - 1, min(len(r), MAX_KEPT)).round().astype(int))
        r, p = r[keep], p[keep]
        if method != "auto":
            return cls(r, p, math.inf if method == "absolute" else 1.0, level)
        return cls(r, p, choose_multiplier(r, p, level), level)

    @property
    def method(self) -> str:
        return "absolute" if math.isinf(self.multiplier) else f"scaled (m = {self.multiplier:g})"

    def winkler(self, residuals: np.ndarray, predicted: np.ndarray, level: float,
                trim: float = 0.0) -> float:
        """Mean Winkler score of this calibration's ``level`` interval on other windows, without
        the highest ``trim`` share of the (window, step) scores."""
        half = self.quantile(level)[None, :] * self.difficulty(predicted)
        alpha = 1 - level
        outside = np.clip(np.abs(residuals) - half, 0, None)
        scores = np.sort((2 * half + (2 / alpha) * outside).ravel())
        return float(np.mean(scores[: max(1, round((1 - trim) * scores.size))]))

    @property
    def n(self) -> int:
        return len(self.residuals)

    def difficulty(self, predicted: np.ndarray) -> np.ndarray:
        """σ̂ of each (window, step); ones for the absolute interval."""
        if math.isinf(self.multiplier):
            return np.ones_like(predicted)
        offset = np.maximum(self.multiplier * np.median(np.abs(self.predicted), axis=0), 1e-9)
        return np.abs(predicted) + offset[: predicted.shape[1]]   # step 1 alone: its own c

    def quantile(self, level: float) -> np.ndarray:
        """Conformal quantile of the (scaled) absolute residuals per step."""
        level = check_level(level)
        scores = np.abs(self.residuals) / self.difficulty(self.predicted)
        k = math.ceil((self.n + 1) * level)
        if k > self.n:
            return np.full(scores.shape[1], np.inf)
        return np.sort(scores, axis=0)[k - 1]

    def to_dict(self) -> dict:
        return {"residuals": self.residuals.tolist(), "predicted": self.predicted.tolist(),
                "multiplier": None if math.isinf(self.multiplier) else self.multiplier,
                "level_hint": self.level_hint}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        m = d.get("multiplier")
        r, p = np.asarray(d["residuals"], float), np.asarray(d["predicted"], float)
        if r.ndim != 2 or r.shape != p.shape or not len(r):
            raise ValueError(f"calibration residuals {r.shape} and predictions {p.shape} differ")
        return cls(r, p, math.inf if m is None else float(m), float(d.get("level_hint", 0.9)))


def check_level(level) -> float:
    try:
        value = float(level)
    except (TypeError, ValueError):
        value = math.nan
    if not 0 < value < 1:
        raise DataError(f"The interval level must be a fraction between 0 and 1 (e.g. 0.9 for a "
                        f"90 % interval), not {level!r}.")
    return value


def choose_multiplier(residuals: np.ndarray, predicted: np.ndarray, level: float) -> float:
    """m for the "auto" interval: the m of ``MULTIPLIERS`` with the lowest Winkler score
    cross-fitted on the two halves of the validation windows in time (q from one half, the
    score on the other), the score a mean without the highest ``TRIM`` of the (window, step)
    scores: a few windows of one large event, where errors grow with the level, must not
    decide the shape of the band for all the others."""
    half = len(residuals) // 2
    a, b = slice(0, half), slice(half, None)

    def cross_winkler(m: float) -> float:
        return float(np.mean([Calibration(residuals[x], predicted[x], m, level).winkler(
            residuals[y], predicted[y], level, trim=TRIM) for x, y in ((a, b), (b, a))]))
    return min(MULTIPLIERS, key=cross_winkler)


def add_interval(pred: pd.DataFrame, cal: Calibration, level: float) -> pd.DataFrame:
    """``pred`` with ``lower`` and ``upper`` columns of the ``level`` interval."""
    p = _wide(pred, "predicted")
    half = cal.quantile(level)[None, : p.shape[1]] * cal.difficulty(p)
    out = pred.copy()
    out["lower"] = (p - half).reshape(-1)
    out["upper"] = (p + half).reshape(-1)
    out.attrs = dict(pred.attrs)
    out.attrs["interval"] = {"level": level, "method": cal.method, "calibration_windows": cal.n}
    return out


def interval_metrics(frame: pd.DataFrame, level: float) -> dict[str, float]:
    """Coverage (share of actuals inside), mean width and mean Winkler score
    (width + 2/α · distance outside; α = 1 − level) over rows with a measured value."""
    a = frame["actual"].to_numpy(float)
    lo, hi = frame["lower"].to_numpy(float), frame["upper"].to_numpy(float)
    ok = np.isfinite(a) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return {"coverage": math.nan, "width": math.nan, "winkler": math.nan, "n": 0}
    a, lo, hi = a[ok], lo[ok], hi[ok]
    alpha = 1 - check_level(level)
    width = hi - lo
    penalty = (2 / alpha) * (np.clip(lo - a, 0, None) + np.clip(a - hi, 0, None))
    return {"coverage": float(np.mean((a >= lo) & (a <= hi))), "width": float(width.mean()),
            "winkler": float((width + penalty).mean()), "n": int(ok.sum())}


def interval_table(frame: pd.DataFrame, level: float) -> pd.DataFrame:
    """``interval_metrics`` overall, per drive and per step (rows: scope, name, metrics)."""
    rows = [{"scope": "all", "name": "all", **interval_metrics(frame, level)}]
    for col in ("drive", "step"):
        if col in frame:
            rows += [{"scope": col, "name": str(k), **interval_metrics(g, level)}
                     for k, g in frame.groupby(col, sort=False)]
    return pd.DataFrame(rows)


def coverage_verdict(coverage: float, level: float, n: int) -> str:
    """"under", "over" or "as promised" (within ~2 binomial standard errors, at least 2 points
    of the level), or "unknown" without measured values."""
    if not np.isfinite(coverage):
        return "unknown"
    slack = max(2 * math.sqrt(level * (1 - level) / max(n, 1)), 0.02)
    return "under" if coverage < level - slack else "over" if coverage > level + slack else \
        "as promised"


def error_shift(frame: pd.DataFrame, cal: Calibration) -> dict[str, float]:
    """Why a coverage differs from the level, measured: the mean absolute error of ``frame``'s
    measured rows ("here") and of the calibration windows at the same forecast steps
    ("validation"), their ratio, and the mean signed error (actual − predicted) of each ("bias",
    "validation_bias"). A band sized on validation errors twice those here covers more than
    promised; one around predictions biased more than on validation covers less."""
    a, p = _wide(frame, "actual"), _wide(frame, "predicted")
    ok = np.isfinite(a) & np.isfinite(p)
    r, v = (a - p)[ok], cal.residuals[:, : a.shape[1]]
    here = float(np.abs(r).mean()) if ok.any() else math.nan
    val = float(np.abs(v).mean())
    return {"here": here, "validation": val, "ratio": here / val if val > 0 else math.nan,
            "bias": float(r.mean()) if ok.any() else math.nan, "validation_bias": float(v.mean())}


def coverage_sentence(coverage: float, level: float, n: int,
                      errors: dict[str, float] | None = None) -> str:
    """A plain sentence comparing the measured coverage with the nominal level; with ``errors``
    (``error_shift``) a second one with the measured reason when the coverage differs."""
    verdict = coverage_verdict(coverage, level, n)
    ratio = math.nan if errors is None else errors["ratio"]
    if verdict == "under" and np.isfinite(ratio) and ratio <= 1:
        return _("{coverage:.0%} of the measured values lie inside the {level:.0%} interval: "
                 "fewer than promised, although the model's mean absolute error here ({here:.3g}) "
                 "is no larger than on the validation windows the band was calibrated on "
                 "({val:.3g}); its errors fall differently here (mean error, actual − predicted: "
                 "{bias:+.3g} here, {val_bias:+.3g} on validation). Read the band as too narrow.",
                 coverage=coverage, level=level, here=errors["here"], val=errors["validation"],
                 bias=errors["bias"], val_bias=errors["validation_bias"])
    sentence = _coverage_sentence(coverage, level, verdict)
    if verdict == "under" and np.isfinite(ratio):
        sentence += " " + _("Measured: the model's mean absolute error here is {ratio:.1f}× that "
                            "on the validation windows the band was calibrated on ({here:.3g} vs "
                            "{val:.3g}).", ratio=ratio, here=errors["here"],
                            val=errors["validation"])
    elif verdict == "over" and np.isfinite(ratio) and ratio < 1:
        sentence += " " + _("Measured: the model's mean absolute error here is {ratio:.0%} of that "
                            "on the validation windows the band was calibrated on ({here:.3g} vs "
                            "{val:.3g}): the validation part was harder than this part.",
                            ratio=ratio, here=errors["here"], val=errors["validation"])
    return sentence


def _coverage_sentence(coverage: float, level: float, verdict: str) -> str:
    if verdict == "unknown":
        return _("No measured values here, so the coverage cannot be checked.")
    if verdict == "under":
        return _("{coverage:.0%} of the measured values lie inside the {level:.0%} interval: "
                 "fewer than promised. The model errs more here than on its validation part "
                 "(another drive or conditions it saw little of); read the band as too narrow.",
                 coverage=coverage, level=level)
    if verdict == "over":
        return _("{coverage:.0%} of the measured values lie inside the {level:.0%} interval: "
                 "more than promised; the band is wider than it needs to be here.",
                 coverage=coverage, level=level)
    return _("{coverage:.0%} of the measured values lie inside the {level:.0%} interval, as "
             "promised.", coverage=coverage, level=level)
