"""Results' exploring sections (AppTest, tiny models): what-if edits against ``pc.what_if``,
sensitivity and error-by-value figures against the core, the report button, the link that
reopens the view in a fresh session, and cached runs of the loaded data found by themselves."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import palstm_core as pc
from conftest import ROOT
from test_pages import RESULTS, _array, _figs, no_exception, train_tiny


def _window(at, run, ds):
    """(index, time) of the chosen test window of ``run``."""
    times = run.predict(ds, part="test")["time"].to_numpy(float)
    i = int(np.argmin(np.abs(times - at.session_state["res_time"])))
    return i, float(times[i])


def _most_relevant(run, ds, i) -> str:
    rel = run.explain(ds, part="test").relevance[i]
    return run.columns[int(rel.sum(axis=0).argmax())]


def _link_warnings(at) -> list[str]:
    return [w.value for w in at.warning if "link" in w.value]


def _fresh(query: dict, ds=None) -> AppTest:
    """A new session (same model cache) opened on Results with ``query`` in its address."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    if ds is not None:
        at.session_state["ds"] = ds
    at.run()
    return at.switch_page(RESULTS).run()


@pytest.fixture
def results(app, small_ds):
    at = train_tiny(app.run(), small_ds, models=("pa_lstm", "lstm"))
    at.switch_page(RESULTS).run()
    no_exception(at)
    runs = {r.config.model: r for r in at.session_state["runs"].values()}
    return at, runs


def test_whatif_mean_of_the_most_relevant_sensor_matches_the_core(results, small_ds):
    at, runs = results
    pa, lstm = runs["pa_lstm"], runs["lstm"]
    i, t = _window(at, pa, small_ds)
    top = _most_relevant(pa, small_ds, i)
    at.selectbox(key="wi_what").set_value(f"sensor: {top}")
    at.selectbox(key="wi_op").set_value("mean").run()
    at.button(key="wi_add").click().run()
    no_exception(at)
    want = pc.what_if([pa, lstm], small_ds, t, [pc.Edit([top], "mean")], map_name="relevance")
    for run in (pa, lstm):
        row = want.table[want.table["run"] == run.key].iloc[0]
        m = next(m for m in at.metric if m.label == f"{run.config.model} · {run.key[:6]}")
        assert m.delta == f"{row['change']:+.4g} {run.target_unit}"
        assert m.value == f"{row['edited']:.4g} {run.target_unit}"
    table = next(d.value for d in at.dataframe if "change" in d.value.columns)
    np.testing.assert_allclose(table["change"], want.table["change"], rtol=1e-6, atol=1e-9)
    assert abs(want.table["change"]).max() > 0
    assert any(f"{top} set to the training mean over the window" in m.value for m in at.markdown)
    # the map of the edited window beside the original, the core's numbers
    pair = next(f for f in _figs(at).values() if "edited window" in str(f["layout"]))
    heats = [t_ for t_ in pair["data"] if t_["type"] == "heatmap"]
    order = [pa.columns.index(c) for cols in pa.groups.values() for c in cols]
    before, after = want.maps[pa.key]
    np.testing.assert_allclose(_array(heats[0]["z"]), np.abs(before[:, order].T), rtol=1e-4,
                               atol=1e-7)
    np.testing.assert_allclose(_array(heats[1]["z"]), np.abs(after[:, order].T), rtol=1e-4,
                               atol=1e-7)
    # a second edit over part of the window (a whole group × 1.1), a third copying the
    # window before; the table is the core's for the same edits; then reset
    group = next(o for o in at.selectbox(key="wi_what").options if o.startswith("group: "))
    at.selectbox(key="wi_what").set_value(group)
    at.selectbox(key="wi_op").set_value("scale").run()
    at.slider(key="wi_span").set_value((3, pa.window.lookback)).run()
    at.button(key="wi_add").click().run()
    at.selectbox(key="wi_op").set_value("copy").run()
    at.button(key="wi_add").click().run()
    no_exception(at)
    edits = at.session_state["wi_edits"]["edits"]
    steps = pc.window_steps(small_ds.times, t, pa.window.lookback, pa.window.horizon)
    cols = tuple(pa.groups[group.split(" ")[1]])
    assert edits[1] == pc.Edit(cols, "scale", 1.1, float(steps[2]), float(steps[-1]))
    assert edits[2].op == "copy" and "copied from the window ending at" in edits[2].describe()
    want = pc.what_if([pa, lstm], small_ds, t, [pc.Edit([top], "mean"), edits[1], edits[2]])
    table = next(d.value for d in at.dataframe if "change" in d.value.columns)
    np.testing.assert_allclose(table["edited"], want.table["edited"], rtol=1e-6, atol=1e-9)
    at.button(key="wi_reset").click().run()
    assert at.session_state["wi_edits"]["edits"] == []
    assert not any(m.label.startswith("pa_lstm · ") for m in at.metric)


