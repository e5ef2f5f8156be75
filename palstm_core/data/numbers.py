"""How a file writes its numbers: the decimal mark ('.' or ',') and the thousands separator
(',' '.' or none), judged together from every cell of the sample; and counting the columns a
reading makes numeric (the delimiter sniffer uses it to compare separators).
"""
from __future__ import annotations

import re

from ..i18n import _

_DOT_DEC = re.compile(r"^[-+]?(\d*\.\d+|\d+\.?\d*[eE][-+]?\d+|\d+\.)([eE][-+]?\d+)?$")
_INT = re.compile(r"^[-+]?\d+$")
_COMMA3 = re.compile(r"^[-+]?[1-9]\d{0,2}(,\d{3})+$")                 # 2,971: thousands or 2.971
_COMMA_DEC = re.compile(r"^[-+]?\d*,\d+([eE][-+]?\d+)?$")        # 1,5 / 0,123456
_THOUSANDS_COMMA = re.compile(r"^[-+]?[1-9]\d{0,2}(,\d{3})+\.\d+$")   # 1,234.5
_THOUSANDS_DOT = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.234,5 / 1.234.567
_NUMBERISH = re.compile(r"^[-+]?[\d.,]*\d[\d.,]*([eE][-+]?\d+)?$")
_SPECIAL = re.compile(r"^[-+]?(inf|infinity|nan)$", re.IGNORECASE)


def looks_numeric(cell: str) -> bool:
    """A number in some writing: digits with '.', ',' as decimal or group marks, an exponent,
    or inf/nan."""
    c = cell.strip()
    return bool(c) and bool(_NUMBERISH.match(c) or _SPECIAL.match(c))


def is_number(cell: str, decimal: str = ".", thousands: str | None = None) -> bool:
    """Whether ``cell`` is a number when written with this decimal mark and separator."""
    c = cell.strip()
    if not c:
        return False
    if _SPECIAL.match(c):
        return True
    if thousands and re.fullmatch(r"[-+]?\d{1,3}(" + re.escape(thousands) + r"\d{3})+"
                                  r"(" + re.escape(decimal) + r"\d+)?", c):
        return True
    if decimal == ",":
        return bool(_INT.match(c) or _COMMA_DEC.match(c))
    return bool(_INT.match(c) or _DOT_DEC.match(c))


def reading(cells: list[str]) -> tuple[str, str | None, str]:
    """(decimal mark, thousands separator or None, report note or "") of the sample's cells."""
    cells = [c.strip() for c in cells if c and _NUMBERISH.match(c.strip())]
    count = {name: sum(bool(rx.match(c)) for c in cells) for name, rx in (
        ("dot", _DOT_DEC), ("comma3", _COMMA3), ("comma", _COMMA_DEC),
        ("k_comma", _THOUSANDS_COMMA), ("k_dot", _THOUSANDS_DOT))}
    comma_dec = sum(bool(_COMMA_DEC.match(c)) and not _COMMA3.match(c) for c in cells)
    dotted = [c for c in cells if "." in c]
    long_ints = any(_INT.match(c) and len(c.lstrip("+-")) > 3 for c in cells)
    dot_groups = [c for c in dotted if _THOUSANDS_DOT.match(c)]
    multi_dot = any(c.count(".") > 1 or "," in c for c in dot_groups)
    if (comma_dec > 0 or multi_dot) and count["k_comma"] == 0 and len(dot_groups) == len(dotted):
        return ",", ("." if dotted else None), ""
    if count["comma3"] or count["k_comma"]:
        if count["dot"] or count["k_comma"]:
            return ".", ",", ""
        if comma_dec == 0 and long_ints:
            return ".", None, ""           # judged column by column (parse.numeric_frame)
        if comma_dec == 0:
            eg = next(c for c in cells if _COMMA3.match(c))
            return ".", ",", _("Numbers such as '{eg}' could be {thousands} (',' as thousands "
                               "separator) or {decimal} (decimal comma); read ',' as the "
                               "thousands separator, since no other number in the file has a "
                               "decimal comma.", eg=eg, thousands=eg.replace(",", ""),
                               decimal=eg.replace(",", "."))
        return ",", None, ""
    if dotted and not long_ints and all(re.fullmatch(r"[-+]?[1-9]\d{0,2}\.\d{3}", c)
                                        for c in dotted):
        eg = dotted[0]
        return ".", None, _("Numbers such as '{eg}' could be {thousands} ('.' as thousands "
                            "separator) or {eg} (decimal point); read '.' as the decimal "
                            "point.", eg=eg, thousands=eg.replace(".", ""))
    return ".", None, ""


def numeric_columns(rows: list[list[str]]) -> int:
    """How many columns of ``rows`` (cells split by one candidate separator) hold numbers in
    at least 80 % of their filled cells, under the number reading the cells themselves suggest."""
    if not rows:
        return 0
    decimal, thousands, __ = reading([c for r in rows for c in r])
    width = max(len(r) for r in rows)
    n = 0
    for k in range(width):
        cells = [r[k] for r in rows if k < len(r) and r[k].strip()]
        if cells and sum(is_number(c, decimal, thousands) for c in cells) >= 0.8 * len(cells):
            n += 1
    return n


def strip_thousands(text, thousands: str | None, decimal: str):
    """A pandas Series of number text without its thousands separators (only in cells that are
    written as grouped numbers, e.g. '2,971' or '1.234,5')."""
    if not thousands:
        return text
    pattern = (r"^[-+]?[1-9]\d{0,2}(" + re.escape(thousands) + r"\d{3})+(" + re.escape(decimal)
               + r"\d+)?$")
    grouped = text.str.match(pattern)
    return text.where(~grouped, text.str.replace(thousands, "", regex=False))
