"""Getting a file's bytes: paths and uploaded file objects, the size limits, encodings
(UTF-8/16, CP949, Western European) and refusing binary files, web pages, XML and JSON.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Union

from .dataset import DataError
from ..i18n import _

MAX_BYTES = 200 * 1024 * 1024      # default limit of browser uploads (the Data page passes it)
STREAM_FROM_BYTES = 16 * 2**20     # larger inputs: parsed from the file on disk, in row chunks
CHUNK_BYTES = 4 * 2**20            # files are read and checked this much at a time

PathOrFile = Union[str, Path, IO[bytes], IO[str]]


def big(size: int) -> bool:
    """Inputs over ``STREAM_FROM_BYTES`` are parsed from the file on disk and in row chunks."""
    return size > STREAM_FROM_BYTES


# The one table of first bytes: (magic, kind, what the file is). Kinds "parquet", "mdf" and
# "zip" (an .xlsx is a zip) are read by ``load_file``; the others are refused with the advice.
MAGIC = (
    (b"PAR1", "parquet", "a Parquet file"),
    (b"MDF     ", "mdf", "an ASAM MDF measurement file"),
    (b"UnFinMF ", "mdf", "an ASAM MDF measurement file (not finalised)"),
    (b"PK\x03\x04", "zip", "an Excel workbook or a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "ole", "an old Excel (.xls) or encrypted workbook. Open it and save "
     "the sheet as .xlsx or CSV"),
    (b"\x1f\x8b", "binary", "a gzip-compressed file. Unpack it first"),
    (b"BZh", "binary", "a bzip2-compressed file. Unpack it first"),
    (b"7z\xbc\xaf", "binary", "a 7-Zip archive. Unpack it first"),
    (b"%PDF", "binary", "a PDF document. Export the data as CSV instead"),
    (b"\x89PNG", "binary", "a PNG image. Export the data as CSV"),
    (b"\xff\xd8\xff", "binary", "a JPEG image. Export the data as CSV"),
    (b"SQLite format", "binary", "an SQLite database. Export the table as CSV"),
    (b"\x93NUMPY", "binary", "a NumPy file. Save the array as CSV"),
)
HEAD_BYTES = 16                    # enough for every magic above
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
MDF_SUFFIXES = {".mf4", ".mdf"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".dat", ".log", ""}
SUFFIXES = PARQUET_SUFFIXES | EXCEL_SUFFIXES | MDF_SUFFIXES | CSV_SUFFIXES
READERS = {"parquet": "Parquet file", "excel": "Excel workbook (.xlsx)",
           "mdf": "ASAM MDF measurement file"}     # the formats ``load_file`` reads besides CSV


def kind(head: bytes, name: str) -> str:
    """What a file is, from its first bytes, else its suffix: 'parquet', 'excel', 'mdf', 'zip',
    'binary' (refused, see ``MAGIC``) or 'csv' (text; the CSV reader checks the rest)."""
    suffix = Path(name).suffix.lower()
    for magic, what, __ in MAGIC:
        if head.startswith(magic):
            if what == "zip":
                return "excel" if suffix in EXCEL_SUFFIXES else "zip"
            if what == "ole":
                return "excel" if suffix in EXCEL_SUFFIXES else "binary"
            return what
    for what, suffixes in (("parquet", PARQUET_SUFFIXES), ("excel", EXCEL_SUFFIXES),
                           ("mdf", MDF_SUFFIXES)):
        if suffix in suffixes:
            return what
    return "csv"


def magic_of(head: bytes) -> tuple[str, str] | None:
    """(kind, what) of the ``MAGIC`` entry ``head`` starts with, or None."""
    return next(((k, w) for m, k, w in MAGIC if head.startswith(m)), None)


def source_name(source: PathOrFile) -> str:
    """The file name messages use: a path's name, an upload's ``.name``, or 'uploaded file'."""
    if isinstance(source, (str, Path)):
        return Path(source).name
    return Path(str(getattr(source, "name", None) or "uploaded file")).name


def too_big(name: str, size: int, limit: int) -> DataError:
    return DataError(_("File '{name}' is {value:.0f} MB; the limit is {value2:.0f} MB for "
                        "uploads. Load it from Python or the command line (no limit "
                        "there), or split the drive into smaller files.",
                        name=name, value=size / 2**20, value2=limit / 2**20))


def path_size(path: Path, limit: int | None = None) -> int:
    """Size of the file at ``path``; a missing path, a folder, a device or a file over ``limit``
    (None: no limit) is a DataError that says so."""
    try:
        if not path.exists():
            raise DataError(_("File '{path}' does not exist. Check the path and try again.",
                               path=path))
        if path.is_dir():
            raise DataError(_("'{path}' is a folder, not a data file.", path=path))
        if not path.is_file():
            raise DataError(_("'{path}' is not a regular file (a device or pipe?). Choose "
                               "a data file.", path=path))
        size = path.stat().st_size
    except OSError as exc:
        raise _unopenable(path, exc) from None
    if limit is not None and size > limit:
        raise too_big(path.name, size, limit)
    return size


def _unopenable(path: Path, exc: OSError) -> DataError:
    return DataError(_("Could not open '{path}' ({v}). Check that the file exists and you "
                        "may read it.", path=path, v=exc.strerror or exc))


def read(source: PathOrFile | bytes, limit: int | None = None) -> bytes:
    """The whole content of ``source`` (a path, an uploaded/open file in bytes or text, or bytes
    already read), the one byte reader of the package. ``limit`` (None: no limit) refuses larger
    inputs with a DataError; only the UI passes one (``MAX_BYTES``, the browser's limit)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        path_size(path, limit)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise _unopenable(path, exc) from None
    else:
        data = _read_upload(source, limit)
    if limit is not None and len(data) > limit:
        raise too_big(source_name(source), len(data), limit)
    return data


def _read_upload(source, limit: int | None) -> bytes:
    name = source_name(source)
    try:
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(limit + 1) if limit is not None else source.read()
    except (OSError, ValueError) as exc:
        raise DataError(_("Could not read '{name}' ({exc}). Try uploading it again.", name=name,
                           exc=exc)) from None
    if data is None:
        return b""
    if isinstance(data, str):
        return data.encode("utf-8", errors="surrogatepass")
    return bytes(data)


def head(source: PathOrFile | bytes, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes (for ``kind``) without reading the rest of a file on disk; b"" when a
    path cannot be opened (the reader then says why)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:n])
    if isinstance(source, (str, Path)):
        try:
            with open(source, "rb") as fh:
                return fh.read(n)
        except OSError:
            return b""
    return read(source)[:n]


