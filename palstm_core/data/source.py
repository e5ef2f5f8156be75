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

MAX_BYTES = 200 * 1024 * 1024      # default limit of browser uploads (the Data page passes it)
STREAM_FROM_BYTES = 16 * 2**20     # larger inputs: parsed from the file on disk, in row chunks
CHUNK_BYTES = 4 * 2**20            # files are read and checked this much at a time

PathOrFile = Union[str, Path, IO[bytes], IO[str]]


def big(size: int) -> bool:
    """Inputs over ``STREAM_FROM_BYTES`` are parsed from the file on disk and in row chunks."""
    return size > STREAM_FROM_BYTES


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


def source_name(source: PathOrFile) -> str:
    """The file name messages use: a path's name, an upload's ``.name``, or 'uploaded file'."""
    if isinstance(source, (str, Path)):
        return Path(source).name
    return Path(str(getattr(source, "name", None) or "uploaded file")).name


def _too_big(name: str, size: int, limit: int) -> DataError:
    return DataError(f"File '{name}' is {size / 2**20:.0f} MB; the limit is "
                     f"{limit / 2**20:.0f} MB for uploads. Load it from Python or the command "
                     "line (no limit there), or split the drive into smaller files.")


def _read_bytes(source: PathOrFile, max_bytes: int | None = None) -> tuple[bytes, str]:
    """Return the raw bytes and a display name, from a path or an (uploaded) file object;
    larger than ``max_bytes`` (None: no limit) is a DataError."""
    limit = max_bytes if max_bytes is not None else float("inf")
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
            if size > limit:
                raise _too_big(path.name, size, max_bytes)
            return path.read_bytes(), path.name
        except OSError as exc:
            raise DataError(f"Could not open '{path}' ({exc.strerror or exc}). Check that the "
                            "file exists and you may read it.") from None
    name = source_name(source)
    try:
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(max_bytes + 1) if max_bytes is not None else source.read()
    except (OSError, ValueError) as exc:
        raise DataError(f"Could not read '{name}' ({exc}). Try uploading it again.") from None
    if data is None:
        data = b""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    if len(data) > limit:
        raise _too_big(name, len(data), max_bytes)
    return bytes(data), name


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
            if b"\x00" in head[:4096] or any(head.startswith(m) for m, _ in _MAGIC):
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
        report.append("Removed the UTF-8 byte-order mark (BOM) at the start of the file.")
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
        data, file_name = _read_bytes(source, max_bytes)
        name = name or file_name
        body = _to_utf8(data, name, report)
        del data
        if not body[:65536].strip() and not body.strip():
            raise DataError(f"'{name}' is empty. Choose a CSV file with a header row and data "
                            "rows.")
        head_bytes, total, bom = body[:256 * 1024], len(body), False
    head = head_bytes.decode("utf-8", errors="ignore")
    _refuse_markup(head, name)
    lines = re.split(r"\r\n|\r|\n", head)
    if len(head_bytes) < total:
        lines = lines[:-1]                          # the last line of the sample may be cut
    lines = lines[:400]
    if not any(ln.strip() for ln in lines):
        raise DataError(f"'{name}' has no readable lines in its first 256 KB; it is not a CSV "
                        "table (one header row, then one row per time step).")
    return Source(body, lines, total, name, bom)


def _refuse_markup(head: str, name: str) -> None:
    """Web pages, XML and JSON saved as .csv get a DataError that says what they are."""
    low = head[:4096].lower().lstrip()
    if any(tag in low for tag in ("<html", "<!doctype", "<head>", "<body")):
        raise DataError(f"'{name}' is a web page (HTML), not a CSV. It was probably saved from a "
                        "browser; download the raw CSV file instead.")
    if low.startswith("<?xml"):
        raise DataError(f"'{name}' is an XML file, not a CSV. Export the data as CSV.")
    if low.startswith(("{", "[{")):
        raise DataError(f"'{name}' looks like JSON, not a CSV. Export the data as CSV.")
