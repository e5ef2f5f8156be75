"""Trip results: what an emission engineer reports for a drive — grams per trip and per km,
measured against predicted, overall and for the urban / rural / motorway speed bins of the RDE
rules (urban ≤ 60 km/h, rural 60–90 km/h, motorway > 90 km/h, by the speed at each second).

    res = pc.trip_results(run, data)          # data: the Dataset or Campaign the run predicts
    res[res.bin == "all"]                     # one row per drive

The target must be a mass rate (mg/s, g/s, kg/s, g/h, kg/h, also written g.s-1 …); a
concentration (ppm, %) has no mass and is refused in plain words. Each prediction row stands for
the time until the next one, capped at the drive's usual step, so windows skipped for a gap are
not integrated over (the report says how many seconds that leaves out). Measured and predicted
totals are summed over the same rows, so their difference is the model's error alone.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .data import Campaign, DataError, Dataset
from .data.channels import speed_channel
from .i18n import _

BINS = (("urban", 0.0, 60.0), ("rural", 60.0, 90.0), ("motorway", 90.0, np.inf))
COLUMNS = ["drive", "bin", "distance_km", "measured_g", "predicted_g", "measured_g_per_km",
           "predicted_g_per_km", "error_pct"]
_MASS = {"mg": 1e-3, "g": 1.0, "kg": 1e3, "t": 1e6}
_TIME = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_LENGTH_KM = {"km": 1.0, "m": 1e-3, "mi": 1.609344, "mile": 1.609344}


def _rate(unit: str) -> tuple[float, float] | None:
    """(numerator, per-seconds) of a unit like 'mg/s', 'g.s-1', 'kg/h', 'km/h'; None if not a
    rate. 'mph' is read as mi/h."""
    u = unit.strip().lower().replace(" ", "")
    if u == "mph":
        u = "mi/h"
    m = re.fullmatch(r"([a-z]+)(?:/|\.|·)([a-z]+)(?:-1|\^-1)?", u)
    if not m:
        return None
    return m.group(1), _TIME.get(m.group(2))


def grams_per_second(unit: str) -> float | None:
    """Factor that turns a mass rate in ``unit`` into g/s; None when ``unit`` is no mass rate."""
    got = _rate(unit)
    if got is None or got[1] is None or got[0] not in _MASS:
        return None
    return _MASS[got[0]] / got[1]


def km_per_second(unit: str) -> float | None:
    """Factor that turns a speed in ``unit`` (km/h, m/s, mph …) into km/s; None otherwise."""
    got = _rate(unit)
    if got is None or got[1] is None or got[0] not in _LENGTH_KM:
        return None
    return _LENGTH_KM[got[0]] / got[1]


def _speed(ds: Dataset) -> tuple[str, float]:
    col = speed_channel(ds.columns, vehicle=True)
    if col is None:
        raise DataError(_("{label}: no vehicle speed channel, so the distance (km) cannot be "
                          "computed. Load a drive with a speed column (e.g. 'speed' in km/h).",
                          label=ds.label))
    unit = ds.units.get(col, "")
    factor = km_per_second(unit) if unit else km_per_second("km/h")
    if factor is None:
        raise DataError(_("{label}: the speed column '{column}' has the unit '{unit}', which is "
                          "not a speed (km/h, m/s or mph). Fix the unit in the file's header.",
                          label=ds.label, column=col, unit=unit))
    return col, factor


def _durations(times: np.ndarray, step: float) -> np.ndarray:
    """Seconds each prediction row stands for: the time to the next row, at most ``step``."""
    return np.clip(np.diff(times, append=times[-1] + step), 0.0, step)


def _drive_rows(name: str, pred: pd.DataFrame, ds: Dataset, target: str, to_g: float,
                report: list[str]) -> list[dict]:
    col, to_km = _speed(ds)
    step = float(np.median(np.diff(ds.times))) if len(ds) > 1 else 1.0
    times = pred["time"].to_numpy(float)
    dt = _durations(times, step)
    left_out = float(times[-1] - times[0] + step - dt.sum())
    if left_out > step / 2:
        report.append(_("{drive}: {seconds:.0f} s without predictions (gaps or skipped windows) "
                        "are not in the totals.", drive=name, seconds=left_out))
    rows = np.searchsorted(ds.times, pred["time"].to_numpy(float))
    rows = np.clip(rows, 0, len(ds) - 1)
    speed = ds.frame[col].to_numpy(float)[rows]
    kmh = speed * to_km * 3600.0
    # the measurement as loaded (not the model's float32 copy of it)
    actual = (ds.frame[target].to_numpy(float)[rows] if target in ds.frame
              else np.full(len(rows), np.nan))
    predicted = pred["predicted"].to_numpy(float)
    if len(actual) and not np.isfinite(actual).all():
        report.append(_("{drive}: {missing} of {n} rows have no measured value, so the measured "
                        "totals are not given.", drive=name,
                        missing=int((~np.isfinite(actual)).sum()), n=len(actual)))
    out = []
    for label, lo, hi in (("all", -np.inf, np.inf), *BINS):
        sel = (kmh > lo) & (kmh <= hi) if label != "urban" else kmh <= hi
        km = float(np.nansum(speed[sel] * to_km * dt[sel]))
        measured = float(np.sum(actual[sel] * dt[sel]) * to_g)
        pred_g = float(np.sum(predicted[sel] * dt[sel]) * to_g)
        per = (lambda g: g / km if km > 0 else np.nan)  # noqa: E731
        out.append({"drive": name, "bin": label, "distance_km": km, "measured_g": measured,
                    "predicted_g": pred_g, "measured_g_per_km": per(measured),
                    "predicted_g_per_km": per(pred_g),
                    "error_pct": 100.0 * (pred_g - measured) / measured
                    if np.isfinite(measured) and measured != 0 else np.nan})
    return out


def trip_results(run, data: Dataset | Campaign, part: str = "test") -> pd.DataFrame:
    """Measured vs predicted totals per drive of ``data`` for the ``part`` windows of ``run``
    (the test span, or whole test drives; ``part="all"`` for the whole drive): one row per
    (drive, bin) with bin in "all", "urban", "rural", "motorway" and the columns ``COLUMNS``.
    ``result.attrs["report"]`` says what was left out."""
    to_g = grams_per_second(run.target_unit or "")
    if to_g is None:
        raise DataError(_("Trip totals need the target as a mass rate (mg/s, g/s, kg/h …); "
                          "'{target}' is in '{unit}'. Train on a mass-rate channel (e.g. 'CO2 "
                          "Rate [g.s-1]') to get grams per trip and per km.", target=run.target,
                          unit=run.target_unit or _("no unit")))
    drives = data.drives if isinstance(data, Campaign) else {data.name: data}
    pred = run.predict(data, part=part)
    report = list(pred.attrs.get("report", []))
    if "step" in pred:                  # a multi-step run: its first step covers each second once
        pred = pred[pred["step"] == 1]
    rows = []
    for name, ds in drives.items():
        mine = pred[pred["drive"] == name] if "drive" in pred else pred
        if len(mine):
            rows += _drive_rows(name, mine, ds, run.target, to_g, report)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs["report"] = report
    return frame
