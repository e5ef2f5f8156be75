"""PA-LSTM's relevance must say "which sensor when" (issue 20): with the target depending on
sensors of different groups at different lags, the planted (sensor, lag) cells are the top cells
of the test-span mean relevance; two sensors of one group at two lags are handled as documented
(pa_lstm.py, docs/benchmarks.md "Issue 20"); relevance_agreement compares relevance with IG.

The data are made here (a recipe different from teach/planted.py and simulate.planted_sources):
sensors are moving averages of white noise, full-precision floats; the target adds a non-linear
response to one sensor and linear responses to others, each at its own lag. Real training,
small windows and few epochs; measured over 10 seeds in docs/benchmarks.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import palstm_core as pc
from palstm_core.explain.agreement import top_cells, unseparated

LOOKBACK = 14
GROUPS = {"engine": ["rpm", "load", "maf"], "motion": ["speed", "accel", "grade"],
          "thermal": ["coolant", "intake"]}


def _data(sources, seed: int, n_rows: int = 3000) -> pc.Dataset:
    """Sensors: 3-step moving averages of white noise (scaled to unit variance); target =
    Σ response(sensor_{t-lag}) + 0.05 ε, response "tanh" = 1.2 tanh(2x), "linear" = 0.8 x."""
    rng = np.random.default_rng(1000 + seed)
    cols = {}
    for c in (c for cs in GROUPS.values() for c in cs):
        z = np.convolve(rng.normal(size=n_rows + 2), np.ones(3) / np.sqrt(3), mode="valid")
        cols[c] = z
    y = 0.05 * rng.normal(size=n_rows)
    for sensor, lag, kind in sources:
        x = np.roll(cols[sensor], lag)
        y += 1.2 * np.tanh(2 * x) if kind == "tanh" else 0.8 * x
    y[:max(lag for _, lag, _ in sources)] = np.nan
    frame = pd.DataFrame({"time": np.arange(n_rows) * 1.0, **cols, "target": y})
    return pc.Dataset(frame, "time", ["planted sources made in the test (simulated)"],
                      {c: "" for c in frame.columns}, name="planted", simulated=True)


def _train(sources, seed: int):
    torch.set_num_threads(1)
    ds = _data(sources, seed)
    cfg = pc.TrainConfig(model="pa_lstm", hidden_size=16, epochs=12, seed=seed, device="cpu")
    run = pc.train(ds, "target", pc.SensorGrouping(GROUPS),
                   pc.WindowSpec(lookback=LOOKBACK, horizon=0), cfg)
    return run, ds


TWO = [("maf", 7, "tanh"), ("accel", 2, "linear")]
THREE = [("maf", 7, "tanh"), ("accel", 2, "linear"), ("intake", 4, "linear")]
SAME = [("maf", 7, "tanh"), ("load", 2, "linear")]


@pytest.mark.parametrize("sources,seed", [(TWO, 0), (TWO, 1), (THREE, 0)])
def test_relevance_top_cells_are_the_planted_sensors_at_their_lags(sources, seed):
    run, ds = _train(sources, seed)
    att = run.explain(ds, part="test")
    top = top_cells(att.relevance.mean(0), att.features, len(sources))
    assert run.metrics["r2"] > 0.8, run.metrics
    assert set(top) == {(s, lag) for s, lag, _ in sources}, top


def test_same_group_two_lags_is_flagged_or_separated():
    """Two sensors of one group at two lags: either the map separates them (both planted cells
    on top) or relevance_agreement says plainly that this group's map cannot (IG, the whole
    function, separates them; the relevance shows them at the same lag)."""
    run, ds = _train(SAME, 0)
    agr = pc.explain.relevance_agreement(run, ds, deletion=False, n_steps=10, max_windows=128)
    rel = run.explain(ds, part="test").relevance.mean(0)
    separated = set(top_cells(rel, run.columns, 2)) == {("maf", 7), ("load", 2)}
    assert separated or "engine" in agr.inseparable, (agr.top_relevance, agr.top_ig)
    assert "motion" not in agr.inseparable and "thermal" not in agr.inseparable
    if "engine" in agr.inseparable:
        assert "cannot separate two sensors" in agr.summary


def test_unseparated_rule():
    L, F = 10, 3
    ig = np.zeros((L, F))
    ig[2, 0], ig[7, 1] = 1.0, 0.8                  # IG: sensor 0 at step 2, sensor 1 at step 7
    merged = np.zeros((L, F))
    merged[[2, 7], 0], merged[[2, 7], 1] = 0.3, 0.2    # relevance: both sensors at both steps
    merged[2, 1] = 0.25                                # ... sensor 1's peak at sensor 0's step
    apart = np.zeros((L, F))
    apart[2, 0], apart[7, 1] = 0.5, 0.4
    assert unseparated(merged, ig, [0, 1, 2])
    assert not unseparated(apart, ig, [0, 1, 2])
    assert not unseparated(merged, ig, [0])           # one sensor: nothing to separate


def test_relevance_agreement_fields_and_trust():
    run, ds = _train(TWO, 0)
    agr = pc.explain.relevance_agreement(run, ds, n_steps=10, max_windows=128)
    assert -1 <= agr.spearman <= 1 and 0 <= agr.top_overlap <= 1 and agr.k == 5
    assert agr.n_windows == 128
    # IG on the same trained model finds the two planted cells too, so the two maps agree
    assert {("maf", 7), ("accel", 2)} <= set(agr.top_ig[:3]), agr.top_ig
    assert agr.spearman > 0.2, agr      # rank agreement over all cells (most are near 0)
    assert agr.trust in ("relevance", "integrated_gradients")
    assert set(agr.deletion_area) == {"relevance", "integrated_gradients", "random"}
    assert "Spearman ρ" in agr.summary
    assert agr.to_dict()["trust"] == agr.trust
    lstm = pc.train(ds, "target", pc.SensorGrouping(GROUPS), pc.WindowSpec(LOOKBACK, 0),
                    pc.TrainConfig(model="lstm", hidden_size=8, epochs=1, device="cpu"))
    with pytest.raises(ValueError, match="no relevance"):
        pc.explain.relevance_agreement(lstm, ds)
