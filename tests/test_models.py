"""Every model trains, predicts, explains and round-trips through the cache with one API."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

import palstm_core as pc

MODEL_NAMES = ["pa_lstm", "da_rnn", "lstm_attention", "lstm", "gru", "linear", "persistence",
               "seq2seq", "transformer", "rnn"]


@pytest.fixture(scope="module")
def small():
    ds = pc.load_sample("urban")
    ds = dataclasses.replace(ds, frame=ds.frame.iloc[:500].reset_index(drop=True))
    grouping = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"],
                                  "thermal": ["coolant_temp"]})
    return ds, grouping


def test_registry_is_complete():
    assert set(pc.MODELS) == set(MODEL_NAMES)
    for name, cls in pc.MODELS.items():
        assert cls.name == name and cls.description
        assert (cls.__module__ and __import__(cls.__module__, fromlist=["x"]).__doc__), name


@pytest.mark.parametrize("history", [False, True], ids=["sensors", "history"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_api(name, history, small, tmp_path):
    ds, grouping = small
    window = pc.WindowSpec(lookback=8, horizon=1, target_history=history)
    config = pc.TrainConfig(model=name, hidden_size=8, epochs=1, batch_size=64, device="cpu")
    cache = pc.ModelCache(tmp_path)
    run = pc.train(ds, "NOx", grouping, window, config, cache=cache)
    assert not run.from_cache and run.path is not None
    assert set(run.metrics) == {"rmse", "mae", "mape", "r2"}
    assert np.isfinite(run.metrics["rmse"])

    pred = run.predict(ds)
    n = len(ds) - window.lookback - window.horizon + 1
    assert list(pred.columns) == ["time", "actual", "predicted"] and len(pred) == n
    assert np.isfinite(pred["predicted"]).all()
    no_target = dataclasses.replace(ds, frame=ds.frame.drop(columns=["NOx"]))
    if not history:                                   # the main use: sensors only, no PEMS
        p2 = run.predict(no_target)
        assert p2["actual"].isna().all()
        np.testing.assert_allclose(p2["predicted"], pred["predicted"], rtol=1e-5, atol=1e-5)

    att = run.explain(ds)
    model = run.model
    L, F = window.lookback, len(run.columns)
    assert len(att) == n and att.lookback in (L, 0)
    np.testing.assert_array_equal(att.times, pred["time"])
    assert sorted(c for cols in att.groups.values() for c in cols) == sorted(att.features)
    if model.has_feature_attention:
        assert att.feature.shape == (n, L, F)
        assert (att.feature >= 0).all()
        for cols in att.groups.values():
            idx = [att.features.index(c) for c in cols]
            np.testing.assert_allclose(att.feature[:, :, idx].sum(-1), 1.0, atol=1e-5)
    else:
        assert att.feature is None
    if model.has_temporal_attention:
        assert att.temporal.shape == (n, L)
        np.testing.assert_allclose(att.temporal.sum(-1), 1.0, atol=1e-5)
    else:
        assert att.temporal is None
    if model.has_group_weights:
        assert att.group.shape == (n, len(att.groups))
        np.testing.assert_allclose(att.group.sum(-1), 1.0, atol=1e-5)
    else:
        assert att.group is None

    again = pc.train(ds, "NOx", grouping, window, config, cache=cache)
    assert again.from_cache and again.key == run.key
    np.testing.assert_allclose(again.predict(ds)["predicted"], pred["predicted"], rtol=1e-5,
                               atol=1e-5)
    assert again.metrics == pytest.approx(run.metrics)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_forward_shapes(name):
    groups = [[0, 1], [2, 3, 4], [5]]
    model = pc.MODELS[name](groups=groups, lookback=6, hidden_size=4).eval()   # maps: eval mode
    out = model(torch.randn(3, 6, 6))
    assert out.y.shape == (3,)
    for part, flag, shape in (("feature", "has_feature_attention", (3, 6, 6)),
                              ("temporal", "has_temporal_attention", (3, 6)),
                              ("group", "has_group_weights", (3, 3))):
        value = getattr(out, part)
        assert (value is None) != getattr(model, flag)
        if value is not None:
            assert value.shape == shape


def test_pa_lstm_trains_with_its_entropy_penalty_and_explains_in_eval_mode():
    """In training mode PA-LSTM returns y and its penalty λ·H̄(α) (the loop adds it to the loss),
    no maps; H̄ is 1 for a uniform α and falls as α picks sensors; eval mode gives the maps."""
    torch.manual_seed(0)
    groups = [[0, 1], [2, 3, 4], [5]]
    model = pc.MODELS["pa_lstm"](groups=groups, lookback=6, hidden_size=4)
    x = torch.randn(3, 6, 6)
    out = model.train()(x)
    assert out.relevance is None and out.penalty is not None and out.penalty.requires_grad
    K = model.mask.sum(1)
    uniform = torch.where(model.mask, 1.0 / K[:, None], 0.0)[:, None, None].expand(3, 3, 6, 3)
    assert float(model.alpha_entropy(uniform)) == pytest.approx(1.0)
    picked = torch.zeros_like(uniform)
    picked[..., 0] = 1.0                        # every group puts all its weight on one sensor
    assert float(model.alpha_entropy(picked)) == pytest.approx(0.0, abs=1e-9)
    assert float(out.penalty.detach()) == pytest.approx(model.entropy_weight * float(
        model.alpha_entropy(model.eval()(x).feature[..., model.index].permute(2, 0, 1, 3)
                            * model.mask[:, None, None])), rel=1e-5)
    ev = model.eval()(x)
    assert ev.penalty is None and ev.relevance.shape == (3, 6, 6)


def test_persistence_uses_last_target_value():
    model = pc.MODELS["persistence"](groups=[[0], [1]], lookback=4, target_index=1)
    x = torch.randn(5, 4, 2)
    torch.testing.assert_close(model(x).y, x[:, -1, 1])


def test_linear_is_exact_on_linear_data():
    torch.manual_seed(0)
    model = pc.MODELS["linear"](groups=[[0, 1]], lookback=3)
    w = torch.randn(6)
    xs = [torch.randn(200, 3, 2) for _ in range(3)]
    batches = [(x, x.flatten(1) @ w + 0.5) for x in xs]
    model.fit_closed_form(batches[:2], batches[2:])
    x, y = batches[2]
    with torch.no_grad():
        assert float(((model(x).y - y) ** 2).mean()) < 1e-3


def test_leaderboard_writes_markdown(tmp_path, capsys):
    from palstm_core import leaderboard
    out = tmp_path / "lb.md"
    out.write_text("# Benchmarks\n\n<!-- leaderboard:start -->\nold table\n<!-- leaderboard:end -->\n"
                   "\n### Notes\nkept by hand\n")
    assert leaderboard.main(["--models", "persistence", "linear", "--out", str(out), "--seeds", "0",
                             "--device", "cpu", "--save-results", str(tmp_path / "r.json")]) == 0
    text = out.read_text()
    assert "| linear |" in text and "| persistence |" in text and "simulated" in text
    assert text.startswith("# Benchmarks\n") and text.rstrip().endswith("kept by hand")
    assert "old table" not in text
    rows = [line for line in text.splitlines() if line.startswith("| linear")]
    assert len(rows) == 1 and rows[0].count("|") == 16
    saved = {r["model"]: r for r in json.loads((tmp_path / "r.json").read_text())}
    lin = saved["linear"]                     # no attention: no relevance, IG scored vs random
    cells = [c.strip() for c in rows[0].split("|")]
    assert cells[5] == f"{lin['urban_coverage90']:.3f} / {lin['urban_width90']:.2f}"
    assert cells[9] == "–"
    assert cells[10] == f"{lin['area_ig']:.2f} vs {lin['area_random']:.2f} random"
    assert lin["area_ig"] > lin["area_random"]  # a linear model's IG ranks its inputs faithfully
    assert cells[11] == cells[12] == "–"         # no relevance: nothing to compare with IG
    assert leaderboard.main(["--load-results", str(tmp_path / "r.json"), "--out", "-"]) == 0
    assert "| linear |" in capsys.readouterr().out
