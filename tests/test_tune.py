"""``pc.tune``: Optuna search selected on the validation part, pruning, budget, cancel, cache."""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import optuna
import pytest

import palstm_core as pc
from palstm_core.__main__ import main

GROUPS = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"]})
SPACE = {"lr": ("log", (1e-3, 2e-2)), "hidden_size": ("choice", (4, 6))}


@pytest.fixture
def small(small_ds):
    """600 rows of the urban sample, two small sensor groups."""
    return small_ds, GROUPS


def base(**kw):
    return pc.TrainConfig(**{"model": "lstm", "hidden_size": 4, "epochs": 2, "batch_size": 256,
                             "lr": 3e-3, "device": "cpu", **kw})


def test_tune_selects_on_validation_and_caches_history(small, tmp_path):
    ds, g = small
    cache = pc.ModelCache(tmp_path)
    seen = []
    res = pc.tune(ds, "NOx", g, pc.WindowSpec(lookback=8), base(), n_trials=4, timeout_s=300,
                  cache=cache, space=SPACE, search_lookback=False,
                  progress=lambda f, m: seen.append((f, m)))
    assert [t["number"] for t in res.trials] == [0, 1, 2, 3]
    first = res.trials[0]
    assert first["note"] == "defaults" and first["lr"] == 3e-3 and first["hidden_size"] == 4
    done = [t for t in res.trials if t["state"] == "complete"]
    # the chosen run is the trial with the lowest validation loss, and it is the run returned
    assert res.best_val_loss == min(t["val_loss"] for t in done)
    assert min(h["val_loss"] for h in res.run.history) == pytest.approx(res.best_val_loss)
    assert res.best_val_loss <= res.base_val_loss
    assert "r2" in res.run.metrics and not any("r2" in t or "test" in str(t) for t in res.trials)
    # progress: fractions in [0, 1], increasing, ending at 1 with the best loss said
    fr = [f for f, _ in seen]
    assert all(0 <= f <= 1 for f in fr) and fr[-1] == 1.0 and "best val loss" in seen[-1][1]
    # cached: the run itself and the search history beside it
    again = cache.load(res.run.key)
    assert again is not None and again.config.lr == res.run.config.lr
    saved = cache.attachment(res.run.key, "tune.json")
    assert saved["best_key"] == res.run.key and len(saved["trials"]) == 4
    assert saved["selected_on"].startswith("validation")
    json.dumps(saved)


def test_a_pruned_trial_stops_early(small):
    """The median pruner stops a trial whose validation loss is far above the others'."""
    ds, g = small
    space = {"lr": ("choice", (3e-3, 1e-7))}      # 1e-7: the model does not learn at all
    sampler_order = []
    res = pc.tune(ds, "NOx", g, pc.WindowSpec(lookback=8), base(epochs=6, patience=10),
                  n_trials=6, timeout_s=300, space=space, search_lookback=False,
                  on_trial=sampler_order.append)
    slow = [t for t in res.trials if t["lr"] == 1e-7 and t["number"] >= 2]
    assert slow, "the sampler never tried the bad learning rate"
    assert all(t["state"] == "pruned" and t["epochs"] < 6 for t in slow)
    assert res.run.config.lr == 3e-3
    assert sampler_order == res.trials


def test_time_budget_stops_the_search(small):
    """The budget ends inside trial 1 whatever the machine's speed: trial 1's first progress
    call waits until the budget is over, so it cannot finish; the search must stop it there
    (the next batch is not trained) and not start another of the 500 trials."""
    ds, g = small
    budget, start, seen = 10.0, time.monotonic(), []

    def progress(fraction, message):
        seen.append(message)
        if message.startswith("trial 2/") and "epoch" in message:
            while time.monotonic() < start + budget + 0.5:   # the budget runs out here
                time.sleep(0.05)
    res = pc.tune(ds, "NOx", g, pc.WindowSpec(lookback=8), base(epochs=2, batch_size=64),
                  n_trials=500, timeout_s=budget, space=SPACE, search_lookback=False,
                  progress=progress)
    assert res.stopped_by == "time budget"
    assert [t["number"] for t in res.trials] == [0, 1]
    assert res.trials[0]["state"] == "complete"
    stopped = res.trials[1]
    assert stopped["state"] == "pruned" and stopped["note"] == "stopped: time budget"
    # stopped after its first batch: no epoch of trial 2 was completed, no trial 3 was begun
    assert not any(m.startswith("trial 2/") and "train" in m for m in seen)
    assert not any(m.startswith("trial 3/") for m in seen)
    assert res.run.key and res.best_val_loss == res.trials[0]["val_loss"]


