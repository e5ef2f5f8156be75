"""Results' exploring sections: what-if edits of the chosen window, sensitivity curves, the
report to hand in and the link that reopens the view. Each is a function of what it shows;
``pages/4_Results.py`` calls them from its ``main``. The numbers come from ``palstm_core``
(``pc.what_if``, ``pc.sensitivity``, ``pc.error_by_value``, ``pc.report_html``)."""
from __future__ import annotations

import time
from urllib.parse import urlencode

import numpy as np
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import N_, _, tr

from . import keys
from .lang import fmt
from .settings import cache
from .state import (add_run, campaign, dataset, deletion, fingerprint, fits,
                    load_sample_into_session, memo, runs, show_in_results)

K = keys.Explore
R = keys.Results
OP_LABELS = {"scale": N_("scale (× factor)"), "shift": N_("shift (+ amount)"),   # msgids
             "mean": N_("set to its training mean"), "constant": N_("set to a constant"),
             "copy": N_("copy another window's trace")}
VALUE_LABELS = {"scale": N_("Factor"), "shift": N_("Amount to add"), "constant": N_("Value"),
                "copy": N_("Copy from the window whose newest input is at (s)")}


# ---------------------------------------------------------------------------- what-if
def _target_options(run: pc.TrainedRun) -> dict[str, tuple[str, ...]]:
    """What an edit can change: each input sensor, then each sensor group (its sensors)."""
    inputs = [c for c in run.columns if c != run.target]
    out = {f"sensor: {c}": (c,) for c in inputs}
    for g, cols in run.groups.items():
        cols = tuple(c for c in cols if c in inputs)
        if cols:
            out[f"group: {g} ({', '.join(cols)})"] = cols
    return out


def current_edits(t: float) -> list[pc.Edit]:
    """The edits built for the window at ``t``; a new window starts with none."""
    state = K.wi_edits.get()
    if not state or state["time"] != t:
        state = K.wi_edits.set({"time": t, "edits": []})
    return state["edits"]


def _edit_value(op: str, ds: pc.Dataset, t: float, lookback: int) -> float | None:
    """The number an edit needs (None: it needs none), from a widget suited to ``op``."""
    if op == "mean":
        return 1.0
    if op == "copy":
        row = int(np.searchsorted(ds.times, t))
        default = float(ds.times[max(row - 1 - lookback, lookback - 1)])   # the window before
        got = st.number_input(tr(VALUE_LABELS[op]), value=default, key=K.wi_value_.of(op),
                              help=_("That window's trace replaces the edited steps, at the "
                                     "same positions in the window."))
        return float(ds.times[int(np.argmin(np.abs(ds.times - got)))])   # a row of the drive
    default = {"scale": 1.1, "shift": 0.0, "constant": 0.0}[op]
    return float(st.number_input(tr(VALUE_LABELS[op]), value=default, key=K.wi_value_.of(op),
                                 format="%.4g"))


def edit_builder(run: pc.TrainedRun, ds: pc.Dataset, t: float, steps: np.ndarray) -> None:
    """Widgets for one edit (what, how, over which steps) and the buttons add / reset."""
    options = _target_options(run)
    L = run.window.lookback
    c1, c2, c3 = st.columns([3, 2, 2])
    what = c1.selectbox(_("Change"), list(options), key=K.wi_what,
                        help=_("One sensor, or every sensor of a group at once."))
    op = c2.selectbox(_("How"), list(OP_LABELS), key=K.wi_op,
                      format_func=fmt(lambda o: tr(OP_LABELS[o])))
    with c3:
        value = _edit_value(op, ds, t, L)
    lo, hi = st.slider(_("Steps of the lookback to edit (1 = oldest input, {n} = newest)",
                         n=L), 1, L, (1, L), key=K.wi_span)
    whole = (lo, hi) == (1, L)
    edit = pc.Edit(options[what], op, value, None if whole else float(steps[lo - 1]),
                   None if whole else float(steps[hi - 1]))
    b1, b2 = st.columns([1, 1, 3])[:2]
    if b1.button(_("Add this edit"), key=K.wi_add, type="primary"):
        current_edits(t).append(edit)
    if b2.button(_("Reset the edits"), key=K.wi_reset):
        current_edits(t).clear()


