"""Accessors of the session's data, problem and runs, and the bounded per-session memo of
predictions, attention and checks. The keys themselves are declared in ``keys.py``."""
from __future__ import annotations

import streamlit as st

import palstm_core as pc
from pages._shared.text import _, tr

from .keys import Groups, Loaded, Problem, Runs, forget_data
from .session import MEMO_SIZE, UPLOAD_SIZE, Memo  # noqa: F401 - Memo: tests import it here
from .settings import cache

def memo(key, compute):
    """Per-session memo for predictions/attention (keyed by run key, data, part), bounded to
    the ``MEMO_SIZE`` most recently used entries; new data starts a fresh one."""
    return Loaded.memo.memo(MEMO_SIZE).get_or_compute(key, compute)


def dataset() -> pc.Dataset | None:
    return Loaded.ds.get()


def set_dataset(ds: pc.Dataset) -> None:
    """A new drive: forget everything that depended on the old one (``forget_data``)."""
    forget_data()
    Loaded.ds.set(ds)


def set_problem(target: str | None, grouping: pc.SensorGrouping | dict | None,
                window: pc.WindowSpec | None, from_widgets: bool = False) -> None:
    """THE writer of what to predict (target) from what (grouping) with which window; a None
    grouping means "no valid grouping yet" (Train waits). Unless the values come from the
    Groups page's own widgets (``from_widgets``), its window widgets are set to show them."""
    Problem.target.set(target)
    if grouping is None:
        Problem.grouping.pop()
    else:
        Problem.grouping.set(grouping if isinstance(grouping, dict) else grouping.to_dict())
    Problem.window.set(window)
    if window is not None and not from_widgets:
        Groups.lookback_in.set(window.lookback)
        Groups.horizon_in.set(window.horizon)
        Groups.steps_in.set(window.steps)


def target() -> str | None:
    return Problem.target.get()


def load_into_session(source, name: str | None = None, dayfirst: bool | None = None) -> bool:
    """Parse a CSV (path, upload or text buffer) into the session; a DataError is kept as a
    plain message in ``Loaded.data_error`` for the page to show. Browser uploads
    are refused over ``pc.MAX_BYTES``."""
    try:
        ds = pc.load_file(source, name=name, dayfirst=dayfirst, max_bytes=pc.MAX_BYTES)
    except pc.DataError as exc:
        Loaded.data_error.set(str(exc))
        return False
    set_dataset(ds)
    return True


def load_sample_into_session(name: str = "urban") -> None:
    set_dataset(pc.load_sample(name))


def split_sample() -> tuple[pc.Dataset, pc.Dataset]:
    """The urban drive split into a PEMS and an OBD file (simulated), loaded once a session."""
    if not Loaded._split_sample.present:
        Loaded._split_sample.set((pc.load_sample(pc.SPLIT_SAMPLE[0]),
                                  pc.load_sample(pc.SPLIT_SAMPLE[1])))
    return Loaded._split_sample.get()


def parse_upload(up, what: str, dayfirst: bool | None = None) -> pc.Dataset | None:
    """Uploaded CSV(s) of one logger as one Dataset (each file parsed once per upload and kept in
    a memo of the ``UPLOAD_SIZE`` most recent; several files are joined on their wall clock by
    ``pc.concat_drives``); a DataError is shown in words."""
    ups = [u for u in (up if isinstance(up, (list, tuple)) else [up]) if u is not None]
    if not ups:
        return None
    store = Loaded._parsed_uploads.memo(UPLOAD_SIZE)
    parts = []
    for u in ups:
        def parse(u=u):
            try:
                return pc.load_csv(u, name=u.name, dayfirst=dayfirst, max_bytes=pc.MAX_BYTES)
            except pc.DataError as exc:
                return str(exc)
        got = store.get_or_compute((what, u.file_id, dayfirst), parse)
        if isinstance(got, str):
            st.error(_("The {what} file '{name}' could not be used. {error}", what=what,
                       name=u.name, error=tr(got)))
            return None
        parts.append(got)
    try:
        return pc.concat_drives(parts)
    except pc.DataError as exc:
        st.error(_("The {what} files could not be joined. {error}", what=what, error=exc))
        return None


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
    return Loaded.ds_raw.get(dataset())


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
    if cleaned is None:
        if Loaded.ds_raw.present:
            Loaded.ds.set(Loaded.ds_raw.pop())
        return
    Loaded.ds_raw.setdefault(Loaded.ds.get())
    Loaded.ds.set(cleaned)


