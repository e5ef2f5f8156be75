"""The layout of a CSV from a sample of its first lines: delimiter, header line, units row,
first data line, decimal comma, and the column names and units the header gives.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from .dataset import DataError
from .numbers import looks_numeric, numeric_columns, reading
from ..i18n import _

MAX_COLUMNS = 2000                 # a wider table is not a sensor log (or the separator is wrong)


def _split_unit(raw: str) -> tuple[str, str]:
    """'Speed [km/h]' -> ('Speed', 'km/h'); 'NOx (ppm)' -> ('NOx', 'ppm'); 'rpm' -> ('rpm', '')."""
    raw = str(raw).strip().strip('"').strip()
    m = re.match(r"^(.*?)\s*[\[(]([^\[\]()]*)[\])]\s*$", raw)
    if m and m.group(1).strip():
        return m.group(1).strip(), m.group(2).strip()
    return raw, ""


def _fields(line: str, delim: str, skipinitialspace: bool = True) -> list[str]:
    """The cells of one line; spaces after a separator are dropped unless ``skipinitialspace``
    is False."""
    try:
        return next(csv.reader([line], delimiter=delim, skipinitialspace=skipinitialspace), [])
    except csv.Error:
        return line.split(delim)


def _is_number(text: str) -> bool:
    """A number in any of the usual writings (1.5, 1,5, 2,971, 1.234,5, 1e-05, -inf)."""
    return looks_numeric(text)


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
            first = [c for c in _fields(lines[nonblank[0]], delim) if c.strip()]
            textual = bool(first) and not _is_number(first[0])
            score = (0, 0, 0, freq, 0)
            cand = (delim, nonblank[0] if textual else -1, 1, False,
                    nonblank[0] + 1 if textual else nonblank[0])
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
            rows = [_fields(lines[i], delim) for i in body if counts[i] in (mode, mode - 1)]
            score = (1 if freq >= 0.8 else 0, numeric_columns(rows[:100]), int(textual), freq,
                     mode)
            cand = (delim, header, mode, units, first_data)
        if best_score is None or score > best_score:
            best, best_score = cand, score
    return best


@dataclass
class Layout:
    """What sniffing found: how to parse the data rows and what the columns are called.

    names      one name per field (``__blank<i>`` for a field without a name in the header).
    units      column -> unit ("" when unknown);  raw_names  column -> its header cell as written.
    """

    delim: str
    first_data: int
    decimal: str
    names: list[str]
    units: dict[str, str]
    raw_names: dict[str, str]
    thousands: str | None = None


def sniff(lines: list[str], name: str, report: list[str]) -> Layout:
    """The layout of a file from its first ``lines``; what was found goes to ``report``."""
    delim, header_at, n_fields, units_row, first_data = _sniff_layout(lines)
    cells = [c for ln in lines[first_data:first_data + 300] for c in _fields(ln, delim)]
    decimal, thousands, note = reading(cells)
    if delim == "," and decimal == ",":           # unquoted 1,5 cannot be told from two fields
        decimal, thousands, note = ".", None, ""
    _refuse_split_decimals(lines, delim, header_at, first_data, n_fields, name)
    if delim != ",":
        report.append({";": "Columns are separated by semicolons.",
                       "\t": "Columns are separated by tabs.",
                       "|": "Columns are separated by '|'."}[delim])
    if decimal == ",":
        report.append(_("Numbers use a decimal comma (1,5); read them as 1.5."))
    if thousands:
        report.append(_("Numbers use '{thousands}' to group thousands (e.g. {v}); read "
                         "without it.", thousands=thousands,
                         v='2,971' if thousands == ',' else '2.971,5'))
    if note:
        report.append(note)
    skipped = [i for i in range(header_at if header_at >= 0 else first_data) if lines[i].strip()]
    if skipped:
        report.append(_("Skipped {n} metadata/comment line(s) above the header.",
                         n=len(skipped)))
    header = _fields(lines[header_at], delim) if header_at >= 0 else []
    unit_cells = _fields(lines[first_data - 1], delim) if units_row else []
    width = max(len(header), n_fields)
    if width > MAX_COLUMNS:
        raise DataError(_("'{name}' has {width} columns; at most {MAX_COLUMNS} are "
                           "supported. Keep the sensor columns you need (or check the "
                           "separator).", name=name, width=width,
                           MAX_COLUMNS=MAX_COLUMNS))
    if header_at < 0:
        report.append(_("No header row found; columns are named column_1 … column_{width}.",
                         width=width))
    names, units, raw_names = _column_names(header if header_at >= 0 else None, unit_cells,
                                            width, report)
    if units_row:
        report.append(_("Read the units from the row under the header."))
    elif any(units.values()):
        eg = next(raw_names[c] for c, u in units.items() if u)
        report.append(_("Read the units from the column names (e.g. '{strip}').",
                         strip=eg.strip()))
    sample_rows = [ln for ln in lines[first_data:first_data + 50] if ln.strip()]
    if any(re.match(r"^[ \t]+\S", f) for ln in sample_rows
           for f in _fields(ln, delim, skipinitialspace=False)):
        report.append(_("Removed spaces in front of values."))
    return Layout(delim, first_data, decimal, names, units, raw_names, thousands)


def _refuse_split_decimals(lines: list[str], delim: str, header_at: int, first_data: int,
                           n_fields: int, name: str) -> None:
    """A comma-separated file whose numbers have unquoted decimal commas: the header names
    fewer columns than the rows have fields. That cannot be read safely: DataError."""
    if delim != "," or header_at >= 0:
        return
    above = [i for i in range(first_data) if lines[i].strip()]
    if not above:
        return
    cells = [c for c in _fields(lines[above[-1]], delim) if c.strip()]
    if len(cells) >= 2 and len(cells) < n_fields and not any(_is_number(c) for c in cells):
        raise DataError(_("'{name}': the header names {n} columns but the rows have "
                           "{n_fields} comma-separated fields. The numbers probably use "
                           "decimal commas (1,5) in a comma-separated file, which cannot "
                           "be read safely. Save the file with ';' as the separator (or "
                           "with '.' as the decimal mark) and load it again.",
                           name=name, n=len(cells), n_fields=n_fields))


def _column_names(header: list[str] | None, unit_cells: list[str], width: int,
                  report: list[str]) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(names, units, raw names) of ``width`` columns from the ``header`` cells (None: no header
    row, columns are numbered) and the units row's ``unit_cells``. A name that repeats with
    different units keeps its unit ('CO2 Conc. [ppm]'); other repeats get _2, _3."""
    cells = []
    for i in range(width):
        raw_name = header[i] if header is not None and i < len(header) else ""
        clean, unit = _split_unit(raw_name) if header is not None else (f"column_{i + 1}", "")
        if i < len(unit_cells) and unit_cells[i].strip() and not _is_number(unit_cells[i]):
            unit = unit or unit_cells[i].strip().strip("[]()").strip()
        cells.append((raw_name, clean, unit))
    units_of: dict[str, set[str]] = {}
    for __, clean, unit in cells:
        units_of.setdefault(clean, set()).add(unit)
    units: dict[str, str] = {}
    raw_names: dict[str, str] = {}
    names: list[str] = []
    taken: set[str] = set()
    kept_unit: list[str] = []
    for i, (raw_name, clean, unit) in enumerate(cells):
        if clean and len(units_of[clean]) > 1 and unit:
            clean = f"{clean} [{unit}]"
            kept_unit.append(clean)
        base, k = clean, 2
        while clean and clean in taken:
            clean = f"{base}_{k}"
            k += 1
        if clean != base and base:
            report.append(_("Column name '{base}' appears more than once; renamed to "
                             "'{clean}'.", base=base, clean=clean))
        names.append(clean or f"__blank{i}")
        taken.add(names[-1])
        if clean:
            units[clean] = unit
            raw_names[clean] = raw_name
    if kept_unit:
        report.append(_("Some column names repeat with different units; they keep their unit in "
                        "the name to tell them apart: {columns}.",
                        columns=", ".join(f"'{c}'" for c in kept_unit)))
    return names, units, raw_names
