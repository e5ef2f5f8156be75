"""Attention you can trust: on data with a known answer the attention must point at it.

``simulate.planted_signal`` makes y_t = f(engine_a_{t-lag}) + noise with distractor sensors in
the same and in other groups. After brief training PA-LSTM must rank the true feature first
within its group, its group first, and peak that group's temporal attention β^g within ±2 steps
of the lag;
DA-RNN's input attention must rank the true feature first among all sensors. The same checks
must fail for the untrained (randomly initialised) model, so they test learning, not luck.
"""
from __future__ import annotations

import pytest
import torch

import palstm_core as pc
from palstm_core.simulate import planted_signal

LOOKBACK, LAG = 16, 8
SEEDS = [0, 1, 2]


def _train(model: str, seed: int, epochs: int, n_rows: int = 3000):
    ds, grouping, info = planted_signal(n_rows, lag=LAG, seed=seed)
    cfg = pc.TrainConfig(model=model, hidden_size=16, epochs=epochs, seed=seed, device="cpu")
    run = pc.train(ds, "target", grouping, pc.WindowSpec(lookback=LOOKBACK, horizon=0), cfg)
    return run, ds, info


def _untrained(run, seed: int):
    torch.manual_seed(seed + 100)
    m = run.model
    run.model = type(m)(groups=m.groups, lookback=m.lookback, hidden_size=m.hidden_size,
                        target_index=m.target_index)
    return run


def pa_checks(att, info) -> dict[str, bool]:
    """The three claims of the planted test for one explained run."""
    fi = att.feature_importance()
    group_cols = att.groups[info["group"]]
    lag_col = LOOKBACK - 1 - info["lag"]
    # PA-LSTM has a temporal attention per branch (issue 20): the planted group's own β^g,
    # recovered from the relevance (Σ_{k∈g} r^k_t = γ_g β^g_t); ``temporal`` is Σ_g γ_g β^g
    cols = [att.features.index(c) for c in group_cols]
    g = list(att.groups).index(info["group"])
    temporal = (att.relevance[:, :, cols].sum(2) / att.group[:, g:g + 1]).mean(axis=0)
    near = temporal[max(0, lag_col - 2):lag_col + 3].sum()
    return {
        "feature": fi[group_cols].idxmax() == info["feature"],
        # the true group is ranked first AND gets most of the weight (uniform would be 1/3)
        "group": att.group_importance().idxmax() == info["group"]
        and att.group_importance()[info["group"]] >= 0.5,
        # the peak is within ±2 steps of the lag AND holds most of the mass there
        "temporal": abs(int(temporal.argmax()) - lag_col) <= 2 and near >= 0.5,
    }


@pytest.fixture(scope="module")
def pa_runs():
    # 16 epochs: with a β per branch (issue 20) 8 left seed 2 with 45 % of β^g within ±2 steps;
    # with the entropy penalty on α, 12 left it with 49 % (peak at the lag), 16 with 62 %
    return {seed: _train("pa_lstm", seed, epochs=16) for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_pa_lstm_attention_finds_planted_signal(pa_runs, seed):
    run, ds, info = pa_runs[seed]
    att = run.explain(ds, part="test")
    checks = pa_checks(att, info)
    assert run.metrics["r2"] > 0.5, run.metrics
    assert all(checks.values()), (checks, pa_checks_temporal(att, info), att.feature_importance().round(3).to_dict(),
                                  att.group_importance().round(3).to_dict(),
                                  att.temporal.mean(0).round(3))


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_checks_fail_for_untrained_pa_lstm(pa_runs, seed):
    run, ds, info = pa_runs[seed]
    state = run.model
    try:
        att = _untrained(run, seed).explain(ds, part="test")
        checks = pa_checks(att, info)
    finally:
        run.model = state
    assert not checks["temporal"], att.temporal.mean(0).round(3)
    assert not all(checks.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_pa_lstm_deletion_check_on_planted(pa_runs, seed):
    run, ds, _ = pa_runs[seed]
    f = pc.explain.faithfulness(run, ds)
    assert f.increase_top > 0.2 * f.baseline_rmse
    assert f.increase_top > 5 * max(f.increase_bottom, 0.01 * f.baseline_rmse)
    assert "really uses" in f.summary
    state = run.model
    try:
        g = pc.explain.faithfulness(_untrained(run, seed), ds)
    finally:
        run.model = state
    assert g.increase_top < 0.05 * g.baseline_rmse          # random attention: nothing to find


@pytest.mark.parametrize("seed", SEEDS)
def test_da_rnn_input_attention_finds_planted_feature(seed):
    run, ds, info = _train("da_rnn", seed, epochs=8)
    fi = run.explain(ds, part="test").feature_importance()
    sensors = fi.drop(labels=[c for c in fi.index if c == "target"])
    assert sensors.idxmax() == info["feature"], sensors.round(3).to_dict()
    assert sensors[info["feature"]] > 1.25 * sensors.drop(info["feature"]).max()
    f = pc.explain.faithfulness(run, ds)
    assert f.increase_top > 5 * max(f.increase_bottom, 0.01 * f.baseline_rmse), f
    fu = _untrained(run, seed).explain(ds, part="test").feature_importance()
    assert not fu[info["feature"]] > 1.25 * fu.drop(info["feature"]).max()


def pa_checks_temporal(att, info):
    cols = [att.features.index(c) for c in att.groups[info["group"]]]
    g = list(att.groups).index(info["group"])
    return (att.relevance[:, :, cols].sum(2) / att.group[:, g:g + 1]).mean(axis=0).round(3)
