"""Every session-state key of the app, once, by owner (``session.py`` says what the lifetimes
mean), and the three things lifetimes do: ``enter_page`` (drop the plain PAGE values of the
page that was left, keep the SESSION/DATA widgets), ``forget_data`` (drop every DATA key)."""
from __future__ import annotations

import functools

import streamlit as st

from .session import DATA, PAGE, SESSION, SPACES, Key, Space

W = dict(widget=True)


class Loaded(Space):
    """The loaded data (written by ``state.set_dataset`` / ``set_campaign`` only)."""
    ds = Key(SESSION, doc="the session's Dataset (a campaign's preview drive)")
    ds_raw = Key(DATA, doc="the dataset as loaded, while a cleaned one is in use")
    data_error = Key(DATA, doc="why the last file could not be used")
    campaign = Key(DATA, doc="the session's Campaign, or absent")
    campaign_fp = Key(DATA, doc="its fingerprint, computed once")
    campaign_test = Key(DATA, doc="the drives ticked as test drives")
    campaign_gen = Key(SESSION, doc="counter: a fresh drive-table widget per campaign")
    memo = Key(DATA, doc="bounded memo of predictions, attention, maps, checks")
    _parsed_uploads = Key(SESSION, doc="bounded memo of parsed uploads (file id -> Dataset)")
    _split_sample = Key(SESSION, doc="the split sample (PEMS, OBD), loaded once")


class Problem(Space):
    """What to predict from what (written by ``state.set_problem`` only)."""
    target = Key(DATA)
    grouping = Key(DATA, doc="SensorGrouping.to_dict() of a valid grouping, or absent")
    window = Key(DATA, doc="the WindowSpec")


class Runs(Space):
    """Trained and opened runs, and the background jobs."""
    runs = Key(SESSION, doc="run key -> TrainedRun, oldest first")
    selected_run = Key(SESSION)
    show = Key(SESSION, doc="which runs Results opens on next (state.show_in_results)")
    job = Key(SESSION, doc="the training / tuning Job")
    _page = Key(SESSION, doc="the page of the last run (enter_page)")


class Home(Space):
    start_sample = Key(PAGE, **W)
    demo = Key(PAGE, **W)


class DataPage(Space):
    sample_name = Key(SESSION, **W)
    load_sample = Key(PAGE, **W)
    date_order = Key(SESSION, **W)
    upload = Key(PAGE, **W)
    _uploaded_id = Key(PAGE, doc="the upload (file id, date order) already loaded")
    paste_text = Key(PAGE, **W)
    load_paste = Key(PAGE, **W)
    campaign_upload = Key(PAGE, **W)
    _campaign_upload_id = Key(PAGE, doc="the campaign upload already loaded")
    campaign_error = Key(PAGE)
    load_campaign_sample = Key(PAGE, **W)
    drive_table_ = Key(PAGE, prefix=True, **W)
    mergeopt_sample = Key(SESSION, **W)
    mergeopt_rate = Key(SESSION, **W)
    mergeopt_pems_col = Key(SESSION, **W)
    mergeopt_obd_col = Key(SESSION, **W)
    mergeopt_lag_on = Key(SESSION, **W)
    mergeopt_lag = Key(SESSION, **W)
    merge_pems_file = Key(PAGE, **W)
    merge_obd_file = Key(PAGE, **W)
    merge_btn = Key(PAGE, **W)
    clean_on = Key(DATA, **W)
    clean_channels = Key(DATA, **W)
    clean_plot = Key(DATA, **W)
    plot_channels = Key(DATA, **W)
    to_groups = Key(PAGE, **W)


class Groups(Space):
    target_select = Key(DATA, **W)
    group_rows = Key(DATA, doc="ids of the editable groups, in order")
    groups_for_target = Key(DATA, doc="the target the editable groups were suggested for")
    gname_ = Key(DATA, prefix=True, **W)
    gcols_ = Key(DATA, prefix=True, **W)
    gdel_ = Key(PAGE, prefix=True, **W)
    next_gid = Key(SESSION)
    group_error = Key(PAGE)
    new_group_name = Key(PAGE, **W)
    add_group = Key(PAGE, **W)
    reset_groups = Key(PAGE, **W)
    lookback_in = Key(SESSION, **W)
    horizon_in = Key(SESSION, **W)
    to_train = Key(PAGE, **W)


class Train(Space):
    trainset_models = Key(SESSION, **W)
    trainset_hidden = Key(SESSION, **W)
    trainset_epochs = Key(SESSION, **W)
    trainset_batch = Key(SESSION, **W)
    trainset_lr = Key(SESSION, **W)
    trainset_patience = Key(SESSION, **W)
    trainset_mode = Key(SESSION, **W)
    tuneset_trials = Key(SESSION, **W)
    tuneset_seconds = Key(SESSION, **W)
    start_training = Key(PAGE, **W)
    start_tuning = Key(PAGE, **W)
    cancel_training = Key(PAGE, **W)
    open_results = Key(PAGE, **W)
    cached_pick = Key(PAGE, **W)
    open_cached = Key(PAGE, **W)
    delete_cached = Key(PAGE, **W)