def test_cancel_stops_with_training_cancelled(small, tmp_path):
    ds, g = small
    cancel = threading.Event()
    cache = pc.ModelCache(tmp_path)

    def progress(f, m):
        if "trial 2/" in m:
            cancel.set()
    with pytest.raises(pc.TrainingCancelled):
        pc.tune(ds, "NOx", g, pc.WindowSpec(lookback=8), base(), n_trials=5, timeout_s=300,
                cache=cache, space=SPACE, search_lookback=False, progress=progress, cancel=cancel)
    assert cache.list() == []


@pytest.mark.parametrize("kw, words", [
    ({"n_trials": 0}, "number of trials must be at least 1"),
    ({"timeout_s": -5}, "time budget"),
    ({"space": {"dropout": ("choice", (0.1,))}}, "Cannot search dropout"),
])
def test_bad_budget_is_a_plain_error(small, kw, words):
    ds, g = small
    with pytest.raises(pc.DataError, match=words):
        pc.tune(ds, "NOx", g, pc.WindowSpec(lookback=8), base(), **kw)


def test_trial_pruned_passes_through_train(small):
    ds, g = small

    def on_epoch(entry):
        raise optuna.TrialPruned("from on_epoch")
    with pytest.raises(optuna.TrialPruned):
        pc.train(ds, "NOx", g, pc.WindowSpec(lookback=8), base(), on_epoch=on_epoch)


def test_cli_tune(tmp_path, capsys):
    rc = main(["tune", "--sample", "urban", "--target", "NOx", "--trials", "2", "--timeout", "120",
               "--model", "linear", "--lookback", "8", "--cache-dir", str(tmp_path)])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "best" in out.out and "validation" in out.out and "trial" in out.out
    assert len(pc.ModelCache(tmp_path).list()) == 1
    rc = main(["tune", "--trials", "0"])
    assert rc == 2 and "at least 1" in capsys.readouterr().err


# ---------------------------------------------------------------------------- Train page
TRAIN, GROUPS_PAGE = "pages/3_Train.py", "pages/2_Sensor_groups.py"


def _tune_page(app, ds, model):
    at = app.run()
    at.session_state["ds"] = ds
    at.switch_page(GROUPS_PAGE).run()
    at.switch_page(TRAIN).run()
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="trainset_models").set_value([model]).run()
    at.radio(key="trainset_mode").set_value("Tune").run()
    assert at.number_input(key="tuneset_seconds").value == 30           # from the env
    return at


