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
MAX_COLUMNS = 2000                 # a wider table is not a sensor log (or the separator is wrong)

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
    (b"\x89PNG", "a PNG image. Export the data as CSV"),
    (b"\xff\xd8\xff", "a JPEG image. Export the data as CSV"),
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
            if not path.is_file():
                raise DataError(f"'{path}' is not a regular file (a device or pipe?). Choose a "
                                "CSV file.")
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
    good = hangul = 0
    for ch in chars:
        raw = ch.encode("cp949")                  # the bytes it came from (exact round trip)
        if len(raw) == 2 and raw[0] >= 0xA1 and raw[1] >= 0xA1:     # KS X 1001 (EUC-KR) range
            good += 1
            hangul += "\uac00" <= ch <= "\ud7a3"
    return good >= 0.8 * len(chars) and hangul >= 0.5 * good


def _to_utf8(data: bytes, name: str, report: list[str]) -> bytes:
    """Return the file as UTF-8 bytes without BOM, or raise DataError for non-text files."""
    head = data[:4096]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            kind, _, advice = what.partition(". ")
            raise DataError(f"'{name}' is a binary file ({kind}), not a CSV text file. "
                            f"{advice or 'Export the data as CSV'}.")
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
        report.append("Removed the UTF-8 byte-order mark (BOM) at the start of the file.")
    if _decodes(data, "utf-8"):
        return data
    if _decodes(data, "cp949") and _looks_korean(data):
        report.append("File is not UTF-8; read it as Korean text (CP949/EUC-KR).")
        return data.decode("cp949").encode("utf-8")
    encoding = "cp1252" if _decodes(data, "cp1252") else "latin-1"
    report.append(f"File is not UTF-8; read it as Western European text ({encoding}).")
    return data.decode(encoding).encode("utf-8")


STREAM_FROM_BYTES = 16 * 2**20     # files on disk larger than this are parsed from the file


CHUNKED_FROM_BYTES = STREAM_FROM_BYTES   # larger inputs are parsed in row chunks (less memory)
_CHUNK_ROWS = 100_000
_EXACT_INT = 2 ** 53


