"""THE background-job runner of the app (Train's model training and Learn's planted-signal
training), its one poller (``watch``), and the one place that sets torch's CPU thread count.

A ``Job`` runs ``work(job)`` in a daemon thread. ``work`` reports through
``job.progress(fraction, message)`` and stops when ``job.cancel`` (a ``threading.Event``) is
set (``pc.train`` raises ``TrainingCancelled``). The job is a plain object kept in
session state (a declared key); the worker thread only writes its attributes and never calls
``st.*``: ``watch`` polls it from the page.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

import palstm_core as pc
from palstm_core import i18n
from pages._shared.text import _


# PyTorch CPU threads: $PALSTM_TORCH_THREADS, default 1. The Streamlit server (and often the
# browser) share the CPU with training: on 2 cores the demo PA-LSTM trained in 10.7 s in the app
# with 1 thread and 15.3 s with 2 (alone, outside the app: 9.2 s vs 6.1 s). The Learn page's
# tiny cells are faster on one thread too. On a GPU it does not matter.
def train_threads() -> int:
    value = os.environ.get("PALSTM_TORCH_THREADS", "1")
    return max(1, int(value)) if value.isdigit() else 1


def limit_threads() -> None:
    """Set torch's (process-wide) CPU thread count to ``train_threads()``."""
    import torch
    if torch.get_num_threads() != train_threads():
        torch.set_num_threads(train_threads())


class Job:
    """``work(job)`` in a background thread: progress, cancel, result or error, elapsed time."""

    def __init__(self, work: Callable[[Job], Any] | None = None, name: str = "palstm-job",
                 **info):
        self.work = work if work is not None else type(self).run
        self.name = name
        self.info = info                     # what the caller needs back (e.g. the settings)
        self.fraction = 0.0
        self.lang = i18n.current()           # the session's language, for the thread's messages
        self.message = _("starting…")
        self.result: Any = None
        self.error: str | None = None
        self.cancelled = False
        self.done = False
        self.collected = False               # the caller took the result already
        self.started = time.time()
        self.finished: float | None = None
        self.cancel = threading.Event()
        self.thread: threading.Thread | None = None

    def run(self) -> Any:                    # a subclass's work, when no ``work`` is given
        raise NotImplementedError

    def start(self) -> Job:
        self.thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self.thread.start()
        return self

    def progress(self, fraction: float, message: str) -> None:
        self.fraction = min(1.0, max(0.0, float(fraction)))
        self.message = message

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done (tests and scripts; pages poll ``done``)."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.done

    @property
    def running(self) -> bool:
        return not self.done

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started

    def _main(self) -> None:
        limit_threads()
        with i18n.language(self.lang):
            self._work()

    def _work(self) -> None:
        try:
            self.result = self.work(self)
        except pc.TrainingCancelled:
            self.cancelled = True
            self.message = _("Cancelled.")
        except (pc.DataError, pc.TrainingError, ValueError) as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback
            self.error = _("unexpected {kind}: {error}", kind=type(exc).__name__, error=exc)
        finally:
            self.finished = time.time()
            self.done = True


