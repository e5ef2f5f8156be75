"""The two cases an adversarial probe found (issue 19): a header repeated inside a file whose
clock goes on is one recording (all rows kept, a report line), and a merge at a rate far above
what the loggers carry is a clear DataError instead of a minute of work."""
from __future__ import annotations

import io

import numpy as np
import pytest

import palstm_core as pc
from palstm_core.data import merge

HEADER = "Time [s];Vehicle speed [km/h];Engine speed [rpm];NOx [mg/s];CO2 [g/s]"


def _pems_rows(t0: float, n: int, seed: int) -> list[str]:
    """Rows as a European PEMS export writes them: semicolons, decimal commas, full precision."""
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(n) * 0.5                                       # 2 Hz
    speed = np.clip(35 + 20 * np.sin(t / 40) + rng.normal(0, 1.3, n), 0, None)
    rpm = 900 + 28.5 * speed + rng.normal(0, 40, n)
    nox = np.abs(0.8 + 0.012 * rpm / 10 + rng.normal(0, 0.35, n))
    co2 = np.abs(0.6 + 0.0021 * rpm + rng.normal(0, 0.08, n))
    return [";".join(repr(float(v)).replace(".", ",") for v in row)
            for row in zip(t, speed, rpm, nox, co2)]


def _load(lines: list[str]) -> pc.Dataset:
    up = io.BytesIO(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    up.name = "PEMS_export.csv"
    return pc.load_file(up, max_bytes=pc.MAX_BYTES)


def test_a_repeated_header_whose_clock_goes_on_is_one_recording():
    first, second = _pems_rows(0.0, 400, 1), _pems_rows(200.0, 300, 2)   # 200 s goes on
    ds = _load(["Test: RDE urban loop 2019-07-18 (OBS-ONE GS, serial 4711)", HEADER, *first, HEADER, *second])
    assert len(ds) == 700                                                 # no row dropped
    np.testing.assert_allclose(ds.times, np.arange(700) * 0.5)
    want = float(second[0].split(";")[3].replace(",", "."))
    assert ds.frame["NOx"].iloc[400] == want                              # full precision
    assert any("header repeats" in ln and "dropped" in ln for ln in ds.report), ds.report
    line = next(ln for ln in ds.report if "goes on across the repeated header" in ln)
    assert "data row(s) 401" in line and "one recording, all its rows kept" in line
    assert not any("recordings one after the other" in ln for ln in ds.report)


def test_a_repeated_header_whose_clock_restarts_keeps_the_longest_recording():
    first, second = _pems_rows(0.0, 250, 1), _pems_rows(0.0, 450, 2)     # clock restarts
    ds = _load([HEADER, *first, HEADER, *second])
    assert len(ds) == 450
    assert ds.frame["NOx"].iloc[0] == float(second[0].split(";")[3].replace(",", "."))
    assert any("kept the longest" in ln for ln in ds.report), ds.report
    assert not any("goes on across" in ln for ln in ds.report)


@pytest.fixture(scope="module")
def urban_pair():
    return [pc.load_sample(n) for n in pc.SPLIT_SAMPLE]


def test_a_merge_far_above_the_loggers_rate_is_a_clear_error(urban_pair):
    pems, obd = urban_pair
    with pytest.raises(pc.DataError, match=r"1000 Hz is far above what these logs carry.*"
                                           r"records at 1 Hz.*Choose at most 10 Hz"):
        pc.merge_drives(pems, obd, rate_hz=1000)
    ds = pc.merge_drives(pems, obd, rate_hz=10)          # 10× the loggers' rate still works
    assert ds.alignment["rate_hz"] == 10
    assert np.median(np.diff(ds.times)) == pytest.approx(0.1)


def test_a_merge_grid_over_the_row_cap_is_a_clear_error(urban_pair, monkeypatch):
    pems, obd = urban_pair
    monkeypatch.setattr(merge, "MAX_MERGE_ROWS", 20_000)
    with pytest.raises(pc.DataError, match=r"Merging at 10 Hz would make about .* rows .*the "
                                           r"limit is 20,000 rows"):
        pc.merge_drives(pems, obd, rate_hz=10)
    assert len(pc.merge_drives(pems, obd, rate_hz=1)) > 0
