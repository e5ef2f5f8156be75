"""The short 1-D sequences the Learn page feeds its tiny cells: a piece of a shipped (simulated)
sample drive, or numbers the user typed, scaled to [-1, 1]."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import DataError, load_sample
from ..i18n import _


@dataclass
class Sequence:
    """A short 1-D sequence: ``raw`` values and ``scaled`` to [-1, 1] (what the cells see)."""

    times: np.ndarray
    raw: np.ndarray
    scaled: np.ndarray
    label: str
    unit: str = ""
    simulated: bool = False


def scale(values) -> np.ndarray:
    """Min-max scale to [-1, 1] (a constant sequence becomes zeros)."""
    x = np.asarray(values, dtype=float)
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi - lo < 1e-12:
        return np.zeros_like(x)
    return 2.0 * (x - lo) / (hi - lo) - 1.0


def sample_sequence(sample: str = "urban", channel: str = "speed", start: int = 120,
                    length: int = 40) -> Sequence:
    """``length`` rows of one channel of a shipped (simulated) sample drive."""
    ds = load_sample(sample)
    if channel not in ds.columns:
        raise DataError(_("The sample '{sample}' has no channel '{channel}'. Channels: {join}.",
                           sample=sample, channel=channel, join=', '.join(ds.columns)))
    length = int(max(3, length))
    start = int(min(max(0, start), len(ds) - length))
    part = ds.frame.iloc[start:start + length]
    raw = part[channel].to_numpy(dtype=float)
    raw = pd.Series(raw).interpolate(limit_direction="both").fillna(0.0).to_numpy()
    times = ds.times[start:start + length]
    return Sequence(times, raw, scale(raw), f"{channel} — {ds.label}", ds.units.get(channel, ""),
                    simulated=ds.simulated)


def parse_values(text: str, max_len: int = 200) -> Sequence:
    """User-typed numbers ("1, 2.5, 3 4") -> Sequence; ValueError with a readable message."""
    parts = [p for p in re.split(r"[,;\s]+", str(text).strip()) if p]
    values = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise ValueError(_("'{p}' is not a number. Type numbers separated by commas, "
                                "e.g. 0, 1, 3, 2, 0.", p=p)) from None
        if not math.isfinite(v):
            raise ValueError(_("'{p}' is not a finite number.", p=p))
        values.append(v)
    if len(values) < 3:
        raise ValueError(_("Type at least 3 numbers separated by commas, e.g. 0, 1, 3, 2, 0."))
    if len(values) > max_len:
        raise ValueError(_("At most {max_len} numbers, please (got {n}).", max_len=max_len,
                            n=len(values)))
    raw = np.array(values)
    return Sequence(np.arange(len(raw), dtype=float), raw, scale(raw), _("your values"))