def _line_bound(body: Path | bytes) -> int:
    """An upper bound on the number of rows in ``body``: every row ends at a CR, an LF or EOF."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return body.count(b"\n") + body.count(b"\r") + 1
    n = 1
    with open(body, "rb") as fh:
        while chunk := fh.read(_CHUNK):
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


def _stream_utf8_path(source: PathOrFile, report: list[str]
                      ) -> tuple[Path, bytes, int, str] | None:
    """For a big plain UTF-8 file on disk: (path, first 256 KB, size, name) without reading the
    whole file into memory (it is validated chunk by chunk). None: use the in-memory path."""
    if not isinstance(source, (str, Path)):
        return None
    path = Path(source)
    try:
        if not path.is_file():
            return None
        size = path.stat().st_size
        if size <= STREAM_FROM_BYTES or size > MAX_BYTES:
            return None
        with open(path, "rb") as fh:
            head = fh.read(256 * 1024)
            if not head.strip() or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return None
            if b"\x00" in head[:4096] or any(head.startswith(m) for m, _ in _MAGIC):
                return None
            dec = codecs.getincrementaldecoder("utf-8")("strict")
            fh.seek(0)
            while chunk := fh.read(_CHUNK):
                dec.decode(chunk, final=False)
            dec.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
        report.append("Removed the UTF-8 byte-order mark (BOM) at the start of the file.")
    return path, head, size, path.name


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


def _raw_fields(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim), [])
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
            for i in ok:
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
                    u = _fields(lines[after[0]], delim)
                    d = _fields(lines[after[1]], delim) if len(after) == 2 else []
                    filled = [c for c in u if c.strip()]
                    if d:     # where the data below is numeric, a units row holds no numbers
                        pos = [k for k, c in enumerate(d) if _is_number(c)]
                        n_filled = len([c for c in d if c.strip()])
                        no_numbers = sum(k < len(u) and not _is_number(u[k]) for k in pos)
                        unit_like = bool(pos) and len(pos) >= 0.5 * n_filled \
                            and no_numbers >= 0.8 * len(pos) \
                            and any(k < len(u) and u[k].strip() for k in pos)
                    else:
                        unit_like = bool(filled) and not any(_is_number(c) for c in filled)
                    if unit_like:
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
    named = [c for c in frame.columns if _TIME_RE.match(str(c).strip().lower())]
    if named:       # "Date" + "Time" columns: the time (of day) column is the clock
        prefer = ("timestamp", "time_stamp", "datetime", "date_time", "date time", "time")
        return min(named, key=lambda c: (prefer.index(str(c).strip().lower())
                                         if str(c).strip().lower() in prefer else len(prefer)))
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
    if len(text) <= 20_000:           # slow (one parse per value): small files only
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
    src_step = float(np.median(np.diff(t)))
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


def _median_step(t: np.ndarray, default: float) -> float:
    """Median positive difference between successive finite values of ``t``, else ``default``."""
    dts = np.diff(t[np.isfinite(t)])
    dts = dts[dts > 0]
    return float(np.median(dts)) if len(dts) else default


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
    src_step = _median_step(np.sort(fin), step)
    gap = max_gap_s if max_gap_s is not None else max(3 * src_step, 2 * step)
    tcol = ds.time_column or "time"
    frame = pd.DataFrame({tcol: grid, **{
        c: _to_grid(t, ds.frame[c].to_numpy(dtype=float), grid, gap) for c in ds.columns}})
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
    streamed = _stream_utf8_path(source, report)
    if streamed is not None:                  # a big UTF-8 file on disk: pandas reads the file
        body, head_bytes, total, file_name = streamed
        name = name or file_name
        bom = bool(report) and "BOM" in report[-1]
    else:
        data, file_name = _read_bytes(source)
        name = name or file_name
        body = _to_utf8(data, name, report)
        del data
        if not body[:65536].strip() and not body.strip():
            raise DataError(f"'{name}' is empty. Choose a CSV file with a header row and data "
                            "rows.")
        head_bytes, total, bom = body[:256 * 1024], len(body), False
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
    if len(head_bytes) < total:
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
    if width > MAX_COLUMNS:
        raise DataError(f"'{name}' has {width} columns; at most {MAX_COLUMNS} are supported. "
                        "Keep the sensor columns you need (or check the separator).")
    units: dict[str, str] = {}
    raw_names: dict[str, str] = {}
    names: list[str] = []
    taken: set[str] = set()
    if header_at < 0:
        report.append(f"No header row found; columns are named column_1 … column_{width}.")
    for i in range(width):
        raw_name = header[i] if i < len(header) else ""
        clean, unit = _split_unit(raw_name) if header_at >= 0 else (f"column_{i + 1}", "")
        if units_row and i < len(unit_cells) and unit_cells[i].strip() and \
                not _is_number(unit_cells[i]):
            unit = unit or unit_cells[i].strip().strip("[]()").strip()
        base, k = clean, 2
        while clean and clean in taken:
            clean = f"{base}_{k}"
            k += 1
        if clean != base and base:
            report.append(f"Column name '{base}' appears more than once; renamed to '{clean}'.")
        names.append(clean or f"__blank{i}")
        taken.add(names[-1])
        if clean:
            units[clean] = unit
            raw_names[clean] = raw_name
    if units_row:
        report.append("Read the units from the row under the header.")
    elif any(units.values()):
        eg = next(raw_names[c] for c, u in units.items() if u)
        report.append(f"Read the units from the column names (e.g. '{eg.strip()}').")
    sample_rows = [ln for ln in lines[first_data:first_data + 50] if ln.strip()]
    if any(re.match(r"^[ \t]+\S", f) for ln in sample_rows for f in _raw_fields(ln, delim)):
        report.append("Removed spaces in front of values.")

    read_kw = dict(sep=delim, header=None, names=names, skiprows=first_data, index_col=False,
                   skipinitialspace=True, decimal=decimal, keep_default_na=False, na_values=[""],
                   on_bad_lines="warn", encoding="utf-8-sig" if bom else "utf-8", engine="c",
                   low_memory=False, skip_blank_lines=True)
    raw = None
    if total > CHUNKED_FROM_BYTES:     # big input: all-numeric tables are parsed chunk by chunk
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
                raise DataError(f"'{name}' could not be read as a table "
                                f"({str(exc).strip()[:200]}). Check that every row has the same "
                                "number of separators and that quotes are closed.") from None
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
        if pd.api.types.is_numeric_dtype(s):
            numeric = s if pd.api.types.is_float_dtype(s) else s.astype(float)
            junk, examples = 0, []
        else:
            text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
            present = text != ""
            if decimal == ",":
                text = text.str.replace(",", ".", regex=False)
            numeric = pd.to_numeric(text.where(present, None), errors="coerce").astype(float)
            bad_cells = present & numeric.isna()
            if decimal == "." and present.sum() and (~bad_cells[present]).mean() < 0.5 and \
                    text[present].head(200).str.fullmatch(r"[-+]?\d+,\d+").mean() > 0.5:
                numeric = pd.to_numeric(text.str.replace(",", ".", regex=False).where(
                    present, None), errors="coerce").astype(float)    # quoted "1,5" values
                bad_cells = present & numeric.isna()
                report.append(f"Column '{col}' uses decimal commas (1,5); read them as 1.5.")
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
        why = ""
        if constant or empty:
            why = (f" ({len(constant)} column(s) hold one constant value and {len(empty)} are "
                   "almost empty)")
        raise DataError(f"'{name}' has no usable numeric sensor columns{why}. A usable file has "
                        "one row per time step and columns of numbers that change (e.g. speed, "
                        "rpm, NOx).")

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


# ---------------------------------------------------------------------------- PEMS + OBD merge
_SPEED_RE = re.compile(r"(gps.?)?(vehicle.?)?(speed|velocity|vss)(.?gps)?", re.I)
_GAS_RES = (("CO2", re.compile(r"co2", re.I)), ("NOx", re.compile(r"no_?x|^no2?$", re.I)),
            ("CO", re.compile(r"^co([_ ].*)?$", re.I)), ("THC", re.compile(r"thc|^hc([_ ].*)?$", re.I)))
_FLOW_RE = re.compile(r"exh.*flow|flow.*exh|exhaust.?mass|^flow", re.I)
_DRIVER_RE = re.compile(r"fuel|maf|air.?flow|mass.?air|load|throttle|pedal|rpm|engine.?speed", re.I)


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
    src = _median_step(t, 1.0)
    step = float(grid[1] - grid[0]) if len(grid) > 1 else src
    return _to_grid(t, ds.frame[col].to_numpy(dtype=float), grid, max(3 * src, 2 * step))


def _own_grid(ds: Dataset, step: float) -> np.ndarray:
    t = ds.times
    lo, hi = np.nanmin(t), np.nanmax(t)
    return lo + step * np.arange(int(np.floor((hi - lo) / step + 1e-6)) + 1)


def _lag_curve(pems: Dataset, pcol: str, obd: Dataset, ocol: str, offset: float,
               grid: np.ndarray, max_k: int) -> np.ndarray:
    """r[k] = corr(PEMS[t + k·step], OBD[t]) for k = 0..max_k on the common grid."""
    x = _on_grid(pems, pcol, grid)
    y = _on_grid(obd, ocol, grid, offset)
    _, r = _xcorr(x, y, max(MIN_ROWS, len(grid) // 4))
    m = len(y)
    return r[m - 1:m + max_k]


def _auto_pairs(pems: Dataset, obd: Dataset) -> list[tuple[str, str]]:
    drivers = [c for c in obd.columns if _DRIVER_RE.search(c)]
    gases = [c for _, rx in _GAS_RES for c in pems.columns if rx.search(c)]
    gases = list(dict.fromkeys(gases))
    if not gases:
        gases = [c for c in pems.columns if _FLOW_RE.search(c)]
    return [(p, o) for p in gases for o in drivers]


def _shift_channels(pems: Dataset) -> list[str]:
    """Analyzer channels (gases) that carry the analyzer delay; GPS, weather, flow do not."""
    return [c for c in pems.columns if any(rx.search(c) for _, rx in _GAS_RES)]


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

    ``pems`` and ``obd`` are Datasets or anything ``load_csv`` accepts (path, uploaded file).
    ``ds.alignment`` = {"clock_offset_s", "obd_start_after_pems_s", "clock_method", "lag_s",
    "lag_method", "pair", "corr_before", "corr_after", "shifted", "rate_hz", "rows",
    "lag_curve": {"lag_s": [...], "r": [...]} (correlation of the pair at each candidate delay,
    for a plot) or None}; the same in words is in ``ds.report``. Raises ``DataError`` when the
    files cannot be aligned.
    """
    if pems is None or obd is None:
        raise DataError("merge_drives needs two files: the PEMS log first, then the OBD log.")
    if not isinstance(pems, Dataset):
        pems = load_csv(pems)
    if not isinstance(obd, Dataset):
        obd = load_csv(obd)
    try:
        rate_hz = float(rate_hz)
    except (TypeError, ValueError):
        rate_hz = float("nan")
    if not np.isfinite(rate_hz) or not 0.01 <= rate_hz <= 1000:
        raise DataError(f"The common rate must be between 0.01 and 1000 samples per second, "
                        f"not {rate_hz!r}.")
    step = 1.0 / rate_hz
    for ds, what in ((pems, "PEMS"), (obd, "OBD")):
        if len(ds) < 2 or not np.isfinite(ds.times).any():
            raise DataError(f"The {what} file '{ds.name}' has no usable time rows.")
    if pair is not None:
        pair = (str(pair[0]), str(pair[1]))
        if pair[0] not in pems.columns:
            raise DataError(f"The PEMS file '{pems.name}' has no column '{pair[0]}'. "
                            f"Its columns: {', '.join(pems.columns)}.")
        if pair[1] not in obd.columns:
            raise DataError(f"The OBD file '{obd.name}' has no column '{pair[1]}'. "
                            f"Its columns: {', '.join(obd.columns)}.")
    pairs = [pair] if pair is not None else _auto_pairs(pems, obd)
    report = [f"Merged PEMS '{pems.name}' and OBD '{obd.name}' at {rate_hz:g} Hz."]
    max_k = max(1, int(round(max_lag_s / step)))
    lag_in_offset = False

    # 1. clock offset
    if clock_offset is not None:
        offset, method = float(clock_offset), "given by the user"
    elif pems.time_kind == "datetime" and obd.time_kind == "datetime":
        offset, method = 0.0, "absolute date-time (both files have date-time clocks)"
    else:
        sp = next((c for c in pems.columns if _SPEED_RE.search(c)), None)
        so = next((c for c in obd.columns if _SPEED_RE.search(c) and "engine" not in c.lower()),
                  None)
        refs = [(sp, so)] if sp and so else pairs
        if not refs:
            raise DataError(f"Cannot line up '{pems.name}' and '{obd.name}': they do not both have "
                            "date-time clocks, and there is no speed channel or exhaust/engine "
                            "channel pair to match them by. Pass the clock offset in seconds.")
        gp, go = _own_grid(pems, step), _own_grid(obd, step)
        if len(gp) * len(go) == 0 or len(gp) + len(go) > 20_000_000:
            raise DataError("The files are too long to align at this rate; choose a lower rate.")
        found = []
        for ref in refs:
            x, y = _on_grid(pems, ref[0], gp), _on_grid(obd, ref[1], go)
            shifts, r = _xcorr(x, y, max(MIN_ROWS, min(len(gp), len(go)) // 4))
            if np.isfinite(r).any():
                found.append((float(np.nanmax(r)), ref, shifts, r))
        if not found:
            raise DataError(f"Cannot line up '{pems.name}' and '{obd.name}': the channels to match "
                            f"them by ({', '.join('/'.join(p) for p in refs)}) do not overlap "
                            "enough or do not vary. Pass the clock offset in seconds.")
        _, ref, shifts, r = max(found, key=lambda f: f[0])
        lag_in_offset = not (sp and so)
        if lag_in_offset:
            pairs = [ref]
        best = int(np.nanargmax(r))
        offset = float(gp[0] - go[0] + shifts[best] * step)
        method = (f"cross-correlation of '{ref[0]}' (PEMS) with '{ref[1]}' (OBD), r = "
                  f"{r[best]:.3f}")
        if lag_in_offset:
            method += "; no speed channel in both files, so this includes the analyzer delay"
    t_p, t_o = pems.times, obd.times + offset
    start = max(np.nanmin(t_p), np.nanmin(t_o))
    stop = min(np.nanmax(t_p), np.nanmax(t_o))
    if stop - start < (MIN_ROWS - 1) * step:
        raise DataError(
            f"'{pems.name}' and '{obd.name}' overlap for only {max(stop - start, 0):g} s after "
            f"lining up the clocks ({method}); at least {(MIN_ROWS - 1) * step:g} s are needed. "
            "Check that both files are from the same drive.")
    first = np.ceil(start / step - 1e-9) * step
    grid = first + step * np.arange(int(np.floor((stop - first) / step + 1e-6)) + 1)

    # 2. analyzer delay
    info_pair, before, after, curve_best = None, None, None, None
    if pairs:
        scored = []
        for p_col, o_col in pairs:
            curve = _lag_curve(pems, p_col, obd, o_col, offset, grid, max_k)
            if np.isfinite(curve).any():
                scored.append((float(np.nanmax(curve)), p_col, o_col, curve))
        if scored:
            _, p_col, o_col, curve_best = max(scored, key=lambda s: s[0])
            info_pair = (p_col, o_col)
            before = float(curve_best[0]) if np.isfinite(curve_best[0]) else None
    if lag is not None:
        lag_s, lag_method = float(lag), "given by the user"
    elif lag_in_offset:
        lag_s, lag_method = 0.0, "included in the clock offset"
    elif curve_best is not None:
        lag_s, lag_method = float(np.nanargmax(curve_best)) * step, "estimated"
    else:
        lag_s, lag_method = 0.0, "not estimated (no PEMS gas channel with an OBD driver)"
    if curve_best is not None:
        k = int(round(lag_s / step))
        after = float(curve_best[k]) if 0 <= k < len(curve_best) and np.isfinite(curve_best[k]) \
            else None

    # 3. output on the common grid
    shifted = [c for c in (shift if shift is not None else _shift_channels(pems))
               if c in pems.columns] if lag_s else []
    if shifted:
        grid = grid[grid + lag_s <= np.nanmax(t_p) + 1e-9]
    if len(grid) < MIN_ROWS:
        raise DataError(f"After removing the {lag_s:g} s analyzer delay, '{pems.name}' and "
                        f"'{obd.name}' share only {len(grid)} time steps; {MIN_ROWS} are needed.")
    tcol = pems.time_column or "time"
    both = set(pems.columns) & set(obd.columns)
    out = {tcol: grid}
    units = {tcol: pems.units.get(tcol, "s")}
    for c in obd.columns:
        name = f"{c}_obd" if c in both or c == tcol else c
        out[name] = _on_grid(obd, c, grid, offset)
        units[name] = obd.units.get(c, "")
    for c in pems.columns:
        name = f"{c}_pems" if c in both else c
        out[name] = _on_grid(pems, c, grid, -lag_s if c in shifted else 0.0)
        units[name] = pems.units.get(c, "")
    frame = pd.DataFrame(out)
    sensors = [c for c in frame.columns if c != tcol]
    empty = frame[sensors].isna().all(axis=1)
    if empty.any():
        frame = frame[~empty].reset_index(drop=True)
    if both:
        report.append("Columns in both files were renamed: "
                      + ", ".join(f"'{c}' -> '{c}_obd'/'{c}_pems'" for c in sorted(both)) + ".")
    obd_start = float(np.nanmin(t_o) - np.nanmin(t_p))
    report.append(f"Clocks lined up by {method}: the OBD log starts {obd_start:+g} s after the "
                  "PEMS log.")
    if info_pair:
        fmt = (lambda v: "n/a" if v is None else f"{v:.3f}")
        report.append(f"Analyzer delay {lag_s:g} s ({lag_method}) from '{info_pair[0]}' (PEMS) vs "
                      f"'{info_pair[1]}' (OBD): correlation {fmt(before)} before, {fmt(after)} "
                      "after the shift.")
    else:
        report.append(f"Analyzer delay {lag_s:g} s ({lag_method}).")
    if shifted:
        report.append(f"Moved {', '.join(shifted)} {lag_s:g} s earlier to undo the delay.")
    report.append(f"{len(frame)} rows over {len(frame) * step:g} s where both files have data.")
    if empty.any():
        report.append(f"{int(empty.sum())} time step(s) without data in either file dropped.")
    report += [f"PEMS: {line}" for line in pems.report] + [f"OBD: {line}" for line in obd.report]
    alignment = {
        "clock_offset_s": offset, "obd_start_after_pems_s": obd_start, "clock_method": method,
        "lag_s": lag_s, "lag_method": lag_method, "pair": info_pair, "corr_before": before,
        "corr_after": after, "shifted": shifted, "rate_hz": rate_hz, "rows": len(frame),
        "lag_curve": None if curve_best is None else {
            "lag_s": [round(k * step, 9) for k in range(len(curve_best))],
            "r": [None if not np.isfinite(v) else float(v) for v in curve_best]},
    }
    return Dataset(frame, tcol, report, units, name=f"{pems.name} + {obd.name}",
                   simulated=pems.simulated or obd.simulated,
                   time_kind=pems.time_kind if pems.time_column else "seconds",
                   alignment=alignment)


# ---------------------------------------------------------------------------- cleaning
def _hampel(x: np.ndarray, window: int, threshold: float, ratio: float) -> np.ndarray:
    """Boolean mask of spikes: |x - rolling median| > threshold · 1.4826 · rolling MAD (MAD
    floored at 1 % of the channel's median level) AND x at least ``ratio`` times the rolling
    median (or below 1/ratio of it). The ratio test keeps the fast but real rises of emission
    signals, which a plain Hampel filter flags by the hundred."""
    med = pd.Series(x).rolling(window, center=True, min_periods=1).median().to_numpy()
    dev = np.abs(x - med)
    mad = pd.Series(dev).rolling(window, center=True, min_periods=1).median().to_numpy()
    floor = 0.01 * float(np.nanmedian(np.abs(x))) + 1e-12
    with np.errstate(invalid="ignore"):
        big = dev > threshold * 1.4826 * np.maximum(mad, floor)
        jump = (x > ratio * np.maximum(med, 1e-12)) | (x < med / ratio)
    return big & jump & np.isfinite(x)


def clean(ds: Dataset, channels: list[str] | None = None, *, spikes: bool = True,
          drift: bool = True, window: int = 7, threshold: float = 6.0, ratio: float = 3.0,
          drift_window_s: float = 300.0, drift_tol: float = 0.03) -> Dataset:
    """Remove PEMS spikes and slow zero drift from ``channels``; returns a new Dataset.

    ``channels`` defaults to the gas channels (CO2, NOx, CO, THC ...). Spikes (condensate, analyzer
    glitches): a Hampel filter — rolling median over ``window`` samples, a sample more than
    ``threshold`` robust standard deviations (1.4826 · MAD) away AND ``ratio`` times above (or
    below 1/ratio of) the median is a spike. When three or more channels are cleaned, a peak
    that shows in two or more other gases at the same time (±1 sample) is a real engine event
    and is kept. Spikes are replaced by linear interpolation between their neighbours.
    Drift: a baseline is the rolling 2 % quantile over ``drift_window_s``; a straight line is
    fitted to it, and when it rises or falls by more than ``drift_tol`` of the channel's 5–95 %
    range over the drive, that line minus its start value is subtracted (a linear zero-drift
    correction, the analyzer zeroed at the start). Counts are in ``ds.report`` and in
    ``ds.cleaning`` = {column: {"spikes": n, "spike_rows": [row indices], "events_kept": n,
    "drift_corrected": bool, "drift": amount in the column's unit}}.
    """
    if channels is None:
        channels = _shift_channels(ds)
    channels = list(dict.fromkeys(str(c) for c in channels))
    missing = [c for c in channels if c not in ds.columns]
    if missing:
        raise DataError(f"'{ds.name}' has no column(s) {', '.join(map(repr, missing))} to clean. "
                        f"Columns are: {', '.join(ds.columns)}.")
    if int(window) < 3:
        raise DataError("The spike window must be at least 3 samples.")
    if not channels:
        raise DataError(f"'{ds.name}' has no exhaust gas columns to clean; choose the columns.")
    frame = ds.frame.copy()
    report = list(ds.report)
    cleaning: dict[str, dict] = dict(ds.cleaning or {})
    t = ds.times
    step = _median_step(t, 1.0)
    data = {c: frame[c].to_numpy(dtype=float).copy() for c in channels}
    masks = {c: (_hampel(x, int(window) | 1, float(threshold), float(ratio))
                 if spikes and np.isfinite(x).sum() >= int(window) else np.zeros(len(x), bool))
             for c, x in data.items()}
    near = {c: np.convolve(m.astype(int), [1, 1, 1], "same") > 0 for c, m in masks.items()}
    for col in channels:
        x = data[col]
        info = {"spikes": 0, "spike_rows": [], "events_kept": 0, "drift_corrected": False,
                "drift": 0.0}
        mask = masks[col]
        if len(channels) >= 3 and mask.any():
            others = sum(near[o].astype(int) for o in channels if o != col)
            shared = mask & (others >= 2)
            info["events_kept"] = int(shared.sum())
            mask = mask & ~shared
        if mask.any():
            good = ~mask & np.isfinite(x)
            idx = np.arange(len(x))
            x[mask] = np.interp(idx[mask], idx[good], x[good]) if good.sum() >= 2 else np.nan
            info["spikes"], info["spike_rows"] = int(mask.sum()), idx[mask].tolist()
        if drift and np.isfinite(x).sum() >= MIN_ROWS:
            w = max(5, int(round(drift_window_s / step)))
            base = pd.Series(x).rolling(w, center=True, min_periods=max(3, w // 4)).quantile(0.02)
            ok = base.notna().to_numpy() & np.isfinite(t)
            if ok.sum() >= 3:
                slope, _ = np.polyfit(t[ok], base.to_numpy()[ok], 1)
                t0, t1 = np.nanmin(t), np.nanmax(t)
                amount = float(slope * (t1 - t0))
                spread = float(np.nanpercentile(x, 95) - np.nanpercentile(x, 5))
                info["drift"] = amount
                if spread > 0 and abs(amount) > drift_tol * spread:
                    x = x - slope * (t - t0)
                    info["drift_corrected"] = True
        frame[col] = x
        cleaning[col] = info
        unit = ds.units.get(col, "")
        parts = [f"{info['spikes']} spike(s) replaced" if spikes else "spike removal off"]
        if info["events_kept"]:
            parts.append(f"{info['events_kept']} peak(s) seen in other gases too kept as real")
        parts.append((f"drift of {info['drift']:+.3g} {unit} over the drive corrected".replace(
            "  ", " ") if info["drift_corrected"] else "no drift to correct") if drift
            else "drift check off")
        report.append(f"Cleaned '{col}': " + "; ".join(parts) + ".")
    return replace(ds, frame=frame, report=report, cleaning=cleaning)


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
