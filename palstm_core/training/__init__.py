"""Training: ``TrainConfig`` → ``train()`` → ``TrainedRun`` (predict, explain, cache).

    config.py   TrainConfig, TrainingError, TrainingCancelled
    device.py   device choice, bf16 autocast, the one torch.distributed set-up
    run.py      TrainedRun, the model factory, the run key
    loop.py     epochs, early stopping, batches gathered on the device, DDP sharding

``train()`` reads as: run key → cache lookup → fit → metrics → cache save. Under
torch.distributed only rank 0 writes the cache and reports progress. This package never imports
the cache module: ``train()`` is handed a ``ModelCache`` (or None).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import torch

from ..data import DataError, Dataset
from ..grouping import SensorGrouping, suggest_groups
from ..metrics import regression_metrics
from ..models import Forecaster
from ..windows import Scaler, Windows, WindowSpec, input_columns, input_groups, make_windows, split_rows
from .config import Progress, TrainConfig, TrainingCancelled, TrainingError
from .device import (autocast, close_distributed, device_name, dist_info, init_distributed,
                     resolve_device)
from .loop import DeviceDrive, check_scores, fit
from .run import TrainedRun, build_model, code_version, run_key

__all__ = [
    "DeviceDrive", "Progress", "TrainConfig", "TrainedRun", "TrainingCancelled", "TrainingError",
    "autocast", "build_model", "close_distributed", "code_version", "device_name", "dist_info",
    "fit", "init_distributed", "resolve_device", "run_key", "train",
]


def train(ds: Dataset, target: str, grouping: SensorGrouping | None = None,
          window: WindowSpec | None = None, config: TrainConfig | None = None,
          cache=None, progress: Progress | None = None,
          cancel: threading.Event | None = None,
          on_epoch: Callable[[dict], None] | None = None) -> TrainedRun:
    """Train ``config.model`` to predict ``target`` of ``ds`` from the grouped sensors.

    Splits ``ds`` chronologically (``window.split``), fits the scaler on the training rows only,
    trains with early stopping, evaluates on the last (test) part, and caches the run when
    ``cache`` (a ``ModelCache``) is given; an identical earlier run is returned from the cache
    without training. ``progress(fraction, message)`` is called as training goes;
    ``on_epoch(entry)`` gets each history entry; setting ``cancel`` stops with
    ``TrainingCancelled``.
    """
    t_start = time.perf_counter()
    _, rank = dist_info()
    if rank != 0:                                   # only rank 0 reports and writes the cache
        progress = on_epoch = None
    grouping = grouping or suggest_groups(ds, target)
    window = window or WindowSpec()
    config = config or TrainConfig()
    grouping.validate(ds, target)
    key = run_key(ds, target, grouping, window, config)
    cached = _load_cached(cache, key, config, progress)
    if cached is not None:
        return cached
    run = _fit_run(ds, target, grouping, window, config, key, progress, cancel, on_epoch, t_start)
    _score(run, ds)
    check_scores(run.metrics, float(run.scaler.std[-1]), config)   # diverged: not cached
    if cache is not None and rank == 0:
        cache.save(run)
    return run


def _load_cached(cache, key: str, config: TrainConfig, progress: Progress | None) -> TrainedRun | None:
    """The identical earlier run from ``cache``, or None."""
    if cache is None:
        return None
    cached = cache.load(key, device=config.device)
    if cached is not None and progress:
        progress(1.0, "Loaded from cache")
    return cached


def _prepare(ds: Dataset, target: str, grouping: SensorGrouping, window: WindowSpec
             ) -> tuple[list[str], Scaler, Windows, dict[str, np.ndarray]]:
    """Input columns, the scaler fit on the training rows, the windows and their split."""
    columns = input_columns(grouping, target, window)
    val_start, test_start = split_rows(len(ds), window)
    scaler = Scaler.fit(ds.frame[columns + [target]].iloc[:val_start].to_numpy(dtype=float))
    w = make_windows(ds, columns, target, window, scaler, need_target=True)
    parts = {p: w.part(p, len(ds), window) for p in ("train", "val", "test")}
    for p, need in (("train", 8), ("val", 1), ("test", 1)):
        if len(parts[p]) < need:
            raise DataError(f"{ds.label}: only {len(parts[p])} complete window(s) in the {p} part "
                            f"(lookback {window.lookback}, horizon {window.horizon}). Use a longer "
                            "recording, a shorter lookback, or fill the missing values.")
    return columns, scaler, w, parts


def _fit_run(ds: Dataset, target: str, grouping: SensorGrouping, window: WindowSpec,
             config: TrainConfig, key: str, progress: Progress | None,
             cancel: threading.Event | None, on_epoch: Callable[[dict], None] | None,
             t_start: float) -> TrainedRun:
    """Build the model (seeded), fit it, and wrap it in a ``TrainedRun`` (metrics still empty)."""
    columns, scaler, w, parts = _prepare(ds, target, grouping, window)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    model: Forecaster = build_model(config, input_groups(grouping, target, window), columns,
                                    target, window).to(device)
    history = fit(model, w, parts, config, device, progress, cancel, on_epoch)
    train_seconds = time.perf_counter() - t_start
    run = TrainedRun(model=model, target=target, grouping=grouping, window=window, config=config,
                     scaler=scaler, columns=columns, metrics={}, history=history, key=key,
                     data_name=ds.name, data_fingerprint=ds.fingerprint(), simulated=ds.simulated,
                     target_unit=ds.units.get(target, ""),
                     created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    run.timings = {"train_seconds": train_seconds, "epochs": len(history),
                   "best_epoch": int(np.argmin([h["val_loss"] for h in history])) + 1,
                   "device": device_name(str(device))}
    return run


def _score(run: TrainedRun, ds: Dataset) -> None:
    """Metrics of ``run`` on the held-out (test) part of ``ds``."""
    test = run.predict(ds, part="test")
    run.metrics = regression_metrics(test["actual"], test["predicted"])
