"""The multi-step training objective (issue 22): a steps > 1 run minimises the weighted geometric
mean of its per-step losses (step 1 half, the later steps the other half) and keeps the epoch
with the lowest such mean of the per-step validation MSEs; the history's ``val_loss`` stays the
plain MSE; a steps = 1 run is untouched."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import palstm_core as pc
from palstm_core.data import Dataset
from palstm_core.training import build_model
from palstm_core.training.drives import prepare_single
from palstm_core.training.loop import _Loop, best_epoch, geometric_mean, step_weights

GROUPS = pc.SensorGrouping({"engine": ["rpm", "load"], "motion": ["speed"]})


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """One torch thread (conftest), so the runs are reproducible on a shared machine."""


@pytest.fixture(scope="module")
def drive() -> Dataset:
    """420 s of a made-up drive at 1 Hz, full-precision values as an export writes them: NOx
    follows load 3 s back and speed, plus noise."""
    rng = np.random.default_rng(7)
    t = np.arange(420, dtype=float)
    speed = 12.5 + 9.25 * np.sin(t / 17.0) + rng.normal(0, 0.73, t.size)
    load = 41.0 + 23.0 * np.sin(t / 9.0 + 0.4) + rng.normal(0, 2.1, t.size)
    rpm = 1480.0 + 31.7 * speed + rng.normal(0, 55.0, t.size)
    nox = 0.043 * np.roll(load, 3) + 0.011 * speed + rng.normal(0, 0.09, t.size)
    frame = pd.DataFrame({"time": t, "rpm": rpm, "load": load, "speed": speed, "NOx": nox})
    return Dataset(frame=frame, time_column="time", name="made-up drive", simulated=True)


def _loop(ds: Dataset, steps: int, **kw) -> _Loop:
    window = pc.WindowSpec(lookback=6, horizon=1, steps=steps)
    config = pc.TrainConfig(model="lstm", hidden_size=6, batch_size=64, device="cpu",
                            cpu_threads=1, **kw)
    prep = prepare_single(ds, "NOx", GROUPS, window)
    torch.manual_seed(0)
    model = build_model(config, GROUPS.to_dict(), prep.columns, "NOx", window)
    return _Loop(model, prep.windows, prep.parts, config, torch.device("cpu"), None, None, None)


def _adam_step(model: torch.nn.Module, loss_of) -> None:
    """One Adam step as the loop takes it (default lr, gradient clipped at 1), without the
    loop's code: ``loss_of(model)`` is the objective."""
    opt = torch.optim.Adam(model.parameters(), lr=pc.TrainConfig().lr)
    opt.zero_grad()
    loss_of(model).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


@pytest.mark.parametrize("loss", ["huber", "mse"])
def test_multi_step_objective_is_the_weighted_geometric_mean_of_the_step_losses(drive, loss):
    loop = _loop(drive, steps=4, loss=loss)
    batch = loop.starts["train"][:64]
    xb, yb = loop.drive.batch(batch)
    assert yb.shape == (64, 4)

    def step_losses(model):                      # L_k: the batch's mean loss of step k
        pred = model(xb).y
        if loss == "huber":
            return torch.stack([F.huber_loss(pred[:, k], yb[:, k], delta=0.1) for k in range(4)])
        return torch.stack([((pred[:, k] - yb[:, k]) ** 2).mean() for k in range(4)])

    w = torch.tensor([1 / 2, 1 / 6, 1 / 6, 1 / 6])      # step 1 as much as steps 2-4 together
    torch.testing.assert_close(step_weights(4).float(), w)

    def objective(L):                             # Σ_k w_k log L_k
        return (w * torch.log(L)).sum()

    sums = loop._loss_sum(loop.model(xb).y, yb, per_step=True)
    value, total = loop._multi_step_loss(sums, len(batch), 1.0)
    with torch.no_grad():
        expected = step_losses(loop.model)
    # the value is Π L_k^{w_k} = exp(Σ w_k log L_k); the reported loss is the plain mean
    assert value.item() == pytest.approx(float(torch.exp(objective(expected))), rel=1e-5)
    assert float(total) / (64 * 4) == pytest.approx(float(expected.mean()), rel=1e-5)
    assert float(geometric_mean(expected)) == pytest.approx(float(torch.exp(objective(expected))))

    # one optimiser step of the loop = one Adam step on Σ_k w_k log L_k scaled by G (detached):
    # the same minimisers, and the gradient of the weighted geometric mean G itself
    manual = copy.deepcopy(loop.model)
    _adam_step(manual, lambda m: (lambda L: torch.exp(objective(L)).detach() * objective(L))(
        step_losses(m)))
    opt = torch.optim.Adam(loop.model.parameters(), lr=loop.config.lr)
    reported = loop._step(batch, len(batch), 1, opt)
    assert reported == pytest.approx(float(expected.mean()), rel=1e-5)
    for (name, p), q in zip(loop.model.named_parameters(), manual.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-7, msg=name)


def test_one_step_objective_is_the_plain_mean_as_before(drive):
    loop = _loop(drive, steps=1)
    batch = loop.starts["train"][:64]
    xb, yb = loop.drive.batch(batch)
    assert yb.shape == (64,)
    manual = copy.deepcopy(loop.model)
    _adam_step(manual, lambda m: F.huber_loss(m(xb).y, yb, delta=0.1))
    opt = torch.optim.Adam(loop.model.parameters(), lr=loop.config.lr)
    loop._step(batch, len(batch), 1, opt)
    for (name, p), q in zip(loop.model.named_parameters(), manual.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0, msg=name)   # the same operations


def _scaled_step_mse(run: pc.TrainedRun, ds: Dataset) -> np.ndarray:
    """Per-step validation MSE in scaled target units, from ``run.predict`` alone."""
    frame = run.predict(ds, part="val")
    std = float(run.scaler.std[-1])
    err = ((frame["predicted"] - frame["actual"]) / std) ** 2
    return err.groupby(frame["step"]).mean().to_numpy()


def test_multi_step_run_keeps_the_epoch_with_the_best_weighted_geometric_mean(drive):
    config = pc.TrainConfig(model="gru", hidden_size=6, epochs=6, batch_size=32, patience=2,
                            device="cpu", cpu_threads=1)
    run = pc.train(drive, "NOx", grouping=GROUPS, window=pc.WindowSpec(6, 1, steps=3),
                   config=config)
    hist = run.history
    assert all(set(h) == {"epoch", "train_loss", "val_loss", "seconds", "lr", "val_objective"}
               for h in hist)
    kept = best_epoch(hist)
    assert run.timings["best_epoch"] == kept
    assert hist[kept - 1]["val_objective"] == min(h["val_objective"] for h in hist)
    mse = _scaled_step_mse(run, drive)                   # the restored weights' validation MSE
    assert len(mse) == 3
    assert hist[kept - 1]["val_loss"] == pytest.approx(mse.mean(), rel=1e-4)   # plain MSE
    weighted = 0.5 * np.log(mse[0]) + 0.25 * np.log(mse[1:]).sum()
    assert hist[kept - 1]["val_objective"] == pytest.approx(float(np.exp(weighted)), rel=1e-4)

    one = pc.train(drive, "NOx", grouping=GROUPS, window=pc.WindowSpec(6, 1), config=config)
    assert all("val_objective" not in h for h in one.history)
    assert one.timings["best_epoch"] == int(np.argmin([h["val_loss"] for h in one.history])) + 1
