"""Streamlit AppTest tests of every dashboard page (headless, in-process)."""
from __future__ import annotations

import numpy as np
import pytest

import palstm_core as pc
from palstm_core import plots
from palstm_core.metrics import exceedance_counts, exceedance_flags, highest_actual_time
from palstm_core.windows import window_steps
from conftest import ROOT, wait_for_job

GROUPS = "pages/2_Sensor_groups.py"
TRAIN = "pages/3_Train.py"
RESULTS = "pages/4_Results.py"
DATA = "pages/1_Data.py"
DOWNLOADS = "pages/5_Downloads.py"


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def page_title(at) -> str:
    return at.title[0].value


def train_tiny(at, ds, models=("pa_lstm",)):
    """Load ``ds``, accept the suggested groups, train tiny ``models`` and wait for them."""
    at.session_state["ds"] = ds
    at.switch_page(GROUPS).run()
    no_exception(at)
    assert at.session_state["grouping"], [e.value for e in at.error]
    at.switch_page(TRAIN).run()
    no_exception(at)
    at.multiselect(key="trainset_models").set_value(list(models)).run()
    assert at.number_input(key="trainset_hidden").value == 8       # tiny defaults from env
    at.button(key="start_training").click().run()
    no_exception(at)
    at = wait_for_job(at)
    no_exception(at)
    return at


# ---------------------------------------------------------------------------- home + data
def test_home_explains_and_starts_with_sample(app):
    at = app.run()
    no_exception(at)
    assert page_title(at) == "PA-LSTM Explorer"
    assert any("1 · Data" in m.value for m in at.markdown)          # step indicator
    at.button(key="start_sample").click().run()
    no_exception(at)
    assert page_title(at) == "2 · Sensor groups"
    assert at.session_state["ds"].simulated
    assert any("simulated" in c.value for c in at.caption)


def test_data_page_sample_report_table_and_chart(app):
    at = app.run()
    at.switch_page(DATA).run()
    at.selectbox(key="sample_name").set_value("motorway")
    at.button(key="load_sample").click().run()
    no_exception(at)
    ds = at.session_state["ds"]
    assert ds.name == "sample: motorway"
    assert any("Simulated" in w.value for w in at.warning)
    report = " ".join(m.value for m in at.markdown)
    assert "not measured" in report                                 # the validation report
    table = at.dataframe[0].value
    assert list(table.columns) == ["column", "unit", "min", "max", "mean", "missing %"]
    assert len(table) == len(ds.columns)
    assert at.get("plotly_chart")


@pytest.mark.parametrize("text, words", [
    ("speed,rpm\n1,2\n3,4\n", "at least 60"),
    ("name,comment\nfoo,bar\nbaz,qux\n", "numeric sensor columns"),
    ("", "empty"),
])
def test_data_page_invalid_input_shows_plain_error(app, text, words):
    at = app.run()
    at.switch_page(DATA).run()
    at.text_area(key="paste_text").input(text)
    at.button(key="load_paste").click().run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert errors and words in errors[0], errors
    assert "Traceback" not in errors[0]
    assert "ds" not in at.session_state                            # nothing half-loaded


def test_data_page_good_paste_loads(app):
    rows = "\n".join(f"{t},{t % 7},{(t % 5) * 2.0}" for t in range(80))
    at = app.run()
    at.switch_page(DATA).run()
    at.text_area(key="paste_text").input("time [s],speed [km/h],NOx [mg/s]\n" + rows)
    at.button(key="load_paste").click().run()
    no_exception(at)
    assert not at.error
    ds = at.session_state["ds"]
    assert len(ds) == 80 and ds.units["speed"] == "km/h" and not ds.simulated


