"""The drive table's pieces: each drive's clock (duration, rate), its report line (size, clock,
columns against the other drives, what loading dropped, kept or split) and the columns most
drives have (``Campaign.table`` and ``load_drives`` use them)."""
from __future__ import annotations

import re

import numpy as np

from ..i18n import _
from .dataset import Dataset


def _clock(ds: Dataset) -> tuple[float, float]:
    """(duration in minutes, median sampling rate in Hz) of a drive; NaN without a clock."""
    t = ds.times
    steps = np.diff(t[np.isfinite(t)])
    step = float(np.median(steps)) if steps.size else float("nan")
    if not ds.time_column or not step > 0:
        return float("nan"), float("nan")
    return float((np.nanmax(t) - np.nanmin(t)) / 60), 1 / step


def _describe(ds: Dataset, usual: list[str]) -> str:
    """The report line of one drive: size, clock, columns against the others, drops."""
    minutes, rate = _clock(ds)
    clock = (_("{minutes:.1f} min at {rate:.3g} Hz", minutes=minutes, rate=rate)
             if np.isfinite(rate) else _("no clock (row numbers)"))
    parts = [_("{name}: {rows} rows, {clock}, {n} sensor columns", name=ds.name, rows=len(ds),
               clock=clock, n=len(ds.columns))]
    missing = [c for c in usual if c not in ds.columns]
    extra = [c for c in ds.columns if c not in usual]
    if missing:
        parts.append(_("missing {columns} (more than half of the drives have it)",
                       columns=", ".join(f"'{c}'" for c in missing)))
    if extra:
        parts.append(_("extra {columns} (at most half of the drives have it)",
                       columns=", ".join(f"'{c}'" for c in extra)))
    drops = [ln for ln in ds.report                       # the English msgid decides
             if re.search(r"\b(dropped|removed|kept|split)\b", getattr(ln, "msgid", ln), re.I)]
    if drops:
        parts.append(_("loading: {lines}", lines=" ".join(
            str(ln).rstrip(".") + "." for ln in drops).rstrip(".")))
    return _("{parts}.", parts="; ".join(parts))


def _usual_columns(drives: dict[str, Dataset]) -> list[str]:
    """Columns more than half of the drives have, in order of first appearance."""
    counts: dict[str, int] = {}
    for ds in drives.values():
        for c in ds.columns:
            counts[c] = counts.get(c, 0) + 1
    return [c for c, n in counts.items() if n > len(drives) / 2]
