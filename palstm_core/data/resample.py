"""Putting a drive on a fixed clock: ``resample`` and the grid helpers merging uses too.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .dataset import DataError, Dataset
from ..i18n import _

def to_grid(t: np.ndarray, x: np.ndarray, grid: np.ndarray, max_gap: float) -> np.ndarray:
    """Values of (t, x) on ``grid``: mean of the samples in each grid cell when the source is
    faster, linear interpolation otherwise; NaN where the nearest sample is beyond ``max_gap``."""
    ok = np.isfinite(t) & np.isfinite(x)
    t, x = t[ok], x[ok]
    out = np.full(grid.shape, np.nan)
    if len(t) < 2 or len(grid) == 0:
        return out
    order = np.argsort(t, kind="stable")
    t, x = t[order], x[order]
    step = float(grid[1] - grid[0]) if len(grid) > 1 else 1.0
    src_step = float(np.median(np.diff(t)))
    if src_step < step / 1.5:                       # downsample: average within each cell
        edges = np.searchsorted(t, np.r_[grid - step / 2, grid[-1] + step / 2])
        csum = np.r_[0.0, np.cumsum(x)]
        n = np.diff(edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (csum[edges[1:]] - csum[edges[:-1]]) / n
        have = n > 0
        out[have] = means[have]
        if (~have).any() and have.sum() >= 2:
            out[~have] = np.interp(grid[~have], grid[have], means[have])
    else:
        ut, idx = np.unique(t, return_index=True)   # repeated times: first value
        if len(ut) < 2:
            return out
        out = np.interp(grid, ut, x[idx])
    pos = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
    nearest = np.minimum(np.abs(t[pos] - grid), np.abs(t[pos - 1] - grid))
    across = (t[pos] - t[pos - 1] > max_gap) & (nearest > min(step, src_step) / 2 + 1e-9)
    out[(nearest > max_gap) | across | (grid < t[0] - step / 2) | (grid > t[-1] + step / 2)] = np.nan
    return out


def median_step(t: np.ndarray, default: float) -> float:
    """Median positive difference between successive finite values of ``t``, else ``default``."""
    dts = np.diff(t[np.isfinite(t)])
    dts = dts[dts > 0]
    return float(np.median(dts)) if len(dts) else default


def resample(ds: Dataset, rate_hz: float, *, max_gap_s: float | None = None) -> Dataset:
    """``ds`` on a fixed clock of ``rate_hz`` samples per second (new Dataset).

    Faster data is averaged over each step, slower data interpolated linearly; grid points
    farther than ``max_gap_s`` (default: 3 source steps, at least 2 grid steps) from any sample
    stay empty, and rows where every sensor is empty are dropped (counted in the report).
    """
    if not rate_hz or rate_hz <= 0 or not np.isfinite(rate_hz):
        raise DataError(_("The resampling rate must be a positive number of samples per "
                           "second, not {rate_hz!r}.",
                           rate_hz=rate_hz))
    t = ds.times
    fin = t[np.isfinite(t)]
    if len(fin) < 2:
        raise DataError(_("'{name}' has too few timed rows to resample.", name=ds.name))
    step = 1.0 / rate_hz
    start, stop = np.ceil(fin.min() / step) * step, fin.max()
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n > 20_000_000:
        raise DataError(_("Resampling '{name}' at {rate_hz:g} Hz would make {n:,} rows; "
                           "choose a lower rate.", name=ds.name,
                           rate_hz=rate_hz, n=n))
    grid = start + step * np.arange(n)
    src_step = median_step(np.sort(fin), step)
    gap = max_gap_s if max_gap_s is not None else max(3 * src_step, 2 * step)
    tcol = ds.time_column or "time"
    frame = pd.DataFrame({tcol: grid, **{
        c: to_grid(t, ds.frame[c].to_numpy(dtype=float), grid, gap) for c in ds.columns}})
    empty = frame[ds.columns].isna().all(axis=1)
    report = list(ds.report) + [f"Resampled to {rate_hz:g} Hz ({len(ds)} rows -> {n} rows; "
                                "faster data averaged, slower data interpolated)."]
    if empty.any():
        report.append(_("{int} resampled row(s) fall in gaps without data; dropped.",
                         int=int(empty.sum())))
        frame = frame[~empty].reset_index(drop=True)
    units = dict(ds.units)
    units.setdefault(tcol, "s")
    return replace(ds, frame=frame, time_column=tcol, report=report, units=units,
                   time_kind=ds.time_kind if ds.time_column else "seconds")
