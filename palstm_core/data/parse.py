"""Parsing the table: all-numeric big inputs chunk by chunk, otherwise the whole file at once;
rows with too many fields; turning the sensor columns into numbers.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DataError
from .numbers import reading, strip_thousands
from .sniff import Layout
from .source import CHUNK_BYTES, Source, big
from ..i18n import _

_CHUNK_ROWS = 100_000
_EXACT_INT = 2 ** 53


def _line_bound(body: Path | bytes) -> int:
    """An upper bound on the number of rows in ``body``: every row ends at a CR, an LF or EOF."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return body.count(b"\n") + body.count(b"\r") + 1
    n = 1
    with open(body, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            n += chunk.count(b"\n") + chunk.count(b"\r")
    return n


def _read_csv_chunked(body: Path | bytes, kwargs: dict) -> pd.DataFrame | None:
    """``pd.read_csv(body, **kwargs)`` for an all-numeric table, parsed ``_CHUNK_ROWS`` rows at a
    time into one preallocated array per column, so the parser never holds tokens for the whole
    file and the columns are not copied again. Gives the frame the whole-file parse would give
    (same dtypes: int64 where every value is an integer, else float64; same values), or None when
    some column is not plainly numeric in some chunk (text, bool, huge integers) — the caller
    then parses the whole file as before. Parser errors propagate (the caller falls back too)."""
    cap = _line_bound(body)
    cols: dict[str, np.ndarray] = {}
    all_int: dict[str, bool] = {}
    names = list(kwargs["names"])
    pos = 0
    src = body if isinstance(body, Path) else io.BytesIO(body)
    with pd.read_csv(src, chunksize=_CHUNK_ROWS, **kwargs) as reader:
        for chunk in reader:
            if list(chunk.columns) != names:
                return None
            k = len(chunk)
            if pos + k > cap:
                return None
            for c in names:
                s = chunk[c]
                if s.dtype == np.float64:
                    vals = s.to_numpy()
                    all_int[c] = False
                elif s.dtype == np.int64:
                    vals = s.to_numpy()
                    if k and (vals.min() < -_EXACT_INT or vals.max() > _EXACT_INT):
                        return None         # float64 would not hold it exactly
                    all_int.setdefault(c, True)
                else:
                    return None
                if c not in cols:
                    cols[c] = np.empty(cap, dtype=np.float64)   # untouched pages cost no RSS
                cols[c][pos:pos + k] = vals
            pos += k
            del chunk
    out: dict[str, np.ndarray] = {}
    for c in names:
        if c not in cols:                   # no data rows at all
            return None
        arr = cols.pop(c)
        arr.resize(pos, refcheck=False)     # shrinks in place (no view of it exists)
        out[c] = arr.astype(np.int64) if all_int.get(c) else arr
        del arr
    return pd.DataFrame(out, copy=False)


def _short_lines(body: Path | bytes, layout: Layout) -> tuple[list[int], bool]:
    """(0-based line numbers of data lines with too few fields, whether the file ends in such a
    line without a line break: a cut-off last line). Quoted files are read with ``csv``."""
    n = len(layout.names)
    need = n - 1 if layout.names[-1].startswith("__blank") else n
    delim = layout.delim.encode()
    bad: list[int] = []
    fh = open(body, "rb") if isinstance(body, Path) else io.BytesIO(body)
    with fh:
        quoted = b'"' in fh.read(CHUNK_BYTES)
        fh.seek(0)
        last = -1
        if quoted:
            reader = csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=""),
                                delimiter=layout.delim, skipinitialspace=True)
            for row in reader:
                i = reader.line_num - 1
                if i >= layout.first_data and any(c.strip() for c in row):
                    last = i
                    if len(row) < need:
                        bad.append(i)
        else:
            for first, counts, filled in _field_counts(fh, delim):
                rows = np.flatnonzero(filled) + first
                rows = rows[rows >= layout.first_data]
                if len(rows):
                    last = int(rows[-1])
                    short = rows[counts[rows - first] + 1 < need]
                    bad.extend(short.tolist())
    return bad, bool(bad) and bad[-1] == last and not _ends_with_newline(body)


def _field_counts(fh, delim: bytes):
    """(first line number, separators per line, line not blank) for each chunk of an unquoted
    file, counted with NumPy (a million lines in well under a second)."""
    carry, first, d = b"", 0, delim[0]
    while True:
        chunk = fh.read(CHUNK_BYTES)
        buf = carry + chunk
        if not chunk:
            if buf.strip():
                yield first, np.array([buf.count(delim)]), np.array([True])
            return
        arr = np.frombuffer(buf, np.uint8)
        nl = np.flatnonzero(arr == 10)
        if not len(nl):
            carry = buf
            continue
        seps = np.searchsorted(np.flatnonzero(arr[:nl[-1] + 1] == d), nl)
        counts = np.diff(np.r_[0, seps])
        starts = np.r_[0, nl[:-1] + 1]
        length = nl - starts - (arr[np.maximum(nl - 1, 0)] == 13)
        yield first, counts, length > 0
        first += len(nl)
        carry = buf[nl[-1] + 1:]


