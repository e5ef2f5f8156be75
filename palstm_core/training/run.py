"""``TrainedRun`` (a trained model and what it was trained on), the model factory and the run key."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch

from ..data import DataError, Dataset
from ..data.campaign import Campaign
from ..grouping import SensorGrouping
from ..intervals import Calibration, add_interval, check_level, interval_table
from ..metrics import regression_metrics
from ..models import MODELS, Forecaster
from ..windows import Scaler, Windows, WindowSpec, input_groups, make_windows
from .attention import Attention
from .calibration import calibration_of
from .config import TrainConfig
from .loop import DeviceDrive
from ..i18n import _


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that determines a trained model; part of every cache key."""
    here = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for p in sorted([*here.glob("models/*.py"), *here.glob("training/*.py"), here / "windows.py"]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def run_key(data: Dataset | str, target: str, grouping: SensorGrouping, window: WindowSpec,
            config: TrainConfig) -> str:
    """Cache key: the data (a Dataset, or the fingerprint of a campaign's drives), target,
    grouping, window and split (test/validation drives included), settings and code."""
    cfg = config.to_dict()
    for name in TrainConfig.NOT_IN_KEY:     # same run whichever device / threads trained it
        cfg.pop(name)
    fingerprint = data if isinstance(data, str) else data.fingerprint()
    payload = repr((fingerprint, target, grouping.to_dict(), window.to_dict(), sorted(cfg.items()),
                    code_version()))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def drive_metrics(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """{drive: {"rmse", "mae", "mape", "r2"}} of a predict frame with a ``drive`` column."""
    return {str(d): regression_metrics(g["actual"], g["predicted"])
            for d, g in frame.groupby("drive", sort=False)}


def build_model(config: TrainConfig, groups: dict[str, list[str]], columns: list[str],
                target: str, window: WindowSpec) -> Forecaster:
    index = {c: i for i, c in enumerate(columns)}
    settings = {name: getattr(config, name) for name, models in TrainConfig.MODEL_SETTINGS.items()
                if config.model in models}          # e.g. seq2seq's attention, teacher forcing
    return MODELS[config.model](
        groups=[[index[c] for c in cols] for cols in groups.values()],
        lookback=window.lookback, hidden_size=config.hidden_size,
        target_index=index[target] if window.target_history else None, steps=window.steps,
        **settings)


class Inputs(NamedTuple):
    """The windows of a part as the model sees them (``TrainedRun.inputs``); row i is row i of
    ``run.predict(data, part)``.

    x       (n, L, F) float32 scaled inputs (the scaler of the training part); last step = newest
    y       (n,) scaled target of each window (NaN where the data has no target value)
    times   (n,) the time each window predicts
    drives  (n,) drive name of each window for a Campaign, else None
    report  lines on windows or drives skipped (missing inputs, too short)
    """

    x: np.ndarray
    y: np.ndarray
    times: np.ndarray
    drives: np.ndarray | None
    report: list[str]


@dataclass
class TrainedRun:
    """A trained model with everything needed to use it again.

    metrics  {"rmse", "mae", "mape", "r2"} on the held-out (test) part: the last part of the
             drive(s), or the test drives
    metrics_by_drive  drive name -> the same metrics on that drive's test windows
    metrics_by_step   forecast step (1 .. window.steps) -> the same metrics on that step's test
             rows (``metrics`` is over all steps together; one step: {1: metrics})
    history  per-epoch {"epoch", "train_loss", "val_loss", "seconds"}
    report   what training skipped (drives too short or lacking a column), one line each
    calibration  the split-conformal ``Calibration`` from the run's own validation part (None
             for a run cached before intervals existed: ``interval_calibration`` makes it)
    intervals    coverage, width and Winkler score of the 90 % interval on the test part:
             {"level", "method", "calibration_windows", "overall", "by_drive", "by_step"}
    """

    model: Forecaster
    target: str
    grouping: SensorGrouping
    window: WindowSpec
    config: TrainConfig
    scaler: Scaler
    columns: list[str]
    metrics: dict[str, float]
    history: list[dict]
    key: str
    data_name: str = "data"
    data_fingerprint: str = ""
    simulated: bool = False
    target_unit: str = ""
    created: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    metrics_by_drive: dict[str, dict[str, float]] = field(default_factory=dict)
    metrics_by_step: dict[int, dict[str, float]] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)
    calibration: Calibration | None = None
    intervals: dict = field(default_factory=dict)
    path: Path | None = None
    from_cache: bool = False

    @property
    def groups(self) -> dict[str, list[str]]:
        """Input groups as the model sees them (sensor groups + target history if used)."""
        return input_groups(self.grouping, self.target, self.window)

    def _windows(self, ds: Dataset, part: str) -> tuple[Windows, np.ndarray, list[str]]:
        w = make_windows(ds, self.columns, self.target, self.window, self.scaler, need_target=False)
        starts = w.part(part, len(ds), self.window, ds.name)
        return w, starts, self._input_report(ds, w, starts, part)

    def _input_report(self, ds: Dataset, w: Windows, starts: np.ndarray, part: str) -> list[str]:
        """Report lines on windows skipped for missing inputs; DataError when none is left."""
        every = np.arange(max(w.n_possible(len(ds)), 0))
        possible = len(Windows(w.x, w.y, every, w.lookback, w.horizon, steps=w.steps).part(
            part, len(ds), self.window, ds.name))
        dropped = possible - len(starts)
        if dropped == 0:
            return []
        finite = np.isfinite(w.x)
        empty = [c for c, ok in zip(self.columns, finite.any(axis=0)) if not ok]
        gaps = {c: int(n) for c, n in zip(self.columns, (~finite).sum(axis=0)) if n}
        where = ", ".join(f"'{c}' ({n} of {len(ds)} rows)" for c, n in gaps.items())
        if len(starts) == 0:
            if empty:
                raise DataError(_("{label}: the input column(s) {join} have no usable "
                                   "values (all missing), so none of the {possible} "
                                   "windows can be predicted. Load a drive that records "
                                   "them, or train a model without them.",
                                   label=ds.label, join=', '.join(map(repr, empty)),
                                   possible=possible))
            raise DataError(_("{label}: every one of the {possible} windows has a missing "
                               "input value (missing: {where}). Fill the gaps or use a "
                               "shorter lookback.",
                               label=ds.label, possible=possible, where=where))
        return [f"{dropped} of {possible} windows were skipped because an input value is "
                f"missing (missing: {where}); their rows have no prediction."]

    def inputs(self, data: Dataset | Campaign, part: str = "all") -> Inputs:
        """Scaled inputs, scaled targets, times (and for a ``Campaign`` the drive) of every
        ``part`` window of ``data``, in the order of ``predict(data, part)``: what explanation
        methods (attribution, deletion, faithfulness) feed to ``run.model``. For one drive ``x``
        is a read-only strided view; a campaign's windows are stacked drive after drive."""
        if isinstance(data, Campaign):
            parts, report = self._each_drive(data, lambda ds: self.inputs(ds, part))
            if not parts:
                raise DataError(_("{label}: no drive has windows in the {part!r} part.",
                                   label=data.label, part=part))
            cat = lambda k: np.concatenate([getattr(p, k) for __, p in parts])  # noqa: E731
            drives = np.concatenate([[n] * len(p.times) for n, p in parts]).astype(str)
            return Inputs(cat("x"), cat("y"), cat("times"), drives,
                          report + [ln for __, p in parts for ln in p.report])
        w, starts, report = self._windows(data, part)
        rows = w.target_row(starts)
        return Inputs(w.inputs(starts), w.y[rows], data.times[rows], None, report)

    @torch.no_grad()
    def _forward(self, ds: Dataset, part: str, batch_size: int = 2048):
        w, starts, report = self._windows(ds, part)
        device = next(self.model.parameters()).device
        drive = DeviceDrive(w, device)
        self.model.eval()
        outs = {"y": [], "feature": [], "temporal": [], "group": [], "relevance": []}
        for xb, __ in drive.batches(torch.as_tensor(starts, device=device), batch_size):
            out = self.model(xb)
            for k in outs:
                v = getattr(out, k)
                if v is not None:
                    outs[k].append(v.float().cpu().numpy())
        rows = w.target_row(starts)
        cat = {k: (np.concatenate(v) if v else None) for k, v in outs.items()}
        if cat["y"] is None:
            cat["y"] = np.zeros(0) if w.steps == 1 else np.zeros((0, w.steps))
        if w.steps > 1:                             # every step's row (predict's long form)
            step = w.step_rows(starts)
            cat.update(step_time=ds.times[step], step_y=w.y[step],
                       origin=ds.times[starts + w.lookback - 1])
        return ds.times[rows], w.y[rows], cat, report

    def predict(self, data: Dataset | Campaign, part: str = "all",
                interval: float | None = None) -> pd.DataFrame:
        """One row per window, in time order: time, actual (NaN without target), predicted;
        for a ``Campaign`` also ``drive``, drive after drive. With ``window.steps`` > 1 the
        long form (``forecast_frame``): one row per (window, step), window after window.

        ``part`` = "all" (default), "train", "val" or "test" (the run's split: in time inside a
        drive, or whole test/validation drives). Windows with a missing input value are skipped;
        ``result.attrs["report"]`` (a list of str, empty when nothing was skipped) says how many
        and which columns had gaps, and which drives of a campaign were skipped and why. When no
        window is left (e.g. an input column is all missing) a ``DataError`` names the columns.
        ``interval`` (e.g. 0.9) adds ``lower`` and ``upper``: the split-conformal interval of that
        level, calibrated on the validation part of the run's training data (``with_interval``).
        """
        if interval is not None:
            check_level(interval)
            return self.with_interval(self.predict(data, part), interval, data)
        if isinstance(data, Campaign):
            frames, report = self._each_drive(data, lambda ds: self.predict(ds, part))
            frame = (pd.concat([f.assign(drive=n) for n, f in frames], ignore_index=True)
                     if frames else pd.DataFrame({c: [] for c in (*self._columns(), "drive")}))
            frame.attrs["report"] = report + [ln for __, f in frames
                                              for ln in f.attrs.get("report", [])]
            return frame
        times, y, out, report = self._forward(data, part)
        frame = self.forecast_frame(times, y, out)
        frame.attrs["report"] = report
        return frame

    def interval_calibration(self, data: Dataset | Campaign | None = None) -> Calibration:
        """The run's calibration: the stored one, else (a run cached before intervals existed)
        computed from ``data``'s validation part when ``data`` is what the run was trained on."""
        if self.calibration is not None:
            return self.calibration
        if data is None or data.fingerprint() != self.data_fingerprint:
            raise DataError(
                f"Run {self.key} ({self.config.model}) was stored before prediction intervals "
                "existed, so it has no calibration. Predict once with an interval on the data it "
                f"was trained on ({self.data_name}): that calibrates it on its validation part. "
                "Or train it again.")
        self.calibration = calibration_of(self, data)
        return self.calibration

    def with_interval(self, pred: pd.DataFrame, level: float = 0.9,
                      data: Dataset | Campaign | None = None) -> pd.DataFrame:
        """``pred`` (a ``predict`` frame of this run) with ``lower`` and ``upper`` of the
        ``level`` interval; ``data``: the training data, for a run without a calibration."""
        return add_interval(pred, self.interval_calibration(data), check_level(level))

    def interval_metrics(self, data: Dataset | Campaign, level: float = 0.9,
                         part: str = "test") -> pd.DataFrame:
        """Coverage, mean width, Winkler score and n of the ``level`` interval on the ``part``
        windows of ``data``: rows scope ("all", "drive", "step"), name, metrics."""
        return interval_table(self.predict(data, part, interval=level), level)

    def _columns(self) -> tuple[str, ...]:
        return (("time", "actual", "predicted") if self.window.steps == 1 else
                ("time", "origin", "step", "actual", "predicted"))

    def forecast_frame(self, times: np.ndarray, y: np.ndarray, out: dict) -> pd.DataFrame:
        """``predict``'s table from ``_forward``'s arrays, in the target's units.

        One step: time (predicted), actual, predicted, one row per window. ``steps`` = S > 1:
        one row per (window, step), window after window: time (the predicted time of that
        step), origin (the time of the window's newest input), step (1 .. S: t+horizon+step−1),
        actual, predicted."""
        inverse = lambda v: self.scaler.inverse(np.asarray(v, dtype=float))   # noqa: E731
        if self.window.steps == 1:
            return pd.DataFrame({"time": times, "actual": inverse(y),
                                 "predicted": inverse(out["y"])})
        pred = np.asarray(out["y"], dtype=float).reshape(-1, self.window.steps)
        n, S = pred.shape
        return pd.DataFrame({
            "time": np.asarray(out["step_time"]).reshape(-1),
            "origin": np.repeat(np.asarray(out["origin"]), S),
            "step": np.tile(np.arange(1, S + 1), n),
            "actual": inverse(np.asarray(out["step_y"]).reshape(-1)),
            "predicted": inverse(pred.reshape(-1)),
        })

    def explain(self, data: Dataset | Campaign, part: str = "all") -> Attention:
        """Attention of every window of ``data`` (row i matches ``predict(data)`` row i); for a
        ``Campaign`` ``att.drives`` names each window's drive (``att.for_drive(name)``).
        With ``window.steps`` > 1 row i is the i-th window (the rows of ``predict`` with its
        i-th origin), ``att.times`` the time of its first step, and the maps serve all steps."""
        if isinstance(data, Campaign):
            parts, __ = self._each_drive(data, lambda ds: self.explain(ds, part))
            if not parts:
                raise DataError(_("{label}: no drive has windows to explain.", label=data.label))
            parts = [(n, a) for n, a in parts if len(a)] or parts   # a drive not in ``part``
            cat = lambda k: (None if getattr(parts[0][1], k) is None   # noqa: E731
                             else np.concatenate([getattr(a, k) for __, a in parts]))
            return Attention(times=cat("times"), feature=cat("feature"),
                             temporal=cat("temporal"), group=cat("group"),
                             features=list(self.columns), groups=self._attention_groups(),
                             relevance=cat("relevance"),
                             drives=np.concatenate([[n] * len(a) for n, a in parts]).astype(str))
        times, __, out, __ = self._forward(data, part)
        return Attention(times=times, feature=out["feature"], temporal=out["temporal"],
                         group=out["group"], features=list(self.columns),
                         groups=self._attention_groups(), relevance=out["relevance"])

    def _each_drive(self, camp: Campaign, fn) -> tuple[list[tuple[str, object]], list[str]]:
        """``fn(drive)`` for every drive of ``camp``; a drive that cannot be used (a missing
        column, too short) is skipped with a report line. DataError when every drive fails."""
        done, report = [], []
        for name, ds in camp.drives.items():
            try:
                done.append((name, fn(ds)))
            except DataError as exc:
                report.append(_("Drive '{name}' skipped: {exc}", name=name, exc=exc))
        if report and not done:
            raise DataError(_("{label}: no drive can be used.", label=camp.label) + "\n"
                            + "\n".join(report))
        return done, report

    def _attention_groups(self) -> dict[str, list[str]]:
        groups = self.groups
        if self.model.has_group_weights or not self.model.has_feature_attention:
            return groups
        # attention normalised over all sensors together (DA-RNN): one group "all sensors"
        names = [[self.columns[i] for i in g] for g in self.model.attention_groups]
        history = f"{self.target} history"
        return {("all sensors" if self.target not in cols else history): cols for cols in names}

    def summary(self) -> dict:
        return {"key": self.key, "model": self.config.model, "data": self.data_name,
                "target": self.target, "simulated": self.simulated, "created": self.created,
                **{k: round(v, 4) for k, v in self.metrics.items()}}
