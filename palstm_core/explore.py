"""Asking a trained model questions: what-if edits of one window, sensitivity curves (ICE and
partial dependence) and the error binned by a sensor's value. Every function works for any run
(any model) through ``run.predict`` / ``run.explain`` / ``pc.attribute`` only, so what it
answers is what the model does, not what its attention claims.

    edits = [pc.Edit(["rpm"], "scale", 1.1)]                 # rpm 10 % higher over the window
    res = pc.what_if([run_a, run_b], ds, time=812.0, edits=edits, map_name="default")
    res.table                 # run, original, edited, change (one row per run and step)
    res.maps[run.key]         # (original map, edited map), each (lookback, n_features)
    sens = pc.sensitivity(run, ds, "rpm", scales=np.linspace(0.5, 1.5, 11))
    sens.ice, sens.pdp        # (n_windows, n_scales) predictions, their mean over the windows
    pc.error_by_value(run, ds, "speed", bins=8)

An edit changes the loaded values of rows between ``start`` and ``stop`` (times; None = the
edges of the window), so a run with another lookback or horizon sees the same edited drive.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .data import Campaign, DataError, Dataset
from .explain.maps import available_maps, part_maps
from .i18n import _

OPS = ("scale", "shift", "mean", "constant", "copy")


@dataclass(frozen=True)
class Edit:
    """One change of the input over (part of) a window.

    columns  the sensors to change (one sensor, or a whole group's)
    op       "scale" (× value), "shift" (+ value), "mean" (the training mean of each sensor),
             "constant" (= value), "copy" (the trace of the window whose newest input is at
             time ``value``, same offsets)
    start, stop   times of the first and last edited row; None = the window's first / newest row
    """

    columns: tuple[str, ...]
    op: str
    value: float = 1.0
    start: float | None = None
    stop: float | None = None

    def __post_init__(self):
        cols = (self.columns,) if isinstance(self.columns, str) else tuple(self.columns)
        if not cols:
            raise DataError(_("An edit needs at least one sensor to change."))
        if self.op not in OPS:
            raise DataError(_("Unknown edit '{op}'. Choose one of: {ops}.", op=self.op,
                                      ops=", ".join(OPS)))
        if not np.isfinite(float(self.value)):
            raise DataError(_("The edit value must be a finite number, not {value}.",
                                      value=repr(self.value)))
        object.__setattr__(self, "columns", cols)

    def describe(self) -> str:
        v = self.value
        what = {"scale": _("× {v:g}", v=v), "shift": _("{v:+g}", v=v),
                "mean": _("set to the training mean"), "constant": _("set to {v:g}", v=v),
                "copy": _("copied from the window ending at {v:g} s", v=v)}[self.op]
        if self.start is None and self.stop is None:
            return _("{columns} {what} over the window", columns=", ".join(self.columns), what=what)
        start, stop = self._t(self.start, _("the start")), self._t(self.stop, _("the end"))
        return _("{columns} {what} from {start} to {stop}", columns=", ".join(self.columns),
                 what=what, start=start, stop=stop)

    @staticmethod
    def _t(t, default):
        return default if t is None else _("{t:g} s", t=t)


def _row(ds: Dataset, time: float) -> int:
    times = ds.times
    row = int(np.searchsorted(times, time))
    if row >= len(times) or abs(times[row] - time) > 1e-9 * max(1.0, abs(time)):
        raise DataError(_("{label} has no row at time {time:g} s; pick a prediction time from "
                          "the predictions table.", label=ds.label, time=time))
    return row


def _steps(run) -> int:
    return int(getattr(run.window, "steps", 1) or 1)


def _window_rows(run, ds: Dataset, time: float) -> tuple[int, int]:
    """(first input row, last row needed) of ``run``'s window that predicts ``time``."""
    row = _row(ds, time)
    newest = row - run.window.horizon
    first = newest - run.window.lookback + 1
    if first < 0:
        raise DataError(_("The {model} run needs {lookback} input steps before {time:g} s; the "
                          "drive starts too late for that window.", model=run.config.model,
                          lookback=run.window.lookback, time=time))
    return first, min(len(ds), row + _steps(run))


def _means(runs) -> dict[str, float]:
    """Training mean of every input column (from the first run that has it)."""
    out: dict[str, float] = {}
    for run in runs:
        for i, col in enumerate(run.columns):
            out.setdefault(col, float(run.scaler.mean[i]))
    return out


def apply_edits(ds: Dataset, edits, first: int, newest: int, means: dict[str, float]) -> Dataset:
    """A copy of ``ds`` with ``edits`` applied to rows ``first .. newest`` (clipped to each edit's
    ``start``/``stop`` times)."""
    frame = ds.frame.copy()
    times = ds.times
    for e in edits:
        missing = [c for c in e.columns if c not in frame.columns]
        if missing:
            raise DataError(_("Cannot edit {columns}: not a column of {label}.",
                              columns=", ".join(map(repr, missing)), label=ds.label))
        lo = first if e.start is None else max(first, int(np.searchsorted(times, e.start)))
        hi = newest if e.stop is None else min(newest, int(np.searchsorted(times, e.stop,
                                                                           side="right")) - 1)
        if hi < lo:
            continue
        rows = frame.index[lo:hi + 1]
        for col in e.columns:
            frame.loc[rows, col] = _edited(frame[col].to_numpy(float), lo, hi, e, means.get(col),
                                           ds, newest)
    return replace(ds, frame=frame, report=list(ds.report))


def _edited(values, lo, hi, e: Edit, mean, ds: Dataset, newest: int) -> np.ndarray:
    part = values[lo:hi + 1]
    if e.op == "scale":
        return part * e.value
    if e.op == "shift":
        return part + e.value
    if e.op == "constant":
        return np.full_like(part, e.value)
    if e.op == "mean":
        if mean is None:
            raise DataError(_("No training mean for {columns}: no compared run uses it.",
                              columns=", ".join(e.columns)))
        return np.full_like(part, mean)
    source_newest = _row(ds, e.value)                      # "copy": same offsets, other window
    src = np.arange(lo, hi + 1) - newest + source_newest
    if src[0] < 0 or src[-1] >= len(values):
        raise DataError(_("The window ending at {t:g} s does not cover the edited steps.",
                          t=e.value))
    return values[src]


@dataclass
class WhatIf:
    """What-if answer: ``table`` (run, model, step, time, original, edited, change) and, when
    maps were asked for, ``maps[run.key] = (original, edited)`` with the map's name and the
    run's columns and groups (its rows) in ``map_names`` / ``map_features`` / ``map_groups``."""

    table: pd.DataFrame
    edits: list[Edit]
    maps: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    map_names: dict[str, str] = field(default_factory=dict)
    map_features: dict[str, list[str]] = field(default_factory=dict)
    map_groups: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _window_map(run, ds: Dataset, name: str) -> np.ndarray:
    """(lookback, n_features) map ``name`` of the first window of ``ds``."""
    return part_maps(run, ds, name, part="all", windows=[0])[0]


def what_if(runs, ds: Dataset, time: float, edits, map_name: str | None = None) -> WhatIf:
    """Re-predict the window that predicts ``time`` (a ``time`` of ``run.predict(ds)``) after
    ``edits``, for every run in ``runs``; ``map_name`` ("default" = each run's first map, or a
    map name) adds the chosen map of the original and the edited window."""
    runs = [runs] if not isinstance(runs, (list, tuple)) else list(runs)
    edits = list(edits)
    means = _means(runs)
    res = WhatIf(pd.DataFrame(), edits)
    rows = []
    for run in runs:
        first, stop = _window_rows(run, ds, time)
        newest = _row(ds, time) - run.window.horizon
        before = ds.slice(first, stop)
        after = apply_edits(ds, edits, first, newest, means).slice(first, stop)
        p0, p1 = (run.predict(d, part="all").iloc[:_steps(run)] for d in (before, after))
        for (_i, a), (_j, b) in zip(p0.iterrows(), p1.iterrows()):
            rows.append({"run": run.key, "model": run.config.model,
                         "step": int(a.get("step", 1)), "time": float(a["time"]),
                         "original": float(a["predicted"]), "edited": float(b["predicted"]),
                         "change": float(b["predicted"] - a["predicted"])})
        if map_name:
            name = available_maps(run)[0] if map_name == "default" else map_name
            if name in available_maps(run):
                res.maps[run.key] = (_window_map(run, before, name), _window_map(run, after, name))
                res.map_names[run.key] = name
                res.map_features[run.key] = list(run.columns)
                res.map_groups[run.key] = run.groups
    res.table = pd.DataFrame(rows)
    return res


def _each(data, fn):
    """``fn`` applied to every drive of a Campaign (a new Campaign), or to the Dataset."""
    if isinstance(data, Campaign):
        return replace(data, drives={n: fn(d) for n, d in data.drives.items()})
    return fn(data)


def _scaled(ds: Dataset, column: str, s: float) -> Dataset:
    frame = ds.frame.copy()
    frame[column] = frame[column] * s
    return replace(ds, frame=frame)


@dataclass
class Sensitivity:
    """Predictions as ``column`` is scaled over every window: ``ice`` (n_windows, n_scales),
    ``pdp`` its mean over the windows (partial dependence), ``times`` of the windows."""

    column: str
    scales: np.ndarray
    ice: np.ndarray
    pdp: np.ndarray
    times: np.ndarray
    drives: np.ndarray | None = None


def sensitivity(run, data, column: str, scales=None, part: str = "test") -> Sensitivity:
    """Predictions of the ``part`` windows of ``data`` with ``column`` scaled by each factor in
    ``scales`` (default 0.5 … 1.5 in 11 steps) over the whole window; any model."""
    if column not in run.columns:
        raise DataError(_("'{column}' is not an input of this run; choose one of {columns}.",
                          column=column, columns=", ".join(run.columns)))
    if column == run.target:
        raise DataError(_("'{column}' is the target itself; scale a sensor instead.",
                          column=column))
    scales = np.linspace(0.5, 1.5, 11) if scales is None else np.asarray(scales, dtype=float)
    preds = [run.predict(_each(data, lambda d, s=s: _scaled(d, column, s)), part=part)
             for s in scales]
    first = preds[0]
    if "step" in first:                                     # a multi-step run: its first step
        keep = (first["step"] == 1).to_numpy()
        preds, first = [p[keep] for p in preds], first[keep]
    ice = np.column_stack([p["predicted"].to_numpy(float) for p in preds])
    return Sensitivity(column, scales, ice, ice.mean(axis=0), first["time"].to_numpy(float),
                       first["drive"].to_numpy() if "drive" in first else None)


def error_by_value(run, data, column: str, bins: int = 8, part: str = "test") -> pd.DataFrame:
    """Prediction error of the ``part`` windows binned by ``column``'s value at the predicted
    time (quantile bins): bin, low, high, n, mae, bias (mean predicted − actual), mean_actual."""
    pred = run.predict(data, part=part)
    if "step" in pred:
        pred = pred[pred["step"] == 1]
    drives = data.drives if isinstance(data, Campaign) else {None: data}
    values = []
    for name, ds in drives.items():
        mine = pred if name is None else pred[pred["drive"] == name]
        if column not in ds.frame:
            raise DataError(_("{label} has no column '{column}'.", label=ds.label, column=column))
        rows = np.searchsorted(ds.times, mine["time"].to_numpy(float))
        values.append(ds.frame[column].to_numpy(float)[np.clip(rows, 0, len(ds) - 1)])
    v = np.concatenate(values) if values else np.zeros(0)
    err = pred["predicted"].to_numpy(float) - pred["actual"].to_numpy(float)
    ok = np.isfinite(v) & np.isfinite(err)
    if not ok.any():
        raise DataError(_("No window has both a measured target and a value of '{column}'; the "
                          "error cannot be binned.", column=column))
    edges = np.unique(np.quantile(v[ok], np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, max(len(edges) - 2, 0))
    out = []
    for b in range(max(len(edges) - 1, 1)):
        sel = ok & (which == b)
        out.append({"bin": b, "low": float(edges[b]), "high": float(edges[min(b + 1, len(edges) - 1)]),
                    "n": int(sel.sum()), "mae": float(np.abs(err[sel]).mean()) if sel.any() else np.nan,
                    "bias": float(err[sel].mean()) if sel.any() else np.nan,
                    "mean_actual": float(pred["actual"].to_numpy(float)[sel].mean())
                    if sel.any() else np.nan})
    return pd.DataFrame(out)
