"""Attention container helpers and the deletion check ``explain.faithfulness``."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import palstm_core as pc
from palstm_core.explain import Faithfulness, faithfulness
from palstm_core.simulate import planted_signal


@pytest.fixture(scope="module")
def planted_run():
    ds, grouping, info = planted_signal(2000, lag=4, seed=3)
    # constant lr: a cosine decay over only 6 epochs leaves this model half-trained (R² 0.43
    # vs 0.58 at seed 3), too weak for a clear deletion check
    cfg = pc.TrainConfig(model="pa_lstm", hidden_size=16, epochs=6, seed=3, device="cpu",
                         lr_schedule="none")
    run = pc.train(ds, "target", grouping, pc.WindowSpec(lookback=10, horizon=0), cfg)
    return run, ds, info


@pytest.mark.parametrize("mode", ["window", "step", "mean"])
def test_faithfulness_removing_attended_inputs_hurts_more(planted_run, mode):
    run, ds, _ = planted_run
    f = faithfulness(run, ds, part="test", k=1, mode=mode)
    assert isinstance(f, Faithfulness)
    assert f.baseline_rmse > 0 and f.n_windows > 0 and f.mode == mode
    assert f.increase_top == pytest.approx(f.rmse_top_removed - f.baseline_rmse)
    assert f.increase_bottom == pytest.approx(f.rmse_bottom_removed - f.baseline_rmse)
    assert f.increase_top > 3 * max(f.increase_bottom, 0.01 * f.baseline_rmse)
    assert isinstance(f.summary, str) and f.summary.endswith(".") and "\n" not in f.summary
    assert set(f.to_dict()) >= {"baseline_rmse", "rmse_top_removed", "rmse_bottom_removed",
                                "increase_top", "increase_bottom", "summary"}


def test_faithfulness_k_and_parts(planted_run):
    run, ds, _ = planted_run
    f1 = faithfulness(run, ds, k=1)
    f3 = faithfulness(run, ds, k=3)
    # removing more inputs is not always worse for a non-linear model: for the PA-LSTM of issue
    # 20 removing the top 3 sensors gave RMSE 0.794, the top one 0.811 (6 epochs; 0.795 vs 0.827
    # after 10), so the check allows a few per cent either way
    assert f3.rmse_top_removed >= 0.95 * f1.rmse_top_removed
    assert faithfulness(run, ds, k=100).k == len(run.columns)          # clipped
    fv = faithfulness(run, ds, part="val")
    assert fv.n_windows > 0
    with pytest.raises(ValueError):
        faithfulness(run, ds, mode="nonsense")


def test_faithfulness_without_feature_attention():
    ds, grouping, _ = planted_signal(600, lag=2, seed=0)
    run = pc.train(ds, "target", grouping, pc.WindowSpec(lookback=6, horizon=0),
                   pc.TrainConfig(model="lstm", hidden_size=4, epochs=1, device="cpu"))
    f = faithfulness(run, ds)
    assert np.isnan(f.baseline_rmse) and "no feature attention" in f.summary


def test_faithfulness_never_removes_target_history():
    ds, grouping, _ = planted_signal(800, lag=2, seed=0)
    window = pc.WindowSpec(lookback=6, horizon=1, target_history=True)
    run = pc.train(ds, "target", grouping, window,
                   pc.TrainConfig(model="da_rnn", hidden_size=4, epochs=1, device="cpu"))
    f = faithfulness(run, ds, k=100)
    assert f.k == len(run.columns) - 1 and np.isfinite(f.rmse_top_removed)


def test_attention_helpers(planted_run):
    run, ds, info = planted_run
    att = run.explain(ds, part="test")
    fi = att.feature_importance()
    for cols in att.groups.values():
        assert fi[cols].sum() == pytest.approx(1.0, abs=1e-5)
    assert att.group_importance().sum() == pytest.approx(1.0, abs=1e-5)
    frame = att.to_frame()
    L, F = att.lookback, len(att.features)
    assert len(frame) == len(att) * L * F
    newest = frame[frame["lag"] == 0]
    np.testing.assert_allclose(newest["temporal_attention"].to_numpy()[::F], att.temporal[:, -1])
    empty = dataclasses.replace(att, times=att.times[:0], feature=None, temporal=None, group=None)
    assert empty.to_frame().empty
