"""CSV → ``Dataset``: reading logger exports, finding the time column, keeping numeric sensors.

Every problem with a file a user gave us is a ``DataError`` whose message says which file, which
column or row, and what to do. Everything loading fixed or dropped is one line in ``Dataset.report``.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Union

import numpy as np
import pandas as pd

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
MIN_ROWS = 60                      # fewer rows cannot make a train/validation/test split
MAX_BYTES = 200 * 1024 * 1024      # refuse larger files with a clear message
TIME_NAMES = ("time", "timestamp", "datetime", "date_time", "date", "elapsed", "t", "sec",
              "seconds", "zeit", "시간")

PathOrFile = Union[str, Path, IO[bytes], IO[str]]


class DataError(ValueError):
    """Input data that cannot be used; the message is meant for the person who gave it."""


@dataclass
class Dataset:
    """A time-sorted table of numeric sensor channels.

    frame        DataFrame; the time column (if any) holds seconds as float, all others numeric.
    time_column  name of the time column, or None when the row number is the clock.
    report       what loading fixed or dropped, one human-readable line each.
    units        column -> unit as found in the header ("km/h"), "" when unknown.
    name         short label for the UI and the cache listing (usually the file name).
    simulated    True for data made by ``palstm_core.simulate``: the UI labels it so.
    time_kind    "seconds", "datetime" (epoch seconds) or "row".
    """

    frame: pd.DataFrame
    time_column: str | None = None
    report: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    name: str = "data"
    simulated: bool = False
    time_kind: str = "seconds"

    @property
    def columns(self) -> list[str]:
        """Sensor columns (every column but the time column)."""
        return [c for c in self.frame.columns if c != self.time_column]

    @property
    def times(self) -> np.ndarray:
        """Time of each row in seconds (row number when there is no time column)."""
        if self.time_column is None:
            return np.arange(len(self.frame), dtype=float)
        return self.frame[self.time_column].to_numpy(dtype=float)

    @property
    def label(self) -> str:
        return f"{self.name} (simulated)" if self.simulated else self.name

    def fingerprint(self) -> str:
        """Hash of the content (values, column names, order); the cache key uses it."""
        h = hashlib.sha256()
        h.update("\x1f".join(map(str, self.frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
        return h.hexdigest()[:16]

    def slice(self, start: int | None = None, stop: int | None = None) -> "Dataset":
        """Rows [start, stop) as a new Dataset (same columns, units and labels)."""
        return replace(self, frame=self.frame.iloc[start:stop].reset_index(drop=True),
                       report=list(self.report))

    def __len__(self) -> int:
        return len(self.frame)


# ---------------------------------------------------------------------------- reading bytes
def _read_bytes(source: PathOrFile) -> tuple[bytes, str]:
    """Return the raw bytes and a display name, from a path or an (uploaded) file object."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise DataError(f"File '{path}' does not exist. Check the path and try again.")
        if path.is_dir():
            raise DataError(f"'{path}' is a folder, not a CSV file.")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"File '{path.name}' is {size / 2**20:.0f} MB; the limit is "
                            f"{MAX_BYTES / 2**20:.0f} MB. Split the drive into smaller files.")
        return path.read_bytes(), path.name
    name = getattr(source, "name", None) or "uploaded file"
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise DataError(f"File '{name}' is {len(data) / 2**20:.0f} MB; the limit is "
                        f"{MAX_BYTES / 2**20:.0f} MB. Split the drive into smaller files.")
    return bytes(data), Path(str(name)).name


