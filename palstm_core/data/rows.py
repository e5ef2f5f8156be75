"""Rows that are not measurements, found in the table as read: analyzer calibration markers
(a PEMS ``Bag#`` column saying ``Zeroing``), header lines repeated inside the file; and, on the
clock, recordings joined end to end (the clock restarts) and the autumn daylight-saving hour.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from ..i18n import _

_MARKER = re.compile(r"^(zero(ing)?|span(ning)?|calibrat\w*|purg\w*|leak.?check|audit|"
                     r"auto.?zero|hc.?hang.?up|warm.?up)$", re.IGNORECASE)


def drop_marker_rows(raw: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    """Without the rows a text column marks as analyzer calibration (``Bag# = Zeroing``)."""
    drop = pd.Series(False, index=raw.index)
    for col in raw.columns:
        s = raw[col]
        if pd.api.types.is_numeric_dtype(s):
            continue
        text = s.astype(str).str.strip()
        hit = text.str.match(_MARKER.pattern, flags=re.IGNORECASE)
        if hit.any():
            what = ", ".join(f"'{v}'" for v in dict.fromkeys(text[hit].head(1000)))
            report.append(_("Dropped {int} row(s) where '{col}' says {what}: the analyzer "
                             "was calibrating (zero/span), so they are not measurements.",
                             int=int(hit.sum()), col=col, what=what))
            drop |= hit
    if drop.any():
        raw = raw[~drop.to_numpy()].reset_index(drop=True)
    return raw


def drop_repeated_headers(raw: pd.DataFrame, raw_names: dict[str, str], first_line: int,
                          report: list[str]) -> tuple[pd.DataFrame, list[int]]:
    """Without data rows that repeat the header (two exports pasted into one file); returns the
    row positions (in the result) where a new recording starts after such a line."""
    cols = [c for c in raw.columns if not pd.api.types.is_numeric_dtype(raw[c])]
    if not cols:
        return raw, []
    same = sum((raw[c].astype(str).str.strip() == raw_names.get(c, c).strip()) |
               (raw[c].astype(str).str.strip() == c) for c in cols)
    is_header = same >= max(2, 0.5 * raw.shape[1]) if raw.shape[1] > 1 else same >= 1
    if not is_header.any():
        return raw, []
    where = np.flatnonzero(is_header.to_numpy())
    report.append(_("The header repeats inside the file at line(s) {join}; the repeated "
                     "header line(s) were dropped.",
                     join=', '.join(str(first_line + 1 + int(i)) for i in where[:5])))
    starts = [int(i) - k for k, i in enumerate(where)]
    return raw[~is_header.to_numpy()].reset_index(drop=True), starts


def split_recordings(t: np.ndarray, kind: str, starts: list[int], first_line: int,
                     report: list[str]) -> tuple[np.ndarray, slice]:
    """(times, rows to keep) of a clock in file order: a one-hour step back on a date-time clock
    is the autumn daylight-saving change (the later rows get +1 h, so the hours do not
    interleave); any other clear step back, or a repeated header where the clock goes back,
    starts a new recording, and the longest recording is kept. A repeated header where the
    clock goes on (a logger that writes its header again, exports pasted in order) is one
    recording: all rows are kept, with a report line."""
    n = len(t)
    if n < 3:
        return t, slice(0, n)
    starts = _restarts(t, starts, first_line, report)
    dt = np.diff(t)
    pos = dt[np.isfinite(dt) & (dt > 0)]
    step = float(np.median(pos)) if len(pos) else 1.0
    back = np.flatnonzero(np.isfinite(dt) & (dt < -max(10 * step, 1.0)))
    t = t.astype(float, copy=True)
    if len(back) > 3:              # rows out of order throughout: sorted later, not split
        back = back[:0]
    cuts = set(starts)
    edges = [0, *[int(i) + 1 for i in back], n]
    for k, i in enumerate(back):
        before, after = t[edges[k]:i + 1], t[i + 1:edges[k + 2]]
        if kind == "datetime" and abs(dt[i] + 3600) <= max(2 * step, 2.0):
            t[i + 1:] += 3600.0
            report.append(_("The clock goes back one hour after line {value} (the autumn "
                             "daylight-saving change); the repeated hour was kept after "
                             "the first one (times after it moved 1 h later) instead of "
                             "being mixed into it.",
                             value=first_line + 1 + int(i)))
        elif np.nanmax(after) > np.nanmin(before):
            cuts.add(int(i) + 1)   # (else a block of earlier rows: one recording, sorted later)
    cuts = sorted(c for c in cuts if 0 < c < n)
    if not cuts:
        return t, slice(0, n)
    bounds = [0, *cuts, n]
    parts = [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]
    lo, hi = max(parts, key=lambda p: p[1] - p[0])
    report.append(_("The file holds {n} recordings one after the other (the clock starts "
                     "again at data row(s) {join}); kept the longest, data rows "
                     "{value}-{hi} ({value2} rows), and left out the other {value3} "
                     "row(s). Save each recording in its own file to use them all.",
                     n=len(parts), join=', '.join(str(c + 1) for c in cuts[:5]), value=lo + 1,
                     hi=hi, value2=hi - lo, value3=n - (hi - lo)))
    return t, slice(lo, hi)


def _restarts(t: np.ndarray, starts: list[int], first_line: int, report: list[str]
              ) -> list[int]:
    """The repeated-header positions where the clock restarts (goes back or is unreadable);
    where it goes on, one report line says the rows were kept as one recording."""
    goes_on = [s for s in starts if 0 < s < len(t) and np.isfinite(t[s]) and
               np.isfinite(t[s - 1]) and t[s] >= t[s - 1]]
    if goes_on:
        report.append(_("The clock goes on across the repeated header(s) before data "
                         "row(s) {join} (the times keep rising there): one recording, all "
                         "its rows kept.",
                         join=', '.join(str(s + 1) for s in goes_on[:5])))
    return [s for s in starts if s not in goes_on]


def drop_leading_zero_rows(frame: pd.DataFrame, tcol: str | None, report: list[str]
                           ) -> pd.DataFrame:
    """Without the rows at the start where every sensor reads 0 (a logger recording before its
    adapter connects). Only for loggers with five or more channels: with fewer, all zeros can
    be a real reading (engine off)."""
    cols = [c for c in frame.columns if c != tcol]
    if len(cols) < 5:
        return frame
    head = frame[cols].iloc[:1000].to_numpy(dtype=float)       # not a copy of a big drive
    blank = np.all((head == 0) | np.isnan(head), axis=1)
    n = int(np.argmin(blank)) if not blank.all() else len(blank)
    if 0 < n < len(frame):
        report.append(_("Dropped the first {n} row(s): every sensor reads 0 there (the "
                         "logger was recording before it got data, e.g. before the OBD "
                         "adapter connected).", n=n))
        frame = frame.iloc[n:].reset_index(drop=True)
    return frame
