"""Other file formats than CSV: Parquet (pyarrow), Excel ``.xlsx`` (openpyxl) and ASAM MDF
(``.mf4``/``.mdf``, asammdf). ``load.load_file`` picks the reader (``source.kind``).

Every reader turns its file into a table and hands it to ``load_csv`` as CSV text (floats written
with full round-trip precision), so a Parquet, Excel or MDF file goes through the same header,
units, time-column, junk-value and row checks as a CSV and gives the same ``Dataset``, the same
``report`` lines and the same ``DataError`` promise. Nothing in a file is executed or unpickled:
pyarrow reads Parquet's column data only, openpyxl reads cell values (no macros), asammdf reads
channel samples.
"""
from __future__ import annotations

import gc
import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Union

import pandas as pd

from .dataset import DataError
from .source import READERS, head
from ..i18n import _

Readable = Union[Path, bytes]          # a file on disk (read by the library) or its bytes


def table_text(src: Readable, what: str, label: str, max_bytes: int | None = None
               ) -> tuple[bytes, str]:
    """The table of a Parquet/Excel/MDF file (``what`` from ``source.kind``) as UTF-8 CSV text,
    and the report line saying how it was read. Unreadable files are a DataError naming it."""
    reader = {"parquet": _parquet_table, "excel": _excel_table, "mdf": _mdf_table}[what]
    try:
        table, header, note = reader(src, label)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise is: bad input -> DataError only
        raise _unreadable(exc, label, READERS[what]) from None
    if table.empty or table.shape[1] == 0:
        raise DataError(_("'{label}' holds no data (no rows or no columns). Choose a file "
                           "with one column per sensor and one row per time step.",
                           label=label))
    return _as_csv(table, header, label, max_bytes), note


def _open(src: Readable):
    return io.BytesIO(src) if isinstance(src, (bytes, bytearray)) else src


def _unreadable(exc: BaseException, label: str, what: str) -> DataError:
    if isinstance(exc, MemoryError):
        return DataError(_("'{label}' is too large to load in this computer's memory. "
                            "Split it into smaller files.",
                            label=label))
    return DataError(_("'{label}' could not be read as a {what} ({plain}). It may be "
                        "damaged, encrypted or not really a {what}; export it again, or "
                        "save it as CSV.", label=label, what=what,
                        plain=_plain(exc, label)))


