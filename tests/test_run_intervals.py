"""Intervals of trained runs (tiny real models): calibrated on the run's own validation part only
(changing test-part targets leaves them unchanged, changing validation targets changes them),
predict(interval=), run.json round trip and older runs, campaigns, the public early warning."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

import palstm_core as pc
from palstm_core.training.calibration import calibration_of
from palstm_core.windows import part_rows

CFG = dict(hidden_size=4, epochs=1, batch_size=256, device="cpu", seed=0)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _train(data, steps=1, model="linear", cache=None, **window):
    g = pc.SensorGrouping({"engine": ["rpm", "load"], "motion": ["speed", "accel"]})
    return pc.train(data, "NOx", g, pc.WindowSpec(8, 1, steps=steps, **window),
                    pc.TrainConfig(model=model, **CFG), cache=cache)


def _with_target(ds: pc.Dataset, rows: slice, factor: float) -> pc.Dataset:
    frame = ds.frame.copy()
    frame.loc[frame.index[rows], "NOx"] *= factor
    return dataclasses.replace(ds, frame=frame)


@pytest.fixture(scope="module")
def run3(small_ds):
    return _train(small_ds, steps=3)


def test_predict_interval_adds_lower_upper_and_none_keeps_columns(small_ds):
    run = _train(small_ds, model="lstm")
    plain = run.predict(small_ds, part="test")
    assert list(plain.columns) == ["time", "actual", "predicted"]
    assert list(run.predict(small_ds, "test", interval=None).columns) == list(plain.columns)
    band = run.predict(small_ds, part="test", interval=0.9)
    assert list(band.columns) == ["time", "actual", "predicted", "lower", "upper"]
    np.testing.assert_array_equal(band["predicted"], plain["predicted"])
    assert (band["lower"] <= band["predicted"]).all() and (band["predicted"] <= band["upper"]).all()
    narrow = run.predict(small_ds, part="test", interval=0.5)
    assert ((narrow["upper"] - narrow["lower"]) <= (band["upper"] - band["lower"]) + 1e-12).all()
    iv = run.intervals
    assert iv["level"] == 0.9 and 0 <= iv["overall"]["coverage"] <= 1
    assert iv["overall"]["n"] == len(plain) and iv["calibration_windows"] >= 20
    table = run.interval_metrics(small_ds, 0.9)
    assert table.iloc[0]["coverage"] == pytest.approx(iv["overall"]["coverage"])
    with pytest.raises(pc.DataError, match="between 0 and 1"):
        run.predict(small_ds, interval=90)


def test_intervals_come_from_validation_data_only(run3, small_ds):
    """Steps = 3: the last validation windows forecast rows of the test part; they are left out,
    so no test target moves the calibration. A validation target does."""
    lo, _ = part_rows(run3.window, small_ds.name, len(small_ds), "test")
    val_lo, _ = part_rows(run3.window, small_ds.name, len(small_ds), "val")
    same = calibration_of(run3, small_ds)
    np.testing.assert_array_equal(same.residuals, run3.calibration.residuals)
    test_changed = calibration_of(run3, _with_target(small_ds, slice(lo, None), 3.0))
    np.testing.assert_array_equal(test_changed.residuals, run3.calibration.residuals)
    np.testing.assert_array_equal(test_changed.quantile(0.9), run3.calibration.quantile(0.9))
    val_changed = calibration_of(run3, _with_target(small_ds, slice(val_lo + 20, lo), 3.0))
    assert not np.allclose(val_changed.quantile(0.9), run3.calibration.quantile(0.9))
    # per step: the quantile has one value per forecast step, the band one per row
    assert run3.calibration.quantile(0.9).shape == (3,)
    band = run3.predict(small_ds, part="test", interval=0.9)
    assert {"origin", "step", "lower", "upper"} <= set(band.columns)
    assert set(run3.intervals["by_step"]) == {"1", "2", "3"}


def test_cached_run_keeps_its_calibration_and_older_runs_still_open(tmp_path, small_ds):
    cache = pc.ModelCache(tmp_path)
    run = _train(small_ds, cache=cache)
    loaded = cache.load(run.key)
    np.testing.assert_array_equal(loaded.calibration.quantile(0.9), run.calibration.quantile(0.9))
    assert loaded.intervals == json.loads(json.dumps(run.intervals))
    row = next(r for r in cache.list() if r["key"] == run.key)
    assert row["coverage"] == pytest.approx(run.intervals["overall"]["coverage"])
    board = pc.leaderboard_table(cache.list(), small_ds.fingerprint(), "NOx")
    assert board.loc[0, "coverage 90 %"] == pytest.approx(row["coverage"])
    # a run stored before intervals existed: no calibration, no interval metrics
    meta_path = run.path / "run.json"
    meta = json.loads(meta_path.read_text())
    del meta["calibration"], meta["intervals"]
    meta_path.write_text(json.dumps(meta))
    old = cache.load(run.key)
    assert old is not None and old.calibration is None
    assert pc.leaderboard_table(cache.list(), small_ds.fingerprint(), "NOx").loc[
        0, "coverage 90 %"] is None
    other = pc.load_sample("motorway").slice(0, 300)
    with pytest.raises(pc.DataError, match="data it was trained on"):
        old.predict(other, interval=0.9)
    got = old.predict(small_ds, part="test", interval=0.9)          # its own training data
    want = run.predict(small_ds, part="test", interval=0.9)
    np.testing.assert_allclose(got[["lower", "upper"]], want[["lower", "upper"]])
    assert len(old.predict(other, interval=0.9)) > 0                  # calibrated now


def test_campaign_calibrates_on_the_other_drives(small_ds):
    base = pc.load_sample("urban")
    drives = {n: dataclasses.replace(base.slice(a, a + 400), name=n)
              for n, a in (("a", 0), ("b", 400), ("c", 800))}
    camp = pc.Campaign(drives, name="three")
    run = _train(camp, test_drives=["c"])
    band = run.predict(camp, part="test", interval=0.9)
    assert set(band["drive"]) == {"c"} and {"lower", "upper"} <= set(band.columns)
    assert set(run.intervals["by_drive"]) == {"c"}
    changed = pc.Campaign({**drives, "c": _with_target(drives["c"], slice(None), 5.0)})
    np.testing.assert_array_equal(calibration_of(run, changed).residuals,
                                  run.calibration.residuals)
    w = pc.early_warning(run, camp, threshold=float(np.nanpercentile(band["actual"], 80)),
                         lead=1, probability=0.5)
    assert list(w.scores["drive"]) == ["c"] and w.lead_s == pytest.approx(1.0)


def test_public_early_warning_and_tradeoff(run3, small_ds):
    test = run3.predict(small_ds, part="test")
    thr = float(np.nanpercentile(test["actual"], 85))
    w = pc.early_warning(run3, small_ds, thr, lead=3, probability=0.5, predictions=test)
    assert w.lead_s == pytest.approx(3.0)                      # horizon 1 + 3 steps − 1, 1 Hz
    s = w.scores.iloc[0]
    assert s["hits"] + s["misses"] == s["crossings"] and w.total["hits"] == s["hits"]
    curve = pc.warning_tradeoff(run3, small_ds, thr, lead=3, predictions=test)
    assert len(curve) == 19 and curve["hits"].is_monotonic_decreasing
    assert curve["false_alarms"].iloc[0] >= curve["false_alarms"].iloc[-1]
    with pytest.raises(pc.DataError, match="lead time must be 1 to 3"):
        pc.early_warning(run3, small_ds, thr, lead=4)


def test_cli_predict_interval_writes_lower_upper(tmp_path, capsys):
    from palstm_core.__main__ import main
    import pandas as pd
    ds = pc.load_sample("urban")
    cache = pc.ModelCache(tmp_path / "cache")
    run = _train(ds, cache=cache)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--run", run.key, "--cache-dir", str(cache.root), "--out", str(out),
                 "--interval", "0.9"]) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["time", "actual", "predicted", "lower", "upper"]
    assert "inside the 90% interval" in capsys.readouterr().out
    assert main(["predict", "--run", run.key, "--cache-dir", str(cache.root), "--out", str(out),
                 "--interval", "90"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err
