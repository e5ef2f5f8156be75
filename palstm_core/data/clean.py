"""``clean``: PEMS spikes (a Hampel filter that keeps real engine events) and slow zero drift.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .channels import gas_channels
from .dataset import MIN_ROWS, DataError, Dataset
from .resample import median_step
from ..i18n import _

def _hampel(x: np.ndarray, window: int, threshold: float, ratio: float) -> np.ndarray:
    """Boolean mask of spikes: |x - rolling median| > threshold · 1.4826 · rolling MAD (MAD
    floored at 1 % of the channel's median level) AND x at least ``ratio`` times the rolling
    median (or below 1/ratio of it). The ratio test keeps the fast but real rises of emission
    signals, which a plain Hampel filter flags by the hundred."""
    med = pd.Series(x).rolling(window, center=True, min_periods=1).median().to_numpy()
    dev = np.abs(x - med)
    mad = pd.Series(dev).rolling(window, center=True, min_periods=1).median().to_numpy()
    floor = 0.01 * float(np.nanmedian(np.abs(x))) + 1e-12
    with np.errstate(invalid="ignore"):
        big = dev > threshold * 1.4826 * np.maximum(mad, floor)
        jump = (x > ratio * np.maximum(med, 1e-12)) | (x < med / ratio)
    return big & jump & np.isfinite(x)


def clean(ds: Dataset, channels: list[str] | None = None, *, spikes: bool = True,
          drift: bool = True, window: int = 7, threshold: float = 6.0, ratio: float = 3.0,
          drift_window_s: float = 300.0, drift_tol: float = 0.03) -> Dataset:
    """Remove PEMS spikes and slow zero drift from ``channels``; returns a new Dataset.

    ``channels`` defaults to the gas channels (CO2, NOx, CO, THC ...). Spikes (condensate, analyzer
    glitches): a Hampel filter — rolling median over ``window`` samples, a sample more than
    ``threshold`` robust standard deviations (1.4826 · MAD) away AND ``ratio`` times above (or
    below 1/ratio of) the median is a spike. When three or more channels are cleaned, a peak
    that shows in two or more other gases at the same time (±1 sample) is a real engine event
    and is kept. Spikes are replaced by linear interpolation between their neighbours.
    Drift: a baseline is the rolling 2 % quantile over ``drift_window_s``; a straight line is
    fitted to it, and when it rises or falls by more than ``drift_tol`` of the channel's 5–95 %
    range over the drive, that line minus its start value is subtracted (a linear zero-drift
    correction, the analyzer zeroed at the start). Counts are in ``ds.report`` and in
    ``ds.cleaning`` = {column: {"spikes": n, "spike_rows": [row indices], "events_kept": n,
    "drift_corrected": bool, "drift": amount in the column's unit}}.
    """
    if channels is None:
        channels = gas_channels(ds.columns)
    channels = list(dict.fromkeys(str(c) for c in channels))
    missing = [c for c in channels if c not in ds.columns]
    if missing:
        raise DataError(_("'{name}' has no column(s) {join} to clean. Columns are: {join2}.",
                           name=ds.name, join=', '.join(map(repr, missing)),
                           join2=', '.join(ds.columns)))
    if int(window) < 3:
        raise DataError(_("The spike window must be at least 3 samples."))
    if not channels:
        raise DataError(_("'{name}' has no exhaust gas columns to clean; choose the columns.",
                           name=ds.name))
    frame = ds.frame.copy()
    report = list(ds.report)
    cleaning: dict[str, dict] = dict(ds.cleaning or {})
    t = ds.times
    step = median_step(t, 1.0)
    data = {c: frame[c].to_numpy(dtype=float).copy() for c in channels}
    masks = {c: (_hampel(x, int(window) | 1, float(threshold), float(ratio))
                 if spikes and np.isfinite(x).sum() >= int(window) else np.zeros(len(x), bool))
             for c, x in data.items()}
    near = {c: np.convolve(m.astype(int), [1, 1, 1], "same") > 0 for c, m in masks.items()}
    for col in channels:
        x = data[col]
        info = {"spikes": 0, "spike_rows": [], "events_kept": 0, "drift_corrected": False,
                "drift": 0.0}
        mask = masks[col]
        if len(channels) >= 3 and mask.any():
            others = sum(near[o].astype(int) for o in channels if o != col)
            shared = mask & (others >= 2)
            info["events_kept"] = int(shared.sum())
            mask = mask & ~shared
        if mask.any():
            good = ~mask & np.isfinite(x)
            idx = np.arange(len(x))
            x[mask] = np.interp(idx[mask], idx[good], x[good]) if good.sum() >= 2 else np.nan
            info["spikes"], info["spike_rows"] = int(mask.sum()), idx[mask].tolist()
        if drift and np.isfinite(x).sum() >= MIN_ROWS:
            w = max(5, int(round(drift_window_s / step)))
            base = pd.Series(x).rolling(w, center=True, min_periods=max(3, w // 4)).quantile(0.02)
            ok = base.notna().to_numpy() & np.isfinite(t)
            if ok.sum() >= 3:
                slope, __ = np.polyfit(t[ok], base.to_numpy()[ok], 1)
                t0, t1 = np.nanmin(t), np.nanmax(t)
                amount = float(slope * (t1 - t0))
                spread = float(np.nanpercentile(x, 95) - np.nanpercentile(x, 5))
                info["drift"] = amount
                if spread > 0 and abs(amount) > drift_tol * spread:
                    x = x - slope * (t - t0)
                    info["drift_corrected"] = True
        frame[col] = x
        cleaning[col] = info
        report.append(_report_line(col, info, ds.units.get(col, ""), spikes, drift))
    return replace(ds, frame=frame, report=report, cleaning=cleaning)


def _report_line(col: str, info: dict, unit: str, spikes: bool, drift: bool) -> str:
    """The report line of one cleaned channel."""
    parts = [_("{n} spike(s) replaced", n=info["spikes"]) if spikes else _("spike removal off")]
    if info["events_kept"]:
        parts.append(_("{n} peak(s) seen in other gases too kept as real",
                       n=info["events_kept"]))
    parts.append((_("drift of {drift} over the drive corrected",
                    drift=(format(info["drift"], "+.3g") + " " + unit).strip())
                  if info["drift_corrected"] else _("no drift to correct")) if drift
                 else _("drift check off"))
    return _("Cleaned '{column}': {what}.", column=col, what="; ".join(parts))
