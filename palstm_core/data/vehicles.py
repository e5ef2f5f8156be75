"""Static vehicle covariates: a small per-drive table (vehicle, engine displacement, mass, fuel …)
fed to every model as constants of the drive, as the static covariates of TFT.

    vehicles.csv (beside the drives of a campaign, or ``pc.add_vehicles(camp, table)``):
        drive,vehicle,engine displacement [l],mass [kg],fuel
        trip01,city car,1.0,1100,diesel

Design: each numeric covariate becomes one constant input column of its drive (name without
the unit, the unit in ``Dataset.units``); a text covariate becomes one 0/1 column per value
(``fuel=diesel``). ``train`` puts these columns in their own sensor group "vehicle" (a branch of
its own in PA-LSTM), so every model uses them without a change to any model, and the scaler
(fit on the training rows, as for every input) puts them on one scale. The ``drive`` column says
which drive a row belongs to (exact name, else the name without case or folders); ``vehicle`` is
an identifier shown on the drive table, never an input (a new vehicle has a new name, so a model
could not use it). What is guessed or dropped has a report line: a table row that names no
drive, a drive without a row (its covariates are missing, so a model that uses them skips it),
a covariate with one value in the whole table (nothing to learn from), a cell that is not a
number in a numeric column.
"""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .dataset import DataError, Dataset
from .sniff import _split_unit
from .source import read, source_name
from .whole import parent_name

VEHICLE_FILE = "vehicles.csv"
GROUP = "vehicle"
IDENTIFIERS = ("drive", "vehicle")
MAX_ROWS = 100000
MAX_BYTES = 16 * 2**20          # a vehicle table is small; a bigger file is the wrong file


def read_table(source, name: str | None = None) -> tuple[pd.DataFrame, str]:
    """The table from a path, an upload, a DataFrame or a dict {drive: {column: value}}, with
    its display name. Separators , ; and tab are recognised; every cell is kept as text or
    number as pandas reads it."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), name or "the vehicle table"
    if isinstance(source, dict):
        rows = [{"drive": d, **dict(v)} for d, v in source.items()]
        return pd.DataFrame(rows), name or "the vehicle table"
    name = name or source_name(source)
    data = read(source, MAX_BYTES)
    try:
        table = pd.read_csv(io.BytesIO(data), sep=None, engine="python", dtype=str,
                            skipinitialspace=True, encoding="utf-8-sig")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"'{name}' is not a readable vehicle table ({exc}). Write it as a CSV "
                        "with a header row, e.g. 'drive,vehicle,mass [kg]'.") from None
    if len(table) > MAX_ROWS:
        raise DataError(f"'{name}' has {len(table)} rows; a vehicle table has one row per drive.")
    return table, name


def _columns(table: pd.DataFrame, name: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Names without units (units apart); the 'drive' column found case-insensitively."""
    names, units = [], {}
    for raw in table.columns:
        col, unit = _split_unit(str(raw))
        col = col.lower() if col.lower() in IDENTIFIERS else col
        names.append(col)
        units[col] = unit
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"{name} names the column(s) {', '.join(map(repr, twice))} twice.")
    table = table.set_axis(names, axis=1)
    if "drive" not in table.columns:
        raise DataError(f"{name} needs a 'drive' column naming the drive of each row (its "
                        f"columns: {', '.join(map(str, table.columns))}).")
    table["drive"] = table["drive"].astype(str).str.strip()
    return table, units


def _match(table: pd.DataFrame, drives: list[str], name: str,
           report: list[str]) -> dict[str, int]:
    """Drive name -> row of the table: exact, else case-insensitive, else by the last part of the
    name (the file name without folders, then without its suffix), else every part of a drive
    split at a gap."""
    keys = [lambda s: s, lambda s: s.lower(), lambda s: PurePosixPath(s.lower()).name,
            lambda s: PurePosixPath(s.lower()).stem]
    out: dict[str, int] = {}
    for i, written in enumerate(table["drive"]):
        for key in keys:
            hits = [d for d in drives if key(d) == key(written) and d not in out]
            if len(hits) == 1:
                out[hits[0]] = i
                break
        else:
            parts = [d for d in drives if parent_name(d).lower() == written.lower()
                     and d not in out]          # a drive split at a gap: every part
            out.update({d: i for d in parts})
            if not parts:
                report.append(f"{name}: row {i + 1} names the drive '{written}', which is not "
                              "in the campaign; the row is not used.")
    return out


