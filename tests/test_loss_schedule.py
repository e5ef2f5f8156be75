"""Training loss (Huber / MSE), the cosine learning-rate schedule and CPU threads (issue 15)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import palstm_core as pc
from palstm_core.training import run_key
from palstm_core.training.loop import cpu_threads

GROUPS = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"]})
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def small(small_ds):
    """600 rows of the urban sample, two small sensor groups."""
    return small_ds, GROUPS


def tiny(**kw):
    return pc.TrainConfig(**{"hidden_size": 4, "epochs": 3, "batch_size": 256, "patience": 10,
                             "device": "cpu", **kw})


def test_defaults_are_the_measured_ones():
    d = pc.TrainConfig()
    assert (d.loss, d.huber_delta, d.lr_schedule, d.epochs, d.cpu_threads) == \
        ("huber", 0.1, "cosine", 25, 0)


@pytest.mark.parametrize("field, value, words", [
    ("loss", "mae", "Unknown loss 'mae'"), ("loss", 1, "Unknown loss"),
    ("huber_delta", 0, "huber_delta must be positive"),
    ("huber_delta", float("nan"), "huber_delta must be a finite number"),
    ("lr_schedule", "step", "Unknown lr_schedule 'step'"),
    ("cpu_threads", -1, "cpu_threads (0 = auto) must be at least 0"),
    ("cpu_threads", 1.5, "must be a whole number"),
])
def test_bad_settings_are_plain_data_errors(field, value, words):
    with pytest.raises(pc.DataError, match=words.replace("(", r"\(").replace(")", r"\)")):
        pc.TrainConfig(**{field: value})


def test_choices_are_normalised_and_old_runs_read_as_mse():
    assert pc.TrainConfig(loss=" MSE ", lr_schedule="None").loss == "mse"
    old = pc.TrainConfig.from_dict({"model": "lstm", "epochs": 40})   # run.json before issue 15
    assert (old.loss, old.lr_schedule) == ("mse", "none")


def test_threads_are_not_part_of_the_run_key(small):
    ds, g = small
    spec = pc.WindowSpec(lookback=8)
    keys = {run_key(ds, "NOx", g, spec, tiny(cpu_threads=n)) for n in (0, 1, 2)}
    assert len(keys) == 1
    assert run_key(ds, "NOx", g, spec, tiny(loss="mse")) not in keys


def test_validation_loss_stays_mse_whatever_the_training_loss(small):
    ds, g = small
    spec = pc.WindowSpec(lookback=8)
    for loss in ("huber", "mse"):
        run = pc.train(ds, "NOx", g, spec, tiny(model="lstm", loss=loss))
        pred = run.predict(ds, part="val")
        scaled = (pred["actual"] - pred["predicted"]) / run.scaler.std[-1]
        best = min(h["val_loss"] for h in run.history)
        assert float(np.mean(scaled ** 2)) == pytest.approx(best, rel=1e-3)


def test_huber_and_mse_train_different_models(small):
    ds, g = small
    spec = pc.WindowSpec(lookback=8)
    a = pc.train(ds, "NOx", g, spec, tiny(model="lstm", loss="huber", huber_delta=0.05))
    b = pc.train(ds, "NOx", g, spec, tiny(model="lstm", loss="mse"))
    # Huber is linear beyond delta: its training loss is far below the squared error
    assert a.history[0]["train_loss"] < 0.5 * b.history[0]["train_loss"]
    assert a.metrics["rmse"] != b.metrics["rmse"]


def test_cosine_schedule_ends_at_two_percent_of_lr(small):
    ds, g = small
    spec = pc.WindowSpec(lookback=8)
    run = pc.train(ds, "NOx", g, spec, tiny(model="lstm", lr=2e-3))
    lrs = [h["lr"] for h in run.history]
    assert lrs == sorted(lrs, reverse=True) and lrs[0] < 2e-3
    assert lrs[-1] == pytest.approx(0.02 * 2e-3, rel=1e-6)
    flat = pc.train(ds, "NOx", g, spec, tiny(model="lstm", lr=2e-3, lr_schedule="none"))
    assert [h["lr"] for h in flat.history] == [2e-3] * 3


def test_cpu_threads_used_in_training_and_restored(small):
    ds, g = small
    before = torch.get_num_threads()
    seen = []
    pc.train(ds, "NOx", g, pc.WindowSpec(lookback=8), tiny(model="lstm", cpu_threads=1, epochs=1),
             on_epoch=lambda e: seen.append(torch.get_num_threads()))
    assert seen == [1] and torch.get_num_threads() == before
    with cpu_threads(tiny(cpu_threads=0), torch.device("cpu")):
        assert 1 <= torch.get_num_threads() <= max(1, before)
    with cpu_threads(tiny(model="da_rnn", cpu_threads=0), torch.device("cpu")):
        assert torch.get_num_threads() == 1  # small-kernel recurrence: one thread, always
    # PA-LSTM's branches are fused LSTMs since issue 20: the same rule as the other models
    with cpu_threads(tiny(model="pa_lstm", cpu_threads=0), torch.device("cpu")):
        assert torch.get_num_threads() in (1, before)


def test_an_exception_from_on_epoch_passes_through_unchanged(small):
    ds, g = small
    before = torch.get_num_threads()

    class Stop(Exception):
        pass

    def on_epoch(entry):
        raise Stop(entry["epoch"])

    with pytest.raises(Stop) as info:
        pc.train(ds, "NOx", g, pc.WindowSpec(lookback=8), tiny(model="lstm"), on_epoch=on_epoch)
    assert info.value.args == (1,) and torch.get_num_threads() == before


def test_libgomp_waits_passively_after_importing_the_package():
    """OMP_WAIT_POLICY must be set before torch loads libgomp: libgomp prints what it read."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(OMP_DISPLAY_ENV="TRUE", PYTHONPATH=ROOT)
    code = ("import palstm_core, torch; torch.set_num_threads(2); "
            "torch.ones(300, 300) @ torch.ones(300, 300)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "OMP_WAIT_POLICY = 'PASSIVE'" in out.stderr
    env["OMP_WAIT_POLICY"] = "ACTIVE"                     # a user's own choice is kept
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in out.stderr


def test_bench_contention_row_kills_its_busy_processes():
    from palstm_core.bench import format_table
    from palstm_core.bench_threads import bench_contention
    res = bench_contention(torch.device("cpu"), hogs=1, repeats=2, batch=8, lookback=5, groups=2,
                           hidden=4)
    assert res["hogs_left"] == 0 and res["hogs"] == 1
    assert res["ratio"] == pytest.approx(res["busy_ms"] / res["idle_ms"])
    assert res["omp_wait_policy"] == os.environ.get("OMP_WAIT_POLICY")
    fake = {"device": "cpu", "machine": {"cpu": "x", "cores": 2, "torch": "t", "torch_threads": 1},
            "models": {"config": {"batch": 8, "lookback": 5, "groups": [2, 2], "hidden": 4,
                                  "lstm_hidden": 8, "amp": False},
                       "step_ms": {"pa_lstm": 1.0, "naive": 9.0, "lstm": 1.0},
                       "fast_over_lstm": 1.0, "naive_over_fast": 9.0,
                       "infer_windows_per_s": {"pa_lstm": 1.0, "lstm": 1.0}},
            "cached": {"reopen_explain_ms": 1.0}, "windows": {"windows_are_views": True},
            "contention": res}
    assert "beside 1 busy processes" in format_table(fake) and "ratio busy / no extra load" in \
        format_table(fake)
