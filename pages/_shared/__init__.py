"""Streamlit-side helpers shared by app.py and the pages (session state, cache, training job).

This lives in a sub-folder of ``pages/`` on purpose: Streamlit makes a page of every ``*.py``
file directly in ``pages/`` (a leading "_" does not hide it), but ignores sub-folders. Nothing
here computes anything; computation is in ``palstm_core``.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

import palstm_core as pc
from palstm_core.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR

STEPS = [("data", "1 · Data", "pages/1_Data.py"),
         ("groups", "2 · Sensor groups", "pages/2_Sensor_groups.py"),
         ("train", "3 · Train", "pages/3_Train.py"),
         ("results", "4 · Results", "pages/4_Results.py")]
PAGE = {k: path for k, _, path in STEPS}
PAGE["downloads"] = "pages/5_Downloads.py"
PAGE["home"] = "app.py"

# PyTorch CPU threads for the training thread: $PALSTM_TORCH_THREADS, default 1. The Streamlit
# server (and often the browser) share the CPU with training: on 2 cores the demo PA-LSTM trained
# in 10.7 s in the app with 1 thread and 15.3 s with 2 (alone, outside the app: 9.2 s vs 6.1 s).
# On a GPU it does not matter. Set inside the training thread.
def train_threads() -> int:
    value = os.environ.get("PALSTM_TORCH_THREADS", "1")
    return max(1, int(value)) if value.isdigit() else 1


def _limit_threads() -> None:
    import torch
    torch.set_num_threads(train_threads())


# Demo: a PA-LSTM small enough to train in well under a minute on a laptop CPU.
DEMO = dict(sample="urban", target="NOx", lookback=20, horizon=1,
            config=dict(model="pa_lstm", hidden_size=16, epochs=12, batch_size=256, lr=3e-3))


def demo_settings() -> dict:
    """The demo's settings; $PALSTM_UI_DEFAULTS shrinks them too (tests train in seconds)."""
    demo = {**DEMO, "config": dict(DEMO["config"])}
    if os.environ.get("PALSTM_UI_DEFAULTS"):
        d = ui_defaults()
        demo["lookback"] = int(d["lookback"])
        demo["config"].update(hidden_size=int(d["hidden_size"]), epochs=int(d["epochs"]))
    return demo


def ui_defaults() -> dict:
    """Default training widgets; $PALSTM_UI_DEFAULTS="hidden_size=8,epochs=1,lookback=10"
    overrides them (the browser test uses it to train in seconds)."""
    d = {"hidden_size": 32, "epochs": 20, "batch_size": 128, "lr": 3e-3, "patience": 6,
         "lookback": 30, "horizon": 1}
    for item in os.environ.get("PALSTM_UI_DEFAULTS", "").split(","):
        if "=" in item:
            k, v = (s.strip() for s in item.split("=", 1))
            if k in d:
                d[k] = type(d[k])(float(v)) if isinstance(d[k], int) else float(v)
    return d


# ---------------------------------------------------------------------------- cache
@st.cache_resource
def _cache(root: str) -> pc.ModelCache:
    return pc.ModelCache(root)


def cache() -> pc.ModelCache:
    """The model cache shared by all sessions ($PALSTM_CACHE_DIR, default .palstm_cache)."""
    return _cache(os.environ.get("PALSTM_CACHE_DIR") or DEFAULT_CACHE_DIR)


# ---------------------------------------------------------------------------- session state
def dataset() -> pc.Dataset | None:
    return st.session_state.get("ds")


def set_dataset(ds: pc.Dataset) -> None:
    """A new drive: forget everything that depended on the old one."""
    st.session_state["ds"] = ds
    for k in ("data_error", "ds_raw", "clean_on", "clean_channels", "clean_plot", "grouping",
              "target", "window", "group_rows", "groups_for_target", "target_select",
              "plot_channels", "res_time"):
        st.session_state.pop(k, None)
    for k in [k for k in st.session_state if str(k).startswith(("gname_", "gcols_"))]:
        del st.session_state[k]
    st.session_state["memo"] = {}


def load_into_session(source, name: str | None = None) -> bool:
    """Parse a CSV (path, upload or text buffer) into the session; a DataError is kept as a
    plain message in ``st.session_state['data_error']`` for the page to show."""
    try:
        ds = pc.load_csv(source, name=name)
    except pc.DataError as exc:
        st.session_state["data_error"] = str(exc)
        return False
    set_dataset(ds)
    return True


def load_sample_into_session(name: str = "urban") -> None:
    set_dataset(pc.load_sample(name))


def split_sample() -> tuple[pc.Dataset, pc.Dataset]:
    """The urban drive split into a PEMS and an OBD file (simulated), loaded once a session."""
    if "_split_sample" not in st.session_state:
        st.session_state["_split_sample"] = (pc.load_sample("urban_pems"),
                                             pc.load_sample("urban_obd"))
    return st.session_state["_split_sample"]