def _ends_with_newline(body: Path | bytes) -> bool:
    if isinstance(body, Path):
        with open(body, "rb") as fh:
            fh.seek(0, 2)
            if fh.tell() == 0:
                return True
            fh.seek(-1, 2)
            return fh.read(1) in b"\r\n"
    return body[-1:] in (b"\r", b"\n", b"")


def _report_short(bad: list[int], cut: bool, n_rows: int, name: str, report: list[str]) -> None:
    if not bad:
        return
    if len(bad) > max(n_rows, 1):
        raise DataError(_("'{name}': most rows have fewer fields than the header (e.g. "
                           "line {value}). Check the separator.",
                           name=name, value=bad[0] + 1))
    if cut:
        report.append(_("The last line ({value}) is cut off (the file was not saved "
                         "completely); dropped it.", value=bad[-1] + 1))
        bad = bad[:-1]
    if bad:
        lines = ", ".join(str(i + 1) for i in bad[:10]) + (" …" if len(bad) > 10 else "")
        report.append(_("Dropped {n} row(s) with fewer fields than the header (line(s) "
                         "{lines}): a value is missing and the others cannot be placed.",
                         n=len(bad), lines=lines))


def read_table(src: Source, layout: Layout, report: list[str]) -> pd.DataFrame:
    """The data rows of ``src`` as read (a column per field, unnamed fields dropped); rows with
    too many fields are skipped and counted; no rows or no named columns is a DataError."""
    read_kw = dict(sep=layout.delim, header=None, names=layout.names, skiprows=layout.first_data,
                   index_col=False, skipinitialspace=True, decimal=layout.decimal,
                   keep_default_na=False, na_values=[""], on_bad_lines="warn",
                   encoding="utf-8-sig" if src.bom else "utf-8", engine="c", low_memory=False,
                   skip_blank_lines=True)
    body, name = src.body, src.name
    src.body = b""                   # the parse below holds the only reference: freed after it
    short, cut = _short_lines(body, layout) if len(layout.names) > 1 else ([], False)
    if short:
        read_kw["skiprows"] = sorted(set(range(layout.first_data)) | set(short))
    raw = None
    if big(src.total):               # big input: all-numeric tables are parsed chunk by chunk
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                raw = _read_csv_chunked(body, read_kw)
            except Exception:  # noqa: BLE001 - anything odd: the whole-file parse below decides
                raw = None
    if raw is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                raw = pd.read_csv(body if isinstance(body, Path) else io.BytesIO(body), **read_kw)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
                raise DataError(_("'{name}' could not be read as a table ({strip}). Check "
                                   "that every row has the same number of separators and "
                                   "that quotes are closed.",
                                   name=name, strip=str(exc).strip()[:200])) from None
    del body
    _report_bad_lines([str(w.message) for w in caught], len(raw), name, report)
    _report_short(short, cut, len(raw), name, report)
    if raw.shape[0] == 0:
        raise DataError(_("'{name}' has a header but no data rows. Choose a file with one "
                           "row per time step under the header.",
                           name=name))
    return _drop_unnamed(raw, name, report)


def _report_bad_lines(messages: list[str], n_rows: int, name: str, report: list[str]) -> None:
    """pandas' 'Skipping line N' warnings: a report line, or a DataError when most rows are bad."""
    bad = [m for m in messages if "Skipping line" in m]
    n_bad = sum(m.count("Skipping line") for m in bad)
    if n_bad:
        where = re.search(r"line (\d+)", bad[0])
        if n_bad > max(n_rows, 1):
            raise DataError(_("'{name}': most rows have a different number of fields than "
                               "the header (e.g. line {v}). Check the separator and that "
                               "every row has the same number of columns.",
                               name=name, v=where.group(1) if where else '?'))
        report.append(_("Skipped {n_bad} row(s) with too many fields (e.g. line {v}).",
                         n_bad=n_bad, v=where.group(1) if where else '?'))


def _drop_unnamed(raw: pd.DataFrame, name: str, report: list[str]) -> pd.DataFrame:
    blank = [c for c in raw.columns if c.startswith("__blank")]
    if blank:
        if all(raw[c].isna().all() for c in blank):
            report.append(_("Dropped {n} empty column(s) without a name (e.g. a separator "
                             "at the end of every row).",
                             n=len(blank)))
        else:
            report.append(_("Dropped {n} column(s) without a name in the header.", n=len(blank)))
        raw = raw.drop(columns=blank)
    if raw.shape[1] == 0:
        raise DataError(_("'{name}' has no named columns. The first row must name the columns.",
                           name=name))
    return raw


