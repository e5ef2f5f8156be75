"""A run's intervals: the split-conformal calibration from its own validation part (never the
test part) and the interval metrics of its test part (``palstm_core.intervals`` does the maths).

The validation part is the run's split: the validation span of every drive (in time), or the
validation drives of a campaign. With ``window.steps`` > 1 a late validation window forecasts
rows of the test part too (its steps run past the end of the validation span); such windows are
left out whole, so that no target of the test part is ever used to calibrate.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..data import Dataset
from ..data.campaign import Campaign
from ..intervals import Calibration, add_interval, interval_table
from ..windows import part_rows

LEVEL = 0.9                                     # the level stored with a run (run.intervals)


def _test_start(run, ds: Dataset) -> float:
    """Time of the first row of ``ds``'s test part (inf when it has none)."""
    span = part_rows(run.window, ds.name, len(ds), "test")
    if span is None or span[0] >= len(ds):
        return math.inf
    return float(ds.times[span[0]])


def _before_test(run, ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """The windows of a one-drive validation ``frame`` whose every step lies before the test
    part of ``ds``."""
    S = run.window.steps
    if S == 1 or not len(frame):
        return frame
    last = frame["time"].to_numpy(float).reshape(-1, S).max(axis=1)
    keep = np.repeat(last < _test_start(run, ds), S)
    return frame[keep].reset_index(drop=True)


def validation_frame(run, data: Dataset | Campaign) -> pd.DataFrame:
    """``run.predict(data, part="val")`` without the windows that reach into the test part."""
    if not isinstance(data, Campaign):
        return _before_test(run, data, run.predict(data, part="val"))
    frame = run.predict(data, part="val")
    if run.window.steps == 1 or not len(frame):
        return frame
    parts = [_before_test(run, data.drives[str(name)], g.drop(columns="drive")).assign(drive=name)
             for name, g in frame.groupby("drive", sort=False)]
    return pd.concat(parts, ignore_index=True)


def calibration_of(run, data: Dataset | Campaign, method: str = "auto",
                   level: float = LEVEL) -> Calibration:
    """The run's ``Calibration`` from the validation windows of ``data`` (the data it was
    trained on); ``DataError`` when fewer than 20 of them have a measured target."""
    return Calibration.from_predictions(validation_frame(run, data), method, level)


def interval_summary(test: pd.DataFrame, cal: Calibration, level: float = LEVEL) -> dict:
    """Coverage, mean width, Winkler score (and n) of the ``level`` interval on a test-part
    predict frame: overall, by drive and by step; JSON-ready (stored as ``run.intervals``)."""
    table = interval_table(add_interval(test, cal, level), level)
    cols = ["coverage", "width", "winkler", "n"]
    pick = lambda scope: {r["name"]: {c: r[c] for c in cols}   # noqa: E731
                          for r in table[table["scope"] == scope].to_dict("records")}
    return {"level": level, "method": cal.method, "calibration_windows": cal.n,
            "overall": pick("all").get("all", {}), "by_drive": pick("drive"),
            "by_step": pick("step")}
