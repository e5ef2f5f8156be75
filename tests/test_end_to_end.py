"""End to end: sample drive -> PA-LSTM -> attention -> prediction on the other drive -> cache hit."""
from __future__ import annotations

import numpy as np
import pytest

import palstm_core as pc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cache = pc.ModelCache(tmp_path_factory.mktemp("cache"))
    ds = pc.load_sample("urban").slice(0, 1200)
    grouping = pc.suggest_groups(ds, "NOx")
    window = pc.WindowSpec(lookback=12, horizon=1)
    config = pc.TrainConfig(model="pa_lstm", hidden_size=8, epochs=2, batch_size=128)
    run = pc.train(ds, "NOx", grouping, window, config, cache=cache)
    return ds, grouping, window, config, cache, run


def test_pa_lstm_trains_and_reports_metrics(trained):
    ds, grouping, window, config, cache, run = trained
    assert set(run.metrics) == {"rmse", "mae", "mape", "r2"}
    assert all(np.isfinite(v) for v in run.metrics.values())
    assert [h["epoch"] for h in run.history] == [1, 2]
    assert run.history[-1]["train_loss"] < run.history[0]["train_loss"] * 1.5
    assert run.target == "NOx" and run.grouping == grouping and run.window == window
    assert not run.from_cache and run.path is not None


def test_attention_shapes_and_sums(trained):
    ds, grouping, window, *_, run = trained
    att = run.explain(ds)
    pred = run.predict(ds)
    n, L, F = len(pred), window.lookback, len(grouping.features)
    assert att.feature.shape == (n, L, F) and att.temporal.shape == (n, L)
    assert att.group.shape == (n, len(grouping.groups))
    assert np.array_equal(att.times, pred["time"].to_numpy())
    assert att.features == grouping.features and att.groups == grouping.groups
    for cols in grouping.groups.values():
        idx = [att.features.index(c) for c in cols]
        np.testing.assert_allclose(att.feature[:, :, idx].sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(att.temporal.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(att.group.sum(-1), 1.0, atol=1e-5)
    long = att.to_frame()
    assert len(long) == n * L * F and set(long["group"]) == set(grouping.groups)


def test_predict_other_drive_with_and_without_target(trained):
    *_, run = trained
    motorway = pc.load_sample("motorway")
    pred = run.predict(motorway)
    assert len(pred) == len(motorway) - run.window.lookback - run.window.horizon + 1
    assert pred["time"].is_monotonic_increasing and pred["actual"].notna().all()
    assert np.isfinite(pred["predicted"]).all()
    obd_only = motorway.slice()
    obd_only.frame = obd_only.frame.drop(columns=["NOx"])          # no PEMS attached
    pred2 = run.predict(obd_only)
    assert pred2["actual"].isna().all()
    np.testing.assert_allclose(pred2["predicted"], pred["predicted"], rtol=1e-5)
    test = run.predict(pc.load_sample("urban").slice(0, 1200), part="test")
    m = pc.regression_metrics(test["actual"], test["predicted"])
    assert m["rmse"] == pytest.approx(run.metrics["rmse"], rel=1e-6)


def test_second_train_is_a_cache_hit(trained, monkeypatch):
    ds, grouping, window, config, cache, run = trained
    import torch

    def no_training(*args, **kwargs):
        raise AssertionError("a cache hit must not build or train a model")

    monkeypatch.setattr(torch.optim, "Adam", no_training)
    again = pc.train(ds, "NOx", grouping, window, config, cache=cache)
    assert again.from_cache and again.key == run.key
    assert again.metrics == run.metrics and again.history == run.history
    np.testing.assert_allclose(again.predict(ds)["predicted"], run.predict(ds)["predicted"],
                               rtol=1e-6)


def test_models_without_attention_return_none(trained):
    ds, grouping, window, *_ = trained
    run = pc.train(ds, "NOx", grouping, window, pc.TrainConfig(model="linear"))
    att = run.explain(ds)
    assert att.feature is None and att.temporal is None and att.group is None
    assert att.feature_importance() is None
