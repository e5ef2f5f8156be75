"""Other file formats than CSV: Parquet (pyarrow), Excel ``.xlsx`` (openpyxl) and ASAM MDF
(``.mf4``/``.mdf``, asammdf), and ``load_file``, which picks the reader by magic bytes and suffix.

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

import pandas as pd

from .dataset import DataError, Dataset
from .load import load_csv
from .source import MAX_BYTES, PathOrFile, source_name

PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
MDF_SUFFIXES = {".mf4", ".mdf"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".dat", ".log", ""}
SUFFIXES = PARQUET_SUFFIXES | EXCEL_SUFFIXES | MDF_SUFFIXES | CSV_SUFFIXES
_MDF_MAGIC = (b"MDF     ", b"UnFinMF ")


def read_bytes(source: PathOrFile, limit: int = MAX_BYTES) -> bytes:
    """The whole content of a path or an uploaded file (``getvalue``/``read``), at most
    ``limit`` bytes; a larger one is a DataError that says so."""
    name = source_name(source)
    try:
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise DataError(f"'{path.name}' is not a file (missing, or a folder). Check the "
                                "path and try again.")
            size = path.stat().st_size
            data = b"" if size > limit else path.read_bytes()
        else:
            if hasattr(source, "seek"):
                source.seek(0)
            data = source.getvalue() if hasattr(source, "getvalue") else source.read(limit + 1)
            data = data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")
            size = len(data)
    except OSError as exc:
        raise DataError(f"Could not read '{name}' ({exc.strerror or exc}). Check that the file "
                        "exists and you may read it, or upload it again.") from None
    if size > limit:
        raise DataError(f"'{name}' is {size / 2**20:.0f} MB; the limit is {limit / 2**20:.0f} "
                        "MB. Split the drive into smaller files and load them one at a time.")
    return data


def file_kind(name: str, head: bytes) -> str:
    """'parquet', 'excel', 'mdf', 'zip' or 'csv', from the first bytes, else from the suffix."""
    suffix = Path(name).suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_MDF_MAGIC):
        return "mdf"
    if head.startswith(b"PK\x03\x04"):
        return "excel" if suffix in EXCEL_SUFFIXES else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0") and suffix in EXCEL_SUFFIXES:
        return "excel"              # a password-protected workbook is an OLE2 container
    for kind, suffixes in (("parquet", PARQUET_SUFFIXES), ("excel", EXCEL_SUFFIXES),
                           ("mdf", MDF_SUFFIXES)):
        if suffix in suffixes:
            return kind
    return "csv"


def load_file(source: PathOrFile, time_column: str | None = None, *, name: str | None = None,
              resample_hz: float | None = None, **csv_options) -> Dataset:
    """Load a drive from a CSV, Parquet, Excel (.xlsx) or ASAM MDF (.mf4) file or upload.

    The format is told by the file's first bytes (then its suffix); CSV text goes straight to
    ``load_csv`` (``csv_options`` are passed on to it). The other formats become the same
    ``Dataset`` with the same checks and report lines (see the module docstring), plus one line
    saying how the file was read. Anything unreadable (corrupt, encrypted, empty) is a
    ``DataError`` naming the file.
    """
    label = name or source_name(source)
    if isinstance(source, (str, Path)):
        try:
            with open(source, "rb") as fh:
                head = fh.read(16)
        except OSError:
            head = b""                               # load_csv says what is wrong with the path
    else:
        head = read_bytes(source)[:16]
    kind = file_kind(label, head)
    if kind == "csv":
        return load_csv(source, time_column, name=name, resample_hz=resample_hz, **csv_options)
    if kind == "zip":
        raise DataError(f"'{label}' is a ZIP archive, not one drive. Load it as a campaign "
                        "(several drives), or unpack it and choose one file.")
    reader = {"parquet": _parquet_table, "excel": _excel_table, "mdf": _mdf_table}[kind]
    try:
        table, header, note = reader(read_bytes(source), label)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise is: bad input -> DataError only
        raise _unreadable(exc, label, _WHAT[kind]) from None
    if table.empty or table.shape[1] == 0:
        raise DataError(f"'{label}' holds no data (no rows or no columns). Choose a file with "
                        "one column per sensor and one row per time step.")
    text = _as_csv(table, header, label)
    del table
    upload = io.BytesIO(text)
    upload.name = label
    ds = load_csv(upload, time_column, name=label, resample_hz=resample_hz, **csv_options)
    ds.report.insert(0, note)
    return ds


def _unreadable(exc: BaseException, label: str, what: str) -> DataError:
    if isinstance(exc, MemoryError):
        return DataError(f"'{label}' is too large to load in this computer's memory. Split it "
                         "into smaller files.")
    return DataError(f"'{label}' could not be read as a {what} ({_plain(exc, label)}). It may be "
                     f"damaged, encrypted or not really a {what}; export it again, or save it as "
                     "CSV.")


def _plain(exc: BaseException, label: str) -> str:
    """'Type: message' of a reader's error, with the in-memory buffer replaced by the name."""
    msg = re.sub(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>", label, str(exc))
    return f"{type(exc).__name__}: {msg[:200]}"


_WHAT = {"parquet": "Parquet file", "excel": "Excel workbook (.xlsx)",
         "mdf": "ASAM MDF measurement file"}


_TITLE_ROW = re.compile(rb'(?m)^("(?:[^"]|"")*"|[^,"\n]+),+$')


def _as_csv(table: pd.DataFrame, header: bool, label: str) -> bytes:
    """The table as UTF-8 CSV text; floats keep full precision (shortest round-trip repr)."""
    text = table.to_csv(index=False, header=header, lineterminator="\n").encode("utf-8")
    if not header:       # a sheet: title/metadata lines above the header fill one cell only
        text = _TITLE_ROW.sub(rb"\1", text)
    if len(text) > MAX_BYTES:
        raise DataError(f"'{label}' holds {table.shape[0]:,} rows × {table.shape[1]} columns, "
                        f"more than one drive may have here (over {MAX_BYTES / 2**20:.0f} MB as "
                        "text). Keep fewer columns or a shorter time range per file.")
    return text


def _parquet_table(data: bytes, label: str) -> tuple[pd.DataFrame, bool, str]:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    frame = table.to_pandas()
    if not isinstance(frame.index, pd.RangeIndex):       # an index pandas stored with the table
        frame = frame.reset_index()
    return frame, True, (f"Read Parquet file '{label}' with pyarrow: {frame.shape[0]} rows, "
                         f"{frame.shape[1]} columns.")


def _excel_table(data: bytes, label: str) -> tuple[pd.DataFrame, bool, str]:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"'{label}' is a password-protected (encrypted) or old-format Excel "
                        "workbook. Open it in Excel, remove the password and save it as .xlsx "
                        "or CSV.")
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object,
                               engine="openpyxl")
    except zipfile.BadZipFile:
        raise DataError(f"'{label}' is not a readable .xlsx workbook (the file is damaged). "
                        "Save it again from Excel, or as CSV.") from None
    filled = {n: s.dropna(how="all").dropna(axis=1, how="all") for n, s in sheets.items()}
    filled = {n: s for n, s in filled.items() if not s.empty}
    if not filled:
        raise DataError(f"'{label}' has no filled cells in any sheet. Choose a workbook with "
                        "a header row and one row per time step.")
    sheet = next(iter(filled))
    note = f"Read sheet '{sheet}' of Excel workbook '{label}' with openpyxl."
    others = [n for n in filled if n != sheet]
    if others:
        note += (" Other sheets with data were not read: " + ", ".join(f"'{n}'" for n in others)
                 + " (save each drive as its own file to use them).")
    return filled[sheet], False, note


