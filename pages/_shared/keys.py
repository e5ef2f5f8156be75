"""Every session-state key of the app, once, by owner (``session.py`` says what the lifetimes
mean), and the three things lifetimes do: ``enter_page`` (drop the plain PAGE values of the
page that was left, keep the SESSION/DATA widgets), ``forget_data`` (drop every DATA key)."""
from __future__ import annotations

import functools

import streamlit as st

from .session import DATA, PAGE, SESSION, SPACES, Key, Space

def widgets(life: str, n: int) -> list[Key]:
    """``n`` widget keys of lifetime ``life``, for ``a, b, c = widgets(PAGE, 3)`` in a space
    (each gets its attribute name as its key)."""
    return [Key(life, widget=True) for _ in range(n)]


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
    start_sample, demo = widgets(PAGE, 2)


class DataPage(Space):
    (sample_name, date_order, mergeopt_sample, mergeopt_rate, mergeopt_pems_col,
     mergeopt_obd_col, mergeopt_lag_on, mergeopt_lag) = widgets(SESSION, 8)
    clean_on, clean_channels, clean_plot, plot_channels = widgets(DATA, 4)
    (load_sample, upload, paste_text, load_paste, campaign_upload, load_campaign_sample,
     merge_pems_file, merge_obd_file, merge_btn, to_groups) = widgets(PAGE, 10)
    drive_table_ = Key(PAGE, widget=True, prefix=True, doc="the drive table of a campaign")
    vehicle_table, apply_vehicles = widgets(PAGE, 2)
    _uploaded_id = Key(PAGE, doc="the upload (file id, date order) already loaded")
    _campaign_upload_id = Key(PAGE, doc="the campaign upload already loaded")
    campaign_error = Key(PAGE)


class Groups(Space):
    target_select, = widgets(DATA, 1)
    gname_ = Key(DATA, widget=True, prefix=True, doc="name of editable group <id>")
    gcols_ = Key(DATA, widget=True, prefix=True, doc="columns of editable group <id>")
    gdel_ = Key(PAGE, widget=True, prefix=True, doc="delete button of group <id>")
    group_rows = Key(DATA, doc="ids of the editable groups, in order")
    groups_for_target = Key(DATA, doc="the target the editable groups were suggested for")
    next_gid = Key(SESSION)
    group_error = Key(PAGE)
    lookback_in, horizon_in, steps_in = widgets(SESSION, 3)
    new_group_name, add_group, reset_groups, to_train = widgets(PAGE, 4)


class Train(Space):
    (trainset_models, trainset_hidden, trainset_epochs, trainset_batch, trainset_lr,
     trainset_patience, trainset_mode, tuneset_trials, tuneset_seconds) = widgets(SESSION, 9)
    (start_training, start_tuning, cancel_training, open_results, cached_pick, open_cached,
     delete_cached) = widgets(PAGE, 7)
    calib_run, calib_minutes = widgets(SESSION, 2)
    calib_drive, = widgets(DATA, 1)
    start_calib, cancel_calib = widgets(PAGE, 2)
    calib_job = Key(SESSION, doc="the calibration Job (ui.background)")
    calib_result = Key(DATA, doc="(settings, pc.Calibration) of the last calibration")


class Results(Space):
    res_main, res_compare, res_map, res_other = widgets(SESSION, 4)
    res_drive, res_time, res_threshold = widgets(DATA, 3)
    other_upload, pair_a, pair_b, peak_btn, score_btn, agree_btn = widgets(PAGE, 6)
    res_focus = Key(SESSION, doc='"peak": open on the highest actual value once')
    res_map_run = Key(SESSION, doc="the run res_map was chosen for")
    res_threshold_for = Key(DATA, doc="(data, target) the threshold was set for")
    res_level, res_alarm_p = widgets(SESSION, 2)      # interval level, alarm probability
    res_lead, = widgets(DATA, 1)                      # warning lead time (forecast steps)


class Explore(Space):
    """Results' what-if, sensitivity, report and link sections (``explore_ui.py``)."""
    (wi_what, wi_op, wi_span, wi_add, wi_reset, wi_pin, sens_col, sens_range, sens_btn,
     report_btn, report_dl) = widgets(PAGE, 11)
    wi_value_ = Key(PAGE, widget=True, prefix=True, doc="the number of a what-if edit <op>")
    wi_edits = Key(DATA, doc="the what-if edits being built: {'time': window, 'edits': [Edit]}")
    wi_pinned = Key(DATA, doc="pinned what-if results (pc.WhatIf) that go into the report")
    sens = Key(DATA, doc="the last sensitivity curves: (what they show, Sensitivity, error table)")
    report = Key(DATA, doc="the last prepared report: (what it shows, HTML)")
    link_done = Key(SESSION, doc="the link this session was opened with has been read")
    link_pending = Key(SESSION, doc="that link's view, until its data is loaded")
    link_note = Key(DATA, doc="what that link asked for that is not here, in words")


class Downloads(Space):
    dl_run, dl_part, dl_pred, dl_att, dl_weights, dl_meta, dl_trips = widgets(PAGE, 7)
    dl_map_ = Key(PAGE, widget=True, prefix=True, doc="download button of map <name>")
    dl_ready_ = Key(PAGE, widget=True, prefix=True, doc="'compute map <name>' button")
    dl_want_ = Key(PAGE, prefix=True, doc="a map the user asked to compute on this visit")


class Learn(Space):
    learn_job = Key(SESSION, doc="planted-signal training Job")
    learn_planted = Key(SESSION, doc="(settings, result) of the last planted training")
    learn_xai_job = Key(SESSION, doc="attention-vs-attribution Job")
    learn_xai = Key(SESSION, doc="(settings, result) of the last comparison")
    (src, sample, channel, start, length, values, hidden, trained, step, gate, lookback, fbias,
     q_level, q_change, pool_unit, pool_w, p_rows, p_lookback, p_lag, p_hidden, p_epochs,
     train_planted, cancel_planted, relative, run_xai, cancel_xai) = widgets(PAGE, 26)
    (d_kind, d_lookback, d_steps, d_step, sa_length, sa_heads, sa_query,
     sa_positions) = widgets(PAGE, 8)
    conf_level, conf_scaled = widgets(PAGE, 2)        # the conformal-interval section


class Language(Space):
    """The dashboard's language (``lang.py``), chosen once per session and kept on every page."""
    lang = Key(SESSION, doc="the chosen language code (en, ko)")
    lang_pick = Key(PAGE, widget=True, doc="the sidebar language switch, re-set from lang")


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
