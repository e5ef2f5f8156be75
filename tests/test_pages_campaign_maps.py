"""AppTest: every map of a campaign run (a test drive held out) works from Results and Downloads:
integrated gradients, occlusion and the deletion curve (before issue 19, Downloads -> "Compute
integrated gradients" on a campaign run ended in an AttributeError). Tiny model
(PALSTM_UI_DEFAULTS); the values shown are checked against the core."""
from __future__ import annotations

import json

import numpy as np

import palstm_core as pc
from conftest import wait_for_job

DATA, GROUPS, TRAIN, RESULTS, DOWNLOADS = ("pages/1_Data.py", "pages/2_Sensor_groups.py",
                                           "pages/3_Train.py", "pages/4_Results.py",
                                           "pages/5_Downloads.py")
TEST = ["trip06_rural"]


def no_error(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _map_heat(at) -> np.ndarray:
    """z (F × L) of the Results page's map of the chosen window."""
    for chart in at.get("plotly_chart"):
        fig = json.loads(chart.proto.spec)
        if (any(t.get("type") == "heatmap" for t in fig["data"])
                and "Temporal attention" in str(fig["layout"].get("annotations"))):
            z = next(t for t in fig["data"] if t["type"] == "heatmap")["z"]
            if isinstance(z, dict):
                import base64
                a = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
                return a.reshape([int(n) for n in str(z["shape"]).split(",")])
            return np.asarray(z, dtype=float)
    raise AssertionError("no map heatmap on the page")


def _campaign_run(app):
    at = app.run()
    at.switch_page(DATA).run()
    at.button(key="load_campaign_sample").click().run()
    no_error(at)
    at.session_state["campaign_test"] = TEST
    at.run()
    at.switch_page(GROUPS).run()
    at.selectbox(key="target_select").set_value("NOx").run()
    at.switch_page(TRAIN).run()
    at.button(key="start_training").click().run()
    at = wait_for_job(at)
    no_error(at)
    run = at.session_state["job"].runs[0]
    assert run.window.test_drives == tuple(TEST)
    return at, run, at.session_state["campaign"]


def test_campaign_run_maps_and_deletion_from_results_and_downloads(app):
    at, run, camp = _campaign_run(app)
    drive = camp[TEST[0]]

    at.switch_page(RESULTS).run()
    no_error(at)
    assert at.selectbox(key="res_drive").value == TEST[0]
    order = [c for cols in run.groups.values() for c in cols]
    times = run.predict(drive, part="test")["time"].to_numpy()
    for name in ("integrated_gradients", "occlusion"):
        at.radio(key="res_map").set_value(name).run()
        no_error(at)
        i = int(np.argmin(np.abs(times - at.session_state["res_time"])))
        want = pc.attribute(run, drive, name, windows=[i], part="test").values[0]
        assert np.abs(want).sum() > 0
        np.testing.assert_allclose(_map_heat(at),
                                   want[:, [run.columns.index(c) for c in order]].T,
                                   rtol=1e-3, atol=1e-6)
    # the deletion curve of the integrated-gradients map over the test drive
    at.radio(key="res_map").set_value("integrated_gradients").run()
    at.button(key="score_btn").click().run()
    no_error(at)
    curve = pc.explain.deletion_curve(run, drive, "integrated_gradients")
    assert curve.n_windows == len(times) > 0
    assert any(m.value == curve.summary for m in at.markdown)
    assert any(f"**{curve.area:.3f}**" in c.value for c in at.caption)

    # Downloads: the maps of the whole campaign's test windows, on a click
    at.switch_page(DOWNLOADS).run()
    no_error(at)
    for name, label in (("integrated_gradients", "Integrated gradients CSV"),
                        ("occlusion", "Occlusion CSV")):
        assert label not in [b.proto.label for b in at.get("download_button")]
        at.button(key=f"dl_ready_{name}").click().run()
        no_error(at)
        assert label in [b.proto.label for b in at.get("download_button")]


def test_campaign_maps_in_the_core(tmp_path):
    """The same in the core: inputs, maps, long tables, deletion and faithfulness of a run with
    a test drive, on the campaign and on its drives."""
    camp = pc.load_sample_campaign()
    g = pc.suggest_groups(camp.preview(), target="NOx")
    run = pc.train(camp, target="NOx", grouping=g,
                   window=pc.WindowSpec(lookback=8, test_drives=TEST),
                   config=pc.TrainConfig(hidden_size=8, epochs=1, batch_size=1024),
                   cache=pc.ModelCache(tmp_path))
    pred = run.predict(camp, part="test")
    inp = run.inputs(camp, part="test")
    assert inp.x.shape == (len(pred), 8, len(run.columns))
    assert list(inp.drives) == list(pred["drive"]) == TEST * len(pred)
    np.testing.assert_array_equal(inp.times, pred["time"])
    one = run.inputs(camp[TEST[0]], part="test")
    np.testing.assert_array_equal(one.x, inp.x)
    assert one.drives is None
    # attribution and the long tables name the drive of each window
    attr = pc.attribute(run, camp, "occlusion", windows=[0, 3], part="test")
    assert list(attr.drives) == TEST * 2
    assert list(attr.to_frame().columns) == ["time", "drive", "lag", "feature", "value"]
    table = pc.explain.map_table(run, camp, "relevance")
    assert len(table) == len(pred) * 8 * len(run.columns)
    assert set(table["drive"]) == set(TEST)
    assert "drive" in run.explain(camp, part="test").to_frame().columns
    # faithfulness scores the test drive (it used to build windows without the drive name)
    f = pc.explain.faithfulness(run, camp[TEST[0]])
    assert f.n_windows == len(pred) and np.isfinite(f.baseline_rmse)
    np.testing.assert_allclose(f.baseline_rmse, run.metrics["rmse"], rtol=1e-6)
    assert pc.explain.faithfulness(run, camp).n_windows == len(pred)
    curve = pc.explain.deletion_curve(run, camp, "relevance")
    assert curve.n_windows == len(pred)
    np.testing.assert_allclose(curve.error[0], run.metrics["rmse"], rtol=1e-5)