def runs() -> dict[str, pc.TrainedRun]:
    """Trained/opened runs of this session, key -> run, oldest first."""
    return Runs.runs.setdefault({})


def add_run(run: pc.TrainedRun, select: bool = True) -> None:
    runs()[run.key] = run
    if select:
        Runs.selected_run.set(run.key)


def delete_run(key: str) -> None:
    """Delete run ``key`` from the model cache and from this session."""
    cache().delete(key)
    runs().pop(key, None)
    if Runs.selected_run.get() == key:
        Runs.selected_run.pop()


def start_job(job):
    """Start a training / tuning job (Train, the demo) as the session's one job."""
    return Runs.job.set(job.start())


def open_cached(key: str) -> pc.TrainedRun | None:
    run = runs().get(key) or cache().load(key)
    if run is not None:
        add_run(run)
        show_in_results(key)
    return run


def adopt_cached_runs() -> list[str]:
    """Add the model cache's runs of the loaded data (drive or campaign: same fingerprint) to
    this session's runs, so a returning user finds them; the cache is listed once per data.
    Returns the keys added now."""
    fps = {fingerprint(d) for d in (dataset(), campaign()) if d is not None}
    keys = memo(("cached_runs_of", tuple(sorted(fps))),
                lambda: [r["key"] for r in cache().list() if r["data_fingerprint"] in fps])
    added = []
    for key in reversed(keys):                          # oldest first, like the session's runs
        if key not in runs() and (run := cache().load(key)) is not None:
            add_run(run, select=False)
            added.append(key)
    return added


def show_in_results(main: str, compare: list[str] | None = None,
                    focus: str | None = None) -> None:
    """Ask the Results page to open on run ``main`` (compared with ``compare``; ``focus``
    "peak": at the highest actual value). Results takes the request once (``Runs.show``)."""
    Runs.show.set({"main": main, "compare": list(compare or [main]), "focus": focus})


def fits(run: pc.TrainedRun, ds: pc.Dataset) -> bool:
    """Whether ``run`` can be evaluated on ``ds``: it has the run's inputs and target."""
    return set(run.columns + [run.target]) <= set(ds.columns)


def window_spec() -> pc.WindowSpec | None:
    return Problem.window.get()


def grouping() -> pc.SensorGrouping | None:
    g = Problem.grouping.get()
    return pc.SensorGrouping(g) if g else None


def predict_and_explain(run: pc.TrainedRun, ds: pc.Dataset | pc.Campaign, part: str = "test"):
    key = (run.key, fingerprint(ds), part)
    return memo(key, lambda: (run.predict(ds, part=part), run.explain(ds, part=part)))


def first_step(pred):
    """Step 1 of a (long) multi-step ``run.predict`` frame: one row per window, as
    ``run.explain``; a one-step or an empty frame as it is."""
    return pc.at_step(pred, 1) if len(pred) else pred


def trip_results(run: pc.TrainedRun, data: pc.Dataset | pc.Campaign, part: str = "test"):
    """``pc.trip_results`` of ``run`` on ``data``, memoised per run, data and part; a plain
    message string when there are no trip totals (e.g. the target is not a mass rate)."""
    def compute():
        try:
            return pc.trip_results(run, data, part=part)
        except pc.DataError as exc:
            return str(exc)
    return memo(("trips", run.key, fingerprint(data), part), compute)


def window_map(run: pc.TrainedRun, ds: pc.Dataset, name: str, index: int, part: str = "test"):
    """(L, F) map ``name`` (``explain.maps``) of window ``index`` of ``run`` on ``ds``, memoised
    per run key, data, map and window (an attribution of one window takes ~0.3 s); a plain
    message string when the map does not exist or cannot be computed."""
    def compute():
        try:
            return pc.explain.window_map(run, ds, name, index, part)
        except (ValueError, IndexError, pc.DataError) as exc:
            return str(exc)
    return memo(("map", run.key, ds.fingerprint(), name, int(index), part), compute)


