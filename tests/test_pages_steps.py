"""AppTest of a multi-step run in the pages (issue 22): the Sensor groups page's forecast-steps
input, Train, Results (fan of forecasts from the chosen window, error by step, the model's own
maps: seq2seq's decoder × encoder map and the transformer's heads) and Downloads (the long
predictions, the maps one row per window)."""
from __future__ import annotations

import base64
import json

import numpy as np

import palstm_core as pc
from test_pages import DOWNLOADS, GROUPS, RESULTS, TRAIN, no_exception
from conftest import wait_for_job


def _arr(v) -> np.ndarray:
    """A plotly array from a figure's JSON (a list, or {dtype, bdata[, shape]})."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v)


def _figures(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _train_three_steps(at, ds, models):
    at.session_state["ds"] = ds
    at.switch_page(GROUPS).run()
    no_exception(at)
    assert at.number_input(key="steps_in").value == 1                  # default: one step
    at.number_input(key="steps_in").set_value(3).run()
    no_exception(at)
    assert at.session_state["window"].steps == 3
    assert any("3 forecast steps" in s.value for s in at.success)
    at.switch_page(TRAIN).run()
    no_exception(at)
    at.multiselect(key="trainset_models").set_value(list(models)).run()
    at.button(key="start_training").click().run()
    return wait_for_job(at)


def test_three_step_runs_on_results_and_downloads(app, small_ds):
    at = _train_three_steps(app.run(), small_ds, ("seq2seq", "transformer"))
    job = at.session_state["job"]
    assert not job.errors and [r.window.steps for r in job.runs] == [3, 3]
    s2s = next(r for r in job.runs if r.config.model == "seq2seq")
    tr = next(r for r in job.runs if r.config.model == "transformer")

    at.switch_page(RESULTS).run()
    at.selectbox(key="res_main").set_value(s2s.key).run()
    no_exception(at)
    assert any("forecasts **3 steps**" in i.value for i in at.info)
    # one row per window for the time slider (step 1), as explain
    pred = s2s.predict(small_ds, part="test")
    t = at.slider(key="res_time")
    assert t.min == pred.loc[pred["step"] == 1, "time"].min()
    figs = _figures(at)
    fan = figs[next(k for k in figs if "fan_fig" in k)]
    bold = [d for d in fan["data"] if d.get("name") == "forecast from the chosen origin"]
    assert len(bold) == 1 and len(_arr(bold[0]["y"])) == 3      # steps 1 … 3 of one window
    assert any(d.get("name") == "actual" for d in fan["data"])
    for metric in ("step_rmse_fig", "step_r2_fig"):
        f = figs[next(k for k in figs if metric in k)]
        lines = {d["name"]: list(_arr(d["x"])) for d in f["data"]}
        assert any(n.startswith("seq2seq") for n in lines) and all(
            x == [1, 2, 3] for x in lines.values()), lines
    step_table = next(d.value for d in at.dataframe if "steps after the newest input" in
                      d.value.columns and "RMSE" in d.value.columns)
    assert list(step_table["step"]) == [1, 2, 3]
    assert abs(step_table["RMSE"].iloc[0] - s2s.metrics_by_step[1]["rmse"]) < 1e-9
    dec = figs[next(k for k in figs if "decoder_map_fig" in k)]
    assert _arr(dec["data"][0]["z"]).shape == (3, s2s.window.lookback)
    assert any("explain **step 1**" in m.value for m in at.markdown)
    # another origin: the fan moves with the time slider
    before = list(_arr(bold[0]["x"]))
    t.set_value(t.min + (t.max - t.min) / 2).run()
    no_exception(at)
    figs = _figures(at)
    fan = figs[next(k for k in figs if "fan_fig" in k)]
    assert list(_arr(next(d for d in fan["data"]
                          if d.get("name") == "forecast from the chosen origin")["x"])) != before

    at.selectbox(key="res_main").set_value(tr.key).run()
    no_exception(at)
    figs = _figures(at)
    heads = figs[next(k for k in figs if "heads_map_fig" in k)]
    n_heads = sum(1 for d in heads["data"] if d["type"] == "heatmap")
    L = tr.window.lookback
    assert n_heads >= 2 and _arr(heads["data"][0]["z"]).shape == (L, L)

    at.switch_page(DOWNLOADS).run()
    at.selectbox(key="dl_run").set_value(s2s.key).run()
    no_exception(at)
    assert any("one per window and forecast step" in c.value for c in at.caption)
    assert "Predictions CSV" in [b.proto.label for b in at.get("download_button")]
    at.button(key="dl_ready_integrated_gradients").click().run()    # a map: one row per window
    no_exception(at)
    assert "Integrated gradients CSV" in [b.proto.label for b in at.get("download_button")]
    frame = at.session_state["memo"][("map_frame", s2s.key, small_ds.fingerprint(),
                                      "integrated_gradients", "test")]
    n_windows = int((pred["step"] == 1).sum())
    assert frame["time"].nunique() == n_windows
    assert len(frame) == n_windows * s2s.window.lookback * len(s2s.columns)


def test_three_step_run_on_a_campaign_shows_the_chosen_drive(app):
    """A 3-step PA-LSTM on the sample campaign (time split in every drive): Results' fan and
    error by step are those of the drive chosen on the page; Downloads keeps every drive."""
    at = app.run()
    at.switch_page("pages/1_Data.py").run()
    at.button(key="load_campaign_sample").click().run()
    no_exception(at)
    camp = at.session_state["campaign"]
    at.switch_page(GROUPS).run()
    at.selectbox(key="target_select").set_value("NOx").run()
    at.number_input(key="steps_in").set_value(3).run()
    at.switch_page(TRAIN).run()
    at.button(key="start_training").click().run()
    at = wait_for_job(at)
    run = at.session_state["job"].runs[0]
    assert run.window.steps == 3
    at.switch_page(RESULTS).run()
    no_exception(at)
    drive = camp.names[1]
    at.selectbox(key="res_drive").set_value(drive).run()
    no_exception(at)
    mine = run.predict(camp[drive], part="test")
    step_table = next(d.value for d in at.dataframe if "steps after the newest input" in
                      d.value.columns and "RMSE" in d.value.columns)
    for k in (1, 2, 3):
        m = pc.regression_metrics(mine.loc[mine["step"] == k, "actual"],
                                  mine.loc[mine["step"] == k, "predicted"])
        assert abs(step_table["RMSE"].iloc[k - 1] - m["rmse"]) < 1e-9
    assert at.slider(key="res_time").min == mine.loc[mine["step"] == 1, "time"].min()
    figs = _figures(at)
    assert any("fan_fig" in k for k in figs)
    at.switch_page(DOWNLOADS).run()
    no_exception(at)
    full = run.predict(camp, part="test")
    assert any(c.value.startswith(f"{len(full)} rows, one per window and forecast step")
               for c in at.caption)
