"""Hyper-parameter search with Optuna: ``tune()`` → the best run on the VALIDATION part.

    res = pc.tune(ds, "NOx", n_trials=20, timeout_s=600, cache=pc.ModelCache())
    res.run          # TrainedRun of the best trial (trained on the training part only)
    res.trials       # one dict per trial: number, state, val_loss, seconds, epochs, params
    res.best_params  # the settings that differ from ``base_config``

Every trial trains on the training part and is judged by its best validation loss (MSE in scaled
target units, the loss early stopping uses); the test part is never looked at while searching.
``run.metrics`` of the best run are its test scores, computed once, after the choice.

The first trial is always ``base_config`` itself (the defaults), so the result is never worse
on the validation part than the defaults once that trial has finished. The sampler is Optuna's
TPE (seeded); a ``MedianPruner`` stops a trial whose validation loss after an epoch is worse
than the median of the earlier trials at that epoch (``train()``'s ``on_epoch`` reports each
epoch; ``optuna.TrialPruned`` passes through ``train()`` unchanged).

Search space (``SPACE``): learning rate (log), hidden size, Huber delta (log), weight decay,
batch size and, with ``search_lookback``, the lookback. A different lookback changes the windows
but not the split: the validation part is the same rows for every lookback (a window belongs to
the part of the row it predicts), and the scaler is fit on the same training rows.

The time budget (``timeout_s``) covers the whole search: no trial starts after it, and a trial
still running when it ends is stopped (recorded as "stopped: time budget"). ``cancel`` (a
``threading.Event``) stops the search with ``TrainingCancelled``; nothing is cached then.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .checks import real_number, whole_number
from .data import DataError
from .training import TrainConfig, TrainedRun, TrainingCancelled, TrainingError, train
from .windows import WindowSpec
from .i18n import N_, _

Progress = Callable[[float, str], None]

# name -> (kind, choices or (low, high)); "log" = log-uniform float
SPACE: dict[str, tuple[str, tuple]] = {
    "lr": ("log", (3e-4, 1e-2)),
    "hidden_size": ("choice", (16, 24, 32, 48, 64)),
    "huber_delta": ("log", (0.03, 1.0)),
    "weight_decay": ("choice", (0.0, 1e-5, 1e-4, 1e-3)),
    "batch_size": ("choice", (64, 128, 256)),
}
LOOKBACKS = (15, 20, 30, 45, 60)
HISTORY_FILE = "tune.json"


@dataclass
class TuneResult:
    """The best run of a search and the search's history (see the module docstring)."""

    run: TrainedRun
    trials: list[dict]
    best_params: dict
    best_val_loss: float
    base_val_loss: float              # the defaults' (trial 0) best validation loss, or NaN
    seconds: float
    stopped_by: str                   # "trials", "time budget"
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready search history (stored beside the best run's run.json)."""
        return {"best_key": self.run.key, "best_params": self.best_params,
                "best_val_loss": self.best_val_loss, "base_val_loss": self.base_val_loss,
                "seconds": self.seconds, "stopped_by": self.stopped_by, "trials": self.trials,
                **self.info}


class _Stop:
    """A cancel flag for one trial: the user's ``cancel`` or the end of the time budget."""

    def __init__(self, cancel: threading.Event | None, deadline: float):
        self.cancel, self.deadline = cancel, deadline

    def user(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def is_set(self) -> bool:
        return self.user() or time.monotonic() > self.deadline


def _check_budget(n_trials, timeout_s) -> tuple[int, float]:
    n = whole_number("The number of trials", n_trials, minimum=1, maximum=10_000)
    t = real_number("The time budget (seconds)", timeout_s, positive=True, example="600")
    return n, t


def _space(space: dict, base_params: dict) -> dict[str, tuple[str, tuple]]:
    """``space`` widened so that the base values are in it (trial 0 is the defaults)."""
    space = dict(space)
    for name, (kind, spec) in list(space.items()):
        value = base_params[name]
        if kind == "choice" and value not in spec:
            space[name] = (kind, tuple(sorted((*spec, value))))
        elif kind == "log" and not spec[0] <= value <= spec[1]:
            space[name] = (kind, (min(spec[0], value), max(spec[1], value)))
    return space


def _suggest(trial, space: dict, base: TrainConfig, window: WindowSpec, search_lookback: bool
             ) -> tuple[TrainConfig, WindowSpec]:
    """The trial's config and window (trial 0 is enqueued with the base values)."""
    values = {}
    for name, (kind, spec) in space.items():
        if kind == "log":
            values[name] = trial.suggest_float(name, *spec, log=True)
        else:
            values[name] = trial.suggest_categorical(name, list(spec))
    if search_lookback:
        choices = sorted({*LOOKBACKS, window.lookback})
        window = replace(window, lookback=trial.suggest_categorical("lookback", choices))
    return replace(base, **values), window


def _base_params(base: TrainConfig, window: WindowSpec, names, search_lookback: bool) -> dict:
    """The defaults as a trial's parameters."""
    params = {name: getattr(base, name) for name in names}
    if search_lookback:
        params["lookback"] = window.lookback
    return params


def tune(data, target: str, grouping=None, window: WindowSpec | None = None,
         base_config: TrainConfig | None = None, n_trials: int = 20, timeout_s: float = 600,
         cache=None, progress: Progress | None = None, cancel: threading.Event | None = None,
         seed: int = 0, search_lookback: bool = True, space: dict | None = None,
         on_trial: Callable[[dict], None] | None = None) -> TuneResult:
    """Search hyper-parameters of ``base_config.model`` on ``data`` (a Dataset, or whatever
    ``train()`` accepts) for ``target``; returns a ``TuneResult`` whose run was chosen on the
    validation part only. With ``cache`` the best run is saved and the search history is written
    beside it (``tune.json``). ``space`` replaces ``SPACE`` (same form; names are TrainConfig
    fields). ``on_trial(row)`` gets each finished trial's row."""
    import optuna

    n_trials, timeout_s = _check_budget(n_trials, timeout_s)
    window = window or WindowSpec()
    base = base_config or TrainConfig()
    space = SPACE if space is None else space
    unknown = set(space) - set(TrainConfig.__dataclass_fields__)
    if unknown:
        raise DataError(_("Cannot search {join}: not a training setting.",
                           join=', '.join(sorted(unknown))))
    base_params = _base_params(base, window, space, search_lookback)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=3))
    study.enqueue_trial(base_params)
    search = _Search(data, target, grouping, window, base, n_trials, timeout_s, progress, cancel,
                     search_lookback, on_trial)
    search.space = _space(space, base_params)
    study.optimize(search.objective, n_trials=n_trials, timeout=timeout_s,
                   callbacks=[search.after_trial], catch=(TrainingError, DataError))
    return search.result(study, cache)


