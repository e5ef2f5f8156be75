"""CSV → ``Dataset``: reading logger exports, finding the time column, keeping numeric sensors.

Every problem with a file a user gave us is a ``DataError`` whose message says which file, which
column or row, and what to do. Everything loading fixed or dropped is one line in ``Dataset.report``.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import warnings
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
    alignment    set by ``merge_drives``: clock offset, analyzer lag, pair, correlations.
    cleaning     set by ``clean``: column -> {"spikes": n, "drift_corrected": bool, ...}.
    """

    frame: pd.DataFrame
    time_column: str | None = None
    report: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    name: str = "data"
    simulated: bool = False
    time_kind: str = "seconds"
    alignment: dict | None = None
    cleaning: dict | None = None

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
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook or a ZIP archive. Open it and save the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook. Open it and save the sheet as CSV"),
    (b"\x1f\x8b", "a gzip-compressed file. Unpack it first"),
    (b"BZh", "a bzip2-compressed file. Unpack it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive. Unpack it first"),
    (b"%PDF", "a PDF document. Export the data as CSV instead"),
    (b"\x89PNG", "a PNG image, not data"),
    (b"\xff\xd8\xff", "a JPEG image, not data"),
    (b"SQLite format", "an SQLite database. Export the table as CSV"),
    (b"\x93NUMPY", "a NumPy file. Save the array as CSV"),
    (b"PAR1", "a Parquet file. Save the table as CSV"),
)
_NA_MARKERS = {"na", "n/a", "nan", "null", "none", "-", "--", "---", "?", "#n/a", "#value!",
               "inf", "-inf", "err", "error", "invalid", "ovf", "overflow", "*"}
_CHUNK = 4 * 2**20


def _too_big(name: str, size: int) -> DataError:
    return DataError(f"File '{name}' is {size / 2**20:.0f} MB; the limit is "
                     f"{MAX_BYTES / 2**20:.0f} MB. Split the drive into smaller files "
                     "(or keep fewer columns) and load them one at a time.")


def _read_bytes(source: PathOrFile) -> tuple[bytes, str]:
    """Return the raw bytes and a display name, from a path or an (uploaded) file object."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            if not path.exists():
                raise DataError(f"File '{path}' does not exist. Check the path and try again.")
            if path.is_dir():
                raise DataError(f"'{path}' is a folder, not a CSV file.")
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise _too_big(path.name, size)
            return path.read_bytes(), path.name
        except OSError as exc:
            raise DataError(f"Could not open '{path}' ({exc.strerror or exc}). Check that the "
                            "file exists and you may read it.") from None
    name = Path(str(getattr(source, "name", None) or "uploaded file")).name
    try:
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise DataError(f"Could not read '{name}' ({exc}). Try uploading it again.") from None
    if data is None:
        data = b""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BYTES:
        raise _too_big(name, len(data))
    return bytes(data), name


def _decodes(data: bytes, encoding: str) -> bool:
    """True when all of ``data`` decodes strictly (checked in chunks, memory stays small)."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for i in range(0, len(data), _CHUNK):
            dec.decode(data[i:i + _CHUNK], final=False)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_korean(data: bytes) -> bool:
    """CP949 accepts most byte pairs, so Latin-1 text ("°C", "µg") often decodes as CP949 too.
    Real Korean text is mostly Hangul syllables from the KS X 1001 (EUC-KR) range; Latin-1 read
    as CP949 gives rare UHC-extension syllables and Hanja instead."""
    sample = data[:2**20].decode("cp949", errors="ignore")
    chars = re.findall(r"[^\x00-\x7f]", sample)[:20000]
    if not chars:
        return False
    good = 0
    for ch in chars:
        if "\uac00" <= ch <= "\ud7a3":
            raw = ch.encode("cp949")              # the bytes it came from (exact round trip)
            good += len(raw) == 2 and raw[0] >= 0xA1 and raw[1] >= 0xA1
    return good >= 0.8 * len(chars)


