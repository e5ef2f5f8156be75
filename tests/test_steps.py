"""Multi-step forecasts (``WindowSpec.steps``) and the seq2seq / transformer / rnn models:
one-step runs unchanged (keys, old cached runs), the long predict form, metrics per step, the
multi-output heads, teacher forcing, the attention maps, the CLI, the cache and the DDP path."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import palstm_core as pc
from palstm_core.metrics import regression_metrics
from palstm_core.training.run import run_key

ROOT = Path(__file__).resolve().parent.parent
OLD_CACHE = ROOT / "tests" / "data" / "cache_before_steps"
GROUPS = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"],
                            "thermal": ["coolant_temp"]})
NEURAL = ["pa_lstm", "da_rnn", "lstm_attention", "lstm", "gru", "seq2seq", "transformer", "rnn"]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small() -> pc.Dataset:
    ds = pc.load_sample("urban")
    return dataclasses.replace(ds, frame=ds.frame.iloc[:500].reset_index(drop=True))


def _cfg(model: str, **kw) -> pc.TrainConfig:
    return pc.TrainConfig(model=model, hidden_size=8, epochs=1, batch_size=64, device="cpu", **kw)


# ---------------------------------------------------------------- one step is unchanged
def test_one_step_spec_reads_and_keys_as_before(small):
    assert pc.WindowSpec().steps == 1
    assert "steps" not in pc.WindowSpec(30, 1).to_dict()
    assert pc.WindowSpec(30, 1, steps=1) == pc.WindowSpec(30, 1)
    assert pc.WindowSpec(30, 1, steps=4).to_dict()["steps"] == 4
    assert pc.WindowSpec.from_dict(pc.WindowSpec(30, 1, steps=4).to_dict()).steps == 4
    cfg = _cfg("lstm")
    assert run_key(small, "NOx", GROUPS, pc.WindowSpec(8, 1), cfg) == run_key(
        small, "NOx", GROUPS, pc.WindowSpec(8, 1, steps=1), cfg)
    assert run_key(small, "NOx", GROUPS, pc.WindowSpec(8, 1), cfg) != run_key(
        small, "NOx", GROUPS, pc.WindowSpec(8, 1, steps=2), cfg)
    # seq2seq-only settings are not part of the other models' settings (nor of their keys)
    assert "attention" not in cfg.to_dict() and "teacher_forcing" not in cfg.to_dict()
    s2s = _cfg("seq2seq")
    assert s2s.to_dict()["attention"] == "luong"
    assert run_key(small, "NOx", GROUPS, pc.WindowSpec(8, 1), s2s) != run_key(
        small, "NOx", GROUPS, pc.WindowSpec(8, 1), _cfg("seq2seq", attention="bahdanau"))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", None])
def test_bad_steps_and_seq2seq_settings_are_plain_errors(bad):
    with pytest.raises(pc.DataError, match="steps"):
        pc.WindowSpec(30, 1, steps=bad)
    with pytest.raises(pc.DataError, match="attention"):
        pc.TrainConfig(model="seq2seq", attention="dot")
    with pytest.raises(pc.DataError, match="teacher_forcing"):
        pc.TrainConfig(model="seq2seq", teacher_forcing=1.5)


def test_runs_cached_before_steps_existed_still_open(tmp_path):
    """Two runs written by the code before this change (tests/data/cache_before_steps)."""
    shutil.copytree(OLD_CACHE, tmp_path / "cache")
    cache = pc.ModelCache(tmp_path / "cache")
    ds = pc.load_sample("urban").slice(0, 300)
    for key, total in (("83bdc96fe0a20fc3", 1445.4908264112537),
                       ("3322b09114f244ac", 3602.068865426919)):
        run = cache.load(key, device="cpu")
        assert run is not None and run.window.steps == 1 and run.metrics_by_step == {1: run.metrics}
        pred = run.predict(ds)
        assert list(pred.columns) == ["time", "actual", "predicted"]
        assert float(pred["predicted"].sum()) == pytest.approx(total, rel=1e-6)


# ---------------------------------------------------------------- several steps
@pytest.mark.parametrize("name", NEURAL + ["linear", "persistence"])
def test_every_model_forecasts_steps_values(name):
    for target_index in (None, 5):
        model = pc.MODELS[name](groups=[[0, 1], [2, 3, 4], [5]], lookback=6, hidden_size=4,
                                target_index=target_index, steps=3)
        out = model(torch.randn(2, 6, 6))
        assert out.y.shape == (2, 3)
        if out.temporal is not None:
            assert out.temporal.shape == (2, 6)
            torch.testing.assert_close(out.temporal.sum(-1), torch.ones(2))


def test_linear_fits_every_step_and_persistence_repeats():
    torch.manual_seed(0)
    model = pc.MODELS["linear"](groups=[[0, 1]], lookback=3, steps=2)
    w = torch.randn(6, 2)
    xs = [torch.randn(200, 3, 2) for _ in range(3)]
    batches = [(x, x.flatten(1) @ w + torch.tensor([0.5, -1.0])) for x in xs]
    model.fit_closed_form(batches[:2], batches[2:])
    x, y = batches[2]
    with torch.no_grad():
        assert float(((model(x).y - y) ** 2).mean()) < 1e-3
    pers = pc.MODELS["persistence"](groups=[[0], [1]], lookback=4, target_index=1, steps=3)
    x = torch.randn(5, 4, 2)
    torch.testing.assert_close(pers(x).y, x[:, -1, 1, None].expand(5, 3))


@pytest.mark.parametrize("name", ["pa_lstm", "seq2seq", "transformer", "rnn", "linear"])
def test_long_predict_metrics_by_step_and_cache(name, small, tmp_path):
    S, L = 4, 8
    window = pc.WindowSpec(lookback=L, horizon=1, steps=S)
    cache = pc.ModelCache(tmp_path)
    run = pc.train(small, "NOx", GROUPS, window, _cfg(name), cache=cache)
    pred = run.predict(small)
    n = len(small) - L - 1 - S + 2
    assert list(pred.columns) == ["time", "origin", "step", "actual", "predicted"]
    assert len(pred) == n * S and pred["predicted"].notna().all()
    assert (pred["step"].to_numpy() == np.tile(np.arange(1, S + 1), n)).all()
    times = small.times
    # step k of the window whose newest input is row r predicts row r + horizon + k - 1
    first = pred.iloc[:S]
    np.testing.assert_array_equal(first["origin"], times[L - 1])
    np.testing.assert_array_equal(first["time"], times[L: L + S])
    np.testing.assert_allclose(first["actual"], small.frame["NOx"].to_numpy()[L: L + S], rtol=1e-5)
    # metrics: over all test rows, and per step; the test windows are the one-step run's
    test = run.predict(small, part="test")
    assert run.metrics == pytest.approx(regression_metrics(test["actual"], test["predicted"]))
    assert sorted(run.metrics_by_step) == list(range(1, S + 1))
    for k, m in run.metrics_by_step.items():
        g = test[test["step"] == k]
        assert m == pytest.approx(regression_metrics(g["actual"], g["predicted"]))
    one = pc.train(small, "NOx", GROUPS, pc.WindowSpec(lookback=L, horizon=1), _cfg("linear"))
    one_test = one.predict(small, part="test")
    origins = np.unique(test["origin"])
    np.testing.assert_array_equal(origins, one_test["time"].to_numpy()[: len(origins)] - 1)
    assert len(origins) == len(one_test) - (S - 1)
    # explain: one row per window; IG (of step 1) for every model
    att = run.explain(small)
    assert len(att) == n
    np.testing.assert_array_equal(att.times, pred["time"].to_numpy()[::S])
    ig = pc.attribute(run, small, windows=[0, 5])
    assert ig.values.shape == (2, L, len(run.columns)) and np.isfinite(ig.values).all()
    # the cache keeps the steps and the metrics per step
    again = pc.train(small, "NOx", GROUPS, window, _cfg(name), cache=cache)
    assert again.from_cache and again.window.steps == S
    assert again.metrics_by_step == run.metrics_by_step            # JSON keeps floats exactly
    np.testing.assert_allclose(again.predict(small)["predicted"], pred["predicted"], rtol=1e-5)


def test_campaign_long_predict_has_drive(small):
    camp = pc.Campaign({"a": small.slice(0, 250), "b": small.slice(250, 500)}, name="two")
    run = pc.train(camp, "NOx", GROUPS, pc.WindowSpec(lookback=6, steps=3), _cfg("rnn"))
    pred = run.predict(camp)
    assert list(pred.columns) == ["time", "origin", "step", "actual", "predicted", "drive"]
    assert set(pred["drive"]) == {"a", "b"} and sorted(run.metrics_by_step) == [1, 2, 3]
    for _, g in pred.groupby("drive"):          # no step of a window reaches the next drive
        assert (g["time"] > g["origin"]).all()


# ---------------------------------------------------------------- the new models
def test_seq2seq_teacher_forcing_only_in_training():
    torch.manual_seed(0)
    for attention in ("luong", "bahdanau"):
        model = pc.MODELS["seq2seq"](groups=[[0, 1]], lookback=5, hidden_size=4, steps=3,
                                     attention=attention, teacher_forcing=1.0)
        x, y = torch.randn(4, 5, 2), torch.randn(4, 3)
        model.eval()
        free = model(x).y
        torch.testing.assert_close(model(x, y).y, free)          # eval: targets ignored
        model.train()
        forced = model(x, y).y
        torch.testing.assert_close(forced[:, 0], free[:, 0])     # step 1 has no previous target
        assert not torch.allclose(forced[:, 1:], free[:, 1:])
        model.set_epoch(1, 5)
        assert model.ratio == 1.0
        model.set_epoch(5, 5)
        assert model.ratio == 0.0
        torch.testing.assert_close(model(x, y).y, free)          # ρ = 0: its own forecasts
        maps = model.attention_maps(x)["decoder"]                # (B, S, L)
        assert maps.shape == (4, 3, 5)
        torch.testing.assert_close(maps.sum(-1), torch.ones(4, 3))
        model.eval()
        torch.testing.assert_close(model(x).temporal, maps.mean(1))


def test_transformer_maps_are_the_weights_sdpa_used():
    torch.manual_seed(0)
    model = pc.MODELS["transformer"](groups=[[0, 1, 2]], lookback=7, hidden_size=8).eval()
    x = torch.randn(3, 7, 3)
    maps = model.attention_maps(x)
    assert list(maps) == ["layer 1", "layer 2"] and model.heads == 4
    assert maps["layer 1"].shape == (3, 4, 7, 7)
    torch.testing.assert_close(maps["layer 2"].sum(-1), torch.ones(3, 4, 7))
    with torch.no_grad():
        out = model(x)
        torch.testing.assert_close(out.temporal, maps["layer 2"][:, :, -1].mean(1))
        layer = model.layers[0]                  # A_h V_h with the exposed A_h = SDPA's output
        z = model.embed(x) + model.pe
        _, _, v = layer._qkv(z)
        heads = (maps["layer 1"] @ v).transpose(1, 2).reshape(3, 7, 8)
        torch.testing.assert_close(z + layer.out(heads) + layer.ffn(layer.norm2(
            z + layer.out(heads))), layer(z), rtol=1e-5, atol=1e-5)


def test_rnn_is_elman_tanh():
    model = pc.MODELS["rnn"](groups=[[0, 1]], lookback=4, hidden_size=3)
    assert isinstance(model.rnn, torch.nn.RNN) and model.rnn.nonlinearity == "tanh"
    x = torch.randn(2, 4, 2)
    h = torch.zeros(2, 3)
    r = model.rnn
    for t in range(4):
        h = torch.tanh(x[:, t] @ r.weight_ih_l0.T + r.bias_ih_l0 + h @ r.weight_hh_l0.T + r.bias_hh_l0)
    torch.testing.assert_close(model(x).y, model.head(h).squeeze(-1))


# ---------------------------------------------------------------- CLI
def test_cli_trains_new_models_with_steps_and_writes_long_predictions(tmp_path, capsys):
    from palstm_core.__main__ import main
    csv = tmp_path / "drive.csv"
    frame = pc.load_sample("urban").frame.iloc[:400]
    frame.to_csv(csv, index=False, float_format="%.6f")
    cache = str(tmp_path / "cache")
    for model in ("seq2seq", "transformer", "rnn"):
        assert main(["train", "--csv", str(csv), "--model", model, "--steps", "3",
                     "--lookback", "6", "--epochs", "1", "--hidden-size", "8", "--device", "cpu",
                     "--attention", "bahdanau", "--cache-dir", cache]) == 0
        out = capsys.readouterr().out
        assert "step 3" in out and "cached run" in out
    key = next(r["key"] for r in pc.ModelCache(cache).list() if r["model"] == "seq2seq")
    assert json.loads((Path(cache) / key / "run.json").read_text())["config"]["attention"] == "bahdanau"
    assert main(["predict", "--csv", str(csv), "--run", key, "--out", str(tmp_path / "p.csv"),
                 "--cache-dir", cache]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")
    assert list(pred.columns) == ["time", "origin", "step", "actual", "predicted"]
    assert set(pred["step"]) == {1, 2, 3}


# ---------------------------------------------------------------- DDP
DDP_CFG = dict(hidden_size=8, epochs=2, batch_size=32, device="cpu", patience=10,
               teacher_forcing=0.0)


def _ddp_worker(rank: int, world: int, init_file: str, out: str, model: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        ds = pc.load_sample("urban").slice(0, 400)
        run = pc.train(ds, "NOx", window=pc.WindowSpec(lookback=6, steps=3),
                       config=pc.TrainConfig(model=model, **DDP_CFG))
        if rank == 0:
            torch.save({"history": run.history, "state": run.model.state_dict()}, out)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="torch.distributed with gloo is not available")
@pytest.mark.parametrize("model", ["seq2seq", "transformer"])
def test_multi_step_ddp_matches_one_process(model, tmp_path):
    out = str(tmp_path / "ddp.pt")
    mp.spawn(_ddp_worker, args=(2, str(tmp_path / "init"), out, model), nprocs=2, join=True)
    ddp = torch.load(out)
    single = pc.train(pc.load_sample("urban").slice(0, 400), "NOx",
                      window=pc.WindowSpec(lookback=6, steps=3),
                      config=pc.TrainConfig(model=model, **DDP_CFG))
    for a, b in zip(ddp["history"], single.history):
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4)
    for name, p in single.model.state_dict().items():
        torch.testing.assert_close(ddp["state"][name], p, rtol=1e-4, atol=1e-4, msg=name)


# ---------------------------------------------------------------- leaderboard
def test_leaderboard_steps_block_leaves_the_one_step_block(tmp_path):
    from palstm_core import leaderboard
    out = tmp_path / "lb.md"
    out.write_text("# Benchmarks\n\n<!-- leaderboard:start -->\none-step table\n"
                   "<!-- leaderboard:end -->\n\n### Notes\nkept\n")
    assert leaderboard.main(["--models", "persistence", "linear", "--steps", "3", "--seeds", "0",
                             "--device", "cpu", "--out", str(out)]) == 0
    text = out.read_text()
    assert "one-step table" in text and "### Notes\nkept\n" in text     # the new block is added
    block = text.split("<!-- leaderboard-steps-3:start -->")[1].split("<!-- leaderboard-steps-3:end -->")[0]
    assert "3-step forecasts" in block and "R² by step" in block
    row = next(line for line in block.splitlines() if line.startswith("| linear |"))
    assert row.count("|") == 17 and len(row.split("|")[-2].split("·")) == 3


# ---------------------------------------------------------------- figures and Learn computations
def _long_frame(n_windows: int = 30, S: int = 4) -> pd.DataFrame:
    origin = np.repeat(np.arange(n_windows, dtype=float) + 100.0, S)
    step = np.tile(np.arange(1, S + 1), n_windows)
    actual = np.sin((origin + step) / 5.0) * 31.4159 + 50.0
    return pd.DataFrame({"time": origin + step, "origin": origin, "step": step,
                         "actual": actual, "predicted": actual + 0.1 * step})


def test_at_step_and_lead_time_pick_one_step():
    from palstm_core.metrics import at_step, step_for_lead
    pred = _long_frame()
    s3 = at_step(pred, 3)
    assert list(s3.columns) == ["time", "origin", "actual", "predicted"] and len(s3) == 30
    assert (s3["time"] - s3["origin"] == 3).all()
    assert step_for_lead(lead=3, horizon=1, steps=4) == 3
    assert step_for_lead(lead=9, horizon=1, steps=4) == 4 and step_for_lead(0, 1, 4) == 1
    with pytest.raises(ValueError):
        at_step(pred, 5)


def test_fan_and_error_by_step_figures():
    from palstm_core import plots
    pred = _long_frame()
    fig = plots.forecast_fan_figure(pred, origin=120.0, target="NOx", unit="mg/s", n_origins=3)
    names = [t.name for t in fig.data]
    assert names[0] == "actual" and names.count("forecast from the chosen origin") == 1
    chosen = next(t for t in fig.data if t.name == "forecast from the chosen origin")
    np.testing.assert_array_equal(chosen.x, [121.0, 122.0, 123.0, 124.0])
    assert len(fig.data) == 1 + 3
    by_step = {k: regression_metrics(g["actual"], g["predicted"]) for k, g in pred.groupby("step")}
    fig = plots.error_by_step_figure({"run a": by_step}, metric="rmse", unit="mg/s")
    np.testing.assert_allclose(fig.data[0].y, [0.1, 0.2, 0.3, 0.4], rtol=1e-9)
    with pytest.raises(ValueError):
        plots.error_by_step_figure({"run a": by_step}, metric="accuracy")


def test_learn_decoder_and_self_attention_computations():
    from palstm_core import teach
    seq = teach.sample_sequence("urban", "speed", start=120, length=40)
    demo = teach.decoder_demo(seq.scaled, lookback=8, steps=3, train_steps=15)
    assert demo.attention.shape == demo.forced_attention.shape == (3, 8)
    np.testing.assert_allclose(demo.attention.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(demo.forecast[0], demo.forced_forecast[0], rtol=1e-6)
    assert demo.losses[-1] < demo.losses[0] and len(demo.table()) == 3
    other = teach.decoder_demo(seq.scaled, lookback=8, steps=3, train_steps=15,
                               attention="bahdanau")
    assert not np.allclose(other.attention, demo.attention)
    sa = teach.self_attention(seq.scaled[:10], heads=2, d_model=8)
    assert sa.scores.shape == sa.weights.shape == (2, 10, 10)
    np.testing.assert_allclose(sa.weights.sum(-1), 1.0, rtol=1e-5)
    assert sa.check < 1e-5                      # equals torch's nn.MultiheadAttention
    assert sa.query_row(-1).shape == (2, 10)
    with pytest.raises(ValueError):
        teach.self_attention(seq.scaled[:10], heads=3, d_model=8)


def test_model_maps_of_a_trained_run(small):
    from palstm_core.explain.heads import model_maps
    window = pc.WindowSpec(lookback=6, horizon=1, steps=3)
    s2s = pc.train(small, "NOx", GROUPS, window, _cfg("seq2seq", attention="bahdanau"))
    m = model_maps(s2s, small, windows=[0, 4, 9])
    assert m["decoder"].shape == (3, 3, 6)
    np.testing.assert_allclose(m["decoder"].mean(1), s2s.explain(small).temporal[[0, 4, 9]],
                               rtol=1e-5, atol=1e-6)
    tr = pc.train(small, "NOx", GROUPS, pc.WindowSpec(lookback=6), _cfg("transformer"))
    m = model_maps(tr, small, windows=[2])
    assert m["layer 1"].shape == (1, 4, 6, 6)
    np.testing.assert_allclose(m["layer 2"][:, :, -1].mean(1), tr.explain(small).temporal[[2]],
                               rtol=1e-5, atol=1e-6)
    assert model_maps(pc.train(small, "NOx", GROUPS, window, _cfg("rnn")), small) == {}
