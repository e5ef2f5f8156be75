"""Calibrate a fleet run to a new vehicle: fine-tune a copy of it on the first minutes of that
vehicle's drive, and score it on the rest of the drive next to the fleet run and a run trained
on those minutes alone.

    cal = pc.calibrate(run, new_drive, minutes=5, cache=pc.ModelCache())
    cal.metrics        # the calibrated run on the rest of the drive
    cal.comparison     # fleet / calibrated / this drive only, same rows: metrics + trip total
    cal.trips          # pc.trip_results of the three (per speed bin), column "model" first
    cal.run            # the calibrated TrainedRun (run.window: the calibration split)

The drive is split by its clock: rows in the first ``minutes`` are the calibration part, the last
``val_fraction`` of them validation (early stopping, best weights kept), every later row the test
part. The fleet run's scaler is kept (the new vehicle is scaled as the fleet was), all weights
are fine-tuned with Adam at ``lr`` (default a third of the fleet run's). A ridge model is
fine-tuned by gradient steps from its fleet weights too; persistence (no weights) is refitted
in closed form. The run "this drive only" is ``train`` on the same calibration rows with the
fleet run's settings (its own scaler). All three are scored on the same test rows (the windows of
the calibration split, one lookback long). The calibrated run is cached under a key of the
parent run's key, the drive's fingerprint, the minutes, the settings and the code; the
comparison is stored beside it (calibration.json).
"""
from __future__ import annotations

import copy
import hashlib
import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import torch

from ..data import DataError, Dataset
from ..i18n import N_
from ..metrics import regression_metrics
from ..trips import trip_results
from ..windows import WindowSpec, make_windows
from .config import Progress, TrainingError, check_device
from .device import device_name, resolve_device
from .drives import MIN_WINDOWS
from .loop import best_epoch, check_scores, fit
from .run import TrainedRun, code_version

ATTACHMENT = "calibration.json"
MODELS = (N_("fleet"), N_("calibrated"), N_("this drive only"))
METRICS = ("rmse", "mae", "mape", "r2")
TRIP = ("measured_g", "predicted_g", "error_pct", "measured_g_per_km", "predicted_g_per_km")


@dataclass(frozen=True)
class CalibrationSettings:
    """How a fleet run is fine-tuned: epochs, patience (early stopping), batch size (small: a few
minutes are a few hundred windows, and every epoch should still take several steps), lr (None = a third of
    the fleet run's), the validation share of the calibration minutes, seed (None = the fleet
    run's) and whether the run on the drive alone is trained for the comparison."""

    epochs: int = 30
    patience: int = 8
    batch_size: int = 32
    lr: float | None = None
    val_fraction: float = 0.2
    seed: int | None = None
    compare: bool = True

    def __post_init__(self):
        if not (isinstance(self.val_fraction, (int, float)) and 0 < self.val_fraction < 0.9):
            raise DataError("The validation share of the calibration minutes must lie between 0 "
                            f"and 0.9 (e.g. 0.2), not {self.val_fraction!r}.")


@dataclass
class Calibration:
    """A fleet run calibrated to one drive, with its comparison (see the module text)."""

    run: TrainedRun
    parent: str
    drive: str
    minutes: float
    metrics: dict[str, float]
    comparison: pd.DataFrame
    trips: pd.DataFrame
    key: str
    report: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    drive_only_key: str | None = None
    from_cache: bool = False

    def table(self) -> pd.DataFrame:
        """The comparison as shown to a user: one row per model, plain column names."""
        unit = self.run.target_unit or "target unit"
        names = {"model": N_("model"), "windows": N_("test windows"), "rmse": f"RMSE [{unit}]",
                 "mae": f"MAE [{unit}]", "r2": "R²", "measured_g": N_("measured [g]"),
                 "predicted_g": N_("predicted [g]"), "error_pct": N_("trip total error [%]"),
                 "measured_g_per_km": N_("measured [g/km]"),
                 "predicted_g_per_km": N_("predicted [g/km]")}       # msgids: the UI's headers
        return self.comparison[list(names)].rename(columns=names)

    def to_dict(self) -> dict:
        return {"parent": self.parent, "drive": self.drive, "minutes": self.minutes,
                "metrics": self.metrics, "comparison": self.comparison.to_dict(orient="records"),
                "trips": self.trips.to_dict(orient="records"), "key": self.key,
                "report": self.report, "rows": self.rows, "drive_only_key": self.drive_only_key}