def _to_utf8(data: bytes, name: str, report: list[str]) -> bytes:
    """Return the file as UTF-8 bytes without BOM, or raise DataError for non-text files."""
    head = data[:4096]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise DataError(f"'{name}' is {what}; it is not a CSV text file.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"'{name}' claims to be UTF-16 text but is damaged. Save it again "
                            "as CSV (UTF-8).") from None
        report.append("File is UTF-16 text; converted to UTF-8.")
        return text.encode("utf-8", errors="replace")
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 27), *range(28, 32)))
    if b"\x00" in head or controls > max(2, len(head) // 100):
        raise DataError(f"'{name}' looks like a binary file, not a CSV text file. "
                        "Export the data as CSV (comma- or semicolon-separated text).")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if _decodes(data, "utf-8"):
        return data
    if _decodes(data, "cp949") and _looks_korean(data):
        report.append("File is not UTF-8; read it as Korean text (CP949/EUC-KR).")
        return data.decode("cp949").encode("utf-8")
    encoding = "cp1252" if _decodes(data, "cp1252") else "latin-1"
    report.append(f"File is not UTF-8; read it as Western European text ({encoding}).")
    return data.decode(encoding).encode("utf-8")


def _decode(data: bytes, name: str, report: list[str]) -> str:
    """Whole file as text (kept for callers of the old helper)."""
    return _to_utf8(data, name, report).decode("utf-8")


def _split_unit(raw: str) -> tuple[str, str]:
    """'Speed [km/h]' -> ('Speed', 'km/h'); 'NOx (ppm)' -> ('NOx', 'ppm'); 'rpm' -> ('rpm', '')."""
    raw = str(raw).strip().strip('"').strip()
    m = re.match(r"^(.*?)\s*[\[(]([^\[\]()]*)[\])]\s*$", raw)
    if m and m.group(1).strip():
        return m.group(1).strip(), m.group(2).strip()
    return raw, ""


def _fields(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim, skipinitialspace=True), [])
    except csv.Error:
        return line.split(delim)


def _is_number(text: str) -> bool:
    text = text.strip()
    if not text:
        return False
    try:
        float(text.replace(",", "."))
        return True
    except ValueError:
        return False


def _sniff_delimiter(text: str) -> str:
    return _sniff_layout(re.split(r"\r\n|\r|\n", text)[:200])[0]