def _what_if(chosen: list[pc.TrainedRun], ds: pc.Dataset, t: float, edits, map_name: str):
    """(``pc.what_if`` of every compared run with the map of the first (the run explained)
    only, seconds it took), memoised; a plain message when the edits cannot be applied."""
    def compute():
        started = time.perf_counter()
        try:
            res = pc.what_if(chosen, ds, t, edits)
            if map_name in pc.explain.available_maps(chosen[0]):
                mapped = pc.what_if(chosen[:1], ds, t, edits, map_name=map_name)
                res.maps, res.map_names = mapped.maps, mapped.map_names
                res.map_features, res.map_groups = mapped.map_features, mapped.map_groups
        except (pc.DataError, ValueError) as exc:
            return str(exc)
        return res, time.perf_counter() - started
    return memo(("what_if", tuple(r.key for r in chosen), fingerprint(ds), t, tuple(edits),
                 map_name), compute)


def _changes(res: pc.WhatIf, unit: str) -> None:
    """One metric per compared run: its edited prediction and the change."""
    first = res.table.drop_duplicates("run")
    cols = st.columns(min(len(first), 4) or 1)
    for k, row in enumerate(first.to_dict("records")):
        cols[k % len(cols)].metric(f"{row['model']} · {row['run'][:6]}",
                                   f"{row['edited']:.4g} {unit}".strip(),
                                   delta=f"{row['change']:+.4g} {unit}".strip(),
                                   delta_color="off",
                                   help=_("was {value:.4g} {unit}", value=row["original"],
                                          unit=unit))
    st.dataframe(res.table, hide_index=True, width="stretch", key="whatif_table",
                 column_config={c: st.column_config.NumberColumn(format="%.5g")
                                for c in ("time", "original", "edited", "change")})


def _map_pair(res: pc.WhatIf, run: pc.TrainedRun, ds: pc.Dataset, t: float, steps) -> None:
    """The chosen map of the original window beside the edited one, on one colour scale."""
    if run.key not in res.maps:
        return
    before, after = res.maps[run.key]
    name = pc.explain.SHORT[res.map_names[run.key]]
    x, x_title = plots.window_axis(run.window.lookback, steps, t)
    fig = plots.map_pair_figure([before, after], [_("{name}: original window", name=name),
                                                  _("{name}: edited window", name=name)],
                                res.map_features[run.key], res.map_groups[run.key], [x, x],
                                x_title)
    st.plotly_chart(fig, width="stretch", key="whatif_map_fig")
    st.caption(_("The {name} map of this window as the model sees it now (left) and after the "
                 "edits (right), on one colour scale (|value|).", name=name))


def whatif_section(usable: dict[str, pc.TrainedRun], compare: list[str], run: pc.TrainedRun,
                   ds: pc.Dataset, t: float, map_name: str) -> None:
    """Edit the chosen window, every compared run re-predicts; the map before and after."""
    st.subheader(_("What if this window had been different?"))
    st.caption(_("Change a sensor (or a whole group) over the lookback or a part of it, add as "
                 "many edits as you like; every compared run predicts the edited window again."))
    steps = pc.window_steps(ds.times, t, run.window.lookback, run.window.horizon)
    edit_builder(run, ds, t, steps)
    edits = current_edits(t)
    if not edits:
        st.caption(_("No edit yet for the window that predicts {t:g} s.", t=t))
        return
    st.markdown(_("**Edits of this window:**") + "\n" + "\n".join(f"{k}. {e.describe()}"
                                                          for k, e in enumerate(edits, 1)))
    chosen = [run] + [usable[k] for k in compare if k != run.key and fits(usable[k], ds)]
    got = _what_if(chosen, ds, t, edits, map_name)
    if isinstance(got, str):
        st.error(_("This edit cannot be applied: {why}", why=got))
        return
    res, seconds = got
    _changes(res, run.target_unit)
    st.caption(_("{n} run(s) predicted the edited window again in {seconds:.2f} s.",
                 n=len(chosen), seconds=seconds))
    _map_pair(res, run, ds, t, steps)
    pinned = K.wi_pinned.setdefault([])
    if st.button(_("Pin this what-if for the report"), key=K.wi_pin):
        if all(p is not res for p in pinned):
            pinned.append(res)
    if pinned:
        st.caption(_("{n} what-if(s) pinned: they go into the report below.", n=len(pinned)))


