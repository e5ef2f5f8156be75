"""Training: ``TrainConfig`` → ``train()`` → ``TrainedRun`` (predict, explain, cache).

    config.py   TrainConfig, TrainingError, TrainingCancelled
    device.py   device choice, bf16 autocast, the one torch.distributed set-up
    run.py      TrainedRun, the model factory, the run key
    loop.py     epochs, early stopping, batches gathered on the device, DDP sharding
    calibrate.py  ``pc.calibrate``: a fleet run fine-tuned on the first minutes of a new drive

``train()`` reads as: drives and windows → run key → cache lookup → fit → metrics → cache
save. Under torch.distributed only rank 0 writes the cache and reports progress; with a
``Campaign`` each rank holds its own share of the drives (``drives.py``). This package never imports
the cache module: ``train()`` is handed a ``ModelCache`` (or None).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import torch

from ..data import DataError, Dataset
from ..grouping import SensorGrouping, suggest_groups
from ..intervals import Calibration
from ..metrics import regression_metrics, step_metrics
from ..models import Forecaster
from ..data.campaign import Campaign
from ..windows import WindowSpec, input_groups
from .config import Progress, TrainConfig, TrainingCancelled, TrainingError, check_device
from .device import (autocast, close_distributed, device_name, dist_info, init_distributed,
                     resolve_device)
from .drives import Prepared, check_drive_names, prepare_campaign, prepare_single, sharded
from .drives import natural as natural_key
from .loop import DeviceDrive, best_epoch, check_scores, fit
from .calibration import LEVEL, interval_summary, validation_frame
from .run import TrainedRun, build_model, code_version, drive_metrics, run_key
from ..i18n import _

__all__ = [
    "DeviceDrive", "Progress", "TrainConfig", "TrainedRun", "TrainingCancelled", "TrainingError",
    "autocast", "build_model", "check_device", "check_drive_names", "close_distributed",
    "code_version", "device_name", "dist_info", "fit", "init_distributed", "natural_key",
    "resolve_device", "run_key", "train",
]


def train(data: Dataset | Campaign, target: str, grouping: SensorGrouping | None = None,
          window: WindowSpec | None = None, config: TrainConfig | None = None,
          cache=None, progress: Progress | None = None,
          cancel: threading.Event | None = None,
          on_epoch: Callable[[dict], None] | None = None) -> TrainedRun:
    """Train ``config.model`` to predict ``target`` of ``data`` from the grouped sensors.

    ``data`` is one drive (a ``Dataset``) or a ``Campaign`` of drives (one drive = one series;
    windows never cross drives). The split is chronological (``window.split``, inside every
    drive), or by whole drives when ``window.test_drives`` / ``val_drives`` name them. The scaler
    is fit on the training rows only; training uses early stopping; ``run.metrics`` is scored on
    the test part (``run.metrics_by_drive`` per drive). A drive of a campaign that lacks a
    column or is too short is skipped with a line in ``run.report``. With ``cache`` (a
    ``ModelCache``) an identical earlier run is returned without training.
    ``progress(fraction, message)`` is called as training goes; ``on_epoch(entry)`` gets each
    history entry; setting ``cancel`` stops with ``TrainingCancelled``.
    """
    t_start = time.perf_counter()
    __, rank = dist_info()
    if rank != 0:                                   # only rank 0 reports and writes the cache
        progress = on_epoch = None
    window = window or WindowSpec()
    config = config or TrainConfig()
    if isinstance(data, Campaign):
        if not len(data) and not sharded(data):
            raise DataError(_("{label} has no drive to train on.", label=data.label))
        grouping = grouping or _campaign_groups(data, target)
        for ds in data:
            if target in ds.frame.columns:
                grouping.validate(ds, target)
                break
        prep = prepare_campaign(data, target, grouping, window)
    else:
        grouping = grouping or suggest_groups(data, target)
        grouping.validate(data, target)
        prep = prepare_single(data, target, grouping, window)
    key = run_key(prep.fingerprint, target, grouping, window, config)
    cached = _load_cached(cache, key, config, progress)
    if cached is not None:
        return cached
    run = _fit_run(prep, target, grouping, window, config, key, progress, cancel, on_epoch,
                   t_start)
    _score(run, data)
    check_scores(run.metrics, float(run.scaler.std[-1]), config)   # diverged: not cached
    if cache is not None and rank == 0:
        cache.save(run)
    return run


def _campaign_groups(camp: Campaign, target: str) -> SensorGrouping:
    """Groups suggested from the columns all drives share (under torchrun: rank 0's choice, so
    that every process builds the same model)."""
    with_target = [ds for ds in camp if target in ds.frame.columns]
    groups = None
    if with_target:
        shared = [c for c in camp.common_columns if c != target] or with_target[0].columns
        frame = with_target[0].frame[[c for c in shared if c != target] + [target]]
        groups = suggest_groups(Dataset(frame, name=with_target[0].name), target,
                                vehicle=camp.vehicle_columns).to_dict()
    if sharded(camp):
        box = [groups]
        torch.distributed.broadcast_object_list(box, 0)
        groups = box[0]
    if groups is None:
        raise DataError(_("No drive of {label} has the column '{target}' to learn from.",
                           label=camp.label, target=target))
    return SensorGrouping(groups)


def _load_cached(cache, key: str, config: TrainConfig, progress: Progress | None) -> TrainedRun | None:
    """The identical earlier run from ``cache``, or None."""
    if cache is None:
        return None
    cached = cache.load(key, device=config.device)
    if cached is not None and progress:
        progress(1.0, _("Loaded from cache"))
    return cached


def _fit_run(prep: Prepared, target: str, grouping: SensorGrouping, window: WindowSpec,
             config: TrainConfig, key: str, progress: Progress | None,
             cancel: threading.Event | None, on_epoch: Callable[[dict], None] | None,
             t_start: float) -> TrainedRun:
    """Build the model (seeded), fit it, and wrap it in a ``TrainedRun`` (metrics still empty)."""
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    columns = prep.columns
    model: Forecaster = build_model(config, input_groups(grouping, target, window), columns,
                                    target, window).to(device)
    shard = None if prep.train_ids is None else (prep.train_ids, prep.n_train)
    info: dict = {}
    history = fit(model, prep.windows, prep.parts, config, device, progress, cancel, on_epoch,
                  shard=shard, info=info)
    train_seconds = time.perf_counter() - t_start
    units = next((ds.units.get(target, "") for ds in prep.drives.values()), "")
    run = TrainedRun(model=model, target=target, grouping=grouping, window=window, config=config,
                     scaler=prep.scaler, columns=columns, metrics={}, history=history, key=key,
                     data_name=prep.name, data_fingerprint=prep.fingerprint,
                     simulated=prep.simulated, target_unit=units,
                     created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     report=list(prep.report))
    device_label = device_name(str(device), info.get("threads"))   # the threads training used
    run.timings = {"train_seconds": train_seconds, "epochs": len(history),
                   "best_epoch": best_epoch(history),
                   "device": device_label}
    return run


def _score(run: TrainedRun, data: Dataset | Campaign) -> None:
    """Metrics of ``run`` on the held-out (test) part of ``data``, overall and per drive (all
    ranks' drives under torchrun)."""
    test = _all_ranks(run.predict(data, part="test"), data)
    run.metrics = regression_metrics(test["actual"], test["predicted"])
    run.metrics_by_step = step_metrics(test)
    if isinstance(data, Campaign):
        run.metrics_by_drive = drive_metrics(test)
    else:
        run.metrics_by_drive = {data.name: dict(run.metrics)}
    _calibrate(run, data, test)


def _all_ranks(frame: pd.DataFrame, data: Dataset | Campaign) -> pd.DataFrame:
    """A predict frame of every rank's drives under torchrun (``frame`` itself otherwise)."""
    if not sharded(data):
        return frame
    frames = [None] * dist_info()[0]
    torch.distributed.all_gather_object(frames, frame)
    return pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames) else frame


def _calibrate(run: TrainedRun, data: Dataset | Campaign, test: pd.DataFrame) -> None:
    """The run's interval calibration from its validation part (never the test part) and the
    90 % interval metrics of its test part; a report line when there are too few windows."""
    try:
        run.calibration = Calibration.from_predictions(
            _all_ranks(validation_frame(run, data), data), "auto", LEVEL)
    except DataError as exc:
        run.report.append(f"No prediction intervals: {exc}")
        return
    run.intervals = interval_summary(test, run.calibration, LEVEL)
    if not isinstance(data, Campaign):
        run.intervals["by_drive"] = {data.name: dict(run.intervals["overall"])}