def _sniff_layout(lines: list[str]) -> tuple[str, int, int, bool, int]:
    """Find (delimiter, header line or -1, fields per data row, units row?, first data line).

    The data region is the later part of the sample; the header is the first line from the top
    with the data's number of fields (or one less: rows that end in a separator) that is followed
    by data rows. Lines above it are metadata/comments.
    """
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    body = nonblank[len(nonblank) // 3:] if len(nonblank) > 6 else nonblank
    best, best_score = None, None
    for delim in (",", ";", "\t", "|"):
        counts = {i: len(_fields(lines[i], delim)) for i in nonblank}
        body_counts = [counts[i] for i in body]
        mode = max(set(body_counts), key=lambda c: (body_counts.count(c), c))
        freq = body_counts.count(mode) / len(body_counts)
        if mode < 2:
            score = (0, 0, freq, 0)
            cand = (delim, -1, 1, False, nonblank[0])
        else:
            ok = [i for i in nonblank if counts[i] in (mode, mode - 1)]
            start = None
            for k, i in enumerate(ok):
                following = [j for j in nonblank if j > i][:2]
                if all(counts[j] in (mode, mode - 1) for j in following):
                    start = i
                    break
            if start is None:
                start = ok[0] if ok else nonblank[0]
            cells = [c for c in _fields(lines[start], delim) if c.strip()]
            textual = bool(cells) and sum(not _is_number(c) for c in cells) >= 0.5 * len(cells)
            header = start if textual else -1
            first_data = start + 1 if textual else start
            units = False
            if textual:
                after = [j for j in nonblank if j > start][:2]
                if after:
                    u = [c for c in _fields(lines[after[0]], delim) if c.strip()]
                    d = [c for c in _fields(lines[after[1]], delim) if c.strip()] \
                        if len(after) == 2 else []
                    unit_like = u and sum(not _is_number(c) for c in u) >= (
                        0.6 if d else 1.0) * len(u)
                    if unit_like and (not d or sum(_is_number(c) for c in d) >= 0.5 * len(d)):
                        units = True
                        first_data = after[0] + 1
            score = (1 if freq >= 0.8 else 0, int(textual), freq, mode)
            cand = (delim, header, mode, units, first_data)
        if best_score is None or score > best_score:
            best, best_score = cand, score
    return best


def _decimal_comma(lines: list[str], delim: str) -> bool:
    if delim == ",":
        return False
    comma = dot = 0
    for ln in lines:
        for f in _fields(ln, delim):
            f = f.strip()
            if re.fullmatch(r"[-+]?\d+,\d+", f):
                comma += 1
            elif re.fullmatch(r"[-+]?\d*\.\d+([eE][-+]?\d+)?", f):
                dot += 1
    return comma > dot


# ---------------------------------------------------------------------------- time column
_TIME_RE = re.compile(r"^(time|timestamp|time_?stamp|datetime|date.?time|date|elapsed.*|t|sec|"
                      r"seconds|time_s|zeit|uhrzeit|utc|utc.?time|gps.?time|시간|시각)$")


def _find_time_column(frame: pd.DataFrame, requested: str | None, name: str,
                      raw_names: dict[str, str] | None = None) -> str | None:
    if requested is not None:
        if requested in frame.columns:
            return requested
        for col, raw in (raw_names or {}).items():
            if str(requested).strip() == raw.strip():
                return col
        raise DataError(f"'{name}' has no column '{requested}' to use as time. "
                        f"Columns are: {', '.join(map(str, frame.columns))}.")
    for col in frame.columns:
        if _TIME_RE.match(str(col).strip().lower()):
            return col
    first = frame.columns[0]
    values = frame[first]
    if not pd.api.types.is_numeric_dtype(values):
        head = values.dropna().astype(str).str.strip().head(20)
        if len(head) and head.str.match(r"^\d{1,2}:\d{2}:\d{2}(\.\d+)?$").mean() > 0.8:
            return first
        if len(head) and head.str.contains(r"\d").mean() > 0.8 and pd.to_datetime(
                head, errors="coerce", format="mixed").notna().mean() > 0.8:
            return first
    return None


_DATE_FORMATS = ("ISO8601", "%d.%m.%Y %H:%M:%S.%f", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                 "%m/%d/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S.%f",
                 "%m/%d/%Y %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S.%f", "%d.%m.%Y %H:%M",
                 "%Y%m%d %H%M%S", "%Y%m%d%H%M%S")


def _parse_datetimes(text: pd.Series) -> pd.Series:
    head = text.head(200)
    for fmt in _DATE_FORMATS:
        if pd.to_datetime(head, errors="coerce", format=fmt).notna().mean() > 0.95:
            full = pd.to_datetime(text, errors="coerce", format=fmt)
            if full.notna().mean() > 0.95:
                return full
    if len(text) <= 200_000:
        return pd.to_datetime(text, errors="coerce", format="mixed")
    return pd.Series(pd.NaT, index=text.index)


def _time_to_seconds(values: pd.Series, column: str, unit: str, name: str = "the file"
                     ) -> tuple[np.ndarray, str, str]:
    """Convert a time column to float seconds; returns (seconds, kind, report line)."""
    if pd.api.types.is_numeric_dtype(values):
        numeric = values.astype(float)
    else:
        numeric = pd.to_numeric(values.astype(str).str.strip().str.replace(",", ".", regex=False),
                                errors="coerce")
    if numeric.notna().mean() > 0.95:
        x = numeric.to_numpy(dtype=float)
        med = np.nanmedian(x)
        if unit.strip().lower() == "ms" or column.lower().endswith("_ms") or med > 1e11:
            kind = "datetime" if med > 1e11 else "seconds"
            what = "epoch milliseconds" if kind == "datetime" else "milliseconds"
            return x / 1000.0, kind, f"Time column '{column}' is in {what}; converted to seconds."
        if med > 1e8:
            return x, "datetime", f"Time column '{column}' holds epoch seconds (Unix time)."
        return x, "seconds", f"Time column '{column}' holds seconds."
    text = values.astype(str).str.strip()
    if text.str.match(r"^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?$").mean() > 0.95:
        text = text.str.replace(",", ".", regex=False)
        td = pd.to_timedelta(text.where(text.str.count(":") == 2, "00:" + text), errors="coerce")
        secs = td.dt.total_seconds().to_numpy(dtype=float)
        secs = secs + 86400 * np.cumsum(np.r_[0, np.diff(np.nan_to_num(secs)) < -43200])  # midnight
        return secs, "seconds", f"Time column '{column}' holds clock times (HH:MM:SS)."
    ts = _parse_datetimes(text)
    if ts.notna().mean() > 0.95:
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        secs = (ts - pd.Timestamp(0)).dt.total_seconds().to_numpy(dtype=float)
        return secs, "datetime", f"Time column '{column}' holds date-times."
    bad = text[ts.isna()].head(1)
    eg = f" (e.g. '{bad.iloc[0][:40]}' in data row {int(bad.index[0]) + 1})" if len(bad) else ""
    raise DataError(f"'{name}': column '{column}' looks like the time column but most of its "
                    f"values are not times or numbers{eg}. Fix the column or name another one "
                    "as time.")


def _time_report(t: np.ndarray, column: str) -> list[str]:
    """Repeated timestamps and gaps (t sorted)."""
    lines = []
    if len(t) < 3:
        return lines
    dt = np.diff(t)
    repeats = int((dt == 0).sum())
    if repeats:
        lines.append(f"{repeats} row(s) repeat the time of the row before; kept them in file order.")
    pos = dt[dt > 0]
    if len(pos):
        step = float(np.median(pos))
        big = dt > max(3 * step, step + 1e-9)
        if big.any():
            k = int(np.argmax(dt))
            lines.append(f"Time has {int(big.sum())} gap(s) longer than {3 * step:g} s (the usual "
                         f"step is {step:g} s); the longest is {dt[k]:g} s, after "
                         f"{column} = {t[k]:g}. Rows are not invented; use resampling to get a "
                         "fixed rate.")
    return lines


# ---------------------------------------------------------------------------- resampling
def _to_grid(t: np.ndarray, x: np.ndarray, grid: np.ndarray, max_gap: float) -> np.ndarray:
    """Values of (t, x) on ``grid``: mean of the samples in each grid cell when the source is
    faster, linear interpolation otherwise; NaN where the nearest sample is beyond ``max_gap``."""
    ok = np.isfinite(t) & np.isfinite(x)
    t, x = t[ok], x[ok]
    out = np.full(grid.shape, np.nan)
    if len(t) < 2 or len(grid) == 0:
        return out
    order = np.argsort(t, kind="stable")
    t, x = t[order], x[order]
    step = float(grid[1] - grid[0]) if len(grid) > 1 else 1.0
    src_step = float(np.median(np.diff(t))) if len(t) > 1 else step
    if src_step < step / 1.5:                       # downsample: average within each cell
        edges = np.searchsorted(t, np.r_[grid - step / 2, grid[-1] + step / 2])
        csum = np.r_[0.0, np.cumsum(x)]
        n = np.diff(edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (csum[edges[1:]] - csum[edges[:-1]]) / n
        have = n > 0
        out[have] = means[have]
        if (~have).any() and have.sum() >= 2:
            out[~have] = np.interp(grid[~have], grid[have], means[have])
    else:
        ut, idx = np.unique(t, return_index=True)   # repeated times: first value
        if len(ut) < 2:
            return out
        out = np.interp(grid, ut, x[idx])
    pos = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
    nearest = np.minimum(np.abs(t[pos] - grid), np.abs(t[pos - 1] - grid))
    across = (t[pos] - t[pos - 1] > max_gap) & (nearest > min(step, src_step) / 2 + 1e-9)
    out[(nearest > max_gap) | across | (grid < t[0] - step / 2) | (grid > t[-1] + step / 2)] = np.nan
    return out


def resample(ds: Dataset, rate_hz: float, *, max_gap_s: float | None = None) -> Dataset:
    """``ds`` on a fixed clock of ``rate_hz`` samples per second (new Dataset).

    Faster data is averaged over each step, slower data interpolated linearly; grid points
    farther than ``max_gap_s`` (default: 3 source steps, at least 2 grid steps) from any sample
    stay empty, and rows where every sensor is empty are dropped (counted in the report).
    """
    if not rate_hz or rate_hz <= 0 or not np.isfinite(rate_hz):
        raise DataError(f"The resampling rate must be a positive number of samples per second, "
                        f"not {rate_hz!r}.")
    t = ds.times
    fin = t[np.isfinite(t)]
    if len(fin) < 2:
        raise DataError(f"'{ds.name}' has too few timed rows to resample.")
    step = 1.0 / rate_hz
    start, stop = np.ceil(fin.min() / step) * step, fin.max()
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n > 20_000_000:
        raise DataError(f"Resampling '{ds.name}' at {rate_hz:g} Hz would make {n:,} rows; "
                        "choose a lower rate.")
    grid = start + step * np.arange(n)
    dts = np.diff(np.sort(fin))
    src_step = float(np.median(dts[dts > 0])) if (dts > 0).any() else step
    gap = max_gap_s if max_gap_s is not None else max(3 * src_step, 2 * step)
    tcol = ds.time_column or "time"
    frame = pd.DataFrame({tcol: grid})
    for c in ds.columns:
        frame[c] = _to_grid(t, ds.frame[c].to_numpy(dtype=float), grid, gap)
    empty = frame[ds.columns].isna().all(axis=1)
    report = list(ds.report) + [f"Resampled to {rate_hz:g} Hz ({len(ds)} rows -> {n} rows; "
                                "faster data averaged, slower data interpolated)."]
    if empty.any():
        report.append(f"{int(empty.sum())} resampled row(s) fall in gaps without data; dropped.")
        frame = frame[~empty].reset_index(drop=True)
    units = dict(ds.units)
    units.setdefault(tcol, "s")
    return replace(ds, frame=frame, time_column=tcol, report=report, units=units,
                   time_kind=ds.time_kind if ds.time_column else "seconds")


# ---------------------------------------------------------------------------- load_csv
def load_csv(source: PathOrFile, time_column: str | None = None, *, name: str | None = None,
             resample_hz: float | None = None) -> Dataset:
    """Read a PEMS/OBD CSV export into a ``Dataset``; raises ``DataError`` for unusable input.

    ``time_column`` names the time column (header name with or without its unit); by default a
    column named like time/timestamp/elapsed, or a first column of date-times or clock times, is
    used, else the row number. Delimiter (, ; tab |), decimal comma, encoding (UTF-8/16, CP949,
    Latin-1), metadata lines above the header, a units row under it, units in the header, junk
    values, empty/constant/duplicate columns, unsorted or repeated times and gaps are handled;
    each fix is a line of ``Dataset.report``. ``resample_hz`` puts the data on a fixed clock
    (see ``resample``). Anything else that goes wrong is a ``DataError``, never another error.
    """
    label = name or (Path(str(source)).name if isinstance(source, (str, Path)) else
                     Path(str(getattr(source, "name", None) or "uploaded file")).name)
    try:
        ds = _load_csv(source, time_column, name)
        if resample_hz is not None:
            ds = resample(ds, resample_hz)
        return ds
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"'{label}' is too large to load in this computer's memory. Split it "
                        "into smaller files.") from None
    except Exception as exc:  # noqa: BLE001 - the promise is: bad input -> DataError only
        raise DataError(f"'{label}' could not be read as a sensor table ({type(exc).__name__}: "
                        f"{str(exc)[:200]}). Check that it is a CSV export with one header row "
                        "and one row per time step.") from None


def _load_csv(source: PathOrFile, time_column: str | None, name: str | None) -> Dataset:
    report: list[str] = []
    data, file_name = _read_bytes(source)
    name = name or file_name
    if not data[:65536].strip() and not data.strip():
        raise DataError(f"'{name}' is empty. Choose a CSV file with a header row and data rows.")
    body = _to_utf8(data, name, report)
    del data
    if not body[:65536].strip() and not body.strip():
        raise DataError(f"'{name}' is empty. Choose a CSV file with a header row and data rows.")
    head_bytes = body[:256 * 1024]
    head = head_bytes.decode("utf-8", errors="ignore")
    low = head[:4096].lower().lstrip()
    if any(tag in low for tag in ("<html", "<!doctype", "<head>", "<body")):
        raise DataError(f"'{name}' is a web page (HTML), not a CSV. It was probably saved from a "
                        "browser; download the raw CSV file instead.")
    if low.startswith("<?xml"):
        raise DataError(f"'{name}' is an XML file, not a CSV. Export the data as CSV.")
    if low.startswith(("{", "[{")):
        raise DataError(f"'{name}' looks like JSON, not a CSV. Export the data as CSV.")
    lines = re.split(r"\r\n|\r|\n", head)
    if len(head_bytes) < len(body):
        lines = lines[:-1]                          # the last line of the sample may be cut
    lines = lines[:400]
    if not any(ln.strip() for ln in lines):
        raise DataError(f"'{name}' has no readable lines in its first 256 KB; it is not a CSV "
                        "table (one header row, then one row per time step).")
    delim, header_at, n_fields, units_row, first_data = _sniff_layout(lines)
    decimal = "," if _decimal_comma(lines[first_data:first_data + 100], delim) else "."
    if delim != ",":
        report.append({";": "Columns are separated by semicolons.",
                       "\t": "Columns are separated by tabs.",
                       "|": "Columns are separated by '|'."}[delim])
    if decimal == ",":
        report.append("Numbers use a decimal comma (1,5); read them as 1.5.")
    skipped = [i for i in range(header_at if header_at >= 0 else first_data) if lines[i].strip()]
    if skipped:
        report.append(f"Skipped {len(skipped)} metadata/comment line(s) above the header.")

    # Header names and units.
    header = _fields(lines[header_at], delim) if header_at >= 0 else []
    unit_cells = _fields(lines[first_data - 1], delim) if units_row else []
    width = max(len(header), n_fields)
    units: dict[str, str] = {}
    raw_names: dict[str, str] = {}
    names: list[str] = []
    if header_at < 0:
        report.append(f"No header row found; columns are named column_1 … column_{width}.")
    for i in range(width):
        raw_name = header[i] if i < len(header) else ""
        clean, unit = _split_unit(raw_name) if header_at >= 0 else (f"column_{i + 1}", "")
        if units_row and i < len(unit_cells) and unit_cells[i].strip():
            unit = unit or unit_cells[i].strip().strip("[]()").strip()
        base, k = clean, 2
        while clean and clean in names:
            clean = f"{base}_{k}"
            k += 1
        if clean != base and base:
            report.append(f"Column name '{base}' appears more than once; renamed to '{clean}'.")
        names.append(clean or f"__blank{i}")
        if clean:
            units[clean] = unit
            raw_names[clean] = raw_name
    if units_row:
        report.append("Read the units from the row under the header.")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = pd.read_csv(io.BytesIO(body), sep=delim, header=None, names=names,
                              skiprows=first_data, index_col=False, skipinitialspace=True,
                              decimal=decimal, keep_default_na=False, na_values=[""],
                              on_bad_lines="warn", encoding="utf-8", engine="c", low_memory=False,
                              skip_blank_lines=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
            raise DataError(f"'{name}' could not be read as a table ({str(exc).strip()[:200]}). "
                            "Check that every row has the same number of separators and that "
                            "quotes are closed.") from None
    del body
    bad = [str(w.message) for w in caught if "Skipping line" in str(w.message)]
    n_bad = sum(m.count("Skipping line") for m in bad)
    if n_bad:
        where = re.search(r"line (\d+)", bad[0])
        if n_bad > max(len(raw), 1):
            raise DataError(f"'{name}': most rows have a different number of fields than the "
                            f"header (e.g. line {where.group(1) if where else '?'}). Check the "
                            "separator and that every row has the same number of columns.")
        report.append(f"Skipped {n_bad} row(s) with too many fields (e.g. line "
                      f"{where.group(1) if where else '?'}).")
    if raw.shape[0] == 0:
        raise DataError(f"'{name}' has a header but no data rows. Choose a file with one row "
                        "per time step under the header.")

    blank = [c for c in raw.columns if c.startswith("__blank")]
    if blank:
        if all(raw[c].isna().all() for c in blank):
            report.append(f"Dropped {len(blank)} empty column(s) without a name "
                          "(e.g. a separator at the end of every row).")
        else:
            report.append(f"Dropped {len(blank)} column(s) without a name in the header.")
        raw = raw.drop(columns=blank)
    if raw.shape[1] == 0:
        raise DataError(f"'{name}' has no named columns. The first row must name the columns.")

    tcol = _find_time_column(raw, time_column, name, raw_names)
    out: dict[str, np.ndarray] = {}     # converted columns; numeric ones are kept as read
    keep: list[str] = []
    time_kind = "row"
    if tcol is not None:
        secs, time_kind, line = _time_to_seconds(raw[tcol], tcol, units.get(tcol, ""), name)
        out[tcol] = secs
        keep.append(tcol)
        report.append(line)
    else:
        report.append("No time column found; the row number is used as the clock (1 row = 1 step).")

    non_numeric, empty, constant = [], [], []
    for col in raw.columns:
        if col == tcol:
            continue
        s = raw[col]
        if pd.api.types.is_float_dtype(s):
            numeric = s
            junk = 0
            examples = []
        elif pd.api.types.is_numeric_dtype(s):
            numeric = s.astype(float)
            junk = 0
            examples: list[str] = []
        else:
            text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
            present = text != ""
            if decimal == ",":
                text = text.str.replace(",", ".", regex=False)
            numeric = pd.to_numeric(text.where(present, None), errors="coerce").astype(float)
            bad_cells = present & numeric.isna()
            if present.sum() and (~bad_cells[present]).mean() < 0.5:
                non_numeric.append(col)
                continue
            junk = int(bad_cells.sum())
            examples = list(dict.fromkeys(text[bad_cells].head(200)))[:3]
        filled = numeric.notna().mean() if len(numeric) else 0.0
        if filled < 0.05:
            empty.append(col)
            continue
        values = numeric.to_numpy(dtype=float)
        if np.nanmin(values) == np.nanmax(values):
            constant.append(col)
            continue
        if junk:
            eg = ", ".join(f"'{e}'" for e in examples)
            report.append(f"Column '{col}': {junk} non-numeric value(s) (e.g. {eg}) treated as "
                          "missing.")
        keep.append(col)
        if numeric is not s:
            out[col] = values
    if non_numeric:
        report.append("Dropped non-numeric column(s): "
                      + ", ".join(f"'{c}'" for c in non_numeric) + ".")
    if empty:
        report.append("Dropped mostly-empty column(s) (under 5 % filled): "
                      + ", ".join(f"'{c}'" for c in empty) + ".")
    if constant:
        report.append("Dropped constant column(s) (one value throughout, nothing to learn): "
                      + ", ".join(f"'{c}'" for c in constant) + ".")
    frame = raw[keep]
    for col, values in out.items():
        frame[col] = values
    del raw
    sensors = [c for c in frame.columns if c != tcol]
    if not sensors:
        raise DataError(f"'{name}' has no numeric sensor columns. A usable file has one row per "
                        "time step and columns of numbers (e.g. speed, rpm, NOx).")

    if tcol is not None:
        bad_t = frame[tcol].isna() | ~np.isfinite(frame[tcol])
        if bad_t.any():
            report.append(f"Dropped {int(bad_t.sum())} row(s) without a valid time.")
            frame = frame[~bad_t]
        if not frame[tcol].is_monotonic_increasing:
            frame = frame.sort_values(tcol, kind="stable")
            report.append("Rows were not in time order; sorted by time (ties keep file order).")
    before = len(frame)
    frame = frame.dropna(how="all", subset=sensors).reset_index(drop=True)
    if len(frame) < before:
        report.append(f"Dropped {before - len(frame)} row(s) with no sensor values.")
    if tcol is not None:
        report.extend(_time_report(frame[tcol].to_numpy(dtype=float), tcol))
    if len(frame) < MIN_ROWS:
        raise DataError(f"'{name}' has only {len(frame)} usable row(s); at least {MIN_ROWS} are "
                        "needed to train and test a model. Use a longer recording.")
    units = {c: units.get(c, "") for c in frame.columns}
    return Dataset(frame, tcol, report, units, name=name, time_kind=time_kind)


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