def _decodes(data: bytes, encoding: str) -> bool:
    """True when all of ``data`` decodes strictly (checked in chunks, memory stays small)."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for i in range(0, len(data), CHUNK_BYTES):
            dec.decode(data[i:i + CHUNK_BYTES], final=False)
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
    found = magic_of(head)
    if found:
        what, __, advice = found[1].partition(". ")
        if found[0] in ("parquet", "mdf", "zip"):
            advice = ("Read it with load_file (CSV, Parquet, xlsx and MF4), or choose a CSV "
                      "export")
        raise DataError(_("'{name}' is a binary file ({what}), not a CSV text file. {v}.",
                           name=name, what=what, v=advice or 'Export the data as CSV'))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(_("'{name}' claims to be UTF-16 text but is damaged. Save it "
                               "again as CSV (UTF-8).", name=name)) from None
        report.append(_("File is UTF-16 text; converted to UTF-8."))
        return text.encode("utf-8", errors="replace")
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 27), *range(28, 32)))
    if b"\x00" in head or controls > max(2, len(head) // 100):
        raise DataError(_("'{name}' looks like a binary file, not a CSV text file. Export "
                           "the data as CSV (comma- or semicolon-separated text).",
                           name=name))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        report.append(_("Removed the UTF-8 byte-order mark (BOM) at the start of the file."))
    if _decodes(data, "utf-8"):
        return data
    if _decodes(data, "cp949") and _looks_korean(data):
        report.append(_("File is not UTF-8; read it as Korean text (CP949/EUC-KR)."))
        return data.decode("cp949").encode("utf-8")
    encoding = "cp1252" if _decodes(data, "cp1252") else "latin-1"
    report.append(_("File is not UTF-8; read it as Western European text ({encoding}).",
                     encoding=encoding))
    return data.decode(encoding).encode("utf-8")


def _stream_utf8_path(source: PathOrFile, report: list[str], max_bytes: int | None = None
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
        if not big(size) or (max_bytes is not None and size > max_bytes):
            return None
        with open(path, "rb") as fh:
            head = fh.read(256 * 1024)
            if not head.strip() or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return None
            if b"\x00" in head[:4096] or magic_of(head) is not None:
                return None
            dec = codecs.getincrementaldecoder("utf-8")("strict")
            fh.seek(0)
            while chunk := fh.read(CHUNK_BYTES):
                dec.decode(chunk, final=False)
            dec.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
        report.append(_("Removed the UTF-8 byte-order mark (BOM) at the start of the file."))
    return path, head, size, path.name


@dataclass
class Source:
    """A file ready to sniff and parse.

    body   the whole text as UTF-8 bytes, or the path of a big UTF-8 file pandas reads itself;
           ``parse.read_table`` takes it (leaves b"") so the bytes are freed after the parse.
    lines  the first lines (at most 400, from the first 256 KB; a line cut by the sample end is
           left out) for sniffing the layout.
    total  size in bytes;  name  the name messages use;  bom  a UTF-8 BOM is still in ``body``.
    """

    body: Path | bytes
    lines: list[str]
    total: int
    name: str
    bom: bool


def open_source(source: PathOrFile, name: str | None, report: list[str],
                max_bytes: int | None = None) -> Source:
    """Read ``source`` (a big UTF-8 file on disk is only checked, not read into memory), refuse
    what is not CSV text or is over ``max_bytes`` (None: no limit), and take the first lines for
    sniffing."""
    streamed = _stream_utf8_path(source, report, max_bytes)
    if streamed is not None:                  # a big UTF-8 file on disk: pandas reads the file
        body, head_bytes, total, file_name = streamed
        name = name or file_name
        bom = bool(report) and "BOM" in report[-1]
    else:
        data = read(source, max_bytes)
        name = name or source_name(source)
        body = _to_utf8(data, name, report)
        del data
        if not body[:65536].strip() and not body.strip():
            raise DataError(_("'{name}' is empty. Choose a CSV file with a header row and "
                               "data rows.", name=name))
        head_bytes, total, bom = body[:256 * 1024], len(body), False
    head = head_bytes.decode("utf-8", errors="ignore")
    _refuse_markup(head, name)
    lines = re.split(r"\r\n|\r|\n", head)
    if len(head_bytes) < total:
        lines = lines[:-1]                          # the last line of the sample may be cut
    lines = lines[:400]
    if not any(ln.strip() for ln in lines):
        raise DataError(_("'{name}' has no readable lines in its first 256 KB; it is not "
                           "a CSV table (one header row, then one row per time step).",
                           name=name))
    return Source(body, lines, total, name, bom)


def _refuse_markup(head: str, name: str) -> None:
    """Web pages, XML and JSON saved as .csv get a DataError that says what they are."""
    low = head[:4096].lower().lstrip()
    if any(tag in low for tag in ("<html", "<!doctype", "<head>", "<body")):
        raise DataError(_("'{name}' is a web page (HTML), not a CSV. It was probably "
                           "saved from a browser; download the raw CSV file instead.",
                           name=name))
    if low.startswith("<?xml"):
        raise DataError(_("'{name}' is an XML file, not a CSV. Export the data as CSV.",
                           name=name))
    if low.startswith(("{", "[{")):
        raise DataError(_("'{name}' looks like JSON, not a CSV. Export the data as CSV.",
                           name=name))
