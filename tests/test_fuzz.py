"""Property-based fuzzing: load_csv raises DataError or returns a Dataset, never anything else."""
from __future__ import annotations

import io

import numpy as np
import pytest
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import palstm_core as pc

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check(raw: bytes):
    try:
        ds = pc.load_csv(io.BytesIO(raw))
    except pc.DataError as exc:
        assert str(exc)                       # a message for a person
        return None
    assert isinstance(ds, pc.Dataset)
    assert len(ds) >= 60 and ds.columns
    for c in ds.frame.columns:
        assert pd.api.types.is_float_dtype(ds.frame[c]), c
    if ds.time_column is not None:
        assert ds.frame[ds.time_column].is_monotonic_increasing
    return ds


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(raw):
    _check(raw)


CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**12, 10**15).map(str),
    st.sampled_from(["", " ", "--", "N/A", "ERR", "nan", "inf", "1,5", "1.2.3", "0x1F", "°C",
                     "µg", "시간", '"', '""', "'", "#", "\\", "2024-05-14T09:12:00", "09:12:00",
                     "14.05.2024 09:12", "1e309", "-0", "\x00", "\x1a", "<html>", "="]),
    st.text(max_size=8),
)
SEPS = st.sampled_from([",", ";", "\t", "|", " ", ", ", ";;"])
HEADERS = st.lists(st.one_of(
    st.sampled_from(["time", "Time [s]", "timestamp", "NOx (ppm)", "rpm ()", "Speed [km/h]",
                     "speed", "speed", "", "시간", "Temp (°C)", "t", "CO2", "Unnamed: 3"]),
    st.text(max_size=10)), min_size=1, max_size=6)


@st.composite
def csv_like(draw):
    sep = draw(SEPS)
    header = draw(HEADERS)
    n_rows = draw(st.integers(0, 90))
    width = len(header)
    numeric = draw(st.booleans())
    rows = []
    base = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=width, max_size=width))
    for i in range(n_rows):
        if numeric and draw(st.integers(0, 9)) > 0:
            cells = [f"{i}"] + [repr(float(b + i * 0.5)) for b in base[1:]]
        else:
            cells = draw(st.lists(CELLS, min_size=0, max_size=width + 2))
        if draw(st.integers(0, 19)) == 0:
            cells = cells + [""]               # a trailing separator
        rows.append(sep.join(cells))
    pre = draw(st.lists(st.text(max_size=20), max_size=3))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(pre + [sep.join(header)] + rows) + draw(st.sampled_from(["", eol]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp949", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(csv_like())
def test_random_csv_like_text(raw):
    _check(raw)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(60, 300), st.sampled_from([",", ";", "\t"]), st.booleans(), st.booleans())
def test_valid_tables_always_load(n, sep, decimal_comma, trailing):
    t = np.arange(n, dtype=float)
    values = np.round(np.sin(t / 5) * 100 + 3, 2)
    dec = "," if decimal_comma and sep != "," else "."
    lines = [sep.join(["time", "NOx [ppm]", "rpm"]) ]
    for i in range(n):
        cells = [repr(float(t[i])), repr(float(values[i])).replace(".", dec), f"{1000 + i}"]
        lines.append(sep.join(cells) + (sep if trailing else ""))
    ds = _check(("\n".join(lines) + "\n").encode())
    assert ds is not None and list(ds.frame.columns) == ["time", "NOx", "rpm"] and len(ds) == n
    assert np.allclose(ds.frame["NOx"], values)


PATHOLOGICAL = {
    "one_huge_line": b"a," * 400_000,
    "many_columns": (",".join(f"c{i}" for i in range(5000)) + "\n"
                     + "\n".join(",".join(str(i + j) for j in range(5000)) for i in range(61))
                     ).encode(),
    "unterminated_quote": b'time,speed\n0,"abc\n' + b"1,2\n" * 50_000,
    "quotes_only": b'"' * 500_000,
    "newlines_only": b"\n" * 500_000,
    "separators_only": b",,,,,\n" * 100_000,
    "text_in_time_column": b"time,x\n" + b"".join(b"junk%d,%d\n" % (i, i) for i in range(50_000)),
    "old_mac_line_ends": b"time,x\r" + b"".join(b"%d,%d\r" % (i, i % 7) for i in range(1000)),
}


@pytest.mark.parametrize("case", sorted(PATHOLOGICAL))
def test_pathological_inputs_finish_quickly(case):
    import time
    start = time.perf_counter()
    _check(PATHOLOGICAL[case])
    assert time.perf_counter() - start < 10