def calibration_split(ds: Dataset, minutes: float, window: WindowSpec,
                      val_fraction: float = 0.2) -> tuple[WindowSpec, dict[str, int]]:
    """The WindowSpec (lookback, horizon, inputs of ``window``) whose train / validation / test
    parts are the first ``minutes`` of ``ds`` (the last ``val_fraction`` of them validation)
    and the rest; with the row counts of the three parts."""
    if not isinstance(minutes, (int, float)) or isinstance(minutes, bool) or \
            not math.isfinite(minutes) or minutes <= 0:
        raise DataError(f"Minutes of calibration data must be a positive number, not {minutes!r}.")
    if ds.time_column is None:
        raise DataError(f"{ds.label} has no time column, so its first {minutes:g} minutes cannot "
                        "be told apart. Load the drive with its clock.")
    times = ds.times
    n = len(ds)
    n_cal = int(np.searchsorted(times, times[0] + 60.0 * minutes, side="left"))
    n_train = int(round(n_cal * (1.0 - val_fraction)))
    rows = {"train": n_train, "val": n_cal - n_train, "test": n - n_cal}
    length = (times[-1] - times[0]) / 60.0
    if min(rows["train"], rows["val"]) <= 0:
        raise DataError(f"The first {minutes:g} min of {ds.label} hold only {n_cal} row(s), too "
                        "few to calibrate on and validate. Choose more minutes.")
    if rows["test"] <= window.lookback + window.horizon:
        raise DataError(f"{ds.label} lasts {length:.1f} min; {minutes:g} min of calibration data "
                        "leave no rest to test on. Choose fewer minutes or a longer drive.")
    spec = replace(window, split=tuple(rows[p] / n for p in ("train", "val", "test")),
                   test_drives=(), val_drives=())
    return spec, rows


def calibration_key(parent: str, ds: Dataset, minutes: float,
                    settings: CalibrationSettings) -> str:
    payload = repr((parent, ds.fingerprint(), float(minutes), sorted(asdict(settings).items()),
                    code_version()))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _other_levels(ds: Dataset, columns: list[str]) -> Dataset:
    """A one-hot vehicle column of the run (``fuel=diesel``) that ``ds`` lacks while it has
    another level of the same covariate (``fuel=petrol``) is 0 in ``ds`` (a report line)."""
    add = [c for c in columns if "=" in c and c not in ds.frame.columns and any(
        o.startswith(c.split("=")[0] + "=") for o in ds.frame.columns)]
    if not add:
        return ds
    return replace(ds, frame=ds.frame.assign(**{c: 0.0 for c in add}), report=[
        *ds.report, "Set to 0 (another value of the same vehicle covariate is given): "
        + ", ".join(map(repr, add)) + "."])


def _fine_tune(run: TrainedRun, ds: Dataset, spec: WindowSpec, settings: CalibrationSettings,
               device: str, progress: Progress | None,
               cancel: threading.Event | None) -> tuple[TrainedRun, dict[str, int]]:
    """A copy of ``run`` fine-tuned on the calibration rows of ``ds`` (its scaler kept)."""
    missing = [c for c in [*run.columns, run.target] if c not in ds.frame.columns]
    if missing:
        raise DataError(f"{ds.label} lacks the column(s) {', '.join(map(repr, missing))} that the "
                        "fleet run was trained on (with the target, to calibrate on). Load the "
                        "drive with them (vehicle covariates: its row in vehicles.csv).")
    config = replace(run.config, device=device, epochs=settings.epochs,
                     patience=settings.patience, batch_size=settings.batch_size, lr=settings.lr or run.config.lr / 3.0,
                     seed=run.config.seed if settings.seed is None else settings.seed)
    dev = resolve_device(config.device)
    model = copy.deepcopy(run.model).to(dev)
    if model.closed_form and any(p.requires_grad for p in model.parameters()):
        model.closed_form = False                   # ridge: gradient steps from the fleet weights
    w = make_windows(ds, run.columns, run.target, spec, run.scaler, need_target=True)
    parts = w.drive_parts(spec)
    counts = {p: len(v) for p, v in parts.items()}
    short = [p for p in counts if counts[p] < MIN_WINDOWS[p]]
    if short:
        raise DataError(f"{ds.label}: the calibration split leaves only {counts[short[0]]} "
                        f"complete window(s) in the {short[0]} part (lookback "
                        f"{spec.lookback}). Choose more minutes, or fill the missing values.")
    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    info: dict = {}
    history = fit(model, w, parts, config, dev, progress, cancel, info=info)
    tuned = replace(run, model=model, window=spec, config=config, history=history,
                    metrics={}, metrics_by_drive={}, path=None, from_cache=False,
                    data_name=f"{ds.name} (calibrated from {run.key})",
                    data_fingerprint=ds.fingerprint(), simulated=ds.simulated or run.simulated,
                    created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    report=[f"Calibrated from fleet run {run.key} ({run.data_name}) on the "
                            f"first {counts['train'] + counts['val']} windows of {ds.name}."])
    tuned.timings = {"train_seconds": time.perf_counter() - t0, "epochs": len(history),
                     "best_epoch": best_epoch(history),
                     "device": device_name(str(dev), info.get("threads"))}
    return tuned, counts


