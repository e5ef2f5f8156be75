"""Session-state keys and accessors: the loaded dataset, runs, grouping, window, and a bounded
per-session memo of predictions, attention and checks."""
from __future__ import annotations

from collections import OrderedDict

import streamlit as st

import palstm_core as pc
from palstm_core.i18n import _, tr

from .settings import cache

# Session keys that depend on the loaded drive: a new drive forgets them.
DATA_KEYS = ("data_error", "ds_raw", "clean_on", "clean_channels", "clean_plot", "grouping",
             "target", "window", "group_rows", "groups_for_target", "target_select",
             "plot_channels", "res_time", "campaign", "campaign_test", "campaign_fp",
             "res_drive")
MEMO_SIZE = 32          # entries kept per session (predictions/attention of a few runs × drives)


class Memo(OrderedDict):
    """A least-recently-used memo of at most ``size`` entries (oldest use dropped first)."""

    def __init__(self, size: int = MEMO_SIZE):
        super().__init__()
        self.size = size

    def get_or_compute(self, key, compute):
        if key in self:
            self.move_to_end(key)
        else:
            self[key] = compute()
            while len(self) > self.size:
                self.popitem(last=False)
        return self[key]


def memo(key, compute):
    """Per-session memo for predictions/attention (keyed by run key, data, part), bounded to
    the ``MEMO_SIZE`` most recently used entries."""
    store = st.session_state.get("memo")
    if not isinstance(store, Memo):
        store = st.session_state["memo"] = Memo()
    return store.get_or_compute(key, compute)


def dataset() -> pc.Dataset | None:
    return st.session_state.get("ds")


def set_dataset(ds: pc.Dataset) -> None:
    """A new drive: forget everything that depended on the old one."""
    st.session_state["ds"] = ds
    for k in DATA_KEYS:
        st.session_state.pop(k, None)
    for k in [k for k in st.session_state if str(k).startswith(("gname_", "gcols_"))]:
        del st.session_state[k]
    st.session_state["memo"] = Memo()


def load_into_session(source, name: str | None = None, dayfirst: bool | None = None) -> bool:
    """Parse a CSV (path, upload or text buffer) into the session; a DataError is kept as a
    plain message in ``st.session_state['data_error']`` for the page to show. Browser uploads
    are refused over ``pc.MAX_BYTES``."""
    try:
        ds = pc.load_csv(source, name=name, dayfirst=dayfirst, max_bytes=pc.MAX_BYTES)
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
        st.session_state["_split_sample"] = (pc.load_sample(pc.SPLIT_SAMPLE[0]),
                                             pc.load_sample(pc.SPLIT_SAMPLE[1]))
    return st.session_state["_split_sample"]


def parse_upload(up, what: str, dayfirst: bool | None = None) -> pc.Dataset | None:
    """Uploaded CSV(s) of one logger as one Dataset (each file parsed once per upload; several
    files are joined on their wall clock by ``pc.concat_drives``); a DataError is shown in
    words."""
    ups = [u for u in (up if isinstance(up, (list, tuple)) else [up]) if u is not None]
    if not ups:
        return None
    store = st.session_state.setdefault("_parsed_uploads", {})
    parts = []
    for u in ups:
        key = (what, u.file_id, dayfirst)
        if key not in store:
            try:
                store[key] = pc.load_csv(u, name=u.name, dayfirst=dayfirst,
                                         max_bytes=pc.MAX_BYTES)
            except pc.DataError as exc:
                store[key] = str(exc)
        if isinstance(store[key], str):
            st.error(_("The {what} file '{name}' could not be used. {error}", what=what,
                       name=u.name, error=tr(store[key])))
            return None
        parts.append(store[key])
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


def fits(run: pc.TrainedRun, ds: pc.Dataset) -> bool:
    """Whether ``run`` can be evaluated on ``ds``: it has the run's inputs and target."""
    return set(run.columns + [run.target]) <= set(ds.columns)


def window_spec() -> pc.WindowSpec | None:
    return st.session_state.get("window")


def grouping() -> pc.SensorGrouping | None:
    g = st.session_state.get("grouping")
    return pc.SensorGrouping(g) if g else None


def predict_and_explain(run: pc.TrainedRun, ds: pc.Dataset | pc.Campaign, part: str = "test"):
    key = (run.key, fingerprint(ds), part)
    return memo(key, lambda: (run.predict(ds, part=part), run.explain(ds, part=part)))


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
            times = run.predict(ds, part=part)["time"].to_numpy()
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
    store = st.session_state.get("memo")
    if not compute and not (isinstance(store, Memo) and key in store):
        return None

    def run_curve():
        try:
            return pc.explain.deletion_curve(run, ds, name, part=part)
        except (ValueError, pc.DataError) as exc:
            return str(exc)
    return memo(key, run_curve)


# ---------------------------------------------------------------------------- campaigns
def campaign() -> pc.Campaign | None:
    """The session's campaign (several drives), or None when one drive is loaded."""
    return st.session_state.get("campaign")


def set_campaign(camp: pc.Campaign) -> None:
    """A new campaign: forget the old data; the pages that look at one drive get the campaign's
    first drive with the columns every drive has (``Campaign.preview``)."""
    set_dataset(camp.preview())
    ss = st.session_state
    ss["campaign"], ss["campaign_test"] = camp, []
    ss["campaign_fp"] = camp.fingerprint()
    ss["campaign_gen"] = ss.get("campaign_gen", 0) + 1        # a fresh drive-table widget


def load_campaign_into_session(source, progress=None) -> str | None:
    """``pc.load_drives(source)`` into the session (``source`` "sample": the simulated sample
    campaign); returns a DataError's message, or None."""
    try:
        camp = (pc.load_sample_campaign(progress) if source == "sample"
                else pc.load_drives(source, progress=progress))
    except pc.DataError as exc:
        return str(exc)
    set_campaign(camp)
    return None


def test_drives() -> list[str]:
    """The campaign drives chosen as test drives (empty: split in time inside every drive)."""
    camp = campaign()
    return [d for d in st.session_state.get("campaign_test", []) if camp and d in camp]


def train_data() -> pc.Dataset | pc.Campaign | None:
    """What Train trains on: the campaign when one is loaded, else the single drive."""
    return campaign() or dataset()


def fingerprint(data: pc.Dataset | pc.Campaign | None) -> str | None:
    """Content hash of a drive or of the session's campaign (as the runs store it)."""
    if data is None:
        return None
    if isinstance(data, pc.Campaign):
        if data is campaign() and st.session_state.get("campaign_fp"):
            return st.session_state["campaign_fp"]
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
