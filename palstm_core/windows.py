"""Sliding windows over a drive: chronological split, train-only scaling, windows as views.

A window that starts at row ``s`` holds input rows ``s .. s+lookback-1`` and predicts the target
at row ``t = s + lookback - 1 + horizon`` (horizon 0 = the newest input step, 1 = the next step)
and, with ``steps`` > 1, at the rows ``t .. t + steps - 1`` as well (a multi-step forecast: step k,
k = 1..steps, predicts row ``t + k - 1``). Windows are assigned to train / validation / test by
the first row they predict (``t``), so the three parts follow each other in time and a
multi-step run is scored on the same windows' origins as a one-step run (less the last
``steps - 1`` rows of a drive, whose later steps lie beyond its end). Windows are never copied:
``window_view`` returns a strided view and training gathers batches by index.

Campaigns (several drives): the drives' scaled rows are stacked into one (T, F) array and the
usable window starts are listed per drive (``Windows.bounds``), so no window spans two drives.
Drives named in ``WindowSpec.test_drives`` / ``val_drives`` are held out whole; every other
drive is split in time (``drive_fractions``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .checks import flag, real_number, whole_number
from .data import DataError, Dataset
from .grouping import SensorGrouping
from .i18n import _


@dataclass(frozen=True)
class WindowSpec:
    """lookback     number of input steps per window
    horizon         steps between the newest input and the predicted row (0 = same step)
    target_history  also feed the target's past values as an input (off: sensors only, so the
                    model works on drives without PEMS)
    split           fractions of rows for train / validation / test, in time order
    test_drives     campaign drives held out whole for testing (e.g. the road drives when the
                    model is trained on lab drives); empty: the last part of every drive
    val_drives      campaign drives held out whole for validation; empty: a part of every drive
    steps           targets predicted per window: t+horizon … t+horizon+steps−1 (1 = one value,
                    as before; ``to_dict`` leaves it out then, so run keys stay as they were)
    """

    lookback: int = 30
    horizon: int = 1
    target_history: bool = False
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    test_drives: tuple[str, ...] = ()
    val_drives: tuple[str, ...] = ()
    steps: int = 1

    def __post_init__(self):
        lookback = whole_number("Lookback", self.lookback, minimum=1)
        object.__setattr__(self, "steps", whole_number("Forecast steps", self.steps, minimum=1,
                                                       maximum=1000))
        horizon = whole_number("Horizon (0 = estimate the current step)", self.horizon, minimum=0)
        split = self.split
        if isinstance(split, (str, bytes)) or not hasattr(split, "__len__") or len(split) != 3:
            split = None
        else:
            split = tuple(real_number("Each split fraction", f, minimum=0.0) for f in split)
        if split is None or min(split) <= 0 or abs(sum(split) - 1) > 1e-6:
            raise DataError(_("Split must be three positive fractions (train, validation, test) "
                            "that add up to 1, e.g. 0.7, 0.15, 0.15."))
        object.__setattr__(self, "lookback", lookback)
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "target_history", flag("target_history", self.target_history))
        object.__setattr__(self, "split", split)
        test, val = _names("test_drives", self.test_drives), _names("val_drives", self.val_drives)
        both = sorted(set(test) & set(val))
        if both:
            raise DataError(_("Drive(s) {join} are chosen both for testing and for "
                               "validation; pick each drive for one of them only.",
                               join=', '.join(map(repr, both))))
        object.__setattr__(self, "test_drives", test)
        object.__setattr__(self, "val_drives", val)

    @property
    def by_drive(self) -> bool:
        """True when whole drives are held out (test_drives or val_drives given)."""
        return bool(self.test_drives or self.val_drives)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["split"] = list(self.split)
        d["test_drives"], d["val_drives"] = list(self.test_drives), list(self.val_drives)
        if not self.by_drive:                   # a single drive's spec reads as before
            del d["test_drives"], d["val_drives"]
        if self.steps == 1:                     # a one-step spec reads (and is keyed) as before
            del d["steps"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "WindowSpec":
        return cls(**{**d, "split": tuple(d.get("split", (0.7, 0.15, 0.15))),
                      "test_drives": tuple(d.get("test_drives", ())),
                      "val_drives": tuple(d.get("val_drives", ()))})


def _names(what: str, names) -> tuple[str, ...]:
    """Drive names as a tuple of str (one name alone is accepted), duplicates removed."""
    if names is None:
        return ()
    if isinstance(names, str):
        names = [names]
    if not hasattr(names, "__iter__") or not all(isinstance(n, str) for n in names):
        raise DataError(_("{what} must be a list of drive names, e.g. ['trip 7', 'trip 9'].",
                           what=what))
    return tuple(dict.fromkeys(names))


PARTS = ("train", "val", "test")


def drive_fractions(spec: WindowSpec, name: str) -> dict[str, tuple[float, float]]:
    """Part -> (first, last) fraction of drive ``name``'s rows (by the row a window predicts).

    A test or validation drive is that part whole. Any other drive is split in time over the
    parts no drive list covers, their ``spec.split`` fractions rescaled to fill the drive: with
    test drives only, a drive is train 0.7/0.85 then validation 0.15/0.85; with none, the
    plain ``split`` (the split of a single drive)."""
    if name in spec.test_drives:
        return {"test": (0.0, 1.0)}
    if name in spec.val_drives:
        return {"val": (0.0, 1.0)}
    if not spec.by_drive:
        train, val, __ = spec.split
        return {"train": (0.0, train), "val": (train, train + val), "test": (train + val, 1.0)}
    held = {"test": bool(spec.test_drives), "val": bool(spec.val_drives)}
    keep = [(p, f) for p, f in zip(PARTS, spec.split) if not held.get(p)]
    total = sum(f for __, f in keep)
    out, lo = {}, 0.0
    for i, (p, f) in enumerate(keep):
        hi = 1.0 if i == len(keep) - 1 else lo + f / total
        out[p] = (lo, hi)
        lo = hi
    return out


def part_rows(spec: WindowSpec, name: str, n_rows: int, part: str) -> tuple[int, int] | None:
    """Rows [lo, hi) of drive ``name`` whose windows belong to ``part`` ("all" = every row),
    or None when the drive has no such part."""
    if part == "all":
        return 0, n_rows
    frac = drive_fractions(spec, name).get(part)
    if frac is None:
        return None
    return int(round(n_rows * frac[0])), int(round(n_rows * frac[1]))


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
    train, val, __ = spec.split
    return int(round(n_rows * train)), int(round(n_rows * (train + val)))


def window_view(values: np.ndarray, lookback: int) -> np.ndarray:
    """All windows of a (T, F) array as a read-only (T - lookback + 1, lookback, F) view."""
    return np.lib.stride_tricks.sliding_window_view(values, lookback, axis=0).transpose(0, 2, 1)


@dataclass
class Windows:
    """A scaled drive (or the stacked drives of a campaign) ready for windowing.

    x       (T, F) float32 scaled inputs, rows in time order (drive after drive)
    y       (T,)  float32 scaled target (NaN where unknown)
    starts  (N,)  start row of every usable window; target row = start + lookback - 1 + horizon;
            a window never spans two drives
    bounds  (D + 1,) first row of each drive and T (None: one drive, rows 0 .. T)
    names   the D drive names (None: one drive)
    steps   targets per window (rows target_row .. target_row + steps - 1)
    """

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    lookback: int
    horizon: int
    bounds: np.ndarray | None = None
    names: list[str] | None = None
    steps: int = 1

    def drive_index(self, starts: np.ndarray) -> np.ndarray:
        """Index (into ``names``) of the drive each window start belongs to."""
        if self.bounds is None:
            return np.zeros(len(starts), dtype=int)
        return np.searchsorted(self.bounds, starts, side="right") - 1

    def drive_parts(self, spec: WindowSpec) -> dict[str, np.ndarray]:
        """Window starts of every part ('train', 'val', 'test') over all drives, per
        ``drive_fractions`` of each drive, in row order."""
        bounds = self.bounds if self.bounds is not None else np.array([0, len(self.x)])
        names = self.names or [""]
        rows = self.target_rows
        which = self.drive_index(self.starts)
        out = {p: [] for p in PARTS}
        for d, name in enumerate(names):
            n = int(bounds[d + 1] - bounds[d])
            local = rows[which == d] - bounds[d]
            mine = self.starts[which == d]
            for p in PARTS:
                span = part_rows(spec, name, n, p)
                if span is not None:
                    out[p].append(mine[(local >= span[0]) & (local < span[1])])
        return {p: (np.concatenate(v) if v else np.zeros(0, dtype=int)) for p, v in out.items()}

    def target_row(self, starts):
        """Row predicted by the windows starting at ``starts`` (numpy or torch indices)."""
        return starts + self.lookback - 1 + self.horizon

    @property
    def target_rows(self) -> np.ndarray:
        return self.target_row(self.starts)

    def step_rows(self, starts: np.ndarray) -> np.ndarray:
        """(N, steps) rows predicted by the windows starting at ``starts``, step after step."""
        return self.target_row(np.asarray(starts))[:, None] + np.arange(self.steps)

    def targets(self, starts: np.ndarray) -> np.ndarray:
        """Scaled targets of the windows at ``starts``: (N,) for one step, else (N, steps)."""
        rows = self.target_row(np.asarray(starts))
        return self.y[rows] if self.steps == 1 else self.y[self.step_rows(starts)]

    def n_possible(self, n_rows: int) -> int:
        """Windows a drive of ``n_rows`` rows has when no value is missing."""
        return n_rows - self.lookback - self.horizon - self.steps + 2

    def inputs(self, starts: np.ndarray | None = None) -> np.ndarray:
        """(N, lookback, F) strided view of the windows starting at ``starts`` (all by default)."""
        view = window_view(self.x, self.lookback)
        return view if starts is None else view[starts]

    def part(self, name: str, n_rows: int, spec: WindowSpec, drive: str = "") -> np.ndarray:
        """Window starts (of one drive) whose target row lies in the 'train', 'val', 'test' or
        'all' part of drive ``drive`` (its role in ``spec``; no name: the time split)."""
        span = part_rows(spec, drive, n_rows, name)
        if span is None:
            return self.starts[:0]
        rows = self.target_rows
        return self.starts[(rows >= span[0]) & (rows < span[1])]


def make_windows(ds: Dataset, columns: list[str], target: str, spec: WindowSpec,
                 scaler: Scaler, *, need_target: bool) -> Windows:
    """Scale ``ds`` and list the windows that can be used.

    ``scaler`` covers ``columns + [target]``. Windows whose inputs contain a missing value are
    skipped; with ``need_target`` windows whose target is missing are skipped too.
    """
    missing = [c for c in columns if c not in ds.frame.columns]
    if missing:
        raise DataError(_("{label} lacks the input column(s) {join} that the model was "
                           "trained on.", label=ds.label,
                           join=', '.join(map(repr, missing))))
    F = len(columns)
    x = ((ds.frame[columns].to_numpy(dtype=float) - scaler.mean[:F]) / scaler.std[:F])
    y = (ds.frame[target].to_numpy(dtype=float) if target in ds.frame.columns
         else np.full(len(ds), np.nan))
    y = (y - scaler.mean[-1]) / scaler.std[-1]
    x, y = x.astype(np.float32), y.astype(np.float32)
    L, h, S = spec.lookback, spec.horizon, spec.steps
    n_windows = len(ds) - L - h - S + 2
    if n_windows <= 0:
        what = "lookback + horizon" + (" + steps - 1" if S > 1 else "")
        raise DataError(_("{label} has {n} rows, fewer than {what} ({value}). Use a shorter "
                          "lookback or a longer recording.", label=ds.label, n=len(ds),
                          what=what, value=L + h + S - 1))
    bad = np.r_[0, np.cumsum(~np.isfinite(x).all(axis=1))]
    starts = np.arange(n_windows)
    ok = bad[starts + L] - bad[starts] == 0
    if need_target:
        if S == 1:
            ok &= np.isfinite(y[starts + L - 1 + h])
        else:                                   # every step's target is known
            missing = np.r_[0, np.cumsum(~np.isfinite(y))]
            first = starts + L - 1 + h
            ok &= missing[first + S] - missing[first] == 0
    return Windows(np.ascontiguousarray(x), y, starts[ok], L, h, steps=S)


def stack_windows(parts: list[tuple[str, Windows]]) -> Windows:
    """The windows of several drives as one ``Windows``: rows stacked drive after drive, each
    drive's window starts shifted by its first row (so none spans two drives)."""
    if not parts:
        raise DataError(_("No drive is left to make windows from."))
    lengths = [len(w.x) for __, w in parts]
    bounds = np.r_[0, np.cumsum(lengths)]
    first = parts[0][1]
    if len(parts) == 1:
        x, y = first.x, first.y
    else:
        x = np.concatenate([w.x for __, w in parts])
        y = np.concatenate([w.y for __, w in parts])
    starts = np.concatenate([w.starts + b for (__, w), b in zip(parts, bounds)])
    return Windows(x, y, starts, first.lookback, first.horizon, bounds, [n for n, __ in parts],
                   steps=first.steps)


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