class Results(Space):
    res_main = Key(SESSION, **W)
    res_compare = Key(SESSION, **W)
    res_focus = Key(SESSION, doc='"peak": open on the highest actual value once')
    res_drive = Key(DATA, **W)
    res_time = Key(DATA, **W)
    res_map = Key(SESSION, **W)
    res_map_run = Key(SESSION, doc="the run res_map was chosen for")
    res_threshold = Key(DATA, **W)
    res_threshold_for = Key(DATA, doc="(data, target) the threshold was set for")
    res_other = Key(SESSION, **W)
    other_upload = Key(PAGE, **W)
    pair_a = Key(PAGE, **W)
    pair_b = Key(PAGE, **W)
    peak_btn = Key(PAGE, **W)
    score_btn = Key(PAGE, **W)


class Downloads(Space):
    dl_run = Key(PAGE, **W)
    dl_part = Key(PAGE, **W)
    dl_pred = Key(PAGE, **W)
    dl_att = Key(PAGE, **W)
    dl_map_ = Key(PAGE, prefix=True, **W)
    dl_ready_ = Key(PAGE, prefix=True, **W)
    dl_want_ = Key(PAGE, prefix=True, doc="a map the user asked to compute on this visit")
    dl_weights = Key(PAGE, **W)
    dl_meta = Key(PAGE, **W)


class Learn(Space):
    learn_job = Key(SESSION, doc="planted-signal training Job")
    learn_planted = Key(SESSION, doc="(settings, result) of the last planted training")
    learn_xai_job = Key(SESSION)
    learn_xai = Key(SESSION)
    src = Key(PAGE, **W)
    sample = Key(PAGE, **W)
    channel = Key(PAGE, **W)
    start = Key(PAGE, **W)
    length = Key(PAGE, **W)
    values = Key(PAGE, **W)
    hidden = Key(PAGE, **W)
    trained = Key(PAGE, **W)
    step = Key(PAGE, **W)
    gate = Key(PAGE, **W)
    lookback = Key(PAGE, **W)
    fbias = Key(PAGE, **W)
    q_level = Key(PAGE, **W)
    q_change = Key(PAGE, **W)
    pool_unit = Key(PAGE, **W)
    pool_w = Key(PAGE, **W)
    p_rows = Key(PAGE, **W)
    p_lookback = Key(PAGE, **W)
    p_lag = Key(PAGE, **W)
    p_hidden = Key(PAGE, **W)
    p_epochs = Key(PAGE, **W)
    train_planted = Key(PAGE, **W)
    cancel_planted = Key(PAGE, **W)
    relative = Key(PAGE, **W)
    run_xai = Key(PAGE, **W)
    cancel_xai = Key(PAGE, **W)


# ---------------------------------------------------------------------------- lookup
def all_keys() -> list[Key]:
    return [k for space in SPACES for k in space.keys()]


@functools.cache
def _index() -> tuple[dict[str, Key], tuple[Key, ...]]:
    keys = all_keys()
    return {k.name: k for k in keys if not k.prefix}, tuple(k for k in keys if k.prefix)


def declared(name: str) -> Key | None:
    """The declaration of session key ``name`` (exact, else the prefix family), or None."""
    exact, prefixes = _index()
    name = str(name)
    return exact.get(name) or next((k for k in prefixes if k.matches(name)), None)


def _check_unique() -> None:
    names = [k.name for k in all_keys()]
    dup = sorted({n for n in names if names.count(n) > 1})
    assert not dup, f"session keys declared twice: {dup}"
    prefixes = [k for k in all_keys() if k.prefix]
    clash = [(k.name, p.name) for k in all_keys() for p in prefixes if k is not p
             and not k.prefix and p.matches(k.name)]
    assert not clash, f"keys inside a prefix family: {clash}"


_check_unique()


# ---------------------------------------------------------------------------- lifetimes
def enter_page(space: type[Space]) -> None:
    """Start of a page run: after a page change, drop the plain PAGE values of the other pages;
    re-assign the SESSION and DATA widget values so Streamlit keeps them on pages that do not
    draw those widgets (it forgets the state of widgets a run does not draw)."""
    ss = st.session_state
    if Runs._page.get() != space.__name__:
        for k in list(ss):
            key = declared(k)
            if key is not None and key.life == PAGE and not key.widget \
                    and key.space != space.__name__:
                del ss[k]
        Runs._page.set(space.__name__)
    for k in list(ss):
        key = declared(k)
        if key is not None and key.widget and key.life != PAGE:
            ss[k] = ss[k]


def forget_data() -> None:
    """New data: drop every key that belongs to the loaded data (DATA lifetime)."""
    ss = st.session_state
    for k in list(ss):
        key = declared(k)
        if key is not None and key.life == DATA:
            del ss[k]