# ---------------------------------------------------------------------------- sensitivity
def sensitivity_section(run: pc.TrainedRun, ds: pc.Dataset, t: float) -> None:
    """ICE lines and partial dependence of one sensor, and the error binned by its value
    (computed on a button: every test window is predicted once per scale)."""
    st.subheader(_("Sensitivity: the prediction as one sensor is scaled"))
    inputs = [c for c in run.columns if c != run.target]
    c1, c2 = st.columns([2, 3])
    col = c1.selectbox(_("Sensor"), inputs, key=K.sens_col)
    lo, hi = c2.slider(_("Scale the sensor over the whole window (% of its value)"), 0, 200,
                       (50, 150), step=10, key=K.sens_range)
    what = (run.key, fingerprint(ds), col, lo, hi)
    got = K.sens.get()
    if got is None or got[0] != what:
        st.caption(_("Predicts every test window again at 11 scales of the sensor (about 8 s "
                     "for a 32-unit PA-LSTM on the urban test span on 2 busy CPU cores)."))
        if not st.button(_("Compute the sensitivity curves"), key=K.sens_btn):
            return
        with st.spinner(_("Predicting the test span with {col} scaled…", col=col)):
            try:
                got = K.sens.set((what, pc.sensitivity(run, ds, col, np.linspace(lo, hi, 11)
                                                       / 100),
                                  pc.error_by_value(run, ds, col, bins=8)))
            except pc.DataError as exc:
                st.error(str(exc))
                return
    sens, err = got[1], got[2]
    st.plotly_chart(plots.sensitivity_figure(sens, run.target, run.target_unit, highlight=t),
                    width="stretch", key="sens_fig")
    st.caption(_("Each thin line is one test window (ICE); the thick line is their mean over all "
                 "{n} test windows (partial dependence); green is the chosen window. {model} "
                 "predicted every window again with {col} scaled.", n=len(sens.ice),
                 model=run.config.model, col=col))
    st.plotly_chart(plots.error_by_value_figure(err, col, run.target_unit), width="stretch",
                    key="err_by_value_fig")
    st.caption(_("The test error in bins of {col}'s value at the predicted time (each bin "
                 "holds about the same number of windows).", col=col))


# ---------------------------------------------------------------------------- report
def _leaderboard(run: pc.TrainedRun, ds: pc.Dataset, compared: list[pc.TrainedRun]):
    board = pc.leaderboard_table(cache().list(), ds.fingerprint(), run.target)
    return board if len(board) else pc.score_runs({r.key: r for r in compared}, ds)


def report_section(run: pc.TrainedRun, ds: pc.Dataset, t: float,
                   compared: list[pc.TrainedRun]) -> None:
    """Prepare the HTML report (the chosen window, the pinned what-ifs) and download it."""
    st.subheader(_("A report to hand in"))
    pinned = K.wi_pinned.get([])
    st.caption(_("One HTML file that opens without a network: data report, sensor groups, "
                 "configuration, training curve, leaderboard, predictions, the chosen window's "
                 "map with its deletion score and {n} pinned what-if(s). Scoring the map (its "
                 "deletion curve) is the slow part: about 30 s for a 32-unit PA-LSTM on the "
                 "urban test span on 2 busy CPU cores, much less when it was scored above.",
                 n=len(pinned)))
    what = (run.key, fingerprint(ds), t, tuple(id(p) for p in pinned))
    if st.button(_("Prepare the report"), key=K.report_btn):
        curve = deletion(run, ds, pc.explain.default_map(run), compute=False)
        with st.spinner(_("Writing the report (predictions, maps, deletion curve)…")):
            html = pc.report_html(run, ds, times=[t], leaderboard=_leaderboard(run, ds, compared),
                                  pinned=pinned, deletion=None if isinstance(curve, str) else curve)
        K.report.set((what, html))
    ready = K.report.get()
    if ready is None or ready[0] != what:
        return
    st.download_button(_("Download the report (HTML)"), ready[1].encode("utf-8"),
                       file_name=f"palstm-report-{run.key[:8]}.html", mime="text/html",
                       key=K.report_dl, on_click="ignore", icon=":material/download:")


