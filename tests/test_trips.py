"""``pc.trip_results``: grams per trip and per km, measured vs predicted, per RDE speed bin."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from palstm_core.trips import grams_per_second, km_per_second

GROUPS = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"]})


def _run(ds, target="NOx"):
    cfg = pc.TrainConfig(model="linear", device="cpu")
    return pc.train(ds, target, GROUPS, pc.WindowSpec(lookback=8), cfg)


@pytest.mark.parametrize("unit, factor", [
    ("mg/s", 1e-3), ("g/s", 1.0), ("g.s-1", 1.0), ("kg.s-1", 1e3), ("kg/h", 1 / 3.6),
    ("g/h", 1 / 3600), ("ppm", None), ("%", None), ("", None), ("m/s2", None)])
def test_mass_rate_units(unit, factor):
    got = grams_per_second(unit)
    assert got == pytest.approx(factor) if factor is not None else got is None


def test_speed_units():
    assert km_per_second("km/h") == pytest.approx(1 / 3600)
    assert km_per_second("km.h-1") == pytest.approx(1 / 3600)
    assert km_per_second("m/s") == pytest.approx(1e-3)
    assert km_per_second("mph") == pytest.approx(1.609344 / 3600)
    assert km_per_second("1/min") is None


def test_totals_match_the_rows_they_sum(small_ds):
    """Hand computation on the test rows: NOx [mg/s] x 1 s and speed [km/h] / 3600 x 1 s; the
    bins split the whole exactly."""
    run = _run(small_ds)
    res = pc.trip_results(run, small_ds)
    assert list(res["bin"]) == ["all", "urban", "rural", "motorway"]
    pred = run.predict(small_ds, part="test")
    frame = small_ds.frame.set_index("time").loc[pred["time"]]
    step = float(np.median(np.diff(small_ds.times)))
    whole = res.iloc[0]
    assert whole["measured_g"] == pytest.approx((frame["NOx"] * step).sum() / 1000, rel=1e-9)
    assert whole["predicted_g"] == pytest.approx((pred["predicted"] * step).sum() / 1000, rel=1e-9)
    assert whole["distance_km"] == pytest.approx((frame["speed"] * step).sum() / 3600, rel=1e-9)
    assert whole["measured_g_per_km"] == pytest.approx(whole["measured_g"] / whole["distance_km"])
    assert whole["error_pct"] == pytest.approx(
        100 * (whole["predicted_g"] / whole["measured_g"] - 1))
    parts = res.iloc[1:]
    for col in ("distance_km", "measured_g", "predicted_g"):
        assert parts[col].sum() == pytest.approx(whole[col], rel=1e-9)
    urban = frame["speed"] <= 60
    assert res.iloc[1]["distance_km"] == pytest.approx(
        (frame["speed"][urban] * step).sum() / 3600, rel=1e-9)


def test_campaign_has_a_row_set_per_drive_and_gaps_are_not_integrated():
    camp = pc.load_sample_campaign()
    drives = dict(list(camp.drives.items())[:2])
    first, second = list(drives)
    ds = drives[second]
    # a 120 s hole in the second drive: its windows are skipped, and the hole is not summed
    f = ds.frame.copy()
    f.loc[200:319, "rpm"] = np.nan
    drives[second] = pc.Dataset(f, ds.time_column, list(ds.report), dict(ds.units), ds.name,
                                ds.simulated)
    camp = pc.Campaign(drives, name="two drives")
    run = pc.train(camp, "NOx", GROUPS, pc.WindowSpec(lookback=8, test_drives=[second]),
                   pc.TrainConfig(model="linear", device="cpu"))
    res = pc.trip_results(run, camp)
    assert set(res["drive"]) == {second}                   # only the test drive has test windows
    assert any(second in ln and "without predictions" in ln for ln in res.attrs["report"])
    whole = res[(res["drive"] == second) & (res["bin"] == "all")].iloc[0]
    pred = run.predict(camp, part="test")
    measured = ds.frame.set_index("time").loc[pred["time"], "NOx"]
    assert whole["measured_g"] == pytest.approx(measured.sum() / 1000, rel=1e-9)
    everything = pc.trip_results(run, camp, part="all")
    assert set(everything["drive"]) == {first, second}


def test_a_concentration_target_is_refused_in_plain_words(small_ds):
    ds = pc.Dataset(small_ds.frame, small_ds.time_column, [], {**small_ds.units, "NOx": "ppm"},
                    "ppm drive")
    with pytest.raises(pc.DataError, match="mass rate"):
        pc.trip_results(_run(ds), ds)


def test_predicted_totals_without_a_measurement(small_ds):
    """The main use: an OBD-only drive (no target column) still gets predicted grams."""
    run = _run(small_ds)
    obd_only = pc.Dataset(small_ds.frame.drop(columns=["NOx"]), small_ds.time_column, [],
                          dict(small_ds.units), "obd only")
    res = pc.trip_results(run, obd_only, part="all")
    whole = res.iloc[0]
    assert np.isnan(whole["measured_g"]) and whole["predicted_g"] > 0
    assert any("no measured value" in ln for ln in res.attrs["report"])
    assert isinstance(res, pd.DataFrame)
