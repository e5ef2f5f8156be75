"""What a 90 % prediction interval means and how split-conformal calibration makes one, on the
(simulated) urban sample: a least-squares line predicts NOx from the sensors; its errors on a
calibration part give the band; the test part checks how often the band holds the truth.

    demo = conformal_demo(level=0.9)          # fit on the first 60 %; the rest in 20-s blocks,
                                              # every other block calibrates, the others test
    demo.quantile, demo.coverage, demo.width      # q, share of test values inside, mean width

The band is ŷ ± q (``scaled=False``), q = the ⌈(n+1)·level⌉-th smallest |error| of the n
calibration points; or ŷ ± q·σ̂ with σ̂ = |ŷ| + m·median|ŷ| (``scaled=True``, the app's
locally weighted interval, m chosen on the calibration part): narrower at idle, wider at peaks.
The same ``palstm_core.intervals`` code as the app's runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import load_sample
from ..intervals import Calibration, add_interval, interval_metrics

FIT, BLOCK = 0.6, 20                    # fit on the first 60 %; then blocks of 20 rows


@dataclass
class ConformalDemo:
    level: float
    scaled: bool
    scores: np.ndarray          # calibration |error| (÷ σ̂ when scaled), one per point
    quantile: float             # q: the ⌈(n+1)·level⌉-th smallest score
    rank: int                   # ⌈(n+1)·level⌉
    test: pd.DataFrame          # time, actual, predicted, lower, upper, inside
    coverage: float             # share of test values inside the band
    width: float                # mean width of the band on the test part
    n_calibration: int
    unit: str


def _line_fit(ds, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares predictions of ``target`` from the other channels (fit on the first 60 %)
    and the calibration rows: every other 20-row block after it (the others are the test),
    so that both parts see the same kind of driving."""
    cols = [c for c in ds.columns if c != target]
    x = np.c_[ds.frame[cols].to_numpy(float), np.ones(len(ds))]
    y = ds.frame[target].to_numpy(float)
    a = int(len(ds) * FIT)
    coef, *_ = np.linalg.lstsq(x[:a], y[:a], rcond=None)
    later = np.arange(a, len(ds))
    return x @ coef, y, later[((later - a) // BLOCK) % 2 == 0]


def conformal_demo(level: float = 0.9, scaled: bool = False, sample: str = "urban",
                   target: str = "NOx") -> ConformalDemo:
    """Split conformal on a least-squares prediction of ``target`` (see the module doc)."""
    ds = load_sample(sample)
    pred, y, rows = _line_fit(ds, target)
    frame = pd.DataFrame({"time": ds.times, "actual": y, "predicted": pred})
    is_cal = np.zeros(len(ds), bool)
    is_cal[rows] = True
    calib = frame[is_cal]
    cal = Calibration.from_predictions(calib, "auto" if scaled else "absolute", level)
    if scaled and math.isinf(cal.multiplier):
        cal = Calibration.from_predictions(calib, "scaled", level)
    test = frame.iloc[int(len(ds) * FIT):][~is_cal[int(len(ds) * FIT):]]
    test = add_interval(test.reset_index(drop=True), cal, level)
    test["inside"] = (test["actual"] >= test["lower"]) & (test["actual"] <= test["upper"])
    m = interval_metrics(test, level)
    scores = (np.abs(cal.residuals) / cal.difficulty(cal.predicted))[:, 0]
    return ConformalDemo(level, scaled, scores, float(cal.quantile(level)[0]),
                         math.ceil((cal.n + 1) * level), test, m["coverage"], m["width"], cal.n,
                         ds.units.get(target, ""))
