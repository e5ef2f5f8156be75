"""PEMS + OBD merging (clock offset, analyzer delay) and PEMS cleaning (spikes, drift)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from palstm_core import simulate


@pytest.fixture(scope="module")
def split():
    return pc.load_sample("urban_pems"), pc.load_sample("urban_obd")


@pytest.fixture(scope="module")
def merged(split):
    return pc.merge_drives(*split)


def test_split_samples_are_simulated_with_own_clocks(split):
    pems, obd = split
    assert pems.simulated and obd.simulated
    assert pems.time_kind == "datetime" and obd.time_kind == "seconds"
    assert "NOx" in pems.columns and "fuel_rate" in obd.columns
    assert "NOx" not in obd.columns and "rpm" not in pems.columns


def test_merge_recovers_known_clock_offset_and_delay(merged):
    a = merged.alignment
    assert a["obd_start_after_pems_s"] == pytest.approx(simulate.SPLIT_OBD_START_S, abs=1)
    assert abs(a["lag_s"] - simulate.PEMS_DELAY_S) <= 1, a
    # total delay of a gas reading on the OBD clock: clock offset + analyzer delay
    total = a["obd_start_after_pems_s"] + a["lag_s"]
    assert abs(total - (simulate.SPLIT_OBD_START_S + simulate.PEMS_DELAY_S)) <= 1
    assert a["lag_method"] == "estimated" and a["pair"] == ("CO2", "fuel_rate")
    assert a["corr_after"] > a["corr_before"] + 0.1
    assert set(a["shifted"]) == {"NOx", "CO2", "CO", "THC"}
    text = " ".join(merged.report)
    assert "Analyzer delay" in text and "Clocks lined up" in text
    assert merged.simulated and merged.time_column == "time"


def test_merged_frame_matches_the_original_drive(merged):
    drive = simulate.simulate_drive("urban")
    t = merged.times - merged.times[0]            # PEMS-clock seconds since overlap start
    k = (t + simulate.SPLIT_OBD_START_S).astype(int)   # drive second of each merged row
    assert np.allclose(merged.frame["speed"], drive["speed"].to_numpy()[k], atol=2e-3)
    lag = int(merged.alignment["lag_s"])
    assert np.allclose(merged.frame["NOx"], drive["NOx"].to_numpy()[k + lag], atol=2e-3)
    assert np.allclose(merged.frame["gps_speed"], drive["gps_speed"].to_numpy()[k], atol=2e-3)
    assert len(merged) >= 3500 and np.allclose(np.diff(merged.times), 1.0)


def test_merge_overrides_and_rates(split):
    pems, obd = split
    m0 = pc.merge_drives(pems, obd, lag=0)
    assert m0.alignment["lag_s"] == 0 and m0.alignment["corr_after"] == m0.alignment["corr_before"]
    assert m0.alignment["shifted"] == []
    m4 = pc.merge_drives(pems, obd, lag=4, pair=("NOx", "load"))
    assert m4.alignment["lag_s"] == 4 and m4.alignment["pair"] == ("NOx", "load")
    assert m4.alignment["lag_method"] == "given by the user"
    m2 = pc.merge_drives(pems, obd, rate_hz=2)
    assert abs(len(m2) - 2 * len(m0)) < 20
    assert abs(m2.alignment["lag_s"] - simulate.PEMS_DELAY_S) <= 1
    with pytest.raises(pc.DataError, match="no column 'fuel_rate'"):
        pc.merge_drives(pems, obd, pair=("fuel_rate", "CO2"))
    with pytest.raises(pc.DataError, match="rate"):
        pc.merge_drives(pems, obd, rate_hz=0)


def test_merge_on_absolute_time_when_both_have_date_times(split):
    pems, obd = split
    frame = obd.frame.copy()
    frame["time"] = frame["time"] + pems.times[0] + 12     # an OBD logger with a real clock
    obd_abs = replace(obd, frame=frame, time_kind="datetime")
    m = pc.merge_drives(pems, obd_abs)
    assert m.alignment["clock_method"].startswith("absolute")
    assert m.alignment["obd_start_after_pems_s"] == pytest.approx(12)
    assert abs(m.alignment["lag_s"] - simulate.PEMS_DELAY_S) <= 1
    far = frame.copy()
    far["time"] = far["time"] + 86400
    with pytest.raises(pc.DataError, match="overlap"):
        pc.merge_drives(pems, replace(obd, frame=far, time_kind="datetime"))


def test_merge_without_speed_channels_uses_the_gas_pair(split):
    pems, obd = split
    p = replace(pems, frame=pems.frame.drop(columns=["gps_speed"]))
    o = replace(obd, frame=obd.frame.drop(columns=["speed"]))
    m = pc.merge_drives(p, o)
    a = m.alignment
    assert a["lag_method"] == "included in the clock offset" and a["lag_s"] == 0
    total = simulate.SPLIT_OBD_START_S + simulate.PEMS_DELAY_S
    assert abs(a["obd_start_after_pems_s"] - total) <= 1.01
    assert a["pair"] == ("CO2", "fuel_rate")


def test_clean_is_off_by_default_and_finds_the_planted_spikes():
    ds = pc.load_sample("urban")
    assert ds.cleaning is None
    truth = simulate.simulate_drive("urban").attrs["spikes"]
    cleaned = pc.clean(ds, ["NOx", "CO", "THC"])
    assert cleaned is not ds and ds.frame["NOx"].max() > cleaned.frame["NOx"].max()
    found = flagged = planted = 0
    for col in ("NOx", "CO", "THC"):
        rows = set(cleaned.cleaning[col]["spike_rows"])
        assert cleaned.cleaning[col]["spikes"] == len(rows)
        found += len(rows & set(truth[col]))
        flagged += len(rows)
        planted += len(truth[col])
    assert found >= 0.7 * planted, (found, planted)
    assert flagged <= 3 * planted
    assert any(line.startswith("Cleaned 'NOx'") for line in cleaned.report)
    assert set(pc.clean(ds).cleaning) == {"NOx", "CO2", "CO", "THC"}    # default channels


def test_clean_synthetic_spikes_and_drift():
    rng = np.random.default_rng(5)
    n = 3000
    t = np.arange(n, dtype=float)
    level = 10 + 5 * np.sin(t / 40) ** 2 + rng.normal(0, 0.2, n)
    spikes = [300, 301, 1200, 2500]
    x = level.copy()
    x[spikes] *= 6
    drifting = level + np.linspace(0, 4, n)                   # +4 over the drive
    frame = pd.DataFrame({"time": t, "NOx": x, "CO": drifting, "speed": level})
    ds = pc.Dataset(frame, "time", [], {"NOx": "mg/s", "CO": "mg/s"}, name="synthetic")
    out = pc.clean(ds, ["NOx", "CO"])
    assert out.cleaning["NOx"]["spike_rows"] == spikes
    assert np.allclose(out.frame["NOx"], level, atol=1.0)
    assert out.cleaning["CO"]["drift_corrected"] and out.cleaning["CO"]["drift"] == pytest.approx(4, abs=1)
    assert abs(np.polyfit(t, out.frame["CO"], 1)[0] * n) < 1
    assert not out.cleaning["NOx"]["drift_corrected"]
    off = pc.clean(ds, ["NOx"], spikes=False, drift=False)
    assert off.cleaning["NOx"]["spikes"] == 0 and np.array_equal(off.frame["NOx"], x)
    with pytest.raises(pc.DataError, match="no column"):
        pc.clean(ds, ["PN"])


def test_merge_10hz_pems_with_1hz_obd(split):
    pems, obd = split
    t = pems.times
    fast_t = np.arange(t[0], t[-1], 0.1)
    frame = pd.DataFrame({"time": fast_t})
    for c in pems.columns:
        frame[c] = np.interp(fast_t, t, pems.frame[c].to_numpy())
    fast = replace(pems, frame=frame)
    m = pc.merge_drives(fast, obd, rate_hz=1)
    a = m.alignment
    assert a["obd_start_after_pems_s"] == pytest.approx(simulate.SPLIT_OBD_START_S, abs=0.5)
    assert abs(a["lag_s"] - simulate.PEMS_DELAY_S) <= 1
    assert np.allclose(np.diff(m.times), 1.0)


def test_merge_row_clock_and_name_clash(split):
    pems, obd = split
    p = replace(pems, frame=pems.frame.drop(columns=["time"]), time_column=None, time_kind="row")
    o = replace(obd, frame=obd.frame.rename(columns={"coolant_temp": "ambient_temp"}))
    o.units = {("ambient_temp" if k == "coolant_temp" else k): v for k, v in obd.units.items()}
    m = pc.merge_drives(p, o)
    assert {"ambient_temp_obd", "ambient_temp_pems"} <= set(m.columns)
    assert m.alignment["obd_start_after_pems_s"] == pytest.approx(12)
    assert "renamed" in " ".join(m.report)


def test_merge_accepts_paths_and_gives_a_lag_curve():
    m = pc.merge_drives(pc.data.SAMPLE_DIR / "urban_pems.csv", pc.data.SAMPLE_DIR / "urban_obd.csv")
    curve = m.alignment["lag_curve"]
    assert len(curve["lag_s"]) == len(curve["r"]) == 31
    best = curve["lag_s"][int(np.nanargmax(np.array(curve["r"], dtype=float)))]
    assert best == m.alignment["lag_s"]
    with pytest.raises(pc.DataError):
        pc.merge_drives(None, None)
