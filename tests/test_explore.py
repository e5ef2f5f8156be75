"""What-if edits, sensitivity (ICE / partial dependence) and error by value: each checked
against the same question asked of the model the long way (edit the whole drive, predict)."""
from __future__ import annotations

import numpy as np
import pytest

import palstm_core as pc

GROUPS = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"]})


@pytest.fixture(scope="module")
def runs(small_ds):
    tiny = dict(hidden_size=6, epochs=2, batch_size=128, device="cpu", cpu_threads=1)
    pa = pc.train(small_ds, "NOx", GROUPS, pc.WindowSpec(lookback=8),
                  pc.TrainConfig(model="pa_lstm", **tiny))
    lin = pc.train(small_ds, "NOx", GROUPS, pc.WindowSpec(lookback=12, horizon=2),
                   pc.TrainConfig(model="linear", device="cpu"))
    return pa, lin


def _by_hand(run, ds, time, column, value_fn, first, newest):
    """The long way: edit the loaded drive itself, predict every window, read the one row."""
    frame = ds.frame.copy()
    frame.loc[first:newest, column] = value_fn(frame.loc[first:newest, column].to_numpy())
    edited = pc.Dataset(frame, ds.time_column, [], dict(ds.units), ds.name)
    pred = run.predict(edited)
    return float(pred.loc[np.isclose(pred["time"], time), "predicted"].iloc[0])


def test_mean_edit_matches_re_predicting_the_edited_drive(runs, small_ds):
    pa, lin = runs
    pred = pa.predict(small_ds, part="test")
    time = float(pred["time"].iloc[40])
    rel = pa.explain(small_ds, part="test").relevance[40]
    top = pa.columns[int(rel.sum(axis=0).argmax())]            # the most relevant sensor
    mean = float(pa.scaler.mean[pa.columns.index(top)])
    res = pc.what_if([pa, lin], small_ds, time, [pc.Edit([top], "mean")], map_name="default")
    row = int(np.searchsorted(small_ds.times, time))
    for run in (pa, lin):
        newest = row - run.window.horizon
        first = newest - run.window.lookback + 1
        want = _by_hand(run, small_ds, time, top, lambda v: np.full_like(v, mean), first, newest)
        got = res.table[res.table["run"] == run.key].iloc[0]
        assert got["edited"] == pytest.approx(want, rel=1e-5, abs=1e-6)
        original = run.predict(small_ds)
        assert got["original"] == pytest.approx(
            float(original.loc[np.isclose(original["time"], time), "predicted"].iloc[0]),
            rel=1e-5, abs=1e-6)
        assert got["change"] == pytest.approx(got["edited"] - got["original"])
    assert abs(res.table["change"]).max() > 0                    # the edit did something
    before, after = res.maps[pa.key]
    assert res.map_names[pa.key] == "relevance"
    assert before.shape == after.shape == (8, len(pa.columns))
    assert after.sum() == pytest.approx(1.0, abs=1e-4) and not np.allclose(before, after)
    assert lin.key not in res.maps or res.map_names[lin.key] == "integrated_gradients"


def test_identity_edits_change_nothing_and_edits_combine(runs, small_ds):
    pa, _ = runs
    time = float(pa.predict(small_ds, part="test")["time"].iloc[10])
    same = pc.what_if(pa, small_ds, time, [pc.Edit(["rpm"], "scale", 1.0),
                                           pc.Edit("speed", "shift", 0.0)])
    assert same.table["change"].abs().max() < 1e-6
    # two edits on a part of the window: rpm × 1.2 over the newest 3 steps, load = 55 %
    row = int(np.searchsorted(small_ds.times, time))
    newest = row - 1
    start = float(small_ds.times[newest - 2])
    both = pc.what_if(pa, small_ds, time, [pc.Edit(["rpm"], "scale", 1.2, start=start),
                                           pc.Edit(["load"], "constant", 55.0)])
    frame = small_ds.frame.copy()
    frame.loc[newest - 2:newest, "rpm"] *= 1.2
    frame.loc[newest - 7:newest, "load"] = 55.0
    pred = pa.predict(pc.Dataset(frame, small_ds.time_column, [], dict(small_ds.units), "x"))
    want = float(pred.loc[np.isclose(pred["time"], time), "predicted"].iloc[0])
    assert both.table["edited"].iloc[0] == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_copy_takes_another_windows_trace(runs, small_ds):
    pa, _ = runs
    pred = pa.predict(small_ds, part="test")
    t, other = float(pred["time"].iloc[5]), float(pred["time"].iloc[30])
    source_newest = float(small_ds.times[int(np.searchsorted(small_ds.times, other)) - 1])
    res = pc.what_if(pa, small_ds, t, [pc.Edit(list(pa.columns), "copy", source_newest)])
    # every input copied from the other window: the prediction is that window's
    assert res.table["edited"].iloc[0] == pytest.approx(
        float(pred["predicted"].iloc[30]), rel=1e-5, abs=1e-6)


def test_bad_edits_say_what_to_fix(runs, small_ds):
    pa, _ = runs
    with pytest.raises(pc.DataError, match="Unknown edit"):
        pc.Edit(["rpm"], "double")
    with pytest.raises(pc.DataError, match="not a column"):
        pc.what_if(pa, small_ds, float(small_ds.times[300]), [pc.Edit(["nope"], "scale", 2)])
    with pytest.raises(pc.DataError, match="no row at time"):
        pc.what_if(pa, small_ds, 0.123, [pc.Edit(["rpm"], "scale", 2)])


def test_sensitivity_ice_and_partial_dependence(runs, small_ds):
    pa, lin = runs
    sens = pc.sensitivity(lin, small_ds, "MAF", scales=[0.5, 0.75, 1.0, 1.25, 1.5])
    base = lin.predict(small_ds, part="test")
    np.testing.assert_allclose(sens.ice[:, 2], base["predicted"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sens.times, base["time"])
    # the linear model is linear in each input: equal steps in the scale, equal steps out
    steps = np.diff(sens.ice, axis=1)
    np.testing.assert_allclose(steps, steps[:, :1].repeat(4, axis=1), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(sens.pdp, sens.ice.mean(axis=0))
    nonlinear = pc.sensitivity(pa, small_ds, "rpm", scales=[0.8, 1.0, 1.2])
    assert nonlinear.ice.shape == (len(pa.predict(small_ds, part="test")), 3)
    with pytest.raises(pc.DataError, match="target itself|not an input"):
        pc.sensitivity(pa, small_ds, "NOx")


def test_error_by_value_bins_cover_every_window(runs, small_ds):
    pa, _ = runs
    table = pc.error_by_value(pa, small_ds, "speed", bins=4)
    pred = pa.predict(small_ds, part="test")
    assert table["n"].sum() == len(pred)
    err = np.abs(pred["predicted"] - pred["actual"])
    assert (table["mae"] * table["n"]).sum() / table["n"].sum() == pytest.approx(err.mean())
    assert (np.diff(table["low"]) > 0).all()