def part_map_frame(run: pc.TrainedRun, ds: pc.Dataset, name: str, part: str = "test"):
    """Long table (time, lag, feature, value) of map ``name`` for every ``part`` window,
    memoised; a plain message string when it cannot be computed."""
    def compute():
        try:
            times = first_step(run.predict(ds, part=part))["time"].to_numpy()
            return pc.explain.map_frame(times, pc.explain.part_maps(run, ds, name, part), run.columns)
        except (ValueError, pc.DataError) as exc:
            return str(exc)
    return memo(("map_frame", run.key, fingerprint(ds), name, part), compute)


def deletion(run: pc.TrainedRun, ds: pc.Dataset, name: str, part: str = "test",
             compute: bool = True):
    """Deletion curve (``explain.deletion_curve``) of map ``name`` over the ``part`` windows,
    memoised per run key, data and map; None when not computed yet and ``compute`` is False;
    a plain message string when it cannot be computed."""
    key = ("deletion", run.key, ds.fingerprint(), name, part)
    if not compute and key not in Loaded.memo.memo(MEMO_SIZE):
        return None

    def run_curve():
        try:
            return pc.explain.deletion_curve(run, ds, name, part=part)
        except (ValueError, pc.DataError) as exc:
            return str(exc)
    return memo(key, run_curve)



def relevance_agreement(run: pc.TrainedRun, ds: pc.Dataset, compute: bool = True):
    """``explain.relevance_agreement`` of ``run`` over the test windows, memoised per run key
    and data; None when not computed yet and ``compute`` is False."""
    key = ("relevance_agreement", run.key, ds.fingerprint())
    if not compute and key not in Loaded.memo.memo(MEMO_SIZE):
        return None
    return memo(key, lambda: pc.explain.relevance_agreement(run, ds))

# ---------------------------------------------------------------------------- campaigns
def campaign() -> pc.Campaign | None:
    """The session's campaign (several drives), or None when one drive is loaded."""
    return Loaded.campaign.get()


def set_campaign(camp: pc.Campaign) -> None:
    """A new campaign: forget the old data; the pages that look at one drive get the campaign's
    first drive with the columns every drive has (``Campaign.preview``)."""
    set_dataset(camp.preview())
    Loaded.campaign.set(camp)
    Loaded.campaign_test.set([])
    Loaded.campaign_fp.set(camp.fingerprint())
    Loaded.campaign_gen.set(Loaded.campaign_gen.get(0) + 1)     # a fresh drive-table widget


def load_campaign_into_session(source, progress=None) -> str | None:
    """``pc.load_drives(source)`` into the session (``source`` "sample": the simulated sample
    campaign); returns a DataError's message, or None."""
    try:
        camp = (pc.load_sample_campaign(progress) if source == "sample"
                else pc.load_drives(source, progress=progress, max_bytes=pc.MAX_BYTES))
    except pc.DataError as exc:
        return str(exc)
    set_campaign(camp)
    return None


def test_drives() -> list[str]:
    """The campaign drives chosen as test drives (empty: split in time inside every drive)."""
    camp = campaign()
    return [d for d in Loaded.campaign_test.get([]) if camp and d in camp]


def set_test_drives(names: list[str]) -> None:
    """The campaign drives ticked as test drives (the Data page's drive table)."""
    Loaded.campaign_test.set(list(names))


def train_data() -> pc.Dataset | pc.Campaign | None:
    """What Train trains on: the campaign when one is loaded, else the single drive."""
    return campaign() or dataset()


def fingerprint(data: pc.Dataset | pc.Campaign | None) -> str | None:
    """Content hash of a drive or of the session's campaign (as the runs store it)."""
    if data is None:
        return None
    if isinstance(data, pc.Campaign):
        if data is campaign() and Loaded.campaign_fp.get():
            return Loaded.campaign_fp.get()
        return data.fingerprint()
    return data.fingerprint()


def on_campaign(run: pc.TrainedRun) -> bool:
    """Whether ``run`` was trained on the session's campaign (its fingerprint covers the drives
    training used, so a campaign with skipped drives is matched by name and drives)."""
    camp = campaign()
    if camp is None:
        return False
    return run.data_fingerprint == fingerprint(camp) or (
        run.data_name == camp.name and bool(run.metrics_by_drive)
        and all(d in camp for d in run.metrics_by_drive))