def _plain(exc: BaseException, label: str) -> str:
    """'Type: message' of a reader's error, with the in-memory buffer replaced by the name."""
    msg = re.sub(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>", label, str(exc))
    return f"{type(exc).__name__}: {msg[:200]}"


_TITLE_ROW = re.compile(rb'(?m)^("(?:[^"]|"")*"|[^,"\n]+),+$')


def _as_csv(table: pd.DataFrame, header: bool, label: str, max_bytes: int | None) -> bytes:
    """The table as UTF-8 CSV text; floats keep full precision (shortest round-trip repr).
    Over ``max_bytes`` as text (the UI's limit; None: no limit) is a DataError."""
    text = table.to_csv(index=False, header=header, lineterminator="\n").encode("utf-8")
    if not header:       # a sheet: title/metadata lines above the header fill one cell only
        text = _TITLE_ROW.sub(rb"\1", text)
    if max_bytes is not None and len(text) > max_bytes:
        raise DataError(_("'{label}' holds {shape:,} rows × {shape2} columns, more than "
                           "one upload may have here (over {value:.0f} MB as text). Load "
                           "it from Python or the command line (no limit there), or keep "
                           "fewer columns or a shorter time range per file.",
                           label=label, shape=table.shape[0], shape2=table.shape[1],
                           value=max_bytes / 2**20))
    return text


def _parquet_table(src: Readable, label: str) -> tuple[pd.DataFrame, bool, str]:
    import pyarrow.parquet as pq

    table = pq.read_table(_open(src))
    frame = table.to_pandas()
    if not isinstance(frame.index, pd.RangeIndex):       # an index pandas stored with the table
        frame = frame.reset_index()
    return frame, True, _("Read Parquet file '{label}' with pyarrow: {rows} rows, {columns} "
                          "columns.", label=label, rows=frame.shape[0], columns=frame.shape[1])


def _excel_table(src: Readable, label: str) -> tuple[pd.DataFrame, bool, str]:
    if head(src).startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(_("'{label}' is a password-protected (encrypted) or old-format "
                           "Excel workbook. Open it in Excel, remove the password and save "
                           "it as .xlsx or CSV.", label=label))
    try:
        sheets = pd.read_excel(_open(src), sheet_name=None, header=None, dtype=object,
                               engine="openpyxl")
    except zipfile.BadZipFile:
        raise DataError(_("'{label}' is not a readable .xlsx workbook (the file is "
                           "damaged). Save it again from Excel, or as CSV.",
                           label=label)) from None
    filled = {n: s.dropna(how="all").dropna(axis=1, how="all") for n, s in sheets.items()}
    filled = {n: s for n, s in filled.items() if not s.empty}
    if not filled:
        raise DataError(_("'{label}' has no filled cells in any sheet. Choose a workbook "
                           "with a header row and one row per time step.",
                           label=label))
    sheet = next(iter(filled))
    note = _("Read sheet '{sheet}' of Excel workbook '{label}' with openpyxl.", sheet=sheet,
             label=label)
    others = [n for n in filled if n != sheet]
    if others:
        note = _("{note} Other sheets with data were not read: {sheets} (save each drive as "
                 "its own file to use them).", note=note,
                 sheets=", ".join(f"'{n}'" for n in others))
    return filled[sheet], False, note


def _open_mdf(mdf_class, src: Readable, label: str):
    """asammdf's MDF on the bytes; a damaged file is a DataError, without the warnings a half-
    built MDF object prints to stderr when it is garbage-collected."""
    hook, error = sys.unraisablehook, None
    sys.unraisablehook = lambda _args: None
    try:
        try:
            return mdf_class(_open(src))
        except Exception as exc:  # noqa: BLE001 - reported below as a DataError
            error = _plain(exc, label)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise DataError(_("'{label}' is not a readable ASAM MDF file ({error}). It may be "
                       "damaged or cut short; export it again from the logger software, or "
                       "as CSV.", label=label, error=error))


def _mdf_table(src: Readable, label: str) -> tuple[pd.DataFrame, bool, str]:
    from asammdf import MDF

    mdf = _open_mdf(MDF, src, label)
    try:
        groups = [(i, mdf.get_master(i)) for i in range(len(mdf.groups))]
        groups = [(i, t) for i, t in groups if len(t) > 1]
        if not groups:
            raise DataError(_("'{label}' has no channel group with more than one sample.",
                               label=label))
        rate = {i: (len(t) - 1) / max(float(t[-1] - t[0]), 1e-12) for i, t in groups}
        base, master = max(groups, key=lambda g: (rate[g[0]], len(g[1])))
        frame = mdf.to_dataframe(raster=master, time_from_zero=False, empty_channels="skip",
                                 interpolate_outwards_with_nan=True, numeric_1D_only=True)
        units = {}
        for group in mdf.groups:
            for ch in group.channels:
                units.setdefault(ch.name, getattr(ch, "unit", "") or "")
        start = mdf.header.start_time
    finally:
        mdf.close()
    frame.index.name = None
    frame = frame.rename(columns=lambda c: f"{c} [{units[c]}]" if units.get(c) else c)
    frame.insert(0, "time [s]", master.astype(float))
    frame = frame.reset_index(drop=True)
    note = _("Read ASAM MDF file '{label}' with asammdf: {groups} channel group(s); all "
             "channels on the time base of group {base} ({rate:.4g} Hz, {samples} samples), "
             "the measurement's own clock in seconds (recording started {start}).",
             label=label, groups=len(groups), base=base, rate=rate[base], samples=len(master),
             start=start.strftime("%Y-%m-%d %H:%M:%S %Z").strip())
    if len(groups) > 1:
        note += (" Channels of the other groups were interpolated linearly onto it (empty "
                 "outside their own recording time).")
    return frame, True, note
