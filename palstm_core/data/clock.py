"""Date-time text to seconds: the date order (year first, day first or month first, found from
the data or given), 12/24-hour clocks, fractional seconds, UTC offsets, Excel serial dates and
epoch numbers. Each guess is a report line; what cannot be read is a plain-words DataError.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .dataset import DataError
from ..i18n import N_, _, tr

_DATE = re.compile(r"^\s*(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?:[ T]+(.*))?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp]\.?[Mm]\.?)?$")
_TZ = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\s*UTC)$")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def is_clock(text: pd.Series) -> bool:
    """Mostly times of day ('9:56:45 AM', '14:03:07.25', '10:01')."""
    head = text.dropna().astype(str).str.strip().head(200)
    return bool(len(head)) and head.str.match(_CLOCK.pattern).mean() > 0.95


def is_date(text: pd.Series) -> bool:
    """Mostly dates without a time ('2019-07-08', '08/07/2019', '8.7.2019')."""
    head = text.dropna().astype(str).str.strip().head(200)
    return bool(len(head)) and head.str.fullmatch(r"\d{1,4}([-/.])\d{1,2}\1\d{1,4}").mean() > 0.95


def _date_order(parts: pd.DataFrame, dayfirst: bool | None, column: str, name: str,
                report: list[str]) -> str:
    """'ymd', 'dmy' or 'mdy' for date cells split into three numbers."""
    a = pd.to_numeric(parts[0], errors="coerce")
    b = pd.to_numeric(parts[2], errors="coerce")
    if parts[0].str.len().max() == 4:
        return "ymd"
    day_first_seen, month_first_seen = bool((a > 12).any()), bool((b > 12).any())
    if day_first_seen and month_first_seen:
        raise DataError(_("'{name}': the dates in column '{column}' mix day/month and "
                           "month/day order (both numbers go above 12). Save them in one "
                           "order, e.g. YYYY-MM-DD.", name=name,
                           column=column))
    if dayfirst is not None:
        if (dayfirst and month_first_seen) or (not dayfirst and day_first_seen):
            order = "day/month" if dayfirst else "month/day"
            raise DataError(_("'{name}': you asked for {order} dates, but column "
                               "'{column}' has dates that cannot be {order} (a number "
                               "above 12 where the month would be). Choose the other order "
                               "or leave it to be detected.",
                               name=name, order=order, column=column))
        report.append(_("Dates in '{column}' read as {v}/year, as you chose.", column=column,
                         v='day/month' if dayfirst else 'month/day'))
        return "dmy" if dayfirst else "mdy"
    if day_first_seen or month_first_seen:
        report.append(_("Dates in '{column}' are {v}/year (a day above 12 settles it).",
                         column=column, v='day/month' if day_first_seen else 'month/day'))
        return "dmy" if day_first_seen else "mdy"
    guess_dayfirst = parts[1].iloc[0] == "."          # 8.7.2019 is German-style day first
    report.append(_("Dates in '{column}' could be day/month or month/day (no day above "
                     "12); assumed {v}/year. If that is wrong, choose the date order "
                     "(dayfirst=) and load again.", column=column,
                     v='day/month' if guess_dayfirst else 'month/day'))
    return "dmy" if guess_dayfirst else "mdy"


def _clock_seconds(clock: pd.Series) -> np.ndarray:
    """Seconds after midnight of '9:56:45 AM' / '14:03:07.25' / '10:01' (NaN when unreadable)."""
    m = clock.fillna("").astype(str).str.strip().str.extract(_CLOCK.pattern)
    h, mi = pd.to_numeric(m[0], errors="coerce"), pd.to_numeric(m[1], errors="coerce")
    s = pd.to_numeric(m[2], errors="coerce").fillna(0.0)
    frac = pd.to_numeric("0." + m[3].fillna("0"), errors="coerce").fillna(0.0)
    ampm = m[4].fillna("").str.upper().str[:1]
    bad = (mi > 59) | (s > 60) | (h > 23) | ((ampm != "") & ((h > 12) | (h < 1)))
    h = h.where(ampm == "", h % 12 + np.where(ampm == "P", 12, 0))
    out = (h * 3600 + mi * 60 + s + frac).astype(float)
    return out.where(~bad).to_numpy(dtype=float)


def _dates_to_days(text: pd.Series, dayfirst: bool | None, column: str, name: str,
                   report: list[str]) -> tuple[np.ndarray, pd.Series]:
    """(days since 1970 of each date, the text after the date) of date or date-time cells."""
    m = text.str.extract(_DATE.pattern)
    ok = m[0].notna()
    order = _date_order(m[ok], dayfirst, column, name, report) if ok.any() else "ymd"
    first, mid, last = (pd.to_numeric(m[k], errors="coerce") for k in (0, 2, 3))
    y, mo, d = {"ymd": (first, mid, last), "dmy": (last, mid, first),
                "mdy": (last, first, mid)}[order]
    y = y.where(y >= 100, y + 2000)
    dates = pd.to_datetime(pd.DataFrame({"year": y, "month": mo, "day": d}), errors="coerce")
    days = ((dates - pd.Timestamp(0)).dt.total_seconds() / 86400).to_numpy(dtype=float)
    return days, m[4]


def text_to_seconds(text: pd.Series, column: str, name: str, dayfirst: bool | None,
                    report: list[str]) -> np.ndarray | None:
    """Epoch seconds of date-time text (None when it is not date-time text). Naive times are
    taken as they are (local wall clock); times with a UTC offset are converted to UTC."""
    text = text.fillna("").astype(str).str.strip()
    head = text[text != ""].head(200)
    if not len(head):
        return None
    if head.str.match(_DATE.pattern).mean() > 0.95:
        rest = head.str.extract(_DATE.pattern)[4].fillna("").str.strip()
        if (rest == "").all() or rest.str.match(_CLOCK.pattern).mean() > 0.95:
            days, rest = _dates_to_days(text, dayfirst, column, name, report)
            clock = _clock_seconds(rest.fillna("00:00:00").where(rest.fillna("") != "",
                                                                 "00:00:00"))
            return days * 86400 + clock
    if head.str.contains(_TZ.pattern).mean() > 0.95:
        ts = pd.to_datetime(text.where(text != "", None), errors="coerce", utc=True,
                            format="ISO8601")
        if ts.notna().mean() > 0.95:
            report.append(_("Times in '{column}' carry a UTC offset (time zone); "
                             "converted to UTC so a daylight-saving change does not break "
                             "the clock.", column=column))
            return ((ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()).to_numpy(dtype=float)
        raise DataError(_("'{name}': the times in column '{column}' have time zones that could "
                          "not be read (e.g. '{value}'). Save them as YYYY-MM-DD hh:mm:ss+01:00 "
                          "or without a time zone.", name=name, column=column,
                          value=head.iloc[0][:40]))
    return None


def combine_date_time(date: pd.Series, clock: pd.Series, column: str, name: str,
                      dayfirst: bool | None, report: list[str]) -> np.ndarray:
    """Epoch seconds of a Date column plus a time-of-day column."""
    text = date.fillna("").astype(str).str.strip() + " " + clock.fillna("").astype(str).str.strip()
    secs = text_to_seconds(text, column, name, dayfirst, report)
    if secs is None or np.isnan(secs).mean() > 0.05:
        raise DataError(_("'{name}': the Date and '{column}' columns could not be read together "
                          "as date and time (e.g. '{value}').", name=name, column=column,
                          value=text.iloc[0][:40]))
    return secs


def excel_serial(x: np.ndarray, column: str, unit: str) -> bool:
    """A numeric column of Excel serial dates (days since 1899-12-30, 1955-2064)."""
    if unit.strip().lower() in ("s", "sec", "seconds", "ms"):
        return False
    finite = x[np.isfinite(x)]
    if len(finite) < 2:
        return False
    med = float(np.median(finite))
    steps = np.diff(finite)
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 1.0
    date_name = re.search(r"date|stamp|excel|serial", column.lower()) is not None
    return 20000 < med < 60000 and (date_name or step < 1e-3) and float(np.ptp(finite)) < 3650


def numeric_clock(x: np.ndarray, column: str, unit: str) -> tuple[np.ndarray, str, str]:
    """(seconds, kind, report line) of a numeric time column."""
    finite = x[np.isfinite(x)]
    med = float(np.median(np.abs(finite))) if len(finite) else 0.0
    if excel_serial(x, column, unit):
        return ((x - 25569.0) * 86400.0, "datetime",
                _("Time column '{column}' holds Excel serial dates (days since 1899-12-30); "
                  "converted to date-times.", column=column))
    for limit, div, what in ((1e17, 1e9, N_("nanoseconds")), (1e14, 1e6, N_("microseconds")),
                             (1e11, 1e3, N_("milliseconds"))):
        if med > limit:
            return x / div, "datetime", _("Time column '{column}' holds epoch {what} (Unix "
                                          "time); converted to seconds.", column=column,
                                          what=tr(what))
    if unit.strip().lower() == "ms" or column.lower().endswith("_ms"):
        return x / 1000.0, "seconds", _("Time column '{column}' is in milliseconds; converted "
                                        "to seconds.", column=column)
    if med > 1e8:
        return x, "datetime", _("Time column '{column}' holds epoch seconds (Unix time).",
                                column=column)
    return x, "seconds", _("Time column '{column}' holds seconds.", column=column)
