"""The time column: finding it (by name or by content), converting it to seconds (numbers,
milliseconds, epoch, clock times, date-times) and reporting repeated times and gaps.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .clock import (_clock_seconds, combine_date_time, is_clock, is_date, numeric_clock,
                    text_to_seconds)
from .dataset import DataError
from ..i18n import _

_TIME_RE = re.compile(r"^(time|timestamp|time_?stamp|datetime|date.?time|date|elapsed.*|t|sec|"
                      r"seconds|zeit|uhrzeit|utc|utc.?time|gps.?time|unix.?time|epoch|시간|시각)"
                      r"([ _]?(s|ms|us|µs|ns|sec|secs|utc))?$")


def _find_time_column(frame: pd.DataFrame, requested: str | None, name: str,
                      raw_names: dict[str, str] | None = None) -> str | None:
    if requested is not None:
        if requested in frame.columns:
            return requested
        for col, raw in (raw_names or {}).items():
            if str(requested).strip() == raw.strip():
                return col
        raise DataError(_("'{name}' has no column '{requested}' to use as time. Columns "
                           "are: {join}.", name=name,
                           requested=requested, join=', '.join(map(str, frame.columns))))
    named = [c for c in frame.columns if _TIME_RE.match(str(c).strip().lower())]
    if named:       # "Date" + "Time" columns: the time (of day) column is the clock
        prefer = ("timestamp", "time_stamp", "datetime", "date_time", "date time", "time")
        return min(named, key=lambda c: (prefer.index(str(c).strip().lower())
                                         if str(c).strip().lower() in prefer else len(prefer)))
    first = frame.columns[0]
    values = frame[first]
    if not pd.api.types.is_numeric_dtype(values):
        head = values.dropna().astype(str).str.strip().head(20)
        if is_clock(head):
            return first
        if len(head) and head.str.contains(r"\d").mean() > 0.8 and pd.to_datetime(
                head, errors="coerce", format="mixed").notna().mean() > 0.8:
            return first
    return None


def _time_to_seconds(values: pd.Series, column: str, unit: str, name: str = "the file",
                     dayfirst: bool | None = None, report: list[str] | None = None
                     ) -> tuple[np.ndarray, str, str]:
    """Convert a time column to float seconds; returns (seconds, kind, report line)."""
    report = report if report is not None else []
    if pd.api.types.is_numeric_dtype(values):
        numeric = values.astype(float)
    else:
        numeric = pd.to_numeric(values.astype(str).str.strip().str.replace(",", ".", regex=False),
                                errors="coerce")
    if numeric.notna().mean() > 0.95:
        return numeric_clock(numeric.to_numpy(dtype=float), column, unit)
    text = values.astype(str).str.strip()
    if is_clock(text):
        secs = _clock_seconds(text)
        secs = secs + 86400 * np.cumsum(np.r_[0, np.diff(np.nan_to_num(secs)) < -43200])  # midnight
        return secs, "seconds", _("Time column '{column}' holds clock times (HH:MM:SS).",
                                  column=column)
    secs = text_to_seconds(text, column, name, dayfirst, report)
    if secs is None:
        ts = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if ts.notna().mean() <= 0.95 and len(text) <= 20_000:
            ts = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=bool(dayfirst))
        secs = (ts - pd.Timestamp(0)).dt.total_seconds().to_numpy(dtype=float)
    if np.isfinite(secs).mean() > 0.95:
        return secs, "datetime", _("Time column '{column}' holds date-times.", column=column)
    bad = text[~np.isfinite(secs)].head(1)
    eg = _(" (e.g. '{value}' in data row {row})", value=bad.iloc[0][:40],
           row=int(bad.index[0]) + 1) if len(bad) else ""
    raise DataError(_("'{name}': column '{column}' looks like the time column but most of "
                       "its values are not times or numbers{eg}. Fix the column or name "
                       "another one as time.", name=name, column=column,
                       eg=eg))


def time_report(t: np.ndarray, column: str) -> list[str]:
    """Repeated timestamps and gaps (t sorted)."""
    lines = []
    if len(t) < 3:
        return lines
    dt = np.diff(t)
    repeats = int((dt == 0).sum())
    if repeats:
        lines.append(_("{repeats} row(s) repeat the time of the row before; kept them in "
                        "file order.", repeats=repeats))
    pos = dt[dt > 0]
    if len(pos):
        step = float(np.median(pos))
        big = dt > max(3 * step, step + 1e-9)
        if big.any():
            k = int(np.argmax(dt))
            lines.append(_("Time has {int} gap(s) longer than {value:g} s (the usual step "
                            "is {step:g} s); the longest is {dt:g} s, after {column} = "
                            "{t:g}. Rows are not invented; use resampling to get a fixed "
                            "rate.", int=int(big.sum()),
                            value=3 * step, step=step, dt=dt[k], column=column, t=t[k]))
    return lines


def read_time_column(raw: pd.DataFrame, requested: str | None, name: str, units: dict[str, str],
                     raw_names: dict[str, str], report: list[str], dayfirst: bool | None = None
                     ) -> tuple[str | None, np.ndarray | None, str]:
    """(time column or None, its values in seconds, time kind) of the table ``raw``. A Date
    column beside a time-of-day column is read with it as one clock (and taken out of ``raw``)."""
    tcol = _find_time_column(raw, requested, name, raw_names)
    if tcol is None:
        report.append(_("No time column found; the row number is used as the clock (1 row = 1 step)."))
        return None, None, "row"
    dcol = _date_partner(raw, tcol)
    if dcol is not None:
        secs = combine_date_time(raw[dcol], raw[tcol], tcol, name, dayfirst, report)
        del raw[dcol]
        report.append(_("Read columns '{dcol}' and '{tcol}' together as one date-time clock.",
                         dcol=dcol, tcol=tcol))
        return tcol, secs, "datetime"
    secs, time_kind, line = _time_to_seconds(raw[tcol], tcol, units.get(tcol, ""), name,
                                             dayfirst, report)
    report.append(line)
    return tcol, secs, time_kind


def _date_partner(raw: pd.DataFrame, tcol: str) -> str | None:
    """The Date column that goes with a time-of-day column ``tcol`` (None: there is none)."""
    if pd.api.types.is_numeric_dtype(raw[tcol]) or not is_clock(raw[tcol]):
        return None
    for col in raw.columns:
        if col != tcol and not pd.api.types.is_numeric_dtype(raw[col]) and \
                re.search(r"date|datum|day", str(col).lower()) and is_date(raw[col]):
            return col
    return None


def in_time_order(frame: pd.DataFrame, tcol: str, report: list[str]) -> pd.DataFrame:
    """``frame`` without rows that have no valid time, sorted by time (ties keep file order)."""
    bad_t = frame[tcol].isna() | ~np.isfinite(frame[tcol])
    if bad_t.any():
        report.append(_("Dropped {int} row(s) without a valid time.", int=int(bad_t.sum())))
        frame = frame[~bad_t]
    if not frame[tcol].is_monotonic_increasing:
        frame = frame.sort_values(tcol, kind="stable")
        report.append(_("Rows were not in time order; sorted by time (ties keep file order)."))
    return frame