def _decode(data: bytes, name: str, report: list[str]) -> str:
    if b"\x00" in data[:4096]:
        raise DataError(f"'{name}' looks like a binary file, not a CSV text file. "
                        "Export the data as CSV (comma- or semicolon-separated text).")
    for encoding in ("utf-8-sig", "cp949", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            report.append(f"File is not UTF-8; read it as {encoding}.")
        return text
    raise DataError(f"Could not read the text of '{name}'. Save it as UTF-8 CSV.")  # unreachable


def _split_unit(raw: str) -> tuple[str, str]:
    """'Speed [km/h]' -> ('Speed', 'km/h'); 'NOx (ppm)' -> ('NOx', 'ppm'); 'rpm' -> ('rpm', '')."""
    raw = str(raw).strip()
    m = re.match(r"^(.*?)\s*[\[(]([^\[\]()]*)[\])]\s*$", raw)
    if m and m.group(1).strip():
        return m.group(1).strip(), m.group(2).strip()
    return raw, ""


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    best, best_score = ",", -1
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        common = max(set(counts), key=counts.count)
        score = common * counts.count(common)
        if score > best_score:
            best, best_score = delim, score
    return best


# ---------------------------------------------------------------------------- time column
def _find_time_column(frame: pd.DataFrame, requested: str | None, name: str) -> str | None:
    if requested is not None:
        if requested in frame.columns:
            return requested
        raise DataError(f"'{name}' has no column '{requested}' to use as time. "
                        f"Columns are: {', '.join(map(str, frame.columns))}.")
    for col in frame.columns:
        if str(col).strip().lower() in TIME_NAMES:
            return col
    first = frame.columns[0]
    values = frame[first]
    if values.dtype == object and pd.to_datetime(values.head(20), errors="coerce",
                                                  format="mixed").notna().mean() > 0.8:
        return first
    return None


def _time_to_seconds(values: pd.Series, column: str, unit: str) -> tuple[np.ndarray, str, str]:
    """Convert a time column to float seconds; returns (seconds, kind, report line)."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().mean() > 0.95:
        x = numeric.to_numpy(dtype=float)
        med = np.nanmedian(x)
        if unit.lower() == "ms" or (med > 1e11):            # epoch or elapsed milliseconds
            return x / 1000.0, ("datetime" if med > 1e11 else "seconds"), \
                f"Time column '{column}' is in milliseconds; converted to seconds."
        if med > 1e8:
            return x, "datetime", f"Time column '{column}' holds epoch seconds."
        return x, "seconds", f"Time column '{column}' holds seconds."
    text = values.astype(str).str.strip()
    if text.str.match(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$").mean() > 0.95:
        td = pd.to_timedelta(text.where(text.str.count(":") == 2, "00:" + text), errors="coerce")
        secs = td.dt.total_seconds().to_numpy(dtype=float)
        secs = secs + 86400 * np.cumsum(np.r_[0, np.diff(np.nan_to_num(secs)) < -43200])  # midnight
        return secs, "seconds", f"Time column '{column}' holds clock times (HH:MM:SS)."
    ts = pd.to_datetime(text, errors="coerce", format="mixed")
    if ts.notna().mean() > 0.95:
        if ts.dt.tz is not None:
            ts = ts.dt.tz_convert(None)
        secs = (ts - pd.Timestamp(0)).dt.total_seconds().to_numpy(dtype=float)
        return secs, "datetime", f"Time column '{column}' holds date-times."
    raise DataError(f"Column '{column}' looks like the time column but most of its values are "
                    "not times or numbers. Fix the column or name another one as time.")


# ---------------------------------------------------------------------------- load_csv
def load_csv(source: PathOrFile, time_column: str | None = None, *, name: str | None = None
             ) -> Dataset:
    """Read a PEMS/OBD CSV export into a ``Dataset``; raises ``DataError`` for unusable input.

    ``time_column`` names the time column (header name without unit); by default a column named
    like time/timestamp/elapsed, or a first column of date-times, is used, else the row number.
    """
    report: list[str] = []
    data, file_name = _read_bytes(source)
    name = name or file_name
    if not data.strip():
        raise DataError(f"'{name}' is empty. Choose a CSV file with a header row and data rows.")
    text = _decode(data, name, report)
    head = text[:2048].lower()
    if "<html" in head or "<!doctype" in head:
        raise DataError(f"'{name}' is a web page (HTML), not a CSV. Download the raw CSV file.")
    delim = _sniff_delimiter(text)
    try:
        raw = pd.read_csv(io.StringIO(text), sep=delim, skipinitialspace=True,
                          dtype=str, keep_default_na=False, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"'{name}' could not be read as a table ({exc}). Check that every "
                        "row has the same number of separators.") from None
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise DataError(f"'{name}' has a header but no data rows.")

    # Clean names, remember units, drop blank names from trailing separators.
    units: dict[str, str] = {}
    columns = []
    for raw_name in raw.columns:
        clean, unit = _split_unit(raw_name)
        if not clean or clean.startswith("Unnamed:"):
            clean = ""
        base, k = clean, 2
        while clean and clean in columns:
            clean = f"{base}_{k}"
            k += 1
        if clean != base and base:
            report.append(f"Column name '{base}' appears more than once; renamed to '{clean}'.")
        columns.append(clean)
        if clean:
            units[clean] = unit
    raw.columns = [c or f"__blank{i}" for i, c in enumerate(columns)]
    blank = [c for c in raw.columns if c.startswith("__blank")]
    if blank:
        if all((raw[c].str.strip() == "").all() for c in blank):
            report.append(f"Dropped {len(blank)} empty column(s) without a name.")
        else:
            report.append(f"Dropped {len(blank)} column(s) without a name in the header.")
        raw = raw.drop(columns=blank)

    tcol = _find_time_column(raw, time_column, name)
    out = pd.DataFrame(index=raw.index)
    time_kind = "row"
    if tcol is not None:
        secs, time_kind, line = _time_to_seconds(raw[tcol], tcol, units.get(tcol, ""))
        out[tcol] = secs
        report.append(line)
    else:
        report.append("No time column found; the row number is used as the clock (1 row = 1 step).")

    dropped = []
    for col in raw.columns:
        if col == tcol:
            continue
        values = raw[col].str.strip()
        present = values != ""
        numeric = pd.to_numeric(values.where(present), errors="coerce")
        if numeric.isna().all() or (present.sum() and numeric[present].notna().mean() < 0.5):
            dropped.append(col)
            continue
        junk = int((present & numeric.isna()).sum())
        if junk:
            report.append(f"Column '{col}': {junk} non-numeric value(s) treated as missing.")
        out[col] = numeric.astype(float)
    if dropped:
        report.append("Dropped non-numeric column(s): " + ", ".join(f"'{c}'" for c in dropped) + ".")
    sensors = [c for c in out.columns if c != tcol]
    if not sensors:
        raise DataError(f"'{name}' has no numeric sensor columns. A usable file has one row per "
                        "time step and columns of numbers (e.g. speed, rpm, NOx).")

    if tcol is not None:
        bad = out[tcol].isna()
        if bad.any():
            report.append(f"Dropped {int(bad.sum())} row(s) without a valid time.")
            out = out[~bad]
        if not out[tcol].is_monotonic_increasing:
            out = out.sort_values(tcol, kind="stable")
            report.append("Rows were not in time order; sorted by time (ties keep file order).")
    out = out.dropna(how="all", subset=sensors).reset_index(drop=True)
    if len(out) < MIN_ROWS:
        raise DataError(f"'{name}' has only {len(out)} usable row(s); at least {MIN_ROWS} are needed "
                        "to train and test a model. Use a longer recording.")
    units = {c: units.get(c, "") for c in out.columns}
    return Dataset(out, tcol, report, units, name=name, time_kind=time_kind)


def load_sample(name: str = "urban") -> Dataset:
    """Load a shipped sample drive (simulated, see sample_data/README.md)."""
    path = SAMPLE_DIR / f"{name}.csv"
    if not path.exists():
        names = sorted(p.stem for p in SAMPLE_DIR.glob("*.csv"))
        raise DataError(f"There is no sample called '{name}'. Samples: {', '.join(names)}.")
    ds = load_csv(path, name=f"sample: {name}")
    ds.simulated = True
    ds.report.insert(0, "Simulated drive made by palstm_core.simulate — not measured data.")
    return ds
