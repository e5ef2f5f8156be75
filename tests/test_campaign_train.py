"""Training on campaigns: one drive = one series, windows never cross drives, split by whole
drives, metrics per drive, skipped drives reported, predict/explain per drive, cache round trip."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import palstm_core as pc
from palstm_core.metrics import regression_metrics
from palstm_core.training.drives import prepare_campaign

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real-logs"
TRIPS = ["Mazda 3 2016 (July 2019)", "Toyota Corolla 2019 (August 2019)"]
CFG = dict(hidden_size=8, epochs=2, batch_size=64, device="cpu", seed=0)
GROUPS = pc.SensorGrouping({"engine": ["rpm", "load"], "motion": ["speed", "accel"]})


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _drive(name: str, rows: slice, shift: float = 0.0) -> pc.Dataset:
    ds = pc.load_sample("urban")
    frame = ds.frame.iloc[rows].reset_index(drop=True)
    sensors = [c for c in frame.columns if c != ds.time_column]
    frame[sensors] = frame[sensors] + shift
    return pc.Dataset(frame, ds.time_column, [], dict(ds.units), name=name, simulated=True)


@pytest.fixture(scope="module")
def camp() -> pc.Campaign:
    return pc.Campaign({"a": _drive("a", slice(0, 500)), "b": _drive("b", slice(500, 1000)),
                        "c": _drive("c", slice(1000, 1400))}, name="three drives")


def test_no_window_crosses_a_drive(camp):
    camp = pc.Campaign({**camp.drives, "b": _drive("b", slice(500, 1000), 1000.0)})
    """Drive b's values are 1000 above a's and c's: a window spanning two drives would mix
    speeds below 100 with speeds above 1000, and persistence (the last input's NOx) would miss
    the actual NOx by about 1000 at every drive start."""
    spec = pc.WindowSpec(12, 1, target_history=True)
    prep = prepare_campaign(camp, "NOx", GROUPS, spec)
    w = prep.windows
    speed = w.inputs(w.starts)[:, :, prep.columns.index("speed")] * prep.scaler.std[2] \
        + prep.scaler.mean[2]
    assert len(w.starts) == 488 + 488 + 388                          # rows - lookback per drive
    assert np.all(speed.max(axis=1) - speed.min(axis=1) < 500)
    lo = speed.max(axis=1) < 500
    assert lo.sum() and (~lo).sum() == 500 - 12                        # every b window, only b
    run = pc.train(camp, "NOx", GROUPS, spec, pc.TrainConfig(model="persistence", **CFG))
    pred = run.predict(camp)
    assert list(pred["drive"].unique()) == ["a", "b", "c"]
    assert pred.groupby("drive").size().to_dict() == {"a": 488, "b": 488, "c": 388}
    assert np.abs(pred["predicted"] - pred["actual"]).max() < 500
    for name, part in pred.groupby("drive"):                         # in time order per drive
        assert part["time"].is_monotonic_increasing


def test_split_by_test_and_validation_drives(camp):
    spec = pc.WindowSpec(10, 1, test_drives=["c"], val_drives=["b"])
    run = pc.train(camp, "NOx", GROUPS, spec, pc.TrainConfig(model="pa_lstm", **CFG))
    # the scaler saw the training drive only
    a = camp["a"].frame[run.columns + ["NOx"]].to_numpy(dtype=float)
    np.testing.assert_allclose(run.scaler.mean, a.mean(axis=0), rtol=1e-9)
    assert list(run.metrics_by_drive) == ["c"]
    test = run.predict(camp, part="test")
    assert set(test["drive"]) == {"c"} and len(test) == 400 - 10
    assert run.metrics == pytest.approx(regression_metrics(test["actual"], test["predicted"]))
    assert run.metrics_by_drive["c"] == pytest.approx(run.metrics)
    assert set(run.predict(camp, part="val")["drive"]) == {"b"}
    assert set(run.predict(camp, part="train")["drive"]) == {"a"}
    other = pc.train(camp, "NOx", GROUPS, pc.WindowSpec(10, 1, test_drives=["a"], val_drives=["b"]),
                     pc.TrainConfig(model="linear", **CFG))
    assert other.key != pc.training.run_key(run.data_fingerprint, "NOx", GROUPS, spec,
                                            other.config)


def test_time_split_inside_every_drive_gives_metrics_per_drive(camp):
    spec = pc.WindowSpec(10, 1)
    run = pc.train(camp, "NOx", GROUPS, spec, pc.TrainConfig(model="linear", **CFG))
    test = run.predict(camp, part="test")
    assert list(run.metrics_by_drive) == ["a", "b", "c"]
    for name, part in test.groupby("drive"):
        n = len(camp[name])
        assert part["time"].min() >= camp[name].times[int(round(n * 0.85))]
        assert run.metrics_by_drive[name] == pytest.approx(
            regression_metrics(part["actual"], part["predicted"]))
    assert run.metrics == pytest.approx(regression_metrics(test["actual"], test["predicted"]))
    # scaler: the first 70 % of each drive only
    rows = np.concatenate([camp[n].frame[run.columns + ["NOx"]].iloc[:int(round(len(camp[n]) * .7))]
                           .to_numpy(dtype=float) for n in ("a", "b", "c")])
    np.testing.assert_allclose(run.scaler.mean, rows.mean(axis=0), rtol=1e-9)


def test_short_drive_and_drive_without_a_column_are_reported(camp):
    drives = dict(camp.drives)
    drives["d_short"] = _drive("d_short", slice(0, 8))
    drives["e_no_nox"] = pc.Dataset(camp["a"].frame.drop(columns=["NOx"]), "time", [], {},
                                    name="e_no_nox")
    mixed = pc.Campaign(drives, name="mixed")
    run = pc.train(mixed, "NOx", GROUPS, pc.WindowSpec(10, 1, test_drives=["c"]),
                   pc.TrainConfig(model="linear", **CFG))
    assert any(ln.startswith("Drive 'd_short' skipped") and "8 rows" in ln for ln in run.report)
    assert any(ln.startswith("Drive 'e_no_nox' skipped") and "'NOx'" in ln for ln in run.report)
    assert len(run.report) == 2
    # predicting needs the inputs only: e_no_nox is predicted (actual NaN), d_short is reported
    pred = run.predict(mixed)
    assert pred[pred["drive"] == "e_no_nox"]["actual"].isna().all()
    assert any("'d_short' skipped" in ln for ln in pred.attrs["report"])
    no_rpm = pc.Campaign({"x": pc.Dataset(camp["a"].frame.drop(columns=["rpm"]), "time", name="x"),
                          "c": camp["c"]})
    pred = run.predict(no_rpm)
    assert set(pred["drive"]) == {"c"} and "'rpm'" in pred.attrs["report"][0]


def test_unknown_drive_names_and_single_drive_with_test_drives_are_plain_errors(camp):
    with pytest.raises(pc.DataError, match=r"No drive named 'trip 7'.*'a', 'b', 'c'"):
        pc.train(camp, "NOx", GROUPS, pc.WindowSpec(10, 1, test_drives=["trip 7"]),
                 pc.TrainConfig(model="linear", **CFG))
    with pytest.raises(pc.DataError, match="only one drive"):
        pc.train(camp["a"], "NOx", GROUPS, pc.WindowSpec(10, 1, test_drives=["a"]),
                 pc.TrainConfig(model="linear", **CFG))
    with pytest.raises(pc.DataError, match="both for testing and for validation"):
        pc.WindowSpec(10, 1, test_drives=["a"], val_drives=["a"])


def test_explain_has_drives_matching_predict_and_cache_round_trip(camp, tmp_path):
    cache = pc.ModelCache(tmp_path)
    spec = pc.WindowSpec(10, 1, test_drives=["c"])
    run = pc.train(camp, "NOx", GROUPS, spec, pc.TrainConfig(model="pa_lstm", **CFG), cache=cache)
    pred = run.predict(camp)
    att = run.explain(camp)
    assert len(att) == len(pred) and list(att.drives) == list(pred["drive"])
    np.testing.assert_array_equal(att.times, pred["time"])
    b = att.for_drive("b")
    assert len(b) == (pred["drive"] == "b").sum() and set(b.drives) == {"b"}
    np.testing.assert_allclose(b.temporal.sum(axis=1), 1.0, rtol=1e-5)
    again = pc.train(camp, "NOx", GROUPS, spec, pc.TrainConfig(model="pa_lstm", **CFG), cache=cache)
    assert again.from_cache and again.key == run.key
    assert again.metrics_by_drive["c"] == pytest.approx(run.metrics_by_drive["c"])
    assert again.window.test_drives == ("c",) and again.data_name == "three drives"
    np.testing.assert_allclose(again.predict(camp)["predicted"], pred["predicted"], rtol=1e-5)
    # the key covers the drives: change one value of one drive -> trained again
    changed = pc.Campaign({**camp.drives, "b": _drive("b", slice(500, 1000), 1e-9)})
    third = pc.train(changed, "NOx", GROUPS, spec, pc.TrainConfig(model="pa_lstm", **CFG),
                     cache=cache)
    assert not third.from_cache and third.key != run.key


def test_sample_campaign_lab_to_road():
    """The paper's use: train on some drives, test on others (the sample campaign's rural ones)."""
    camp = pc.load_sample_campaign()
    run = pc.train(camp, "NOx", None, pc.WindowSpec(20, 1, test_drives=["trip03_rural",
                                                                        "trip06_rural"]),
                   pc.TrainConfig(model="pa_lstm", **{**CFG, "epochs": 3}))
    assert list(run.metrics_by_drive) == ["trip03_rural", "trip06_rural"]
    assert run.simulated and all(np.isfinite(m["rmse"]) for m in run.metrics_by_drive.values())


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-logs/ is not here")
def test_real_logs_train_on_one_trip_test_on_the_other():
    camp = pc.load_drives([REAL / t for t in TRIPS])
    toyota = [f"{TRIPS[1]} part 1", f"{TRIPS[1]} part 2"]     # two recordings 5.6 h apart
    assert camp.names == [TRIPS[0], *toyota], camp.skipped
    obd = [c for c in camp.common_columns if c != "CO2" and "temperature" not in c.lower()]
    grouping = pc.suggest_groups(pc.Dataset(camp[TRIPS[0]].frame[obd + ["CO2"]]), "CO2")
    run = pc.train(camp, "CO2", grouping, pc.WindowSpec(10, 1, test_drives=toyota),
                   pc.TrainConfig(model="pa_lstm", **{**CFG, "epochs": 3}))
    assert list(run.metrics_by_drive) == toyota
    m = run.metrics_by_drive[toyota[0]]
    # Not a working-model bound on purpose: CO2 concentration of the Toyota trip from the Mazda
    # trip's OBD channels reaches R² 0.03-0.12 (seeds 0-1, 3/10/20 epochs; early stopping keeps
    # the same epochs), MAE 0.95-1.44 %, so only "finite and not far worse than the mean".
    assert np.isfinite(m["rmse"]) and m["r2"] > -1.0
    assert set(run.predict(camp)["drive"]) == {TRIPS[0], *toyota}


def test_thirty_drive_campaign_streams_batches_from_the_stacked_rows():
    """30 simulated drives x 3,600 rows: the inputs are held once as (T, F) rows; windows are
    views of them and training gathers each batch by index (no copy of all windows)."""
    from palstm_core.bench_campaign import _sim_campaign
    from palstm_core.training.loop import DeviceDrive
    camp = _sim_campaign(30, 3600)
    prep = prepare_campaign(camp, "NOx", GROUPS, pc.WindowSpec(30, 1))
    w = prep.windows
    assert w.x.shape == (30 * 3600, 4) and list(w.names) == camp.names
    assert len(w.starts) == 30 * (3600 - 30)
    assert np.shares_memory(w.inputs(), w.x)                       # a view, not a copy
    drive = DeviceDrive(w, torch.device("cpu"))
    xb, yb = drive.batch(torch.as_tensor(prep.parts["train"][:128]))
    np.testing.assert_array_equal(xb.numpy(), w.inputs(prep.parts["train"][:128]))
    assert xb.shape == (128, 30, 4)
    assert sum(len(v) for v in prep.parts.values()) == len(w.starts)
