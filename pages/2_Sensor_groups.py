"""Sensor groups: target, editable grouping (add / rename / delete / move), lookback, horizon,
and a correlation heatmap of the features against the target."""
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import N_, _
from pages import _shared as ui

ui.page_setup(N_("Sensor groups"), "🧩")
ui.start_page(ui.keys.Groups)
K = ui.keys.Groups
st.title(_("2 · Sensor groups"))
ui.step_indicator("groups")
ds = ui.need_data()
ui.data_badge(ds)


# ---------------------------------------------------------------------------- group state
def _rows() -> list[int]:
    return K.group_rows.get([])


def _reset_groups(target: str) -> None:
    """Replace the editable groups with the suggestion for ``target``."""
    for gid in _rows():
        K.gname_.of(gid).pop()
        K.gcols_.of(gid).pop()
    try:
        camp = ui.campaign()                # vehicle covariates: a group of their own
        suggestion = pc.suggest_groups(ds, target, vehicle=camp.vehicle_columns if camp
                                       else ()).groups
    except pc.DataError as exc:
        K.group_error.set(str(exc))
        suggestion = {}
    K.group_rows.set([])
    for name, cols in suggestion.items():
        _new_group(name, cols)
    K.groups_for_target.set(target)


def _new_group(name: str, cols=()) -> None:
    gid = K.next_gid.get(0)
    K.next_gid.set(gid + 1)
    K.gname_.of(gid).set(name)
    K.gcols_.of(gid).set(list(cols))
    K.group_rows.set([*_rows(), gid])


def _moved(gid: int) -> None:
    """Columns picked for group ``gid`` leave every other group (a column is in one group)."""
    if not K.gcols_.of(gid).present:    # a target change in the same rerun reset the groups
        return
    picked = set(K.gcols_.of(gid).get())
    for other in _rows():
        if other != gid:
            K.gcols_.of(other).set([c for c in K.gcols_.of(other).get() if c not in picked])


def _delete(gid: int) -> None:
    K.group_rows.set([g for g in _rows() if g != gid])
    K.gname_.of(gid).pop()
    K.gcols_.of(gid).pop()


def _add() -> None:
    name = (K.new_group_name.get() or "").strip() or _("group {n}", n=len(_rows()) + 1)
    _new_group(name)
    K.new_group_name.set("")


def _target_changed() -> None:
    _reset_groups(K.target_select.get())


def _editable_groups() -> dict[str, list[str]]:
    """Group name (as typed) -> columns, in the editor's order."""
    return {K.gname_.of(gid).get(): K.gcols_.of(gid).get() for gid in _rows()}


# ---------------------------------------------------------------------------- target
columns = ds.columns
if K.target_select.get() not in columns:
    K.target_select.set(ui.target() if ui.target() in columns else (
        "NOx" if "NOx" in columns else columns[-1]))
target = st.selectbox(_("Target (what to predict)"), columns, key=K.target_select,
                      on_change=_target_changed,
                      help=_("Usually an exhaust channel from the PEMS, e.g. NOx or CO2."))
if K.groups_for_target.get() != target or not K.group_rows.present:
    _reset_groups(target)
if K.group_error.get():
    st.error(K.group_error.pop())

# ---------------------------------------------------------------------------- groups editor
st.subheader(_("Sensor groups"))
st.caption(_("Each group gets its own PA-LSTM branch (feature attention + LSTM). Put channels of "
           "the same sensor or the same physics together. Picking a column in one group moves it "
           "out of the others; columns in no group are not used."))
options = [c for c in columns if c != target]
for gid in list(_rows()):
    c_name, c_cols, c_del = st.columns([2, 7, 1], vertical_alignment="bottom")
    c_name.text_input(_("Group name"), key=K.gname_.of(gid))
    c_cols.multiselect(_("Columns"), options, key=K.gcols_.of(gid), on_change=_moved, args=(gid,))
    c_del.button(_("Delete"), key=K.gdel_.of(gid), on_click=_delete, args=(gid,),
                 help=_("Delete this group (its columns become unused)"))