def _open_mdf(mdf_class, data: bytes, label: str):
    """asammdf's MDF on the bytes; a damaged file is a DataError, without the warnings a half-
    built MDF object prints to stderr when it is garbage-collected."""
    hook, error = sys.unraisablehook, None
    sys.unraisablehook = lambda _args: None
    try:
        try:
            return mdf_class(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - reported below as a DataError
            error = _plain(exc, label)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise DataError(f"'{label}' is not a readable ASAM MDF file ({error}). It may be damaged or "
                    "cut short; export it again from the logger software, or as CSV.")


def _mdf_table(data: bytes, label: str) -> tuple[pd.DataFrame, bool, str]:
    from asammdf import MDF

    mdf = _open_mdf(MDF, data, label)
    try:
        groups = [(i, mdf.get_master(i)) for i in range(len(mdf.groups))]
        groups = [(i, t) for i, t in groups if len(t) > 1]
        if not groups:
            raise DataError(f"'{label}' has no channel group with more than one sample.")
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
    note = (f"Read ASAM MDF file '{label}' with asammdf: {len(groups)} channel group(s); "
            f"all channels on the time base of group {base} ({rate[base]:.4g} Hz, "
            f"{len(master)} samples), the measurement's own clock in seconds (recording "
            f"started {start:%Y-%m-%d %H:%M:%S %Z}).")
    if len(groups) > 1:
        note += (" Channels of the other groups were interpolated linearly onto it (empty "
                 "outside their own recording time).")
    return frame, True, note
