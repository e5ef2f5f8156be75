"""AppTest of the campaign flow: sample campaign -> drive table -> test drives -> train ->
Results with a drive selector and per-drive metrics (tiny model; PALSTM_UI_DEFAULTS)."""
from __future__ import annotations

import numpy as np
import pytest

import palstm_core as pc
from palstm_core import plots
from conftest import wait_for_job

DATA, GROUPS, TRAIN, RESULTS, DOWNLOADS = ("pages/1_Data.py", "pages/2_Sensor_groups.py",
                                           "pages/3_Train.py", "pages/4_Results.py",
                                           "pages/5_Downloads.py")
TEST = ["trip03_rural", "trip06_rural"]


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_campaign_table_lists_every_drive_and_its_report():
    camp = pc.load_sample_campaign()
    table = camp.table()
    assert list(table.columns) == ["drive", "rows", "duration [min]", "rate [Hz]",
                                   "missing columns", "report"]
    assert list(table["drive"]) == camp.names
    for _, row in table.iterrows():
        ds = camp[row["drive"]]
        assert row["rows"] == len(ds)
        assert row["duration [min]"] == pytest.approx((ds.times[-1] - ds.times[0]) / 60)
        assert row["rate [Hz]"] == pytest.approx(1.0)
        assert row["report"].startswith(f"{row['drive']}: {len(ds)} rows")
    # a drive that lacks a column most drives have says so in its row
    drives = dict(camp.drives)
    drives["x"] = pc.Dataset(camp["trip01_urban"].frame.drop(columns=["NOx"]), "time", name="x")
    row = pc.Campaign(drives).table().set_index("drive").loc["x"]
    assert row["missing columns"] == "NOx" and "missing 'NOx'" in row["report"]
    preview = camp.preview()
    assert preview.columns == camp.common_columns and len(preview) == len(camp["trip01_urban"])
    assert preview.simulated and "first of 6 drives" in preview.name


def test_drive_metrics_figure_draws_each_drive():
    by_drive = {"a": {"rmse": 1.5, "mae": 1.0, "mape": 12.0, "r2": 0.8},
                "b": {"rmse": 3.25, "mae": 2.0, "mape": 30.0, "r2": -0.1}}
    table = plots.drive_metrics_table(by_drive)
    assert table.to_dict("list") == {"drive": ["a", "b"], "RMSE": [1.5, 3.25], "MAE": [1.0, 2.0],
                                     "MAPE %": [12.0, 30.0], "R²": [0.8, -0.1]}
    fig = plots.drive_metrics_figure(by_drive, "g/s", selected="b")
    assert [list(t.x) for t in fig.data] == [[1.5, 3.25], [0.8, -0.1]]
    assert list(fig.data[0].y) == ["a", "b"] and fig.data[0].marker.color[1] != \
        fig.data[0].marker.color[0]


def test_sample_campaign_test_drives_train_and_results_per_drive(app):
    at = app.run()
    at.switch_page(DATA).run()
    at.button(key="load_campaign_sample").click().run()
    no_exception(at)
    camp = at.session_state["campaign"]
    assert camp.names == ["trip01_urban", "trip02_motorway", "trip03_rural", "trip04_urban",
                          "trip05_motorway", "trip06_rural"]
    assert any("Simulated sample campaign" in w.value for w in at.warning)
    # the drive table: one row per drive, a 'test drive' checkbox column, none ticked yet
    table = next(d.value for d in at.dataframe if "test drive" in d.value.columns)
    assert list(table["drive"]) == camp.names and not table["test drive"].any()
    assert list(table["rows"]) == [len(ds) for ds in camp]
    # tick the rural drives (AppTest cannot click a data-editor cell: set what it writes)
    at.session_state["campaign_test"] = TEST
    at.run()
    no_exception(at)
    table = next(d.value for d in at.dataframe if "test drive" in d.value.columns)
    assert list(table.loc[table["test drive"], "drive"]) == TEST
    assert any("Chosen: trip03_rural, trip06_rural" in c.value for c in at.caption)
    # one-drive pages see the first drive with the columns every drive has
    assert at.session_state["ds"].columns == camp.common_columns

    at.switch_page(GROUPS).run()
    no_exception(at)
    at.selectbox(key="target_select").set_value("NOx").run()
    assert at.session_state["grouping"]
    at.switch_page(TRAIN).run()
    no_exception(at)
    assert any("trip03_rural, trip06_rural are held out" in i.value for i in at.info)
    at.button(key="start_training").click().run()
    at = wait_for_job(at)
    no_exception(at)
    job = at.session_state["job"]
    assert not job.errors and len(job.runs) == 1
    run = job.runs[0]
    assert run.window.test_drives == tuple(TEST)
    assert list(run.metrics_by_drive) == TEST

    at.switch_page(RESULTS).run()
    no_exception(at)
    assert any(h.value == "Metrics per drive" for h in at.subheader)
    pick = at.selectbox(key="res_drive")
    assert pick.options == TEST and pick.value == "trip03_rural"
    shown = next(d.value for d in at.dataframe if "drive" in d.value.columns
                 and "R²" in d.value.columns)
    assert list(shown["drive"]) == TEST
    for _, row in shown.iterrows():
        m = run.metrics_by_drive[row["drive"]]
        assert np.isfinite(row["RMSE"]) and row["RMSE"] == pytest.approx(m["rmse"])
        assert row["R²"] == pytest.approx(m["r2"])
    # the page below shows the chosen drive: its predictions are the drive's test windows
    drive_pred = run.predict(camp, part="test")
    six = drive_pred[drive_pred["drive"] == "trip06_rural"]
    pick.set_value("trip06_rural").run()
    no_exception(at)
    cached = [v[0] for k, v in at.session_state["memo"].items()
              if isinstance(k, tuple) and k[0] == run.key and k[1] == camp["trip06_rural"].fingerprint()]
    assert cached and len(cached[0]) == len(six)
    np.testing.assert_allclose(cached[0]["predicted"], six["predicted"], rtol=1e-5)
    assert any("whole of this test drive" in c.value for c in at.caption)
    assert at.slider(key="res_time").min == pytest.approx(float(six["time"].iloc[0]))

    # Downloads: the campaign's test windows, both test drives
    at.switch_page(DOWNLOADS).run()
    no_exception(at)
    assert any(c.value.startswith(f"{len(drive_pred)} rows") for c in at.caption)