def test_train_page_tunes_and_adds_the_best_run(app, small_ds, ui_env, monkeypatch):
    from conftest import TINY, wait_for_job
    monkeypatch.setenv("PALSTM_UI_DEFAULTS", TINY + ",tune_seconds=30")
    at = _tune_page(app, small_ds, "linear")
    at.number_input(key="tuneset_trials").set_value(3).run()
    at.button(key="start_tuning").click().run()
    job = at.session_state["job"]
    assert job.name == "palstm-tune" and job.n_trials == 3
    at = wait_for_job(at, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert not job.errors and len(job.trials) == 3 and job.tuned is not None
    assert job.runs[0].key in at.session_state["runs"]                  # added like a trained run
    assert any("Best of 3 trial(s)" in i.value and "validation" in i.value for i in at.info)
    assert any("linear" in s.value and "R²" in s.value for s in at.success)
    assert pc.ModelCache(ui_env).attachment(job.runs[0].key, "tune.json")["trials"]


def test_train_page_tune_shows_progress_and_cancels(app, small_ds, ui_env, monkeypatch):
    import time

    from conftest import wait_for_job
    monkeypatch.setenv("PALSTM_UI_DEFAULTS",
                       "hidden_size=8,epochs=400,lookback=10,batch_size=8,tune_seconds=30")
    at = _tune_page(app, small_ds, "lstm")
    at.number_input(key="trainset_patience").set_value(100).run()
    at.button(key="start_tuning").click().run()
    job = at.session_state["job"]
    end = time.time() + 60
    while "epoch" not in job.message and time.time() < end:
        time.sleep(0.2)
    at.run()
    assert any(p.proto.text.startswith("trial 1/20") for p in at.get("progress"))
    at.button(key="cancel_training").click().run()
    at = wait_for_job(at, timeout=60)
    assert job.cancelled and not job.runs
    assert any("Tuning was cancelled" in w.value for w in at.warning)
    assert pc.ModelCache(ui_env).list() == []


# ---------------------------------------------------------------------------- leaderboard seeds
def test_leaderboard_seed_ensemble_row_and_epochs_to_best(tmp_path, capsys):
    from palstm_core import leaderboard
    out = tmp_path / "b.md"
    assert leaderboard.main(["--models", "linear", "--seeds", "0", "1", "--out", str(out),
                             "--save-results", str(tmp_path / "r.json"), "--note", "Load 5."]) == 0
    text = out.read_text()
    assert "epochs to best val. loss" in text and "urban test MAE" in text and "Load 5." in text
    # linear is fitted in closed form: both seeds give the same predictions, so no ensemble row
    assert "seed ensemble of" not in text.split("*seed ensemble*")[1]
    lin = json.loads((tmp_path / "r.json").read_text())
    assert [r["best_epoch"] for r in lin] == [1, 1]
    # two members that differ: the ensemble scores the mean of their predictions
    a, b = dict(lin[0]), dict(lin[1])
    b["predictions"] = {k: (list(np.asarray(v) + 2.0) if k in ("urban", "motorway") else v)
                        for k, v in b["predictions"].items()}
    ens = leaderboard.ensemble([a, b])
    actual = np.asarray(a["predictions"]["urban_actual"])
    mean = np.asarray(a["predictions"]["urban"]) + 1.0
    assert ens["urban_mae"] == pytest.approx(np.mean(np.abs(mean - actual)))
    assert ens["model"] == "linear (seed ensemble of 2)"
    row = leaderboard.table([a, b])
    assert "| linear (seed ensemble of 2) |" in row


# ---------------------------------------------------------------------------- real logs
def test_real_logs_trips_and_xgboost_rows():
    from pathlib import Path

    from palstm_core import leaderboard_real as real
    if not real.LOGS.is_dir():
        pytest.skip("../shared/real-logs/ is not here")
    found = {name: len(f) for name, f in real.trips()}
    # the Toyota export holds two trips 20,183 s apart: split, never windowed across the gap
    toyota = sorted(n for n in found if n.startswith("Toyota"))
    assert [found[n] for n in toyota] == [4829, 3524]
    name, frame = next(real.trips())
    frame = frame.iloc[:400]
    rows = np.arange(340, 400)
    mae_few = real.xgb_mae(frame, 340, ["rpm", "accel", "slope"], rows)
    mae_all = real.xgb_mae(frame, 340, real.OBD, rows)
    assert 0 < mae_all < mae_few                    # MAF and fuel rate carry the CO2 rate
    text = real.table([{"trip": "t", "test_rows": 60, "pa_lstm": 0.001,
                        "xgb (rpm, accel, slope; 2 lags)": mae_few,
                        "xgb (all 9 OBD; 2 lags)": mae_all}], ["pa_lstm"])
    assert "| t | 60 | **0.0010** |" in text and Path(real.__file__).name == "leaderboard_real.py"


def test_real_logs_multi_step_rows():
    """``--real-logs --steps N``: each model forecasts N seconds from every test window of a real
    trip; the row holds its MAE over all steps, of step 1 and of step N, on the same windows."""
    from palstm_core import leaderboard_real as real
    if not real.LOGS.is_dir():
        pytest.skip("../shared/real-logs/ is not here")
    name, frame = next(real.trips())
    row = real.evaluate_trip_steps(name, frame.iloc[:600], ["linear"], seed=0, steps=3)
    every, first, last = row["linear"]
    assert row["test_windows"] == 600 - int(round(600 * 0.85)) - 2    # the last 2 lack step 3
    assert 0 < every and 0 < first < last            # 3 s ahead is harder than the current second
    text = real.table_steps([row], ["linear"], 3)
    assert "linear MAE (g/s): all steps / step 1 / step 3" in text
    assert f"| {name} | {row['test_windows']} | {every:.4f} / {first:.4f} / {last:.4f} |" in text
