"""``load_file`` (the one entry point for a drive file of any format), ``load_csv``, the pipeline
source -> sniff -> parse -> time column -> ``Dataset`` (each step in its own module), and
``load_sample`` for the shipped sample drives.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .dataset import MIN_ROWS, SAMPLE_DIR, DataError, Dataset
from .parse import numeric_frame, read_table
from .resample import resample
from .rows import (drop_leading_zero_rows, drop_marker_rows, drop_repeated_headers,
                   split_recordings)
from .sniff import sniff
from .formats import table_text
from .source import PathOrFile, head, kind, open_source, path_size, read, source_name
from .timecol import in_time_order, read_time_column, time_report
from ..i18n import _


def load_file(source: PathOrFile | bytes, time_column: str | None = None, *,
              name: str | None = None, resample_hz: float | None = None,
              dayfirst: bool | None = None, max_bytes: int | None = None,
              keep_constant: bool = False) -> Dataset:
    """Load a drive from a CSV, Parquet, Excel (.xlsx) or ASAM MDF (.mf4) file, upload or bytes.

    The format is told by the file's first bytes (``source.kind``), then its suffix. CSV text
    goes to ``load_csv``; the other formats become CSV text with full-precision floats and go
    through the same checks, giving the same ``Dataset`` and report lines (see ``formats``),
    plus one line saying how the file was read. An upload is read once; a file on disk is
    handed to its reader (a big CSV is parsed from disk in chunks). ``max_bytes`` refuses larger
    inputs (only the UI passes it: ``MAX_BYTES``, the browser's upload limit); by default there
    is no limit. Anything unreadable (corrupt, encrypted, empty) is a ``DataError`` naming the
    file, never another error.
    """
    label = name or source_name(source)
    if isinstance(source, (str, Path)):
        what = kind(head(source), label)
        if what in ("parquet", "excel", "mdf"):
            path_size(Path(source), max_bytes)           # missing, folder, over the limit
    else:
        source = read(source, max_bytes)                 # the one read of an upload
        what = kind(source[:16], label)
    opts = {"name": label, "resample_hz": resample_hz, "dayfirst": dayfirst,
            "keep_constant": keep_constant}
    if what == "zip":
        raise DataError(_("'{label}' is a ZIP archive, not one drive. Load it as a "
                           "campaign (several drives), or unpack it and choose one file.",
                           label=label))
    if what not in ("parquet", "excel", "mdf"):          # text, or a binary load_csv refuses
        return load_csv(source, time_column, max_bytes=max_bytes, **opts)
    text, note = table_text(Path(source) if isinstance(source, str) else source, what, label,
                            max_bytes)
    ds = load_csv(text, time_column, **opts)
    ds.report.insert(0, note)
    return ds


def load_csv(source: PathOrFile | bytes, time_column: str | None = None, *, name: str | None = None,
             resample_hz: float | None = None, dayfirst: bool | None = None,
             max_bytes: int | None = None, keep_constant: bool = False) -> Dataset:
    """Read a PEMS/OBD CSV export into a ``Dataset``; raises ``DataError`` for unusable input.

    ``time_column`` names the time column (header name with or without its unit); by default a
    column named like time/timestamp/elapsed, or a first column of date-times or clock times, is
    used, else the row number. Delimiter (, ; tab |), decimal comma, encoding (UTF-8/16, CP949,
    Latin-1), metadata lines above the header, a units row under it, units in the header, junk
    values, empty/constant/duplicate columns, unsorted or repeated times and gaps are handled;
    each fix is a line of ``Dataset.report``. ``resample_hz`` puts the data on a fixed clock
    (see ``resample``). Dates such as 08/07/2019 are read day/month or month/day as the data
    shows (a day above 12); when they cannot tell, the report says which order was assumed and
    ``dayfirst=True/False`` sets it. ``max_bytes`` refuses larger inputs (the Data page passes
    its upload limit, ``MAX_BYTES``); by default any file that fits in memory is read, big ones
    chunk by chunk. Anything else that goes wrong is a ``DataError``, never another error.
    """
    label = name or source_name(source)
    try:
        ds = _load_csv(source, time_column, name, dayfirst, max_bytes, keep_constant)
        if resample_hz is not None:
            ds = resample(ds, resample_hz)
        return ds
    except DataError:
        raise
    except MemoryError:
        raise DataError(_("'{label}' is too large to load in this computer's memory. "
                           "Split it into smaller files.",
                           label=label)) from None
    except Exception as exc:  # noqa: BLE001 - the promise is: bad input -> DataError only
        raise DataError(_("'{label}' could not be read as a sensor table ({name__}: "
                           "{str}). Check that it is a CSV export with one header row and "
                           "one row per time step.", label=label,
                           name__=type(exc).__name__, str=str(exc)[:200])) from None


def _load_csv(source: PathOrFile, time_column: str | None, name: str | None,
              dayfirst: bool | None = None, max_bytes: int | None = None,
              keep_constant: bool = False) -> Dataset:
    report: list[str] = []
    src = open_source(source, name, report, max_bytes)
    layout = sniff(src.lines, src.name, report)
    raw = read_table(src, layout, report)
    raw, starts = drop_repeated_headers(raw, layout.raw_names, layout.first_data, report)
    raw = drop_marker_rows(raw, report)
    tcol, seconds, time_kind = read_time_column(raw, time_column, src.name, layout.units,
                                                layout.raw_names, report, dayfirst)
    if tcol is not None:
        seconds, keep = split_recordings(seconds, time_kind, starts, layout.first_data, report)
        if keep != slice(0, len(raw)):
            raw, seconds = raw.iloc[keep].reset_index(drop=True), seconds[keep]
    frame = numeric_frame(raw, tcol, seconds, layout.decimal, src.name, report,
                          layout.thousands, keep_constant)
    del raw
    frame = drop_leading_zero_rows(frame, tcol, report)
    frame = _usable_rows(frame, tcol, src.name, report)
    units = {c: layout.units.get(c, "") for c in frame.columns}
    return Dataset(frame, tcol, report, units, name=src.name, time_kind=time_kind)


def _usable_rows(frame: pd.DataFrame, tcol: str | None, name: str, report: list[str]
                 ) -> pd.DataFrame:
    """Rows in time order that have a time and a sensor value; at least ``MIN_ROWS`` of them."""
    sensors = [c for c in frame.columns if c != tcol]
    if tcol is not None:
        frame = in_time_order(frame, tcol, report)
    before = len(frame)
    frame = frame.dropna(how="all", subset=sensors).reset_index(drop=True)
    if len(frame) < before:
        report.append(_("Dropped {value} row(s) with no sensor values.",
                         value=before - len(frame)))
    if tcol is not None:
        report.extend(time_report(frame[tcol].to_numpy(dtype=float), tcol))
    if len(frame) < MIN_ROWS:
        raise DataError(_("'{name}' has only {n} usable row(s); at least {MIN_ROWS} are "
                           "needed to train and test a model. Use a longer recording.",
                           name=name, n=len(frame), MIN_ROWS=MIN_ROWS))
    return frame


SAMPLES: tuple[str, ...] = ("urban", "motorway")
"""The shipped sample drives (``load_sample(name)``). ``SPLIT_SAMPLE`` names the urban drive
as two loggers' files (PEMS, OBD) for the merge demo."""
SPLIT_SAMPLE: tuple[str, str] = ("urban_pems", "urban_obd")


def load_sample(name: str = "urban") -> Dataset:
    """Load a shipped sample drive (simulated, see sample_data/README.md)."""
    path = SAMPLE_DIR / f"{name}.csv"
    if not path.exists():
        raise DataError(_("There is no sample called '{name}'. Samples: {join}.", name=name,
                           join=', '.join((*SAMPLES, *SPLIT_SAMPLE))))
    ds = load_csv(path, name=f"sample: {name}")
    ds.simulated = True
    ds.report.insert(0, _("Simulated drive made by palstm_core.simulate — not measured data."))
    return ds