def parse_upload(up, what: str) -> pc.Dataset | None:
    """An uploaded CSV as a Dataset (parsed once per upload); a DataError is shown in words."""
    if up is None:
        return None
    store = st.session_state.setdefault("_parsed_uploads", {})
    key = (what, up.file_id)
    if key not in store:
        try:
            store[key] = pc.load_csv(up, name=up.name)
        except pc.DataError as exc:
            store[key] = str(exc)
    if isinstance(store[key], str):
        st.error(f"The {what} file could not be used. " + store[key])
        return None
    return store[key]


def merge_into_session(pems: pc.Dataset, obd: pc.Dataset, **kw) -> str | None:
    """``pc.merge_drives`` into the session's dataset; returns a DataError's message, or None."""
    try:
        ds = pc.merge_drives(pems, obd, **kw)
    except pc.DataError as exc:
        return str(exc)
    set_dataset(ds)
    return None


def base_dataset() -> pc.Dataset | None:
    """The dataset as loaded or merged, before any cleaning (the cleaning toggle restores it)."""
    return st.session_state.get("ds_raw", dataset())


def default_clean_channels(ds: pc.Dataset) -> list[str]:
    """The channels ``pc.clean`` picks by itself (the exhaust gases present), or []."""
    def compute():
        try:
            return list((pc.clean(ds).cleaning or {}))
        except pc.DataError:
            return []
    return memo(("clean_default", ds.fingerprint()), compute)


def use_cleaned(cleaned: pc.Dataset | None) -> None:
    """Make ``cleaned`` the session's dataset, keeping the loaded one in ``ds_raw``; None
    restores the loaded one. Groups and runs stay (cleaning keeps the columns)."""
    ss = st.session_state
    if cleaned is None:
        if "ds_raw" in ss:
            ss["ds"] = ss.pop("ds_raw")
        return
    ss.setdefault("ds_raw", ss.get("ds"))
    ss["ds"] = cleaned


def runs() -> dict[str, pc.TrainedRun]:
    """Trained/opened runs of this session, key -> run, oldest first."""
    return st.session_state.setdefault("runs", {})


def add_run(run: pc.TrainedRun, select: bool = True) -> None:
    runs()[run.key] = run
    if select:
        st.session_state["selected_run"] = run.key


def open_cached(key: str) -> pc.TrainedRun | None:
    run = runs().get(key) or cache().load(key)
    if run is not None:
        add_run(run)
        st.session_state["res_main"] = key
    return run


def window_spec() -> pc.WindowSpec | None:
    return st.session_state.get("window")


def grouping() -> pc.SensorGrouping | None:
    g = st.session_state.get("grouping")
    return pc.SensorGrouping(g) if g else None


def memo(key, compute):
    """Per-session memo for predictions/attention (keyed by run key, data, part)."""
    store = st.session_state.setdefault("memo", {})
    if key not in store:
        store[key] = compute()
    return store[key]


def predict_and_explain(run: pc.TrainedRun, ds: pc.Dataset, part: str = "test"):
    key = (run.key, ds.fingerprint(), part)
    return memo(key, lambda: (run.predict(ds, part=part), run.explain(ds, part=part)))


def faithfulness(run: pc.TrainedRun, ds: pc.Dataset, part: str = "test"):
    """Deletion check of ``run``'s attention on ``ds`` (memoised per run key and data, so a
    rerender does not recompute it); a plain message string when it cannot be computed."""
    from palstm_core.explain import faithfulness as check

    def compute():
        try:
            return check(run, ds, part=part)
        except (ValueError, pc.DataError) as exc:
            return str(exc)
    return memo(("faithfulness", run.key, ds.fingerprint(), part), compute)


# ---------------------------------------------------------------------------- step indicator
def current_step() -> str:
    if runs():
        return "results"
    if st.session_state.get("grouping"):
        return "train"
    if dataset() is not None:
        return "groups"
    return "data"


KEEP_PREFIXES = ("gname_", "gcols_", "lookback_in", "horizon_in", "target_select", "trainset_",
                 "sample_name", "plot_channels", "res_", "clean_", "mergeopt_")


def keep_widget_state() -> None:
    """Streamlit forgets the state of widgets that a page run does not draw; re-assigning them
    as plain session values keeps edits (groups, settings) when the user switches pages."""
    for k in list(st.session_state):
        if str(k).startswith(KEEP_PREFIXES):
            st.session_state[k] = st.session_state[k]


def collect_job():
    """Move the runs of a finished background job into the session (once); returns the job
    when this call collected it, else None."""
    job = st.session_state.get("job")
    if job is None or not job.done or job.collected:
        return None
    job.collected = True
    for run in job.runs:
        add_run(run, select=run is job.runs[0])
    if job.runs:
        st.session_state["res_main"] = job.runs[0].key
        st.session_state["res_compare"] = [r.key for r in job.runs]
    if job.focus:
        st.session_state["res_focus"] = job.focus
    return job


