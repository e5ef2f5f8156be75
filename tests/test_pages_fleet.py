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