def _score(name: str, run: TrainedRun, ds: Dataset, report: list[str]) -> tuple[dict, pd.DataFrame]:
    """Metrics and trip results of ``run`` on the test part of ``ds`` (its window = the split)."""
    test = run.predict(ds, part="test")
    row = {"model": name, "windows": len(test),
           **regression_metrics(test["actual"], test["predicted"])}
    try:
        trips = trip_results(run, ds, part="test")
        report += [f"{name}: {ln}" for ln in trips.attrs.get("report", [])]
    except DataError as exc:
        trips = pd.DataFrame()
        if name == MODELS[0]:
            report.append(f"No trip totals: {exc}")
    whole = trips[trips["bin"] == "all"].iloc[0] if len(trips) else {}
    row.update({k: float(whole[k]) if len(trips) else float("nan") for k in TRIP})
    return row, trips.assign(model=name)[["model", *trips.columns]] if len(trips) else trips


def _drive_only(run: TrainedRun, ds: Dataset, spec: WindowSpec, device: str, cache,
                progress: Progress | None, cancel, report: list[str]) -> TrainedRun | None:
    """``train`` on the calibration rows alone with the fleet run's settings; None (a report
    line) when that cannot train."""
    from . import train                             # the package's train(): no import cycle
    try:
        return train(ds, run.target, run.grouping, spec, replace(run.config, device=device),
                     cache=cache, progress=progress, cancel=cancel)
    except (DataError, TrainingError) as exc:
        report.append(f"The run on this drive's calibration minutes alone could not be trained: "
                      f"{exc}")
        return None


def _compare(fleet: TrainedRun, tuned: TrainedRun, alone: TrainedRun | None, ds: Dataset,
             report: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, trips = [], []
    for name, r in zip(MODELS, (replace(fleet, window=tuned.window), tuned, alone)):
        if r is None:
            rows.append({"model": name, "windows": 0,
                         **{k: float("nan") for k in (*METRICS, *TRIP)}})
            continue
        row, trip = _score(name, r, ds, report)
        rows.append(row)
        trips.append(trip)
    trips = [t for t in trips if len(t)]
    return (pd.DataFrame(rows), pd.concat(trips, ignore_index=True) if trips else pd.DataFrame())


def _from_cache(cache, key: str, device: str) -> Calibration | None:
    if cache is None or key not in cache:
        return None
    meta = cache.attachment(key, ATTACHMENT)
    run = cache.load(key, device=device)
    if meta is None or run is None:
        return None
    return Calibration(run=run, parent=meta["parent"], drive=meta["drive"],
                       minutes=meta["minutes"], metrics=meta["metrics"],
                       comparison=pd.DataFrame(meta["comparison"]),
                       trips=pd.DataFrame(meta["trips"]), key=key, report=meta["report"],
                       rows=meta["rows"], drive_only_key=meta["drive_only_key"],
                       from_cache=True)


def calibrate(run: TrainedRun, drive: Dataset, minutes: float = 5.0, *,
              settings: CalibrationSettings | None = None, cache=None, device: str = "auto",
              progress: Progress | None = None,
              cancel: threading.Event | None = None) -> Calibration:
    """Fine-tune a copy of the fleet ``run`` on the first ``minutes`` of ``drive`` (a Dataset
    with the run's inputs and target) and compare it on the rest of the drive (module text).
    ``cache`` (a ``ModelCache``): an identical earlier calibration is returned as it was.
    ``progress(fraction, message)``; setting ``cancel`` stops with ``TrainingCancelled``."""
    settings = settings or CalibrationSettings()
    if not isinstance(drive, Dataset):
        raise DataError("Calibrate on one drive of the new vehicle (a Dataset, e.g. "
                        "camp['suv_long']), not on a whole campaign.")
    device = check_device(device)
    drive = _other_levels(drive, run.columns)
    key = calibration_key(run.key, drive, minutes, settings)
    cached = _from_cache(cache, key, device)
    if cached is not None:
        if progress:
            progress(1.0, "Loaded from cache")
        return cached
    spec, rows = calibration_split(drive, minutes, run.window, settings.val_fraction)
    part = (lambda lo, hi: (lambda f, m: progress(lo + (hi - lo) * f, m))) if progress else \
        (lambda lo, hi: None)
    tuned, counts = _fine_tune(run, drive, spec, settings, device, part(0.0, 0.6), cancel)
    tuned.key = key
    report: list[str] = []
    alone = (_drive_only(run, drive, spec, device, cache, part(0.6, 0.95), cancel, report)
             if settings.compare else None)
    comparison, trips = _compare(run, tuned, alone, drive, report)
    tuned.metrics = {k: float(comparison.iloc[1][k]) for k in METRICS}
    tuned.metrics_by_drive = {drive.name: dict(tuned.metrics)}
    check_scores(tuned.metrics, float(run.scaler.std[-1]), tuned.config)
    cal = Calibration(run=tuned, parent=run.key, drive=drive.name, minutes=float(minutes),
                      metrics=tuned.metrics, comparison=comparison, trips=trips, key=key,
                      report=report, rows={**rows, **{f"{p} windows": c for p, c in counts.items()}},
                      drive_only_key=alone.key if alone is not None else None)
    if cache is not None:
        cache.save(tuned)
        cache.attach(key, ATTACHMENT, cal.to_dict())
    if progress:
        progress(1.0, f"Calibrated on {minutes:g} min of {drive.name}")
    return cal