a1, a2, a3 = st.columns([3, 1, 2], vertical_alignment="bottom")
a1.text_input(_("New group name"), key=K.new_group_name, placeholder=_("e.g. exhaust"))
a2.button(_("Add group"), key=K.add_group, on_click=_add)
a3.button(_("Reset to suggestion"), key=K.reset_groups, on_click=_reset_groups, args=(target,))

groups = _editable_groups()
used = {c for cols in groups.values() for c in cols}
unused = [c for c in options if c not in used]
if unused:
    st.caption(_("Not used: {columns}", columns=", ".join(unused)))

# ---------------------------------------------------------------------------- window
st.subheader(_("Window"))
defaults = ui.ui_defaults()
K.lookback_in.setdefault(int(defaults["lookback"]))
K.horizon_in.setdefault(int(defaults["horizon"]))
K.steps_in.setdefault(int(defaults["steps"]))
w1, w2, w3 = st.columns(3)
lookback = w1.number_input(_("Lookback (steps the model sees)"), 1, 600, key=K.lookback_in)
horizon = w2.number_input(_("Horizon (steps ahead; 0 = estimate the current step)"), 0, 600,
                          key=K.horizon_in)
steps = w3.number_input(_("Forecast steps (values predicted from one window)"), 1, 120,
                        key=K.steps_in,
                        help=_("1: one value, horizon steps after the window. More: the values "
                               "at t+horizon … t+horizon+steps−1, all from the same window (a "
                               "multi-step forecast; Results then shows the fan and the error "
                               "by step)."))

# ---------------------------------------------------------------------------- validate
names = [K.gname_.of(gid).get().strip() for gid in _rows()]
try:
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise pc.DataError(_("Two groups are called '{name}'. Give each group its own name.",
                             name=dup))
    grouping = pc.SensorGrouping(_editable_groups())
    grouping.validate(ds, target)
    window = pc.WindowSpec(lookback=int(lookback), horizon=int(horizon), steps=int(steps))
except pc.DataError as exc:
    ui.set_problem(target, None, ui.window_spec(), from_widgets=True)
    st.error(_("This grouping cannot be used yet: {error}", error=exc))
    ok = False
else:
    ui.set_problem(target, grouping, window, from_widgets=True)
    msg = _("Ready: predict **{target}** from {sensors} sensors in {groups} groups, "
            "lookback {lookback}, horizon {horizon}.", target=target,
            sensors=len(grouping.features), groups=len(grouping.groups),
            lookback=window.lookback, horizon=window.horizon)
    if window.steps > 1:
        msg = _("Ready: predict **{target}** from {sensors} sensors in {groups} groups, "
                "lookback {lookback}, horizon {horizon}, {steps} forecast steps.",
                target=target, sensors=len(grouping.features), groups=len(grouping.groups),
                lookback=window.lookback, horizon=window.horizon, steps=window.steps)
    st.success(msg)
    ok = True
if st.button(_("Next: train →"), type="primary", disabled=not ok, key=K.to_train):
    st.switch_page(ui.PAGE["train"])

# ---------------------------------------------------------------------------- correlation
st.subheader(_("How the sensors relate to {target}", target=target))
feats = [c for cols in groups.values() for c in cols] + unused
max_lag = int(min(max(int(lookback), 1), 60))
corr = ui.memo(("corr", ds.fingerprint(), target, max_lag, tuple(feats)),
               lambda: pc.lagged_correlation(ds, target, feats, max_lag))
st.plotly_chart(plots.correlation_figure(corr, groups, target), width="stretch")
st.caption(_("Pearson correlation of each sensor, shifted back by 0…lookback steps, with the "
           "target now. Strong colours far to the left mean the sensor leads the target "
           "(e.g. analyzer delay)."))
