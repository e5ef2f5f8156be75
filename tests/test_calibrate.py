"""``pc.calibrate``: a fleet run fine-tuned on the first minutes of a new vehicle's drive, scored
on the rest next to the fleet run and a run on those minutes alone (tiny real training)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import palstm_core as pc
from palstm_core.__main__ import main
from palstm_core.simulate import Car
from palstm_core.simulate_fleet import fleet_grouping, load_fleet

CARS = (Car("small", 1.2, 1150.0), Car("mid", 2.0, 1550.0), Car("big", 2.8, 2100.0))
ROUTES = {"town": [("urban", 3), ("rural", 2)], "road": [("rural", 3), ("motorway", 2)],
          "long": [("urban", 4), ("rural", 3), ("motorway", 3), ("urban", 2)]}
WINDOW = pc.WindowSpec(lookback=10, horizon=0)
LINEAR = pc.TrainConfig(model="linear", device="cpu")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet")
    return load_fleet(folder, cars=CARS, routes=ROUTES), folder


def _without(camp, car):
    return pc.Campaign({n: d for n, d in camp.drives.items() if not n.startswith(car)},
                       name=f"fleet without {car}")


@pytest.fixture(scope="module")
def linear_fleet(fleet):
    camp, _ = fleet
    return pc.train(_without(camp, "big"), "CO2", fleet_grouping(True), WINDOW, LINEAR)


def test_split_rows_scores_and_trip_totals(fleet, linear_fleet, tmp_path):
    camp, _ = fleet
    drive = camp["big_long"]
    before = {k: v.clone() for k, v in linear_fleet.model.state_dict().items()}
    cache = pc.ModelCache(tmp_path / "cache")
    cal = pc.calibrate(linear_fleet, drive, minutes=3, cache=cache, device="cpu")
    t = drive.times
    n_cal = int((t < t[0] + 180).sum())
    assert cal.rows["train"] + cal.rows["val"] == n_cal and cal.rows["test"] == len(drive) - n_cal
    assert cal.rows["val"] == round(0.2 * n_cal)
    test = cal.run.predict(drive, part="test")
    assert test["time"].min() >= t[0] + 180 and len(test) == len(drive) - n_cal
    train = cal.run.predict(drive, part="train")
    assert train["time"].max() < t[0] + 180 * 0.8 + 1
    assert list(cal.comparison["model"]) == ["fleet", "calibrated", "this drive only"]
    assert (cal.comparison["windows"] == len(test)).all()               # the same rows
    assert cal.metrics == pytest.approx(pc.regression_metrics(test["actual"], test["predicted"]))
    trips = pc.trip_results(cal.run, drive)
    assert cal.comparison.iloc[1]["error_pct"] == pytest.approx(trips.iloc[0]["error_pct"])
    assert set(cal.trips["model"]) == {"fleet", "calibrated", "this drive only"}
    assert len(cal.trips) == 12                                          # 3 models x 4 bins
    # the fleet run is untouched; the calibrated run keeps its scaler and changed its weights
    after = linear_fleet.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    np.testing.assert_array_equal(cal.run.scaler.mean, linear_fleet.scaler.mean)
    assert not torch.equal(cal.run.model.weight, linear_fleet.model.weight)
    assert cal.parent == linear_fleet.key and cal.run.key == cal.key
    # cached: the same calibration comes back with its comparison; other minutes: another key
    again = pc.calibrate(linear_fleet, drive, minutes=3, cache=cache, device="cpu")
    assert again.from_cache and again.key == cal.key
    assert again.comparison.drop(columns="model").to_numpy() == pytest.approx(
        cal.comparison.drop(columns="model").to_numpy(), nan_ok=True)
    assert cache.load(cal.key).window.split == cal.run.window.split
    other = pc.calibrate(linear_fleet, drive, minutes=4, cache=cache, device="cpu",
                         settings=pc.CalibrationSettings(compare=False))
    assert other.key != cal.key and np.isnan(other.comparison.iloc[2]["rmse"])


def test_bad_minutes_and_drives_are_plain_errors(fleet, linear_fleet):
    camp, _ = fleet
    drive = camp["big_long"]
    with pytest.raises(pc.DataError, match="positive number"):
        pc.calibrate(linear_fleet, drive, minutes=0)
    with pytest.raises(pc.DataError, match="too few to calibrate on"):
        pc.calibrate(linear_fleet, drive, minutes=0.01)
    with pytest.raises(pc.DataError, match="leave no rest to test on"):
        pc.calibrate(linear_fleet, drive, minutes=60)
    bare = drive.slice()
    bare.frame = bare.frame.drop(columns=["mass"])
    with pytest.raises(pc.DataError, match="lacks the column.*'mass'.*vehicles.csv"):
        pc.calibrate(linear_fleet, bare, minutes=3)
    with pytest.raises(pc.DataError, match="between 0 and 0.9"):
        pc.CalibrationSettings(val_fraction=1.5)


def test_calibration_brings_a_new_cars_trip_total_within_5_percent(tmp_path):
    """Issue 26, done when: the simulated fleet (5 cars of 1.0-3.0 l, 1100-2300 kg); a fleet
    PA-LSTM without the SUV and without covariates misses the SUV's trip CO2 total by more than
    10 %; calibrated on the first 5 minutes of its drive, by less than 5 % on the rest (the
    fleet benchmark's model: hidden 16, 20 epochs, lookback 20; docs/benchmarks.md has its
    table. With 10 epochs and lookback 10 the PA-LSTM with the entropy penalty on α missed by
    21 % after calibration, the one before it by 2 %; at the benchmark's size it is 3.7 %)."""
    camp = load_fleet(tmp_path)
    cfg = pc.TrainConfig(model="pa_lstm", hidden_size=16, epochs=20, device="cpu", cpu_threads=1)
    window = pc.WindowSpec(lookback=20, horizon=0)
    run = pc.train(_without(camp, "suv"), "CO2", fleet_grouping(False), window, cfg)
    cal = pc.calibrate(run, camp["suv_long"], minutes=5, device="cpu",
                       settings=pc.CalibrationSettings(compare=False))
    fleet_err, cal_err = cal.comparison["error_pct"].iloc[:2]
    assert abs(fleet_err) > 10
    assert abs(cal_err) < 5


def test_cli_calibrate(fleet, linear_fleet, tmp_path, capsys):
    camp, folder = fleet
    cache = pc.ModelCache(tmp_path / "cli")
    cache.save(linear_fleet)
    rc = main(["calibrate", "--run", linear_fleet.key, "--drives", str(folder), "--drive",
               "big_long", "--minutes", "3", "--cache-dir", str(cache.root), "--device", "cpu"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "this drive only" in out and "calibrated run" in out
    assert "first 3 min" in out
    rc = main(["calibrate", "--run", linear_fleet.key, "--drives", str(folder), "--drive",
               "nope", "--cache-dir", str(cache.root)])
    assert rc == 2 and "No drive 'nope'" in capsys.readouterr().err
    # one CSV without covariates + the vehicle table (its row found by the file's stem)
    rc = main(["calibrate", "--run", linear_fleet.key, "--csv", str(folder / "big_long.csv"),
               "--vehicles", str(folder / "vehicles.csv"), "--minutes", "3", "--cache-dir",
               str(cache.root), "--device", "cpu"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "new drive: big_long.csv" in out and "this drive only" in out
