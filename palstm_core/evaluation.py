"""Comparing runs on one drive and checking a run on another: the Results page's leaderboard
and lab → road sections, for notebooks too.

    board = pc.leaderboard_table(cache.list(), ds.fingerprint(), "NOx")   # cached runs of ds
    board = pc.score_runs({run.key: run for run in runs}, ds)             # any runs, on ds
    check = pc.drive_check(run, pc.load_sample("motorway"))               # lab -> road
    check.metrics["rmse"], check.measured, check.predictions
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .i18n import N_
from .metrics import regression_metrics

LEADERBOARD_COLUMNS = ["model", "RMSE", "MAE", "MAPE %", "R²", "coverage 90 %", "width 90 %",
                       "created (UTC)", "key"]


def leaderboard_table(rows: list[dict], data_fingerprint: str | None,
                      target: str) -> pd.DataFrame:
    """The cached runs (``ModelCache.list()`` rows) trained on the data with
    ``data_fingerprint`` for ``target``, best test RMSE first: model, RMSE, MAE, MAPE %, R²,
    coverage and mean width of the 90 % interval on the test part (None for runs stored before
    intervals existed), created (UTC), key. Empty (with those columns) when there is none."""
    board = [r for r in rows if r.get("data_fingerprint") == data_fingerprint
             and r.get("target") == target]
    table = pd.DataFrame([{"model": r["model"], "RMSE": r["rmse"], "MAE": r["mae"],
                           "MAPE %": r["mape"], "R²": r["r2"],
                           "coverage 90 %": r.get("coverage"), "width 90 %": r.get("width"),
                           "created (UTC)": r["created"],
                           "key": r["key"]} for r in board], columns=LEADERBOARD_COLUMNS)
    return table.sort_values("RMSE", kind="stable").reset_index(drop=True)


def score_runs(runs: dict, data=None, part: str = "test",
               predictions: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Runs (key -> TrainedRun), perhaps trained on other data, scored on the ``part`` windows
    of ``data``: model, trained on, rmse, mae, mape, r2, key, one row per run in the order
    given. ``predictions`` (key -> ``run.predict(data, part=part)``) reuses predictions the
    caller already has; runs without one are predicted here."""
    predictions = predictions or {}
    rows = []
    for key, run in runs.items():
        pred = predictions.get(key)
        if pred is None:
            pred = run.predict(data, part=part)
        rows.append({"model": run.config.model, N_("trained on"): run.data_name,
                     **regression_metrics(pred["actual"], pred["predicted"]), "key": key})
    return pd.DataFrame(rows)


@dataclass
class DriveCheck:
    """A run evaluated on the whole of another drive (lab → road)."""
    predictions: pd.DataFrame     # run.predict(drive, part="all")
    metrics: dict                 # rmse, mae, mape, r2 (NaN where the drive has no target)
    measured: bool                # the drive has the target: the metrics are real


def drive_check(run, drive) -> DriveCheck:
    """``run`` on every window of ``drive`` (a Dataset with the run's input columns; without
    the target it gives predictions only). Raises ``DataError`` when the drive does not fit."""
    pred = run.predict(drive, part="all")
    metrics = regression_metrics(pred["actual"], pred["predicted"])
    return DriveCheck(pred, metrics, bool(np.isfinite(metrics["rmse"])))