# ---------------------------------------------------------------------------- groups
def test_groups_edit_rename_move_delete_add(app, small_ds):
    at = app.run()
    at.session_state["ds"] = small_ds
    at.switch_page(GROUPS).run()
    no_exception(at)
    assert at.selectbox(key="target_select").value == "NOx"
    assert at.get("plotly_chart")                                   # correlation heatmap
    rows = at.session_state["group_rows"]
    names = [at.session_state[f"gname_{g}"] for g in rows]
    assert names == ["engine", "motion", "thermal", "exhaust"]
    # rename
    at.text_input(key=f"gname_{rows[0]}").input("powertrain").run()
    assert "powertrain" in at.session_state["grouping"]
    # move 'speed' from motion into powertrain
    cols0 = at.multiselect(key=f"gcols_{rows[0]}").value
    at.multiselect(key=f"gcols_{rows[0]}").set_value(cols0 + ["speed"]).run()
    no_exception(at)
    g = at.session_state["grouping"]
    assert "speed" in g["powertrain"] and "speed" not in g["motion"]
    # delete thermal: its columns become unused
    at.button(key=f"gdel_{rows[2]}").click().run()
    assert "thermal" not in at.session_state["grouping"]
    assert any("Not used" in c.value and "coolant_temp" in c.value for c in at.caption)
    # add an empty group: explained, not crashed on; then fill it
    at.text_input(key="new_group_name").input("climate")
    at.button(key="add_group").click().run()
    no_exception(at)
    assert any("'climate' is empty" in e.value for e in at.error)
    assert "grouping" not in at.session_state
    new = at.session_state["group_rows"][-1]
    at.multiselect(key=f"gcols_{new}").set_value(["coolant_temp", "ambient_temp"]).run()
    assert not at.error
    assert at.session_state["grouping"]["climate"] == ["coolant_temp", "ambient_temp"]
    # lookback
    at.number_input(key="lookback_in").set_value(12).run()
    assert at.session_state["window"].lookback == 12


def test_groups_duplicate_name_and_target_change(app, small_ds):
    at = app.run()
    at.session_state["ds"] = small_ds
    at.switch_page(GROUPS).run()
    rows = at.session_state["group_rows"]
    at.text_input(key=f"gname_{rows[1]}").input("engine").run()
    no_exception(at)
    assert any("Two groups are called 'engine'" in e.value for e in at.error)
    assert at.button(key="to_train").disabled
    at.selectbox(key="target_select").set_value("CO2").run()        # new target: new suggestion
    no_exception(at)
    g = at.session_state["grouping"]
    assert at.session_state["target"] == "CO2"
    assert "CO2" not in [c for cols in g.values() for c in cols] and "NOx" in g["exhaust"]


