"""AppTest of issue 26 on the pages: trip results per drive on Results and in Downloads, and
Train's "Calibrate to a new vehicle" in the background job runner (tiny model, sample campaign)."""
from __future__ import annotations

import time

import pytest

import palstm_core as pc
from test_pages_campaign import DOWNLOADS, RESULTS, TRAIN, no_exception
from test_pages_campaign_maps import TEST, _campaign_run


def test_trip_results_on_results_and_downloads_then_calibrate(app):
    at, run, camp = _campaign_run(app)
    want = pc.trip_results(run, camp)

    at.switch_page(RESULTS).run()
    no_exception(at)
    assert any(h.value.startswith("Trip results") for h in at.subheader)
    shown = next(d.value for d in at.dataframe if "speed bin" in d.value.columns)
    assert list(shown["drive"]) == TEST * 4 and list(want["drive"]) == TEST * 4   # 4 bins
    assert shown["error [%]"].to_numpy() == pytest.approx(want["error_pct"].to_numpy(),
                                                          nan_ok=True)
    assert shown["measured [g/km]"].to_numpy() == pytest.approx(
        want["measured_g_per_km"].to_numpy(), nan_ok=True)

    at.switch_page(DOWNLOADS).run()
    no_exception(at)
    assert any(b.label == "Trip results CSV" for b in at.get("download_button"))

    # Train: calibrate the campaign run on the first 3 minutes of a test drive
    at.switch_page(TRAIN).run()
    no_exception(at)
    assert any(h.value == "Calibrate to a new vehicle" for h in at.subheader)
    assert at.selectbox(key="calib_drive").value == TEST[0]
    at.selectbox(key="calib_run").set_value(run.key)
    at.number_input(key="calib_minutes").set_value(3.0)
    at.button(key="start_calib").click().run()
    no_exception(at)
    job = at.session_state["calib_job"]
    end = time.time() + 120
    while not job.done and time.time() < end:
        time.sleep(0.1)
    assert job.done and job.error is None, job.error
    at.run()
    no_exception(at)
    settings, cal = at.session_state["calib_result"]
    assert cal.parent == run.key and cal.drive == TEST[0] and settings["minutes"] == 3.0
    table = next(d.value for d in at.dataframe if "trip total error [%]" in d.value.columns)
    assert list(table["model"]) == ["fleet", "calibrated", "this drive only"]
    assert any(f"first 3 min of **{TEST[0]}**" in s.value for s in at.success)
    assert cal.key in pc.ModelCache(at.session_state["job"].cache.root)


def test_vehicle_covariates_typed_on_the_data_page(app):
    at = app.run()
    at.switch_page("pages/1_Data.py").run()
    at.button(key="load_campaign_sample").click().run()
    no_exception(at)
    camp = at.session_state["campaign"]
    at.session_state["campaign_test"] = ["trip06_rural"]
    # what the data editor writes when mass and engine displacement are typed in every row
    rows = {i: {"mass [kg]": str(1200 + 100 * i), "engine displacement [l]": "1.6"}
            for i in range(len(camp))}
    at.session_state["vehicle_table"] = {"edited_rows": rows, "added_rows": [],
                                         "deleted_rows": []}
    at.run()
    at.button(key="apply_vehicles").click().run()
    no_exception(at)
    new = at.session_state["campaign"]
    assert new.vehicle_columns == ["mass"]                  # displacement: one value, left out
    assert new["trip01_urban"].frame["mass"].eq(1200.0).all()
    assert new["trip06_rural"].frame["mass"].eq(1700.0).all()
    assert any("'engine displacement' has the same value" in ln for ln in new.report)
    assert at.session_state["campaign_test"] == ["trip06_rural"]    # test drives kept
    table = next(d.value for d in at.dataframe if "test drive" in d.value.columns)
    assert list(table["mass [kg]"].astype(float)) == [1200.0 + 100 * i for i in range(6)]