# ---------------------------------------------------------------------------- link
def _data_id(ds: pc.Dataset) -> str:
    """``sample:NAME`` when ``ds`` is a shipped sample as shipped, else its fingerprint (of
    the campaign when one is loaded)."""
    camp = campaign()
    if camp is not None:
        return fingerprint(camp)
    name = ds.name.removeprefix("sample: ")
    if name in pc.SAMPLES and memo(("sample_fp", name), lambda: pc.load_sample(
            name).fingerprint()) == ds.fingerprint():
        return f"sample:{name}"
    return ds.fingerprint()


def _load_link_data(data: str) -> str | None:
    """Load the sample a link names; what is missing, in words, else None."""
    ds = dataset()
    if data.startswith("sample:"):
        name = data.removeprefix("sample:")
        if name not in pc.SAMPLES:
            return _("This link is for a sample drive '{name}' that this version does not have.",
                     name=name)
        if ds is None or _data_id(ds) != data:
            load_sample_into_session(name)
        return None
    have = {fingerprint(d) for d in (ds, campaign()) if d is not None}
    if data and data not in have:
        return _("This link is for data with fingerprint {data}, which is not loaded in this "
                 "session. Load the same file on the Data page, then open the link again.",
                 data=data)
    return None


def restore_link() -> None:
    """The view the link this session was opened with asks for (``st.query_params``: data,
    run, t, map, compare, drive). A link whose data is not loaded waits (``link_pending``)
    until that data is; what is not here is said in ``link_note``."""
    if not K.link_done.get():
        K.link_done.set(True)
        q = st.query_params.to_dict()
        if "run" in q:
            K.link_pending.set(q)
    q = K.link_pending.get()
    if not q:
        return
    missing = _load_link_data(q.get("data", ""))
    if missing:
        gone = q["run"] not in runs() and q["run"] not in cache()
        K.link_note.set([missing] + [_("This link is for run {key} which is not in this cache "
                                       "either.", key=q["run"])] * gone)
        return
    K.link_pending.pop()
    K.link_note.set(_apply_link(q))


def _apply_link(q: dict) -> list[str]:
    """Open the link's run, compared runs, window, map and drive; returns what is missing."""
    key = q["run"]
    run = runs().get(key) or cache().load(key)
    if run is None:
        return [_("This link is for run {key} which is not in this cache; train it again "
                  "(Train page) or open another run.", key=key)]
    add_run(run)
    notes = []
    for k in [k for k in q.get("compare", "").split(",") if k]:
        other = runs().get(k) or cache().load(k)
        if other is None:
            notes.append(_("The compared run {key} of this link is not in this cache.", key=k))
        else:
            add_run(other, select=False)
    show_in_results(key, [key, *[k for k in q.get("compare", "").split(",") if k in runs()]])
    if "t" in q:
        try:
            R.res_time.set(float(q["t"]))
        except ValueError:
            notes.append(_("The prediction time '{t}' in the link is not a number.", t=q["t"]))
    if q.get("map"):
        R.res_map.set(q["map"])
        R.res_map_run.set(key)
    if q.get("drive"):
        R.res_drive.set(q["drive"])
    return notes


def link_notes() -> None:
    for note in K.link_note.get([]):
        st.warning(note)


def link_section(run: pc.TrainedRun, ds: pc.Dataset, t: float, map_name: str,
                 compare: list[str]) -> None:
    """Keep the address bar on this view and show the link."""
    params = {"data": _data_id(ds), "run": run.key, "t": repr(float(t)), "map": map_name}
    others = [k for k in compare if k != run.key]
    if others:
        params["compare"] = ",".join(others)
    if campaign() is not None and R.res_drive.get():
        params["drive"] = R.res_drive.get()
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.subheader(_("A link to this view"))
    url = (st.context.url or "").split("?")[0]
    st.code(f"{url}?{urlencode(params)}", language=None)
    st.caption(_("The address bar holds the same link. Opened in another browser session with "
                 "the same data and model cache, it comes back to this run, window and map."))
