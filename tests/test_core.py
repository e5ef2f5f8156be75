"""Unit tests of the core pieces: loading, grouping, windows, metrics, training, cache, CLI."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch

import palstm_core as pc
from palstm_core.windows import Scaler, make_windows, split_rows, window_view


def write(tmp_path, text: str | bytes, name: str = "drive.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def drive_csv(n: int = 100, header: str = "time [s],Speed [km/h],NOx (ppm),rpm ()") -> str:
    rows = [f"{i},{i % 50 * 1.5:.1f},{10 + i % 7},{800 + 10 * i}" for i in range(n)]
    return header + "\n" + "\n".join(rows) + "\n"


# ---------------------------------------------------------------- loading
def test_load_csv_cleans_names_and_remembers_units(tmp_path):
    ds = pc.load_csv(write(tmp_path, drive_csv()))
    assert ds.columns == ["Speed", "NOx", "rpm"]
    assert ds.time_column == "time"
    assert ds.units["Speed"] == "km/h" and ds.units["NOx"] == "ppm" and ds.units["rpm"] == ""
    assert ds.frame["NOx"].iloc[3] == 13
    assert any("seconds" in line for line in ds.report)


def test_load_csv_iso_times_and_row_clock(tmp_path):
    times = pd.date_range("2026-03-01 09:00:00", periods=80, freq="s")
    text = "timestamp,speed\n" + "\n".join(f"{t.isoformat()},{i}" for i, t in enumerate(times))
    ds = pc.load_csv(write(tmp_path, text))
    assert ds.time_kind == "datetime"
    assert np.allclose(np.diff(ds.times), 1.0)
    ds2 = pc.load_csv(write(tmp_path, "a,b\n" + "\n".join(f"{i},{2 * i}" for i in range(70)), "n.csv"))
    assert ds2.time_column is None and ds2.times[-1] == 69
    assert any("row number" in line for line in ds2.report)


def test_load_csv_accepts_uploaded_file_objects(tmp_path):
    import io
    buf = io.BytesIO(drive_csv().encode())
    buf.name = "upload.csv"
    ds = pc.load_csv(buf)
    assert ds.name == "upload.csv" and len(ds) == 100


def test_load_csv_reports_dropped_text_columns(tmp_path):
    text = "time,speed,driver\n" + "\n".join(f"{i},{i},anna" for i in range(70))
    ds = pc.load_csv(write(tmp_path, text))
    assert ds.columns == ["speed"]
    assert any("driver" in line for line in ds.report)


@pytest.mark.parametrize("content, phrase", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"time,speed\n", "no data rows"),
    (b"name,comment\nanna,hello\nbob,world\n" * 40, "no usable numeric"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "web page"),
    (b"time,speed\n1,2\n2,3\n3,4\n", "at least"),
])
def test_load_csv_bad_input_gives_plain_data_error(tmp_path, content, phrase):
    with pytest.raises(pc.DataError) as err:
        pc.load_csv(write(tmp_path, content))
    assert phrase in str(err.value).lower()
    assert "drive.csv" in str(err.value)


def test_load_csv_missing_file_and_unknown_sample(tmp_path):
    with pytest.raises(pc.DataError, match="does not exist"):
        pc.load_csv(tmp_path / "nope.csv")
    with pytest.raises(pc.DataError, match="no sample called"):
        pc.load_sample("moon")


def test_samples_are_labelled_simulated():
    ds = pc.load_sample("urban")
    assert ds.simulated and "simulated" in ds.label
    assert "Simulated" in ds.report[0]
    assert len(ds) == 3600 and {"NOx", "rpm", "speed", "coolant_temp"} <= set(ds.columns)


def test_simulation_is_deterministic_and_physical():
    from palstm_core.simulate import simulate_drive
    a, b = simulate_drive("urban"), simulate_drive("urban")
    pd.testing.assert_frame_equal(a, b)
    assert a["speed"].max() > 100 and (a["speed"] < 0.5).mean() > 0.05   # motorway and stops
    assert a["coolant_temp"].iloc[0] < 20 and a["coolant_temp"].iloc[-1] > 80  # warm-up
    fuel_cut = a["fuel_rate"] == 0
    assert fuel_cut.any() and a.loc[fuel_cut, "load"].max() == 0


# ---------------------------------------------------------------- grouping
def test_grouping_validation_messages():
    ds = pc.load_sample("urban")
    with pytest.raises(pc.DataError, match="also in 'a'"):
        pc.SensorGrouping({"a": ["rpm"], "b": ["rpm"]})
    with pytest.raises(pc.DataError, match="empty"):
        pc.SensorGrouping({"a": []})
    with pytest.raises(pc.DataError, match="not in"):
        pc.SensorGrouping({"a": ["warp_drive"]}).validate(ds, "NOx")
    with pytest.raises(pc.DataError, match="must not see"):
        pc.SensorGrouping({"a": ["rpm", "NOx"]}).validate(ds, "NOx")
    with pytest.raises(pc.DataError, match="Target 'nox2'"):
        pc.SensorGrouping({"a": ["rpm"]}).validate(ds, "nox2")


def test_suggest_groups_by_name_excludes_target():
    g = pc.suggest_groups(pc.load_sample("urban"), target="NOx")
    assert "NOx" not in g.features
    assert {"rpm", "load", "MAF"} <= set(g.groups["engine"])
    assert {"speed", "accel"} <= set(g.groups["motion"])
    assert "coolant_temp" in g.groups["thermal"]
    assert "CO2" in g.groups["exhaust"]


def test_suggest_groups_clusters_unknown_names_by_correlation():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(size=500)
    frame = pd.DataFrame({"p1": a, "p2": a + 0.1 * rng.normal(size=500),
                          "q1": b, "q2": b + 0.1 * rng.normal(size=500), "y": a + b,
                          "flat": np.ones(500)})
    g = pc.suggest_groups(pc.Dataset(frame), "y")
    groups = sorted(sorted(v) for v in g.groups.values())
    assert groups == [["p1", "p2"], ["q1", "q2"]]          # constant column left out


# ---------------------------------------------------------------- windows
def test_windows_are_views_and_split_in_time_order():
    ds = pc.load_sample("urban").slice(0, 400)
    cols = ["speed", "rpm"]
    spec = pc.WindowSpec(lookback=10, horizon=2)
    scaler = Scaler.fit(ds.frame[cols + ["NOx"]].iloc[:280].to_numpy())
    w = make_windows(ds, cols, "NOx", spec, scaler, need_target=True)
    view = w.inputs()
    assert np.shares_memory(view, w.x) and view.shape == (400 - 10 + 1, 10, 2) and len(w.starts) == 400 - 10 - 2 + 1
    assert np.array_equal(view[5], w.x[5:15])
    train, val, test = (w.part(p, len(ds), spec) for p in ("train", "val", "test"))
    rows = lambda s: s + 10 - 1 + 2                         # noqa: E731
    assert rows(train).max() < 280 <= rows(val).min() and rows(val).max() < 340 <= rows(test).min()
    assert split_rows(400, spec) == (280, 340)


def test_scaler_is_fit_on_training_rows_only():
    frame = pd.DataFrame({"x": np.r_[np.zeros(70), np.full(30, 100.0)], "y": np.arange(100.0)})
    run_scaler = Scaler.fit(frame.iloc[:split_rows(100, pc.WindowSpec())[0]].to_numpy())
    assert run_scaler.mean[0] == 0 and run_scaler.std[0] == 1.0  # constant on train -> std 1


def test_windows_skip_missing_values():
    x = np.arange(50, dtype=float)
    x[20] = np.nan
    ds = pc.Dataset(pd.DataFrame({"a": x, "y": np.arange(50.0)}))
    w = make_windows(ds, ["a"], "y", pc.WindowSpec(lookback=5, horizon=0),
                     Scaler(np.zeros(2), np.ones(2)), need_target=True)
    assert not any(s <= 20 < s + 5 for s in w.starts)
    assert np.isfinite(w.inputs(w.starts)).all()


def test_window_view_shape():
    v = window_view(np.arange(12.0).reshape(6, 2), 3)
    assert v.shape == (4, 3, 2) and v[1, 0, 1] == 3


def test_bad_window_spec():
    with pytest.raises(pc.DataError, match="Lookback"):
        pc.WindowSpec(lookback=0)
    with pytest.raises(pc.DataError, match="add up to 1"):
        pc.WindowSpec(split=(0.5, 0.2, 0.2))


# ---------------------------------------------------------------- metrics
def test_metrics_values():
    m = pc.regression_metrics([1.0, 2.0, 3.0, 0.0], [1.0, 2.0, 4.0, 0.0])
    assert m["rmse"] == pytest.approx(0.5) and m["mae"] == pytest.approx(0.25)
    assert m["r2"] == pytest.approx(1 - 1 / 5)
    assert np.isfinite(m["mape"])                          # zero actual does not blow up


# ---------------------------------------------------------------- training
SMALL = dict(hidden_size=8, epochs=2, batch_size=64)


@pytest.fixture(scope="module")
def small_ds():
    return pc.load_sample("urban").slice(0, 700)


def small_groups():
    return pc.SensorGrouping({"engine": ["rpm", "load", "fuel_rate"], "motion": ["speed", "accel"]})


def test_training_is_reproducible(small_ds):
    kw = dict(target="NOx", grouping=small_groups(), window=pc.WindowSpec(lookback=8))
    a = pc.train(small_ds, config=pc.TrainConfig(model="lstm", **SMALL), **kw)
    b = pc.train(small_ds, config=pc.TrainConfig(model="lstm", **SMALL), **kw)
    assert a.metrics == b.metrics
    c = pc.train(small_ds, config=pc.TrainConfig(model="lstm", seed=1, **SMALL), **kw)
    assert c.metrics != a.metrics


def test_progress_and_cancel(small_ds):
    calls, cancel = [], threading.Event()

    def progress(fraction, message):
        calls.append((fraction, message))
        if len(calls) == 3:
            cancel.set()

    with pytest.raises(pc.TrainingCancelled):
        pc.train(small_ds, "NOx", small_groups(), pc.WindowSpec(lookback=8),
                 pc.TrainConfig(model="pa_lstm", **SMALL), progress=progress, cancel=cancel)
    assert 0 < calls[0][0] <= 1 and "epoch" in calls[0][1]


def test_nan_loss_stops_with_clear_error(small_ds):
    with pytest.raises(pc.TrainingError, match="learning rate"):
        pc.train(small_ds, "NOx", small_groups(), pc.WindowSpec(lookback=8),
                 pc.TrainConfig(model="lstm", lr=1e30, grad_clip=0, **SMALL))


def test_early_stopping_restores_best_epoch(small_ds):
    run = pc.train(small_ds, "NOx", small_groups(), pc.WindowSpec(lookback=8),
                   pc.TrainConfig(model="lstm", hidden_size=8, epochs=6, patience=1, lr=0.05))
    best = int(np.argmin([h["val_loss"] for h in run.history])) + 1
    assert run.timings["best_epoch"] == best
    assert len(run.history) <= 6


def test_too_short_drive_is_a_data_error(small_ds):
    with pytest.raises(pc.DataError, match="lookback"):
        pc.train(small_ds.slice(0, 70), "NOx", small_groups(), pc.WindowSpec(lookback=60),
                 pc.TrainConfig(model="lstm", **SMALL))


def test_unknown_model_and_device():
    with pytest.raises(pc.DataError, match="Unknown model"):
        pc.TrainConfig(model="wavenet")          # ("transformer" is a model now)
    if not torch.cuda.is_available():
        from palstm_core.training import resolve_device
        with pytest.raises(pc.DataError, match="GPU"):
            resolve_device("cuda")


# ---------------------------------------------------------------- cache
def test_cache_list_delete_and_no_pickle(tmp_path, small_ds):
    cache = pc.ModelCache(tmp_path)
    run = pc.train(small_ds, "NOx", small_groups(), pc.WindowSpec(lookback=8),
                   pc.TrainConfig(model="gru", **SMALL), cache=cache)
    files = sorted(p.name for p in run.path.iterdir())
    assert files == ["run.json", "weights.safetensors"]
    listed = cache.list()
    assert [r["key"] for r in listed] == [run.key] and listed[0]["model"] == "gru"
    assert listed[0]["r2"] == pytest.approx(run.metrics["r2"])
    assert cache.delete(run.key) and cache.list() == [] and not cache.delete(run.key)


def test_cache_key_changes_with_inputs(small_ds):
    from palstm_core.training import run_key
    g, w, c = small_groups(), pc.WindowSpec(lookback=8), pc.TrainConfig(model="lstm")
    base = run_key(small_ds, "NOx", g, w, c)
    assert base == run_key(small_ds, "NOx", g, w, pc.TrainConfig(model="lstm", device="cpu"))
    assert base != run_key(small_ds, "CO", g, w, c)
    assert base != run_key(small_ds, "NOx", g, pc.WindowSpec(lookback=9), c)
    assert base != run_key(small_ds.slice(1), "NOx", g, w, c)
    assert base != run_key(small_ds, "NOx", pc.SensorGrouping({"e": ["rpm"]}), w, c)


# ---------------------------------------------------------------- CLI
def test_cli_help_and_train(tmp_path, capsys):
    from palstm_core.__main__ import main
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0 and "--lookback" in capsys.readouterr().out
    csv = tmp_path / "short.csv"
    pc.load_sample("urban").frame.iloc[:600].to_csv(csv, index=False)
    args = ["train", "--csv", str(csv), "--target", "NOx", "--model", "gru", "--epochs", "1",
            "--hidden-size", "8", "--lookback", "8", "--cache-dir", str(tmp_path / "c")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "RMSE" in out and "cached run" in out
    assert main(args) == 0 and "loaded from cache" in capsys.readouterr().out
    key = pc.ModelCache(tmp_path / "c").list()[0]["key"]
    pred = tmp_path / "pred.csv"
    assert main(["predict", "--run", key, "--csv", str(csv), "--out", str(pred),
                 "--cache-dir", str(tmp_path / "c")]) == 0
    assert list(pd.read_csv(pred).columns) == ["time", "actual", "predicted"]
    assert main(["train", "--csv", str(tmp_path / "missing.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