def _encode(table: pd.DataFrame, units: dict[str, str], name: str, report: list[str],
            single: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """The model inputs of the table: numeric columns as they are, text columns one-hot;
    identifiers and columns with a single value left out (report lines), unless the table is
    for one drive (``single``: its values are what a trained model asks for)."""
    out, out_units = {}, {}
    for col in table.columns:
        if col in IDENTIFIERS:
            continue
        text = table[col].astype("string").str.strip().replace("", pd.NA)
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        given = int(text.notna().sum())
        if given and numbers.notna().sum() >= given / 2:
            bad = int((text.notna() & numbers.isna()).sum())
            if bad:
                report.append(f"{name}: {bad} cell(s) of '{col}' are not numbers; those drives "
                              f"have no '{col}'.")
            values = numbers.to_numpy(float)
            if np.unique(values[np.isfinite(values)]).size <= 1 and not single:
                report.append(f"{name}: '{col}' has the same value for every drive; it carries "
                              "nothing to learn from and is not a model input.")
                continue
            out[col], out_units[col] = values, units.get(col, "")
            continue
        levels = sorted(set(text.dropna()))
        if len(levels) <= 1 and not (single and levels):
            report.append(f"{name}: '{col}' is {levels[0] if levels else 'empty'!r} for every "
                          "drive; it carries nothing to learn from and is not a model input.")
            continue
        for level in levels:
            one = np.where(text.isna(), np.nan, (text == level).fillna(False).astype(float))
            out[f"{col}={level}"], out_units[f"{col}={level}"] = one, "0/1"
    return pd.DataFrame(out, index=table.index), out_units


def _display(table: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    """The table as the drive table shows it: one row per drive, units back in the headers."""
    shown = table.drop(columns="drive")
    return shown.set_axis([f"{c} [{units[c]}]" if units.get(c) else c for c in shown.columns],
                          axis=1)


def covariates(source, drives: list[str], name: str | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], list[str]]:
    """(inputs, shown, units, report) of a vehicle table for ``drives``: ``inputs`` has one row
    per drive (index = drive name; NaN for a drive without a row) and one column per model
    input; ``shown`` the table's own columns for the drive table."""
    table, name = read_table(source, name)
    table, units = _columns(table, name)
    report: list[str] = []
    rows = _match(table, drives, name, report)
    encoded, enc_units = _encode(table, units, name, report, single=len(drives) == 1)
    inputs = pd.DataFrame(index=pd.Index(drives, name="drive"), columns=encoded.columns,
                          dtype=float)
    shown_src = _display(table, units)
    shown = pd.DataFrame(index=inputs.index, columns=shown_src.columns, dtype=object)
    for drive, i in rows.items():
        inputs.loc[drive] = encoded.iloc[i].to_numpy(float)
        shown.loc[drive] = shown_src.iloc[i].to_numpy()
    lacking = [d for d in drives if d not in rows]
    if lacking:
        report.append(f"{name}: no row for drive(s) {', '.join(map(repr, lacking))}; their "
                      "vehicle covariates are missing, so a model that uses them skips these "
                      "drives.")
    if len(encoded.columns):
        report.insert(0, f"Vehicle covariates from {name} for {len(rows)} of {len(drives)} "
                      f"drive(s), model inputs of the group '{GROUP}': "
                      + ", ".join(f"'{c}'" for c in encoded.columns) + ".")
    return inputs, shown, enc_units, report


def with_covariates(ds: Dataset, values: pd.Series, units: dict[str, str]) -> Dataset:
    """``ds`` with each covariate as a constant column (NaN when the table has no value)."""
    clash = [c for c in values.index if c in ds.frame.columns]
    if clash:
        raise DataError(f"{ds.label} already has the column(s) {', '.join(map(repr, clash))} "
                        "that the vehicle table adds; rename them in the table.")
    frame = ds.frame.assign(**{c: float(v) for c, v in values.items()})
    given = ", ".join(f"{c} = {v:g}{' ' + units[c] if units.get(c) and units[c] != '0/1' else ''}"
                      for c, v in values.items() if np.isfinite(v))
    line = (f"Vehicle covariates added as constant columns: {given}." if given else
            "The vehicle table has no values for this drive.")
    return replace(ds, frame=frame, units={**ds.units, **units}, report=[*ds.report, line])


def vehicle_file(path: PurePosixPath | Path) -> bool:
    """True for the vehicle table's file name (any case)."""
    return path.name.lower() == VEHICLE_FILE


def add_vehicles(data, source, name: str | None = None):
    """``data`` (a ``Campaign``, or one ``Dataset``) with the vehicle table ``source`` (a CSV
    path or upload, a DataFrame, or {drive: {column: value}}) added: each covariate a constant
    input column of its drive (see the module text). A Campaign also gets ``vehicles`` (the
    table's columns per drive, for the drive table), ``vehicle_columns`` (the model inputs) and
    the table's report lines; a Dataset gets them in its report. ``name``: the table's name
    in report lines (default: the file name)."""
    if not hasattr(data, "drives"):                 # one drive: the table's row for it
        table, name = read_table(source, name)
        if len(table) == 1 and "drive" not in [str(c).lower() for c in table.columns]:
            table = table.assign(drive=data.name)
        inputs, _, units, report = covariates(table.rename(columns=str), [data.name], name)
        ds = with_covariates(data, inputs.loc[data.name], units)
        ds.report[-1:-1] = report
        return ds
    names = list(data.drives)
    inputs, shown, units, report = covariates(source, names, name)
    old = list(getattr(data, "vehicle_columns", []))      # a new table replaces the old one
    drives = {n: with_covariates(replace(ds, frame=ds.frame.drop(columns=old, errors="ignore")),
                                 inputs.loc[n], units) for n, ds in data.drives.items()}
    return replace(data, drives=drives, report=[*data.report, *report], vehicles=shown,
                   vehicle_columns=list(inputs.columns))
