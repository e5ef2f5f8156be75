"""Results page (AppTest, tiny real models): the interval band on the predictions plot and the
coverage next to the nominal level (a sentence when they differ), and the early warning with a
lead time, an alarm probability, its scores and the trade-off curve (issue 23)."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import palstm_core as pc
from test_pages import RESULTS, no_exception, train_tiny


def _figure(at, name: str) -> dict:
    """The plotly spec of the chart whose element key ends with ``name``."""
    for c in at.get("plotly_chart"):
        if c.proto.id.endswith(name) or name in c.proto.id:
            return json.loads(c.proto.spec)
    raise AssertionError(f"no chart {name}")


def _values(arr) -> np.ndarray:
    """A trace's array as plotly's JSON writes it (a list, or base64 typed-array data)."""
    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
    return np.asarray(arr, dtype=float)


def test_band_and_coverage_follow_the_chosen_level(app, small_ds):
    at = train_tiny(app.run(), small_ds, models=("linear",))
    at.switch_page(RESULTS).run()
    no_exception(at)
    run = next(iter(at.session_state["runs"].values()))
    for level in (0.9, 0.5):
        at.select_slider(key="res_level").set_value(level).run()
        no_exception(at)
        fig = _figure(at, "pred_fig")
        band = [t for t in fig["data"] if t.get("fill") == "tonexty"]
        assert band and f"{level:.0%} interval" in band[0]["name"]
        want = run.predict(small_ds, part="test", interval=level)
        np.testing.assert_allclose(_values(band[0]["y"]), want["lower"], rtol=1e-6)
        m = pc.interval_metrics(want, level)
        assert any(f"**{m['coverage']:.1%}**" in md.value and f"**{level:.0%}**" in md.value
                   for md in at.markdown)
        errors = pc.error_shift(want, run.interval_calibration(small_ds))
        sentence = pc.coverage_sentence(m["coverage"], level, m["n"], errors)
        verdict = pc.coverage_verdict(m["coverage"], level, m["n"])
        where = at.caption if verdict == "as promised" else at.warning
        assert sentence in [e.value for e in where]


@pytest.fixture
def run3(small_ds):
    return pc.train(small_ds, "NOx", pc.suggest_groups(small_ds, "NOx"),
                    pc.WindowSpec(8, 1, steps=3),
                    pc.TrainConfig(model="linear", epochs=1, device="cpu"))


def test_warning_section_scores_lead_and_probability(app, small_ds, run3):
    at = app.run()
    at.session_state["ds"] = small_ds
    at.session_state["runs"] = {run3.key: run3}
    at.switch_page(RESULTS).run()
    no_exception(at)
    assert at.slider(key="res_lead").max == 3 and at.slider(key="res_lead").value == 3
    at.slider(key="res_lead").set_value(2).run()
    at.slider(key="res_alarm_p").set_value(0.3).run()
    no_exception(at)
    thr = at.number_input(key="res_threshold").value
    want = pc.early_warning(run3, small_ds, thr, lead=2, probability=0.3).total
    got = {m.label: m.value for m in at.metric}
    assert got["Hits"] == str(want["hits"]) and got["Misses"] == str(want["misses"])
    assert got["False alarms"] == str(want["false_alarms"])
    assert "Mean warning time" in got
    curve = _figure(at, "tradeoff_fig")
    points = curve["data"][0]
    assert len(_values(points["x"])) == 19 and "false alarms" in curve["layout"]["xaxis"]["title"]["text"]
    assert any("the warning looks 2 s ahead" in c.value for c in at.caption)


def test_one_step_run_explains_its_lead(app, small_ds):
    at = train_tiny(app.run(), small_ds, models=("linear",))
    at.switch_page(RESULTS).run()
    no_exception(at)
    assert any("this run forecasts one step" in c.value for c in at.caption)
    assert {"Hits", "Misses", "False alarms", "Mean warning time"} <= {m.label for m in at.metric}