def step_indicator(active: str | None = None) -> None:
    """data → groups → train → results, with what the session has loaded."""
    keep_widget_state()
    collect_job()
    done = {"data": dataset() is not None, "groups": bool(st.session_state.get("grouping")),
            "train": bool(runs()), "results": bool(runs())}
    here = active or current_step()
    parts = []
    for key, label, _ in STEPS:
        mark = "✓" if done[key] else "○"
        text = f"**{label}**" if key == here else label
        parts.append(f"{mark} {text}")
    st.markdown(" → ".join(parts))
    ds = dataset()
    bits = [f"data: **{ds.label}** ({len(ds)} rows)" if ds is not None else "no data loaded"]
    if st.session_state.get("target"):
        g = grouping()
        bits.append(f"target **{st.session_state['target']}**"
                    + (f", {len(g.groups)} sensor groups" if g else ""))
    if runs():
        bits.append(f"{len(runs())} trained run(s)")
    job = st.session_state.get("job")
    if job is not None and job.running:
        bits.append("training in progress…")
    st.caption(" · ".join(bits))


def need_data() -> pc.Dataset:
    """The session's dataset, or a hint to load one and stop the page."""
    ds = dataset()
    if ds is None:
        st.info("No data loaded yet. Load the sample drive or your own CSV first.")
        st.page_link(PAGE["data"], label="Go to Data", icon=":material/folder_open:")
        st.stop()
    return ds


def fits(run: pc.TrainedRun, ds: pc.Dataset) -> bool:
    """Whether ``run`` can be evaluated on ``ds``: it has the run's inputs and target."""
    return set(run.columns + [run.target]) <= set(ds.columns)


def need_runs(ds: pc.Dataset, hint: str) -> dict[str, pc.TrainedRun]:
    """This session's runs that can run on ``ds`` (its columns include theirs), or ``hint``
    with a link to the Train page and stop the page."""
    usable = {k: r for k, r in runs().items() if fits(r, ds)}
    if not usable:
        st.info(hint)
        st.page_link(PAGE["train"], label="Go to Train", icon=":material/model_training:")
        st.stop()
    return usable


def data_badge(ds: pc.Dataset) -> None:
    if ds.simulated:
        st.caption(f"Data: **{ds.label}** — simulated sample drive, not measured.")
    else:
        st.caption(f"Data: **{ds.label}**")


# ---------------------------------------------------------------------------- training job
@dataclass
class TrainingJob:
    """Background training of one or more models. Plain object kept in st.session_state; the
    worker thread only writes attributes here and never calls st.*."""

    ds: pc.Dataset
    target: str
    grouping: pc.SensorGrouping
    window: pc.WindowSpec
    configs: list[pc.TrainConfig]
    cache: pc.ModelCache
    open_results: bool = False           # demo: go to the results page when done
    focus: str | None = None             # "peak": results open on the highest actual target
    fraction: float = 0.0
    message: str = "starting…"
    current: str = ""
    histories: dict = field(default_factory=dict)
    runs: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    cancelled: bool = False
    done: bool = False
    collected: bool = False              # runs moved into the session already
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> "TrainingJob":
        self.thread = threading.Thread(target=self._work, name="palstm-train", daemon=True)
        self.thread.start()
        return self

    @property
    def running(self) -> bool:
        return not self.done

    def _work(self) -> None:
        _limit_threads()
        n = len(self.configs)
        try:
            for i, cfg in enumerate(self.configs):
                self.current = cfg.model
                self.histories[cfg.model] = []

                def progress(frac, msg, i=i, name=cfg.model):
                    self.fraction = min(1.0, (i + float(frac)) / n)
                    self.message = f"{name}: {msg}"

                try:
                    run = pc.train(self.ds, self.target, self.grouping, self.window, cfg,
                                   cache=self.cache, progress=progress, cancel=self.cancel,
                                   on_epoch=self.histories[cfg.model].append)
                except pc.TrainingCancelled:
                    self.cancelled = True
                    self.message = "Cancelled."
                    break
                except (pc.DataError, pc.TrainingError) as exc:
                    self.errors.append(f"{cfg.model}: {exc}")
                    continue
                except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback
                    self.errors.append(f"{cfg.model}: unexpected {type(exc).__name__}: {exc}")
                    continue
                if run.from_cache and not self.histories[cfg.model]:
                    self.histories[cfg.model] = list(run.history)
                self.runs.append(run)
            if not self.cancelled:
                self.fraction = 1.0
                self.message = f"Done: {len(self.runs)} of {n} model(s) ready."
        finally:
            self.finished = time.time()
            self.done = True

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started
