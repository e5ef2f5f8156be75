"""``merge_drives``: a PEMS log and an OBD log of one drive on one clock, the analyzer delay
estimated and removed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .channels import (engine_drivers, exhaust_flows, gas_channels, gases_by_species,
                       speed_channel)
from .dataset import MIN_ROWS, DataError, Dataset
from .load import load_csv
from .resample import median_step, to_grid
from ..i18n import _

# The merge grid is bounded by what the data can carry: above MAX_OVERSAMPLE times the faster
# logger's own rate a finer grid only interpolates between the same samples (no information,
# but time and memory grow with the rate), and more than MAX_MERGE_ROWS rows is no drive.
MAX_OVERSAMPLE = 10
MAX_MERGE_ROWS = 5_000_000


def _xcorr(x: np.ndarray, y: np.ndarray, min_overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of x[i] with y[i - s] for every shift s (NaN-aware, via FFT).

    Returns (shifts, r); shifts with fewer than ``min_overlap`` common samples get r = NaN."""
    n, m = len(x), len(y)
    mx, my = np.isfinite(x).astype(float), np.isfinite(y).astype(float)
    x0 = np.where(mx > 0, x - np.nanmean(x), 0.0)
    y0 = np.where(my > 0, y - np.nanmean(y), 0.0)
    size = 1 << int(np.ceil(np.log2(n + m)))

    def corr(a, b):       # c[s + m - 1] = sum_i a_i b_{i-s}
        return np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b[::-1], size), size)[:n + m - 1]

    cnt = np.rint(corr(mx, my))
    sx, sy = corr(x0, my), corr(mx, y0)
    sxx, syy, sxy = corr(x0 * x0, my), corr(mx, y0 * y0), corr(x0, y0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / cnt
        var = (sxx - sx * sx / cnt) * (syy - sy * sy / cnt)
        r = cov / np.sqrt(np.clip(var, 1e-300, None))
    r[(cnt < max(min_overlap, 3)) | (var <= 1e-12 * (np.abs(sxx * syy).max() + 1e-300))] = np.nan
    return np.arange(-(m - 1), n), np.clip(r, -1, 1)


def _on_grid(ds: Dataset, col: str, grid: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """Column ``col`` of ``ds`` at times ``grid`` (in ds's clock shifted by ``shift``)."""
    t = ds.times + shift
    src = median_step(t, 1.0)
    step = float(grid[1] - grid[0]) if len(grid) > 1 else src
    return to_grid(t, ds.frame[col].to_numpy(dtype=float), grid, max(3 * src, 2 * step))


def _own_grid(ds: Dataset, step: float) -> np.ndarray:
    t = ds.times
    lo, hi = np.nanmin(t), np.nanmax(t)
    return lo + step * np.arange(int(np.floor((hi - lo) / step + 1e-6)) + 1)


def _lag_curve(pems: Dataset, pcol: str, obd: Dataset, ocol: str, offset: float,
               grid: np.ndarray, max_k: int) -> np.ndarray:
    """r[k] = corr(PEMS[t + k·step], OBD[t]) for k = 0..max_k on the common grid."""
    x = _on_grid(pems, pcol, grid)
    y = _on_grid(obd, ocol, grid, offset)
    __, r = _xcorr(x, y, max(MIN_ROWS, len(grid) // 4))
    m = len(y)
    return r[m - 1:m + max_k]


def _auto_pairs(pems: Dataset, obd: Dataset) -> list[tuple[str, str]]:
    drivers = engine_drivers(obd.columns)
    gases = gases_by_species(pems.columns) or exhaust_flows(pems.columns)
    return [(p, o) for p in gases for o in drivers]


def concat_drives(drives, name: str | None = None) -> Dataset:
    """Several files of one logger (one drive, recorded in pieces) as one ``Dataset``.

    ``drives`` are Datasets or anything ``load_csv`` accepts. Their clocks must be date-times
    (the wall clock says where each piece goes); the pieces are put in time order and must not
    overlap. Columns that not every piece has are left out (with a report line), so no part of
    the joined drive is empty in them. The report says which files were joined
    and the gaps between them, then each file's own report.
    """
    items = list(drives) if isinstance(drives, (list, tuple)) else [drives]
    if not items:
        raise DataError(_("No files to join: give at least one file of the logger."))
    parts = [d if isinstance(d, Dataset) else load_csv(d) for d in items]
    if len(parts) == 1:
        return parts[0]
    not_clock = [d.name for d in parts if d.time_kind != "datetime"]
    if not_clock:
        raise DataError(_("Cannot join {join} with the other files: joining files of one "
                           "logger needs date-time clocks (the wall clock says where each "
                           "file goes), and these have none.",
                           join=', '.join(map(repr, not_clock))))
    parts.sort(key=lambda d: float(np.nanmin(d.times)))
    report = [_("Joined {n} files of one logger in time order: {files}.", n=len(parts),
                files=", ".join(f"'{d.name}'" for d in parts))]
    for a, b in zip(parts, parts[1:]):
        gap = float(np.nanmin(b.times) - np.nanmax(a.times))
        if gap <= 0:
            raise DataError(_("'{name}' and '{name2}' overlap in time by {v:g} s, so they "
                               "are not pieces of one recording. Join only files that "
                               "follow each other.", name=a.name,
                               name2=b.name, v=-gap))
        report.append(_("Gap of {gap:g} s between '{name}' and '{name2}' (no rows invented).",
                         gap=gap, name=a.name, name2=b.name))
    tcol = parts[0].time_column
    frames = [d.frame.rename(columns={d.time_column: tcol}) for d in parts]
    frame = pd.concat(frames, ignore_index=True, sort=False)
    partial = [c for c in frame.columns if any(c not in f.columns for f in frames)]
    if partial:     # e.g. dropped as constant in one file: the others' rows would have no value
        frame = frame.drop(columns=partial)
        report.append(_("Left out column(s) that not every file has (the rows of the other "
                        "files would have no value for them): {columns}.", columns="; ".join(
                            _("'{column}' (missing in {files})", column=c, files=", ".join(
                                f"'{d.name}'" for d, f in zip(parts, frames)
                                if c not in f.columns)) for c in partial)))
    units: dict[str, str] = {}
    for d in parts:
        units.update({c: u for c, u in d.units.items() if u or c not in units})
    units[tcol] = parts[0].units.get(parts[0].time_column, "")
    for d in parts:
        report += [f"{d.name}: {line}" for line in d.report]
    return Dataset(frame, tcol, report, units, name=name or " + ".join(d.name for d in parts),
                   simulated=any(d.simulated for d in parts), time_kind="datetime")


def merge_drives(pems: Dataset, obd: Dataset, rate_hz: float = 1.0, lag: float | None = None,
                 pair: tuple[str, str] | None = None, *, clock_offset: float | None = None,
                 max_lag_s: float = 30.0, shift: list[str] | None = None) -> Dataset:
    """Merge a PEMS log and an OBD log of the same drive onto one clock at ``rate_hz``.

    1. Clocks. ``t_pems = t_obd + offset``. When both files have date-time clocks they are
       aligned on absolute time (offset 0). Otherwise the offset is found by cross-correlating
       a speed channel of both files (PEMS GPS speed vs OBD vehicle speed: neither has an
       analyzer delay) over every possible overlap; without speed channels the gas/driver
       ``pair`` is used for this, and the analyzer delay is then part of the clock offset.
       ``clock_offset`` (seconds) overrides this.
    2. Analyzer delay. The PEMS gas channels lag the engine. The delay is the shift in
       [0, ``max_lag_s``] that maximises the correlation of a PEMS gas channel with an OBD
       channel that drives it: ``pair=(pems_col, obd_col)``, or by default the gas/driver pair
       (CO2/NOx/CO/THC vs fuel rate/MAF/load/throttle/rpm) with the highest peak. ``lag``
       (seconds) overrides the estimate.
    3. Output. A grid of ``rate_hz`` on the PEMS clock over the overlap; OBD channels first,
       then PEMS channels; faster data averaged, slower interpolated; the gas channels (or the
       ``shift`` list) are moved ``lag`` seconds earlier. Names in both files get _obd/_pems.

    ``pems`` and ``obd`` are Datasets or anything ``load_csv`` accepts (path, uploaded file), or
    lists of them: several files of one logger are joined first (``concat_drives``).
    ``ds.alignment`` = {"clock_offset_s", "obd_start_after_pems_s", "clock_method", "lag_s",
    "lag_method", "pair", "corr_before", "corr_after", "shifted", "rate_hz", "rows",
    "lag_curve": {"lag_s": [...], "r": [...]} (correlation of the pair at each candidate delay,
    for a plot) or None}; the same in words is in ``ds.report``. Raises ``DataError`` when the
    files cannot be aligned, or when ``rate_hz`` is far above what the data can carry: more
    than ``MAX_OVERSAMPLE`` (10) times the faster logger's own rate (a finer grid only
    interpolates between the same samples, while time and memory grow with the rate; 1000 Hz on
    the 1 Hz urban pair ran over a minute), or more than ``MAX_MERGE_ROWS`` grid rows.
    """
    pems, obd, rate_hz, pair = _checked_inputs(pems, obd, rate_hz, pair)
    step = 1.0 / rate_hz
    pairs = [pair] if pair is not None else _auto_pairs(pems, obd)
    al = _Alignment(step=step)
    # 1. clock offset
    if clock_offset is not None:
        al.offset, al.clock_method = float(clock_offset), _("given by the user")
    elif pems.time_kind == "datetime" and obd.time_kind == "datetime":
        al.offset, al.clock_method = 0.0, _("absolute date-time (both files have date-time "
                                            "clocks)")
    else:
        ref = _offset_by_correlation(pems, obd, pairs, al)
        if al.lag_in_offset:
            pairs = [ref]
    grid = _overlap_grid(pems, obd, al)
    # 2. analyzer delay
    _analyzer_delay(pems, obd, pairs, grid, max(1, int(round(max_lag_s / step))), lag, al)
    # 3. output on the common grid
    al.shifted = [c for c in (shift if shift is not None else gas_channels(pems.columns))
                  if c in pems.columns] if al.lag_s else []
    if al.shifted:
        grid = grid[grid + al.lag_s <= np.nanmax(pems.times) + 1e-9]
    if len(grid) < MIN_ROWS:
        raise DataError(_("After removing the {lag_s:g} s analyzer delay, '{name}' and "
                           "'{name2}' share only {n} time steps; {MIN_ROWS} are needed.",
                           lag_s=al.lag_s, name=pems.name, name2=obd.name, n=len(grid),
                           MIN_ROWS=MIN_ROWS))
    frame, units, both, n_empty = _merged_frame(pems, obd, grid, al)
    tcol = pems.time_column or "time"
    obd_start = float(np.nanmin(obd.times + al.offset) - np.nanmin(pems.times))
    report = _merge_report(pems, obd, rate_hz, al, both, obd_start, len(frame), n_empty)
    return Dataset(frame, tcol, report, units, name=f"{pems.name} + {obd.name}",
                   simulated=pems.simulated or obd.simulated,
                   time_kind=pems.time_kind if pems.time_column else "seconds",
                   alignment=al.as_dict(obd_start, rate_hz, len(frame)))


@dataclass
class _Alignment:
    """How the two clocks were lined up and the analyzer delay found (``Dataset.alignment``)."""

    step: float
    offset: float = 0.0
    clock_method: str = ""
    lag_in_offset: bool = False   # no speed channel in both files: the offset holds the delay
    lag_s: float = 0.0
    lag_method: str = ""
    pair: tuple[str, str] | None = None
    before: float | None = None
    after: float | None = None
    curve: np.ndarray | None = None
    shifted: list[str] | None = None

    def as_dict(self, obd_start: float, rate_hz: float, rows: int) -> dict:
        return {
            "clock_offset_s": self.offset, "obd_start_after_pems_s": obd_start,
            "clock_method": self.clock_method, "lag_s": self.lag_s, "lag_method": self.lag_method,
            "pair": self.pair, "corr_before": self.before, "corr_after": self.after,
            "shifted": self.shifted, "rate_hz": rate_hz, "rows": rows,
            "lag_curve": None if self.curve is None else {
                "lag_s": [round(k * self.step, 9) for k in range(len(self.curve))],
                "r": [None if not np.isfinite(v) else float(v) for v in self.curve]},
        }


def _checked_inputs(pems, obd, rate_hz, pair) -> tuple[Dataset, Dataset, float, tuple | None]:
    """Both logs as Datasets with timed rows, the rate as a float and the pair's columns checked."""
    if pems is None or obd is None:
        raise DataError(_("merge_drives needs two files: the PEMS log first, then the OBD log."))
    pems, obd = concat_drives(pems), concat_drives(obd)
    try:
        rate_hz = float(rate_hz)
    except (TypeError, ValueError):
        rate_hz = float("nan")
    if not np.isfinite(rate_hz) or not 0.01 <= rate_hz <= 1000:
        raise DataError(_("The common rate must be between 0.01 and 1000 samples per "
                           "second, not {rate_hz!r}.",
                           rate_hz=rate_hz))
    for ds, what in ((pems, "PEMS"), (obd, "OBD")):
        if len(ds) < 2 or not np.isfinite(ds.times).any():
            raise DataError(_("The {what} file '{name}' has no usable time rows.", what=what,
                               name=ds.name))
    _check_rate(pems, obd, rate_hz)
    if pair is not None:
        pair = (str(pair[0]), str(pair[1]))
        if pair[0] not in pems.columns:
            raise DataError(_("The PEMS file '{name}' has no column '{pair}'. Its "
                               "columns: {join}.", name=pems.name,
                               pair=pair[0], join=', '.join(pems.columns)))
        if pair[1] not in obd.columns:
            raise DataError(_("The OBD file '{name}' has no column '{pair}'. Its columns: "
                               "{join}.", name=obd.name,
                               pair=pair[1], join=', '.join(obd.columns)))
    return pems, obd, rate_hz, pair


def _check_rate(pems: Dataset, obd: Dataset, rate_hz: float) -> None:
    """A DataError when ``rate_hz`` is more than ``MAX_OVERSAMPLE`` times the faster logger's own
    rate (median step), or the grid over the longer log would pass ``MAX_MERGE_ROWS`` rows."""
    own = {what: 1.0 / median_step(np.sort(ds.times[np.isfinite(ds.times)]), np.inf)
           for ds, what in ((pems, "PEMS"), (obd, "OBD"))}
    fast = max(own, key=own.get)
    top = MAX_OVERSAMPLE * own[fast]
    if rate_hz > top * (1 + 1e-9):
        raise DataError(
            _("A common rate of {rate_hz:g} Hz is far above what these logs carry: the "
               "faster one ({fast} '{name}') records at {own:.3g} Hz (the other at "
               "{own2:.3g} Hz). A grid finer than {MAX_OVERSAMPLE}× the faster logger only "
               "interpolates between the same samples and makes the merge slow. Choose at "
               "most {top:.3g} Hz (the logger's own {own:.3g} Hz keeps every sample).",
               rate_hz=rate_hz, fast=fast, name=(pems if fast == 'PEMS' else obd).name,
               own=own[fast], own2=own['OBD' if fast == 'PEMS' else 'PEMS'],
               MAX_OVERSAMPLE=MAX_OVERSAMPLE, top=top))
    span = max(float(np.nanmax(d.times) - np.nanmin(d.times)) for d in (pems, obd))
    rows = span * rate_hz
    if rows > MAX_MERGE_ROWS:
        raise DataError(
            _("Merging at {rate_hz:g} Hz would make about {rows:,.0f} rows ({value:.1f} h "
               "of log); the limit is {MAX_MERGE_ROWS:,} rows. Choose a lower rate (at "
               "most {value2:.3g} Hz) or split the drive into shorter files.",
               rate_hz=rate_hz, rows=rows, value=span / 3600, MAX_MERGE_ROWS=MAX_MERGE_ROWS,
               value2=MAX_MERGE_ROWS / span))


def _offset_by_correlation(pems: Dataset, obd: Dataset, pairs: list[tuple[str, str]],
                           al: _Alignment) -> tuple[str, str]:
    """Set ``al.offset``/``clock_method``/``lag_in_offset`` from the best cross-correlation of a
    speed channel in both files (else of the gas/driver ``pairs``); returns the pair used."""
    step = al.step
    sp = speed_channel(pems.columns)
    so = speed_channel(obd.columns, vehicle=True)
    refs = [(sp, so)] if sp and so else pairs
    if not refs:
        raise DataError(_("Cannot line up '{name}' and '{name2}': they do not both have "
                           "date-time clocks, and there is no speed channel or "
                           "exhaust/engine channel pair to match them by. Pass the clock "
                           "offset in seconds.", name=pems.name,
                           name2=obd.name))
    gp, go = _own_grid(pems, step), _own_grid(obd, step)
    if len(gp) * len(go) == 0 or len(gp) + len(go) > 20_000_000:
        raise DataError(_("The files are too long to align at this rate; choose a lower rate."))
    found = []
    for ref in refs:
        x, y = _on_grid(pems, ref[0], gp), _on_grid(obd, ref[1], go)
        shifts, r = _xcorr(x, y, max(MIN_ROWS, min(len(gp), len(go)) // 4))
        if np.isfinite(r).any():
            found.append((float(np.nanmax(r)), ref, shifts, r))
    if not found:
        raise DataError(_("Cannot line up '{name}' and '{name2}': the channels to match "
                           "them by ({join}) do not overlap enough or do not vary. Pass "
                           "the clock offset in seconds.",
                           name=pems.name, name2=obd.name,
                           join=', '.join('/'.join(p) for p in refs)))
    __, ref, shifts, r = max(found, key=lambda f: f[0])
    al.lag_in_offset = not (sp and so)
    best = int(np.nanargmax(r))
    al.offset = float(gp[0] - go[0] + shifts[best] * step)
    al.clock_method = _("cross-correlation of '{pems}' (PEMS) with '{obd}' (OBD), r = {r:.3f}",
                        pems=ref[0], obd=ref[1], r=r[best])
    if al.lag_in_offset:
        al.clock_method = _("{method}; no speed channel in both files, so this includes the "
                            "analyzer delay", method=al.clock_method)
    return ref


def _overlap_grid(pems: Dataset, obd: Dataset, al: _Alignment) -> np.ndarray:
    """The common grid (on the PEMS clock) over the time both files cover."""
    step, method = al.step, al.clock_method
    t_p, t_o = pems.times, obd.times + al.offset
    start = max(np.nanmin(t_p), np.nanmin(t_o))
    stop = min(np.nanmax(t_p), np.nanmax(t_o))
    if stop - start < (MIN_ROWS - 1) * step:
        raise DataError(
            _("'{name}' and '{name2}' overlap for only {max:g} s after lining up the "
               "clocks ({method}); at least {value:g} s are needed. Check that both files "
               "are from the same drive.", name=pems.name, name2=obd.name,
               max=max(stop - start, 0), method=method, value=(MIN_ROWS - 1) * step))
    first = np.ceil(start / step - 1e-9) * step
    return first + step * np.arange(int(np.floor((stop - first) / step + 1e-6)) + 1)


def _analyzer_delay(pems: Dataset, obd: Dataset, pairs: list[tuple[str, str]], grid: np.ndarray,
                    max_k: int, lag: float | None, al: _Alignment) -> None:
    """Set the delay (``al.lag_s``, ``lag_method``), the pair that shows it best and its
    correlation curve, before and after the shift."""
    step = al.step
    if pairs:
        scored = []
        for p_col, o_col in pairs:
            curve = _lag_curve(pems, p_col, obd, o_col, al.offset, grid, max_k)
            if np.isfinite(curve).any():
                scored.append((float(np.nanmax(curve)), p_col, o_col, curve))
        if scored:
            __, p_col, o_col, al.curve = max(scored, key=lambda s: s[0])
            al.pair = (p_col, o_col)
            al.before = float(al.curve[0]) if np.isfinite(al.curve[0]) else None
    if lag is not None:
        al.lag_s, al.lag_method = float(lag), _("given by the user")
    elif al.lag_in_offset:
        al.lag_s, al.lag_method = 0.0, _("included in the clock offset")
    elif al.curve is not None:
        al.lag_s, al.lag_method = float(np.nanargmax(al.curve)) * step, _("estimated")
    else:
        al.lag_s, al.lag_method = 0.0, _("not estimated (no PEMS gas channel with an OBD "
                                          "driver)")
    if al.curve is not None:
        k = int(round(al.lag_s / step))
        al.after = float(al.curve[k]) if 0 <= k < len(al.curve) and np.isfinite(al.curve[k]) \
            else None


def _merged_frame(pems: Dataset, obd: Dataset, grid: np.ndarray, al: _Alignment
                  ) -> tuple[pd.DataFrame, dict[str, str], set[str], int]:
    """(frame, units, names in both files, count of dropped empty steps): OBD channels first,
    then PEMS channels with the shifted ones moved ``al.lag_s`` earlier."""
    tcol = pems.time_column or "time"
    both = set(pems.columns) & set(obd.columns)
    out = {tcol: grid}
    units = {tcol: pems.units.get(tcol, "s")}
    for c in obd.columns:
        name = f"{c}_obd" if c in both or c == tcol else c
        out[name] = _on_grid(obd, c, grid, al.offset)
        units[name] = obd.units.get(c, "")
    for c in pems.columns:
        name = f"{c}_pems" if c in both else c
        out[name] = _on_grid(pems, c, grid, -al.lag_s if c in al.shifted else 0.0)
        units[name] = pems.units.get(c, "")
    frame = pd.DataFrame(out)
    sensors = [c for c in frame.columns if c != tcol]
    empty = frame[sensors].isna().all(axis=1)
    if empty.any():
        frame = frame[~empty].reset_index(drop=True)
    return frame, units, both, int(empty.sum())


def _merge_report(pems: Dataset, obd: Dataset, rate_hz: float, al: _Alignment, both: set[str],
                  obd_start: float, rows: int, n_empty: int) -> list[str]:
    report = [_("Merged PEMS '{pems}' and OBD '{obd}' at {rate_hz:g} Hz.", pems=pems.name,
                obd=obd.name, rate_hz=rate_hz)]
    if both:
        report.append(_("Columns in both files were renamed: {columns}.", columns=", ".join(
            f"'{c}' -> '{c}_obd'/'{c}_pems'" for c in sorted(both))))
    report.append(_("Clocks lined up by {clock_method}: the OBD log starts {obd_start:+g} "
                     "s after the PEMS log.", clock_method=al.clock_method,
                     obd_start=obd_start))
    if al.pair:
        fmt = (lambda v: "n/a" if v is None else f"{v:.3f}")
        report.append(_("Analyzer delay {lag_s:g} s ({lag_method}) from '{pair}' (PEMS) "
                         "vs '{pair2}' (OBD): correlation {fmt} before, {fmt2} after the "
                         "shift.", lag_s=al.lag_s,
                         lag_method=al.lag_method, pair=al.pair[0], pair2=al.pair[1],
                         fmt=fmt(al.before), fmt2=fmt(al.after)))
    else:
        report.append(_("Analyzer delay {lag_s:g} s ({lag_method}).", lag_s=al.lag_s,
                         lag_method=al.lag_method))
    if al.shifted:
        report.append(_("Moved {join} {lag_s:g} s earlier to undo the delay.",
                         join=', '.join(al.shifted), lag_s=al.lag_s))
    report.append(_("{rows} rows over {value:g} s where both files have data.", rows=rows,
                     value=rows * al.step))
    if n_empty:
        report.append(_("{n_empty} time step(s) without data in either file dropped.",
                         n_empty=n_empty))
    report += [f"PEMS: {line}" for line in pems.report] + [f"OBD: {line}" for line in obd.report]
    return report