class _Search:
    """State of one search: the budget, the rows of the trials table, the best run so far."""

    def __init__(self, data, target, grouping, window, base, n_trials, timeout_s, progress,
                 cancel, search_lookback, on_trial):
        self.data, self.target, self.grouping, self.window = data, target, grouping, window
        self.base, self.n_trials, self.timeout_s = base, n_trials, timeout_s
        self.progress, self.search_lookback, self.on_trial = progress, search_lookback, on_trial
        self.t0 = time.monotonic()
        self.stop = _Stop(cancel, self.t0 + timeout_s)
        self.rows: list[dict] = []
        self.best: tuple[float, TrainedRun | None] = (math.inf, None)
        self.stopped_by = N_("trials")
        self.space = SPACE

    def _report(self, trial_no: int, fraction: float, message: str) -> None:
        if self.progress:
            done = max((trial_no + fraction) / self.n_trials,
                       (time.monotonic() - self.t0) / self.timeout_s)
            best = f", best val loss {self.best[0]:.4g}" if self.best[1] is not None else ""
            self.progress(min(done, 0.99), _("trial {value}/{n_trials}: {message}{best}",
                                              value=trial_no + 1, n_trials=self.n_trials,
                                              message=message, best=best))

    def objective(self, trial) -> float:
        import optuna
        config, window = _suggest(trial, self.space, self.base, self.window, self.search_lookback)
        trial.set_user_attr("t0", time.monotonic())

        def on_epoch(entry: dict) -> None:
            trial.report(entry["val_loss"], entry["epoch"])
            trial.set_user_attr("epochs", entry["epoch"])
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {entry['epoch']}")

        try:
            run = train(self.data, self.target, self.grouping, window, config,
                        progress=lambda f, m: self._report(trial.number, f, m),
                        cancel=self.stop, on_epoch=on_epoch)
        except TrainingCancelled:
            if self.stop.user():
                raise
            self.stopped_by = N_("time budget")
            trial.set_user_attr("note", "stopped: time budget")
            trial.study.stop()
            raise optuna.TrialPruned("time budget") from None
        except (TrainingError, DataError) as exc:
            trial.set_user_attr("note", str(exc))
            raise
        val = min(h["val_loss"] for h in run.history)
        if val < self.best[0]:
            self.best = (val, run)
        return val

    def after_trial(self, study, trial) -> None:
        row = {"number": trial.number, "state": trial.state.name.lower(),
               "val_loss": trial.value if trial.value is not None else math.nan,
               "seconds": round(time.monotonic() - trial.user_attrs.get("t0", time.monotonic()), 1),
               "epochs": trial.user_attrs.get("epochs"),
               "note": trial.user_attrs.get("note", "defaults" if trial.number == 0 else ""),
               **trial.params}
        self.rows.append(row)
        if self.on_trial:
            self.on_trial(row)
        if self.stop.user():
            study.stop()
        elif time.monotonic() > self.stop.deadline:
            self.stopped_by = N_("time budget")
            study.stop()

    def result(self, study, cache) -> TuneResult:
        if self.stop.user():
            raise TrainingCancelled(_("Tuning was cancelled."))
        val, run = self.best
        if run is None:
            notes = "; ".join(sorted({r["note"] for r in self.rows if r["note"]})) or "none"
            raise TrainingError(
                _("No trial finished within the budget ({n} started, time budget "
                   "{timeout_s:g} s). Give the search more time or fewer epochs. What "
                   "stopped the trials: {notes}", n=len(self.rows),
                   timeout_s=self.timeout_s, notes=notes))
        base_row = next((r for r in self.rows if r["number"] == 0 and r["state"] == "complete"), None)
        params = {k: v for k, v in study.best_params.items()
                  if v != _base_params(self.base, self.window, self.space,
                                       self.search_lookback).get(k)}
        res = TuneResult(run=run, trials=self.rows, best_params=params, best_val_loss=val,
                         base_val_loss=base_row["val_loss"] if base_row else math.nan,
                         seconds=time.monotonic() - self.t0, stopped_by=self.stopped_by,
                         info={"n_trials": self.n_trials, "timeout_s": self.timeout_s,
                               "model": self.base.model, "target": self.target,
                               "selected_on": "validation part (MSE, scaled units)"})
        if self.progress:
            self.progress(1.0, _("done: {n} trial(s), best val loss {val:.4g}",
                                  n=len(self.rows), val=val))
        if cache is not None:
            cache.save(run)
            cache.attach(run.key, HISTORY_FILE, res.to_dict())
        return res