class TrainingJob(Job):
    """Training of one or more models on the session's data (the Train page and the demo)."""

    def __init__(self, ds: pc.Dataset, target: str, grouping: pc.SensorGrouping,
                 window: pc.WindowSpec, configs: list[pc.TrainConfig], cache: pc.ModelCache,
                 open_results: bool = False, focus: str | None = None):
        super().__init__(name="palstm-train")
        self.ds, self.target, self.grouping, self.window = ds, target, grouping, window
        self.configs, self.cache = configs, cache
        self.open_results = open_results     # demo: go to the results page when done
        self.focus = focus                   # "peak": results open on the highest actual target
        self.histories: dict[str, list] = {}
        self.runs: list[pc.TrainedRun] = []
        self.errors: list[str] = []

    def run(self) -> list[pc.TrainedRun]:
        n = len(self.configs)
        for i, cfg in enumerate(self.configs):
            self.histories[cfg.model] = []

            def progress(frac, msg, i=i, name=cfg.model):
                self.progress((i + float(frac)) / n, f"{name}: {msg}")

            try:
                run = pc.train(self.ds, self.target, self.grouping, self.window, cfg,
                               cache=self.cache, progress=progress, cancel=self.cancel,
                               on_epoch=self.histories[cfg.model].append)
            except pc.TrainingCancelled:
                raise
            except (pc.DataError, pc.TrainingError) as exc:
                self.errors.append(f"{cfg.model}: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback
                self.errors.append(_("{model}: unexpected {kind}: {error}", model=cfg.model,
                                     kind=type(exc).__name__, error=exc))
                continue
            if run.from_cache and not self.histories[cfg.model]:
                self.histories[cfg.model] = list(run.history)
            self.runs.append(run)
        self.progress(1.0, _("Done: {ready} of {n} model(s) ready.", ready=len(self.runs), n=n))
        return self.runs


class TuneJob(TrainingJob):
    """A hyper-parameter search (``pc.tune``) on the session's data; its best run is added like
    a trained one. ``trials`` fills as trials finish (the page shows them live)."""

    def __init__(self, ds, target, grouping, window, config: pc.TrainConfig, cache,
                 n_trials: int, timeout_s: float):
        super().__init__(ds, target, grouping, window, [config], cache)
        self.name = "palstm-tune"
        self.n_trials, self.timeout_s = n_trials, timeout_s
        self.trials: list[dict] = []
        self.tuned = None                    # the pc.TuneResult when done

    def run(self) -> list[pc.TrainedRun]:
        try:
            self.tuned = pc.tune(self.ds, self.target, self.grouping, self.window,
                                 self.configs[0], n_trials=self.n_trials,
                                 timeout_s=self.timeout_s, cache=self.cache,
                                 progress=self.progress, cancel=self.cancel,
                                 search_lookback=False, on_trial=self.trials.append)
        except (pc.DataError, pc.TrainingError) as exc:
            self.errors.append(_("tuning: {error}", error=exc))
            return self.runs
        self.runs = [self.tuned.run]
        return self.runs


limit_threads()                              # at import: the pages' own torch calls too


# ---------------------------------------------------------------------------- the poller
def watch(job: Job | None, draw: Callable[[Job], None]) -> None:
    """THE poller of a background job (Train and Learn): ``draw(job)`` in a fragment that
    re-runs every 0.5 s while the job runs, so the rest of the page stays still; the first
    poll after the job finished re-runs the whole page (once, until the page marks the job
    ``collected``), so the page can take the result."""
    @st.fragment(run_every=0.5 if job is not None and job.running else None)
    def poll():
        if job is None:
            return
        if job.done and not job.collected:
            st.rerun()
        draw(job)
    poll()


def background(job_key, result_key, start: bool, compute: Callable, config: dict,
               cache: pc.ModelCache, status: tuple[str, str, str]) -> bool:
    """Run ``compute(**config, cache=cache, progress=…, cancel=…)`` as a ``Job`` kept under the
    session key ``job_key`` when ``start``; while it runs show its progress and a cancel button
    (``status`` = verb, cancel widget key, cancel label: msgids, shown translated); when it is done, keep
    ``(config, result)`` under ``result_key`` and drop the job. Returns whether it still runs."""
    job = job_key.get()
    if start and (job is None or job.done):
        job = job_key.set(Job(lambda j: compute(**config, cache=cache, progress=j.progress,
                                                cancel=j.cancel),
                              name=str(job_key).replace("_", "-"), config=config).start())
    if job is None:
        return False
    verb, cancel_key, cancel_label = status
    if job.done:
        job.collected = True
        job_key.pop()
        if job.cancelled:
            st.warning(_("{verb} was cancelled.", verb=i18n.tr(verb)))
        elif job.error is not None:
            st.error(_("{verb} failed: {error}", verb=i18n.tr(verb), error=job.error))
        else:
            result_key.set((job.info["config"], job.result))
        return False

    def draw(job: Job) -> None:
        st.progress(job.fraction, text=f"{i18n.tr(verb)}: {job.message}")
        if job.cancel.is_set():
            st.caption(_("Cancelling…"))
        elif st.button(i18n.tr(cancel_label), key=cancel_key):
            job.cancel.set()
    watch(job, draw)
    return True
