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


# ---------------------------------------------------------------------------- dialect round trip
# Random numeric drives written by pandas the way spreadsheets and loggers export them must load
# back with the same values and times, or raise DataError: never differ silently. A difference
# is allowed only where the report says what was changed or assumed.
ROUNDTRIP = settings(max_examples=500, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NAMES = ["speed", "rpm", "NOx", "co2_flow", "coolant", "maf", "lambda_1", "pedal"]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%m-%d-%Y", "%Y/%m/%d"]
CLOCKS = ["%H:%M:%S", "%I:%M:%S %p", "%H:%M:%S.%f", "%I:%M:%S.%f %p"]


@st.composite
def drives(draw):
    n = draw(st.integers(60, 90))
    k = draw(st.integers(1, 5))
    names = draw(st.permutations(NAMES))[:k]
    data = {}
    for i, name in enumerate(names):
        if draw(st.booleans()):
            col = draw(st.lists(st.integers(-10**7, 10**7), min_size=n, max_size=n))
            data[name] = np.array(col, dtype=np.int64)
        else:
            scale = draw(st.sampled_from([1e-6, 1e-3, 1.0, 1e3, 1e6]))
            col = draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=64), min_size=n,
                                max_size=n))
            x = np.array(col) * scale
            if i and draw(st.booleans()):            # some missing cells (first column full)
                x[draw(st.lists(st.integers(0, n - 1), max_size=n // 8))] = np.nan
            data[name] = x
    start = draw(st.datetimes(min_value=pd.Timestamp("1995-01-01").to_pydatetime(),
                              max_value=pd.Timestamp("2040-12-31").to_pydatetime()))
    step = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))
    times = pd.Timestamp(start).floor("ms") + pd.to_timedelta(np.arange(n) * step, unit="s")
    return pd.DataFrame(data), times


@st.composite
def dialects(draw):
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    return dict(sep=sep, decimal=draw(st.sampled_from([".", ","])),
                thousands=draw(st.booleans()),
                quoting=draw(st.sampled_from([0, 1, 2])),     # minimal, all, non-numeric
                encoding=draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])),
                eol=draw(st.sampled_from(["\n", "\r\n"])),
                clock=draw(st.sampled_from(["seconds", "iso", "split", "one", "epoch_ms"])),
                date_fmt=draw(st.sampled_from(DATE_FORMATS)),
                time_fmt=draw(st.sampled_from(CLOCKS)))


def _write(frame: pd.DataFrame, times: pd.DatetimeIndex, d: dict) -> tuple[bytes, np.ndarray]:
    """The file's bytes and the time (seconds) each row should load with."""
    out = frame.copy()
    epoch = ((times - pd.Timestamp(0)) / pd.Timedelta(1, "s")).to_numpy(dtype=float)
    if d["thousands"]:               # grouped thousands, as a spreadsheet's number format does
        for c in out.columns:
            txt = [("" if pd.isna(v) else format(v, ",")) for v in out[c].tolist()]
            if d["decimal"] == ",":
                txt = [t.translate(str.maketrans(",.", ".,")) for t in txt]
            out[c] = txt
    clock, frac = d["clock"], d["time_fmt"].endswith("%f") or "%f " in d["time_fmt"]
    if clock == "seconds":
        expect = (times - times[0]) / pd.Timedelta(1, "s")
        out.insert(0, "time_s", expect.to_numpy(dtype=float))
    elif clock == "epoch_ms":
        out.insert(0, "timestamp_ms", np.round(epoch * 1000).astype(np.int64))
    elif clock == "iso":
        out.insert(0, "timestamp", times.strftime("%Y-%m-%d %H:%M:%S.%f"))
    else:
        tf = d["time_fmt"] if frac else d["time_fmt"]
        if clock == "split":
            out.insert(0, "Time", times.strftime(tf))
            out.insert(0, "Date", times.strftime(d["date_fmt"]))
        else:
            out.insert(0, "Time", times.strftime(d["date_fmt"] + " " + tf))
        if not frac:
            epoch = np.floor(epoch)
    expect = out.iloc[:, 0].to_numpy(dtype=float) if clock == "seconds" else epoch
    text = out.to_csv(sep=d["sep"], decimal=d["decimal"], quoting=d["quoting"], index=False,
                      lineterminator=d["eol"])
    return text.encode(d["encoding"]), expect


def _explained(report: list[str], *words: str) -> bool:
    return any(w.lower() in line.lower() for line in report for w in words)


@ROUNDTRIP
@given(drives(), dialects())
def test_dialects_round_trip_or_data_error(drive, dialect):
    frame, times = drive
    raw, t_expect = _write(frame, times, dialect)
    try:
        ds = pc.load_csv(io.BytesIO(raw), name="drive.csv")
    except pc.DataError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    rep = ds.report
    first = 0
    for line in rep:
        if line.startswith("Dropped the first"):
            first = int(line.split()[3])
    if len(ds) != len(frame) - first:
        assert _explained(rep, "dropped"), rep
        return
    missing = [c for c in frame.columns if c not in ds.columns]
    for c in missing:                            # only ever with a report line naming it
        assert _explained(rep, f"'{c}'"), (c, rep)
    ambiguous = _explained(rep, "could be", "assumed")
    for c in ds.columns:
        assert c in frame.columns, (c, list(frame.columns), rep)
        want = frame[c].to_numpy(dtype=float)[first:]
        got = ds.frame[c].to_numpy(dtype=float)
        if not ambiguous:
            np.testing.assert_array_equal(got, want, err_msg=f"{c}: {rep}")
    assert ds.time_column is not None, rep
    if not ambiguous:
        np.testing.assert_allclose(ds.times, t_expect[first:], rtol=0, atol=2e-3,
                                   err_msg=str(rep))