def numeric_frame(raw: pd.DataFrame, tcol: str | None, seconds: np.ndarray | None, decimal: str,
                  name: str, report: list[str], thousands: str | None = None,
                  keep_constant: bool = False) -> pd.DataFrame:
    """The time column (``seconds``) and the sensor columns of ``raw`` as numbers. Junk cells
    become missing (counted); non-numeric, mostly-empty and constant columns are dropped (a
    constant one is kept with ``keep_constant``: a campaign decides, see ``whole.py``)."""
    out: dict[str, np.ndarray] = {}     # converted columns; numeric ones are kept as read
    keep: list[str] = []
    if tcol is not None:
        out[tcol] = seconds
        keep.append(tcol)
    non_numeric, empty, constant = [], [], []
    for col in raw.columns:
        if col == tcol:
            continue
        s = raw[col]
        numeric = _to_numbers(s, col, decimal, report, thousands)
        if numeric is None:
            non_numeric.append(col)
            continue
        numeric, junk, examples = numeric
        numeric = _no_infinity(numeric, col, report)
        filled = numeric.notna().mean() if len(numeric) else 0.0
        if filled < 0.05:
            empty.append(col)
            continue
        values = numeric.to_numpy(dtype=float)
        if np.nanmin(values) == np.nanmax(values) and not keep_constant:
            constant.append(col)
            continue
        if junk:
            eg = ", ".join(f"'{e}'" for e in examples)
            report.append(_("Column '{col}': {junk} non-numeric value(s) (e.g. {eg}) "
                             "treated as missing.", col=col,
                             junk=junk, eg=eg))
        keep.append(col)
        if numeric is not s:
            out[col] = values
    _report_dropped(non_numeric, empty, constant, report)
    frame = raw[keep]
    for col, values in out.items():
        frame[col] = values
    if not any(c != tcol for c in frame.columns):
        why = ""
        if constant or empty:
            why = _(" ({constant} column(s) hold one constant value and {empty} are almost "
                    "empty)", constant=len(constant), empty=len(empty))
        raise DataError(_("'{name}' has no usable numeric sensor columns{why}. A usable "
                           "file has one row per time step and columns of numbers that "
                           "change (e.g. speed, rpm, NOx).",
                           name=name, why=why))
    return frame


def _no_infinity(numeric: pd.Series, col: str, report: list[str]) -> pd.Series:
    """``numeric`` with ±inf made missing (counted in the report): no sensor reads infinity."""
    values = numeric.to_numpy(dtype=float)
    inf = np.isinf(values)
    if not inf.any():
        return numeric
    report.append(_("Column '{col}': {int} infinite value(s) (inf, -inf or Infinity; "
                     "first in data row {value}) treated as missing.",
                     col=col, int=int(inf.sum()), value=int(np.argmax(inf)) + 1))
    return pd.Series(np.where(inf, np.nan, values), index=numeric.index)


def _to_numbers(s: pd.Series, col: str, decimal: str, report: list[str],
                thousands: str | None = None) -> tuple[pd.Series, int, list[str]] | None:
    """(numbers, count of junk cells, up to 3 junk examples) of column ``s``; None when under
    half of its filled cells are numbers (a text column)."""
    if pd.api.types.is_numeric_dtype(s):
        return (s if pd.api.types.is_float_dtype(s) else s.astype(float)), 0, []
    text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    present = text != ""
    head = text[present].head(1000)
    if decimal == "." and not thousands and (head.str.contains(",").any()
                                             or head.str.count(r"\.").gt(1).any()):
        decimal, thousands = _column_reading(head.tolist(), col, report)
    text = strip_thousands(text, thousands, decimal)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    numeric = pd.to_numeric(text.where(present, None), errors="coerce").astype(float)
    bad_cells = present & numeric.isna()
    if present.sum() and (~bad_cells[present]).mean() < 0.5:
        return None
    return numeric, int(bad_cells.sum()), list(dict.fromkeys(text[bad_cells].head(200)))[:3]


def _column_reading(cells: list[str], col: str, report: list[str]) -> tuple[str, str | None]:
    """Decimal mark and thousands separator of one column's (quoted) cells with commas in a
    file that otherwise uses '.' decimals: '1,5' is a decimal comma, '2,971.5' or '1,896,448'
    group thousands; the report says which."""
    decimal, thousands, note = reading(cells)
    if note:
        report.append(note.replace("Numbers such as", f"Column '{col}': numbers such as", 1))
    if thousands:
        report.append(_("Column '{col}' uses '{thousands}' to group thousands; read "
                         "without it.", col=col, thousands=thousands))
    if decimal == ",":
        report.append(_("Column '{col}' uses decimal commas (1,5); read them as 1.5.", col=col))
    return decimal, thousands


def _report_dropped(non_numeric: list[str], empty: list[str], constant: list[str],
                    report: list[str]) -> None:
    if non_numeric:
        report.append(_("Dropped non-numeric column(s): {columns}.",
                        columns=", ".join(f"'{c}'" for c in non_numeric)))
    if empty:
        report.append(_("Dropped mostly-empty column(s) (under 5 % filled): {columns}.",
                        columns=", ".join(f"'{c}'" for c in empty)))
    if constant:
        report.append(_("Dropped constant column(s) (one value throughout, nothing to learn): "
                        "{columns}.", columns=", ".join(f"'{c}'" for c in constant)))