# ---------------------------------------------------------------------------- train + results
def test_train_tiny_then_results_show_heatmaps(app, small_ds, ui_env):
    at = train_tiny(app.run(), small_ds, models=("pa_lstm", "lstm"))
    job = at.session_state["job"]
    assert [r.config.model for r in job.runs] == ["pa_lstm", "lstm"] and not job.errors
    assert any("pa_lstm" in s.value and "RMSE" in s.value for s in at.success)
    assert len(pc.ModelCache(ui_env).list()) == 2                   # cached on disk
    assert at.dataframe                                             # cached-runs table

    at.switch_page(RESULTS).run()
    no_exception(at)
    charts = {c.proto.id: c for c in at.get("plotly_chart")}
    assert len(charts) >= 5
    import json
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    att = [f for f in figs if any(t.get("type") == "heatmap" for t in f["data"])
           and any(t.get("type") == "bar" for t in f["data"])]
    assert att, "no attention figure (heatmap + temporal bars)"
    heat = next(t for t in att[0]["data"] if t["type"] == "heatmap")
    assert len(heat["y"]) == len(small_ds.columns) - 1              # every feature a row
    annotations = " ".join(a.get("text", "") for a in att[0]["layout"].get("annotations", []))
    assert "engine" in annotations and "exhaust" in annotations     # group labels
    assert len(at.dataframe[0].value) == 2                          # leaderboard: both runs
    assert [m.label for m in at.metric][:2] == ["Actual NOx", "Predicted"]
    # move the prediction time; pick the lstm (no attention): says so
    t = at.slider(key="res_time")
    t.set_value(t.min + 5 * (t.max - t.min) / 10).run()
    no_exception(at)
    lstm_key = next(k for k, r in at.session_state["runs"].items() if r.config.model == "lstm")
    at.selectbox(key="res_main").set_value(lstm_key).run()
    no_exception(at)
    assert at.radio(key="res_map").value == "integrated_gradients"     # no attention: IG
    assert at.radio(key="res_map").options == ["integrated gradients", "occlusion"]
    assert any("has no attention" in c.value for c in at.caption)
    # downloads
    at.switch_page(DOWNLOADS).run()
    no_exception(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Predictions CSV" in labels and "Model weights (safetensors)" in labels


def test_results_early_warning_and_other_drive(app, small_ds):
    at = train_tiny(app.run(), small_ds)
    at.switch_page(RESULTS).run()
    no_exception(at)
    at.number_input(key="res_threshold").set_value(1.0).run()
    no_exception(at)
    labels = [m.label for m in at.metric]
    assert {"Hits", "Misses", "False alarms"} <= set(labels)
    at.selectbox(key="res_other").set_value("motorway").run()       # lab → road
    no_exception(at)
    assert any("tested on the whole of sample: motorway" in m.value for m in at.markdown)


def test_cancel_stops_training(app, small_ds, monkeypatch):
    monkeypatch.setenv("PALSTM_UI_DEFAULTS", "hidden_size=8,epochs=400,lookback=10,batch_size=8")
    at = app.run()
    at.session_state["ds"] = small_ds
    at.switch_page(GROUPS).run()
    at.switch_page(TRAIN).run()
    at.number_input(key="trainset_patience").set_value(100)
    at.button(key="start_training").click().run()
    job = at.session_state["job"]
    assert job.running
    at.button(key="cancel_training").click().run()
    no_exception(at)
    at = wait_for_job(at, timeout=60)
    assert job.cancelled and not job.runs
    at.run()
    assert any("cancelled" in w.value for w in at.warning)
    assert not at.session_state["runs"] if "runs" in at.session_state else True  # noqa


def test_demo_trains_and_opens_results_on_peak(app):
    at = app.run()
    at.button(key="demo").click().run()
    no_exception(at)
    assert page_title(at) == "3 · Train"
    at = wait_for_job(at)
    no_exception(at)
    assert page_title(at) == "4 · Results"
    run = next(iter(at.session_state["runs"].values()))
    pred = run.predict(at.session_state["ds"], part="test")
    assert at.session_state["res_time"] == pytest.approx(highest_actual_time(pred))
    # a second demo reopens the cached run at once
    at.switch_page("app.py").run()
    at.button(key="demo").click().run()
    at = wait_for_job(at, timeout=120)        # a bound for a loaded machine, not a speed test
    assert at.session_state["job"].runs[0].from_cache


def test_cached_run_open_and_delete(app, small_ds, ui_env):
    at = train_tiny(app.run(), small_ds)
    key = next(iter(at.session_state["runs"]))
    del at.session_state["runs"]
    at.switch_page(TRAIN).run()
    assert at.selectbox(key="cached_pick").value == key
    at.button(key="open_cached").click().run()
    no_exception(at)
    assert page_title(at) == "4 · Results"
    assert at.session_state["runs"][key].from_cache
    at.switch_page(TRAIN).run()
    at.button(key="delete_cached").click().run()
    no_exception(at)
    assert pc.ModelCache(ui_env).list() == []


def test_pages_without_data_point_back(app):
    at = app.run()
    for page in (GROUPS, TRAIN, RESULTS, DOWNLOADS):
        at.switch_page(page).run()
        no_exception(at)
        assert at.info, page


# ---------------------------------------------------------------------------- core helpers
def test_exceedance_counts():
    actual = np.array([1, 5, 6, 2, 7, np.nan])
    pred = np.array([1, 6, 2, 6, 8, 9])
    c = exceedance_counts(actual, pred, 4.0)
    assert (c["hits"], c["misses"], c["false_alarms"], c["quiet"]) == (2, 1, 1, 1)
    assert c["hit_rate"] == pytest.approx(2 / 3)
    assert list(exceedance_flags(actual, pred, 4.0)) == ["quiet", "hit", "miss", "false alarm",
                                                         "hit", ""]


def test_window_steps_and_grouped_order():
    t = np.arange(100, dtype=float) * 0.5
    steps = window_steps(t, 10.0, lookback=4, horizon=1)
    assert list(steps) == [8.0, 8.5, 9.0, 9.5]
    order, bounds = plots._grouped_order(["a", "b", "c", "d"], {"g2": ["c"], "g1": ["a", "d"]})
    assert order == ["c", "a", "d", "b"]
    assert bounds == [("g2", 0, 1), ("g1", 1, 3), ("other", 3, 4)]


def test_memo_is_bounded_and_job_runner_reports():
    from pages._shared.jobs import Job
    from pages._shared.state import Memo
    m = Memo(size=2)
    for k in "abc":
        m.get_or_compute(k, lambda k=k: k * 2)
    assert list(m) == ["b", "c"]                       # oldest use dropped
    assert m.get_or_compute("b", lambda: "new") == "bb" and list(m) == ["c", "b"]

    def work(job):
        job.progress(0.5, "half")
        return 42
    job = Job(work, note="x").start()
    assert job.wait(10) and job.result == 42 and job.fraction == 0.5 and job.info["note"] == "x"
    bad = Job(lambda job: int("x")).start()
    assert bad.wait(10) and bad.result is None and "invalid literal" in bad.error


def test_results_of_a_run_on_other_data(app, small_ds):
    at = train_tiny(app.run(), small_ds)
    at.session_state["ds"] = pc.load_sample("urban").slice(600, 1200)   # same columns, new data
    del at.session_state["memo"]
    at.switch_page(RESULTS).run()
    no_exception(at)
    assert any("evaluated on the test span" in i.value for i in at.info)
    board = at.dataframe[0].value
    assert list(board["model"]) == ["pa_lstm"] and np.isfinite(board["rmse"]).all()


def test_own_csv_with_datetime_clock_end_to_end(app):
    """A user's CSV (pasted) with date-times and no sample columns: groups → train → results."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    speed = 50 + 30 * np.sin(t / 15) + rng.normal(0, 1, t.size)
    rpm = 1500 + 20 * speed + rng.normal(0, 20, t.size)
    nox = 0.05 * np.roll(rpm, 2) + rng.normal(0, 2, t.size)
    stamps = np.datetime64("2026-05-01T08:00:00") + t.astype("timedelta64[s]")
    text = "timestamp,speed [km/h],rpm [1/min],NOx [ppm]\n" + "\n".join(
        f"{s},{a:.2f},{b:.1f},{c:.2f}" for s, a, b, c in zip(stamps, speed, rpm, nox))
    at = app.run()
    at.switch_page(DATA).run()
    at.text_area(key="paste_text").input(text)
    at.button(key="load_paste").click().run()
    no_exception(at)
    ds = at.session_state["ds"]
    assert ds.time_kind == "datetime" and not at.error
    at = train_tiny(at, ds)
    at.switch_page(RESULTS).run()
    no_exception(at)
    assert any(m.label == "Actual NOx" for m in at.metric)
    assert not at.error


def test_results_temporal_only_model(app, small_ds):
    """lstm_attention has temporal attention only: its profile is drawn under an integrated-
    gradients map (it has no per-input attention weight)."""
    import json
    at = train_tiny(app.run(), small_ds, models=("lstm_attention",))
    at.switch_page(RESULTS).run()
    no_exception(at)
    assert any("temporal attention only" in c.value for c in at.caption)
    assert at.radio(key="res_map").value == "integrated_gradients"
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    att = [f for f in figs if any("Temporal attention" in a.get("text", "")
                                  for a in f["layout"].get("annotations", []))]
    titles = " ".join(a.get("text", "") for a in att[0]["layout"]["annotations"])
    assert "Integrated gradients" in titles
    assert [t["type"] for t in att[0]["data"]] == ["heatmap", "bar"]


# ---------------------------------------------------------------------------- merge, clean
def test_data_page_merges_split_sample(app):
    """The urban drive as two files (4 s analyzer delay): the delay is found and shown, with the
    lag curve; the merged drive becomes the session's data."""
    import json
    at = app.run()
    at.switch_page(DATA).run()
    at.toggle(key="mergeopt_sample").set_value(True).run()
    no_exception(at)
    at.button(key="merge_btn").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    ds = at.session_state["ds"]
    a = ds.alignment
    assert 4.0 <= a["lag_s"] <= 5.0 and a["corr_after"] > a["corr_before"]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Analyzer delay"] == format(a["lag_s"], "g") + " s"     # as the page shows it
    assert shown["Channel pair"] == f"{a['pair'][0]} ↔ {a['pair'][1]}"
    assert shown["Correlation before"] == f"{a['corr_before']:.3f}"
    assert shown["Correlation after"] == f"{a['corr_after']:.3f}"
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    lag = [f for f in figs if "Correlation of PEMS" in str(f["layout"].get("title"))]
    assert lag and lag[0]["data"][0]["x"] == list(a["lag_curve"]["lag_s"])
    assert any("Merged PEMS" in m.value for m in at.markdown)       # report of the merged drive
    assert ds.simulated and any("Simulated" in w.value for w in at.warning)
    # a delay set by hand is used as given
    at.toggle(key="mergeopt_lag_on").set_value(True).run()
    at.number_input(key="mergeopt_lag").set_value(2.0).run()
    at.button(key="merge_btn").click().run()
    no_exception(at)
    assert at.session_state["ds"].alignment["lag_s"] == 2.0


def test_data_page_merge_errors_in_plain_words(app, monkeypatch):
    at = app.run()
    at.switch_page(DATA).run()
    at.toggle(key="mergeopt_sample").set_value(True).run()
    at.selectbox(key="mergeopt_pems_col").set_value("CO2").run()       # pair half chosen
    at.button(key="merge_btn").click().run()
    no_exception(at)
    assert any("Pick both channels" in e.value for e in at.error)
    assert "ds" not in at.session_state

    def broken(*a, **k):
        raise pc.DataError("The PEMS and OBD files do not overlap in time.")
    monkeypatch.setattr(pc, "merge_drives", broken)
    at.selectbox(key="mergeopt_obd_col").set_value("fuel_rate").run()
    at.button(key="merge_btn").click().run()
    no_exception(at)
    assert any("could not be merged" in e.value and "do not overlap" in e.value
               for e in at.error)


def test_data_page_clean_toggle_and_restore(app):
    at = app.run()
    at.switch_page(DATA).run()
    at.button(key="load_sample").click().run()                       # urban
    raw = at.session_state["ds"]
    at.toggle(key="clean_on").set_value(True).run()
    no_exception(at)
    ds = at.session_state["ds"]
    assert ds.cleaning and ds is not raw
    table = at.dataframe[0].value
    assert set(table["channel"]) == set(ds.cleaning) and table["spikes removed"].sum() > 0
    assert sum(v["spikes"] for v in ds.cleaning.values()) == table["spikes removed"].sum()
    assert at.selectbox(key="clean_plot").value in ds.cleaning
    import json
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any(any("removed spikes" in str(t.get("name")) for t in f["data"]) for f in figs)
    at.switch_page(GROUPS).run()                                      # the next steps use it
    no_exception(at)
    assert at.session_state["ds"] is ds
    at.switch_page(DATA).run()
    assert at.toggle(key="clean_on").value and at.session_state["ds"] is ds
    at.toggle(key="clean_on").set_value(False).run()                  # off: data as loaded
    no_exception(at)
    assert at.session_state["ds"] is raw


# ---------------------------------------------------------------------------- explanations
def _figs(at):
    import json
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _array(v) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape"}."""
    if isinstance(v, dict):
        import base64
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(n) for n in str(v.get("shape", len(a))).split(",")])
    return np.asarray(v, dtype=float)