def test_sensitivity_and_error_by_value_figures_are_the_core(results, small_ds):
    at, runs = results
    pa = runs["pa_lstm"]
    at.selectbox(key="sens_col").set_value("rpm").run()
    assert not any("partial dependence" in str(f) for f in _figs(at).values())   # on a click
    at.button(key="sens_btn").click().run()
    no_exception(at)
    want = pc.sensitivity(pa, small_ds, "rpm", np.linspace(50, 150, 11) / 100)
    fig = next(f for f in _figs(at).values()
               if any("partial dependence" in str(t_.get("name")) for t_ in f["data"]))
    pdp = next(t_ for t_ in fig["data"] if "partial dependence" in str(t_.get("name")))
    np.testing.assert_allclose(_array(pdp["y"]), want.pdp, rtol=1e-5)
    assert sum(t_.get("legendgroup") == "ice" for t_ in fig["data"]) == 12
    err = pc.error_by_value(pa, small_ds, "rpm", bins=8)
    efig = next(f for f in _figs(at).values() if "bins of equal count" in str(f["layout"]))
    np.testing.assert_allclose(_array(efig["data"][0]["y"]), err["mae"], rtol=1e-6)
    at.run()                                                  # kept, not recomputed
    assert any("partial dependence" in str(f) for f in _figs(at).values())


def test_pin_and_report_download(results, small_ds):
    at, runs = results
    at.selectbox(key="wi_what").set_value("sensor: rpm")
    at.selectbox(key="wi_op").set_value("scale").run()
    at.button(key="wi_add").click().run()
    at.button(key="wi_pin").click().run()
    no_exception(at)
    assert any("1 what-if(s) pinned" in c.value for c in at.caption)
    assert not at.get("download_button") or "Download the report (HTML)" not in [
        b.proto.label for b in at.get("download_button")]
    at.button(key="report_btn").click().run()
    no_exception(at)
    assert "Download the report (HTML)" in [b.proto.label for b in at.get("download_button")]
    html = at.session_state["report"][1]
    assert "<h2>What-if edits</h2>" in html and "rpm × 1.1 over the window" in html
    assert runs["pa_lstm"].key in html and runs["lstm"].key in html          # leaderboard
    at.run()                                                 # still there after a rerun
    assert "Download the report (HTML)" in [b.proto.label for b in at.get("download_button")]


def test_link_reopens_the_view_in_a_fresh_session(results, small_ds):
    at, runs = results
    pa, lstm = runs["pa_lstm"], runs["lstm"]
    times = pa.predict(small_ds, part="test")["time"].to_numpy(float)
    at.slider(key="res_time").set_value(float(times[7])).run()
    at.radio(key="res_map").set_value("integrated_gradients").run()
    no_exception(at)
    link = dict(at.query_params)
    assert link["run"] == pa.key and link["t"] == repr(float(times[7]))
    assert link["map"] == "integrated_gradients" and link["data"] == small_ds.fingerprint()
    assert link["compare"] == lstm.key
    assert any(f"run={pa.key}" in c.value for c in at.code)
    # a fresh session with the same data and cache: Results at that window and map
    fresh = _fresh(link, ds=small_ds)
    no_exception(fresh)
    assert fresh.selectbox(key="res_main").value == pa.key
    assert fresh.multiselect(key="res_compare").value == [pa.key, lstm.key]
    assert fresh.session_state["res_time"] == float(times[7])
    assert fresh.radio(key="res_map").value == "integrated_gradients"
    assert not _link_warnings(fresh)
    # the data is not loaded: says so, and reopens once it is
    fresh = _fresh(link)
    no_exception(fresh)
    assert any(f"data with fingerprint {small_ds.fingerprint()}" in w.value
               for w in fresh.warning)
    fresh.session_state["ds"] = small_ds
    fresh.run()
    no_exception(fresh)
    assert fresh.session_state["res_time"] == float(times[7]) and not _link_warnings(fresh)
    # the run is not in this cache
    fresh = _fresh({**link, "run": "abc123"}, ds=small_ds)
    no_exception(fresh)
    assert any("this link is for run abc123 which is not in this cache" in w.value.lower()
               for w in fresh.warning)


def test_sample_link_loads_the_sample_and_cached_runs_are_found(app, ui_env):
    at = app.run()
    at.button(key="start_sample").click().run()                    # the whole urban sample
    at = train_tiny(at, at.session_state["ds"])
    run = next(iter(at.session_state["runs"].values()))
    at.switch_page(RESULTS).run()
    no_exception(at)
    link = dict(at.query_params)
    assert link["data"] == "sample:urban"
    fresh = _fresh(link)                                              # nothing loaded yet
    no_exception(fresh)
    assert fresh.session_state["ds"].name == "sample: urban"
    assert fresh.selectbox(key="res_main").value == run.key
    assert fresh.session_state["res_time"] == float(link["t"])
    # a returning user who loads the same data finds the cached run without a link
    back = _fresh({}, ds=pc.load_sample("urban"))
    no_exception(back)
    assert not any("No trained run" in i.value for i in back.info)
    assert back.selectbox(key="res_main").value == run.key
