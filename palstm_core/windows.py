"""Sliding windows over a drive: chronological split, train-only scaling, windows as views.

A window that starts at row ``s`` holds input rows ``s .. s+lookback-1`` and predicts the target
at row ``t = s + lookback - 1 + horizon`` (horizon 0 = the newest input step, 1 = the next step).
Windows are assigned to train / validation / test by the row they predict, so the three parts
follow each other in time. Windows are never copied: ``window_view`` returns a strided view and
training gathers batches by index.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .checks import flag, real_number, whole_number
from .data import DataError, Dataset
from .grouping import SensorGrouping


@dataclass(frozen=True)
class WindowSpec:
    """lookback     number of input steps per window
    horizon         steps between the newest input and the predicted row (0 = same step)
    target_history  also feed the target's past values as an input (off: sensors only, so the
                    model works on drives without PEMS)
    split           fractions of rows for train / validation / test, in time order
    """

    lookback: int = 30
    horizon: int = 1
    target_history: bool = False
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)

    def __post_init__(self):
        lookback = whole_number("Lookback", self.lookback, minimum=1)
        horizon = whole_number("Horizon (0 = estimate the current step)", self.horizon, minimum=0)
        split = self.split
        if isinstance(split, (str, bytes)) or not hasattr(split, "__len__") or len(split) != 3:
            split = None
        else:
            split = tuple(real_number("Each split fraction", f, minimum=0.0) for f in split)
        if split is None or min(split) <= 0 or abs(sum(split) - 1) > 1e-6:
            raise DataError("Split must be three positive fractions (train, validation, test) "
                            "that add up to 1, e.g. 0.7, 0.15, 0.15.")
        object.__setattr__(self, "lookback", lookback)
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "target_history", flag("target_history", self.target_history))
        object.__setattr__(self, "split", split)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["split"] = list(self.split)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "WindowSpec":
        return cls(**{**d, "split": tuple(d.get("split", (0.7, 0.15, 0.15)))})


@dataclass
class Scaler:
    """Per-column standardisation fitted on the training rows only."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> "Scaler":
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        return cls(np.nan_to_num(mean), np.where(np.isfinite(std) & (std > 1e-12), std, 1.0))

    def inverse(self, values: np.ndarray, column: int = -1) -> np.ndarray:
        return values * self.std[column] + self.mean[column]

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Scaler":
        return cls(np.asarray(d["mean"], dtype=float), np.asarray(d["std"], dtype=float))


def input_columns(grouping: SensorGrouping, target: str, spec: WindowSpec) -> list[str]:
    """Model input columns in order: the grouped features, then the target when it is an input."""
    return grouping.features + ([target] if spec.target_history else [])


def input_groups(grouping: SensorGrouping, target: str, spec: WindowSpec) -> dict[str, list[str]]:
    groups = grouping.to_dict()
    if spec.target_history:
        groups[f"{target} history"] = [target]
    return groups


def split_rows(n_rows: int, spec: WindowSpec) -> tuple[int, int]:
    """Row indices where validation and test begin."""
    train, val, _ = spec.split
    return int(round(n_rows * train)), int(round(n_rows * (train + val)))


def window_view(values: np.ndarray, lookback: int) -> np.ndarray:
    """All windows of a (T, F) array as a read-only (T - lookback + 1, lookback, F) view."""
    return np.lib.stride_tricks.sliding_window_view(values, lookback, axis=0).transpose(0, 2, 1)


@dataclass
class Windows:
    """A scaled drive ready for windowing.

    x       (T, F) float32 scaled inputs, rows in time order
    y       (T,)  float32 scaled target (NaN where unknown)
    starts  (N,)  start row of every usable window; target row = start + lookback - 1 + horizon
    """

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    lookback: int
    horizon: int

    def target_row(self, starts):
        """Row predicted by the windows starting at ``starts`` (numpy or torch indices)."""
        return starts + self.lookback - 1 + self.horizon

    @property
    def target_rows(self) -> np.ndarray:
        return self.target_row(self.starts)

    def inputs(self, starts: np.ndarray | None = None) -> np.ndarray:
        """(N, lookback, F) strided view of the windows starting at ``starts`` (all by default)."""
        view = window_view(self.x, self.lookback)
        return view if starts is None else view[starts]

    def part(self, name: str, n_rows: int, spec: WindowSpec) -> np.ndarray:
        """Window starts whose target row lies in the 'train', 'val' or 'test' part."""
        val_start, test_start = split_rows(n_rows, spec)
        rows = self.target_rows
        lo, hi = {"train": (0, val_start), "val": (val_start, test_start),
                  "test": (test_start, n_rows), "all": (0, n_rows)}[name]
        return self.starts[(rows >= lo) & (rows < hi)]


def make_windows(ds: Dataset, columns: list[str], target: str, spec: WindowSpec,
                 scaler: Scaler, *, need_target: bool) -> Windows:
    """Scale ``ds`` and list the windows that can be used.

    ``scaler`` covers ``columns + [target]``. Windows whose inputs contain a missing value are
    skipped; with ``need_target`` windows whose target is missing are skipped too.
    """
    missing = [c for c in columns if c not in ds.frame.columns]
    if missing:
        raise DataError(f"{ds.label} lacks the input column(s) {', '.join(map(repr, missing))} "
                        "that the model was trained on.")
    F = len(columns)
    x = ((ds.frame[columns].to_numpy(dtype=float) - scaler.mean[:F]) / scaler.std[:F])
    y = (ds.frame[target].to_numpy(dtype=float) if target in ds.frame.columns
         else np.full(len(ds), np.nan))
    y = (y - scaler.mean[-1]) / scaler.std[-1]
    x, y = x.astype(np.float32), y.astype(np.float32)
    L, h = spec.lookback, spec.horizon
    n_windows = len(ds) - L - h + 1
    if n_windows <= 0:
        raise DataError(f"{ds.label} has {len(ds)} rows, fewer than lookback + horizon "
                        f"({L + h}). Use a shorter lookback or a longer recording.")
    bad = np.r_[0, np.cumsum(~np.isfinite(x).all(axis=1))]
    starts = np.arange(n_windows)
    ok = bad[starts + L] - bad[starts] == 0
    if need_target:
        ok &= np.isfinite(y[starts + L - 1 + h])
    return Windows(np.ascontiguousarray(x), y, starts[ok], L, h)


def window_steps(ds_times: np.ndarray, predicted_time: float, lookback: int,
                 horizon: int) -> np.ndarray:
    """Times of the ``lookback`` input steps of the window that predicts ``predicted_time``."""
    t = np.asarray(ds_times, dtype=float)
    row = int(np.searchsorted(t, predicted_time))
    row = min(max(row, 0), len(t) - 1)
    first = row - horizon - lookback + 1
    rows = np.arange(first, first + lookback)
    if first < 0:                                   # should not happen for a real window
        return np.arange(-lookback + 1, 1, dtype=float) - horizon + predicted_time
    return t[rows]