def _map_heat(at):
    """z (F × L) of the Results page's map of the chosen window."""
    fig = next(f for f in _figs(at).values()
               if any(t.get("type") == "heatmap" for t in f["data"])
               and "Temporal attention" in str(f["layout"].get("annotations")))
    return _array(next(t for t in fig["data"] if t["type"] == "heatmap")["z"])


def test_results_map_selector_pair_and_deletion_score(app, small_ds):
    from palstm_core.explain import maps
    at = train_tiny(app.run(), small_ds, models=("pa_lstm", "lstm"))
    at.switch_page(RESULTS).run()
    no_exception(at)
    runs = {r.config.model: r for r in at.session_state["runs"].values()}
    pa = runs["pa_lstm"]
    # 1. relevance by default for an attention model; α and attributions one click away
    sel = at.radio(key="res_map")
    assert sel.value == "relevance"
    assert sel.options == ["relevance", "feature attention α", "integrated gradients",
                           "occlusion"]
    z = _map_heat(at)
    assert z.shape == (len(pa.columns), pa.window.lookback)
    np.testing.assert_allclose(z.sum(), 1.0, rtol=1e-4)              # relevance sums to 1
    assert any("γ_g·β^g_t·α^k_t" in c.value for c in at.caption)
    sel.set_value("feature").run()
    no_exception(at)
    assert any("within each sensor group" in c.value and "not a which-sensor-when map" in c.value
               for c in at.caption)
    at.radio(key="res_map").set_value("integrated_gradients").run()
    no_exception(at)
    ig = _map_heat(at)
    i = int(np.argmin(np.abs(pa.predict(small_ds, part="test")["time"].to_numpy()
                             - at.session_state["res_time"])))
    want = pc.attribute(pa, small_ds, windows=[i], part="test").values[0]
    order = [c for cols in pa.groups.values() for c in cols]
    np.testing.assert_allclose(ig, want[:, [pa.columns.index(c) for c in order]].T, rtol=1e-3,
                               atol=1e-6)
    # 2. side by side: pa_lstm relevance vs lstm IG on one colour scale, with agreement
    at.selectbox(key="pair_a").set_value(f"{pa.key}|relevance").run()
    at.selectbox(key="pair_b").set_value(f"{runs['lstm'].key}|integrated_gradients").run()
    no_exception(at)
    pair = next(f for f in _figs(at).values() if "coloraxis" in f["layout"]
                and len([t for t in f["data"] if t["type"] == "heatmap"]) == 2)
    assert all(t["coloraxis"] == "coloraxis" for t in pair["data"])
    rho = next(m for m in at.metric if m.label.startswith("Agreement"))
    a = at.session_state["memo"][("map", pa.key, small_ds.fingerprint(), "relevance", i, "test")]
    j = i + pa.window.lookback - runs["lstm"].window.lookback          # same predicted time
    b = pc.attribute(runs["lstm"], small_ds, windows=[j], part="test").values[0]
    expect = maps.agreement(a, b, pa.columns)
    assert rho.value == f"{expect.rho:.2f}"
    texts = [w.value for w in at.warning] + [m.value for m in at.markdown]
    assert any(f"ρ = {expect.rho:.2f}" in t for t in texts)
    # 3. deletion score of the chosen map, on a button, memoised
    at.radio(key="res_map").set_value("relevance").run()
    assert not any(c.value.startswith("Area under") for c in at.caption)
    at.button(key="score_btn").click().run()
    no_exception(at)
    curve = at.session_state["memo"][("deletion", pa.key, small_ds.fingerprint(), "relevance",
                                      "test")]
    assert any(m.value == curve.summary for m in at.markdown)
    assert any(f"**{curve.area:.3f}**" in c.value for c in at.caption)
    dfig = next(f for f in _figs(at).values() if "cells removed" in str(f["layout"]["xaxis"]))
    np.testing.assert_allclose(_array(dfig["data"][0]["y"]), curve.error)
    table = next(d.value for d in at.dataframe if "deletion area: relevance" in d.value.columns)
    row = table[table["key"] == pa.key[:6]].iloc[0]
    assert row["deletion area: relevance"] == f"{curve.area:.2f} vs {curve.area_random:.2f} random"
    at.run()                                                          # rerender: not recomputed
    assert at.session_state["memo"][("deletion", pa.key, small_ds.fingerprint(), "relevance",
                                     "test")] is curve
    # relevance vs integrated gradients over the test span (issue 20), on a button, memoised
    at.button(key="agree_btn").click().run()
    no_exception(at)
    ra = at.session_state["memo"][("relevance_agreement", pa.key, small_ds.fingerprint())]
    assert next(m for m in at.metric if m.label == "Spearman ρ (mean maps)").value == \
        f"{ra.spearman:.2f}"
    assert any(ra.summary == t.value for t in [*at.warning, *at.markdown])
    # 7. downloads: relevance map at once, integrated gradients on a click, long CSV
    at.switch_page(DOWNLOADS).run()
    at.selectbox(key="dl_run").set_value(pa.key).run()
    no_exception(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Relevance CSV" in labels and "Integrated gradients CSV" not in labels
    at.button(key="dl_ready_integrated_gradients").click().run()
    no_exception(at)
    assert "Integrated gradients CSV" in [b.proto.label for b in at.get("download_button")]
    frame = at.session_state["memo"][("map_frame", pa.key, small_ds.fingerprint(),
                                      "integrated_gradients", "test")]
    assert list(frame.columns) == ["time", "lag", "feature", "value"]
    np.testing.assert_allclose(frame["value"].to_numpy().reshape(-1, *want.shape)[i],
                               want, rtol=1e-3, atol=1e-6)


def test_all_models_on_train_page_and_da_rnn_persistence_results(app, small_ds):
    at = app.run()
    at.session_state["ds"] = small_ds
    at.switch_page(GROUPS).run()
    at.switch_page(TRAIN).run()
    assert set(at.multiselect(key="trainset_models").options) >= {
        f"{m} — {pc.MODELS[m].description}" for m in pc.MODELS}
    at = train_tiny(at, small_ds, models=("da_rnn", "persistence"))
    assert not at.session_state["job"].errors
    runs = {r.config.model: k for k, r in at.session_state["runs"].items()}
    at.switch_page(RESULTS).run()
    for name in ("da_rnn", "persistence"):
        at.selectbox(key="res_main").set_value(runs[name]).run()
        no_exception(at)
        assert not at.error, [e.value for e in at.error]
    assert at.radio(key="res_map").value == "integrated_gradients"   # persistence: IG
    at.selectbox(key="res_main").set_value(runs["da_rnn"]).run()
    assert at.radio(key="res_map").value == "relevance"              # da_rnn: β·α relevance
    import json
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any(any(t.get("type") == "heatmap" for t in f["data"]) for f in figs)


def test_streamlit_config_limits_uploads_and_keeps_training_thread_fast():
    """The app's own config: the upload limit matches the core's, and nothing that runs after
    every script re-run (source watching, a forced full GC) stalls the training thread: with
    Streamlit's defaults the demo trained in 44 s instead of 10 s (docs/benchmarks.md)."""
    import tomllib

    from palstm_core import data

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] == data.MAX_BYTES // 2**20
    assert cfg["server"]["fileWatcherType"] == "none"
    assert cfg["runner"]["postScriptGC"] is False
