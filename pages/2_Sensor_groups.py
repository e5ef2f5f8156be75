"""Sensor groups: target, editable grouping (add / rename / delete / move), lookback, horizon,
and a correlation heatmap of the features against the target."""
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from palstm_core.i18n import N_, _
from pages import _shared as ui

ui.page_setup(N_("Sensor groups"), "🧩")
st.title(_("2 · Sensor groups"))
ui.step_indicator("groups")
ds = ui.need_data()
ui.data_badge(ds)
ss = st.session_state


# ---------------------------------------------------------------------------- group state
def _reset_groups(target: str) -> None:
    """Replace the editable groups with the suggestion for ``target``."""
    for gid in ss.get("group_rows", []):
        ss.pop(f"gname_{gid}", None)
        ss.pop(f"gcols_{gid}", None)
    try:
        suggestion = pc.suggest_groups(ds, target).groups
    except pc.DataError as exc:
        ss["group_error"] = str(exc)
        suggestion = {}
    ss["group_rows"] = []
    for name, cols in suggestion.items():
        _new_group(name, cols)
    ss["groups_for_target"] = target


def _new_group(name: str, cols=()) -> None:
    gid = ss.get("next_gid", 0)
    ss["next_gid"] = gid + 1
    ss[f"gname_{gid}"] = name
    ss[f"gcols_{gid}"] = list(cols)
    ss.setdefault("group_rows", []).append(gid)


def _moved(gid: int) -> None:
    """Columns picked for group ``gid`` leave every other group (a column is in one group)."""
    if f"gcols_{gid}" not in ss:        # a target change in the same rerun reset the groups
        return
    picked = set(ss[f"gcols_{gid}"])
    for other in ss["group_rows"]:
        if other != gid:
            ss[f"gcols_{other}"] = [c for c in ss[f"gcols_{other}"] if c not in picked]


def _delete(gid: int) -> None:
    ss["group_rows"] = [g for g in ss["group_rows"] if g != gid]
    ss.pop(f"gname_{gid}", None)
    ss.pop(f"gcols_{gid}", None)


def _add() -> None:
    name = (ss.get("new_group_name") or "").strip() or _("group {n}", n=len(ss['group_rows']) + 1)
    _new_group(name)
    ss["new_group_name"] = ""


def _target_changed() -> None:
    _reset_groups(ss["target_select"])


# ---------------------------------------------------------------------------- target
columns = ds.columns
if ss.get("target_select") not in columns:
    ss["target_select"] = ss.get("target") if ss.get("target") in columns else (
        "NOx" if "NOx" in columns else columns[-1])
target = st.selectbox(_("Target (what to predict)"), columns, key="target_select",
                      on_change=_target_changed,
                      help=_("Usually an exhaust channel from the PEMS, e.g. NOx or CO2."))
if ss.get("groups_for_target") != target or "group_rows" not in ss:
    _reset_groups(target)
if ss.get("group_error"):
    st.error(ss.pop("group_error"))

# ---------------------------------------------------------------------------- groups editor
st.subheader(_("Sensor groups"))
st.caption(_("Each group gets its own PA-LSTM branch (feature attention + LSTM). Put channels of "
           "the same sensor or the same physics together. Picking a column in one group moves it "
           "out of the others; columns in no group are not used."))
options = [c for c in columns if c != target]
for gid in list(ss["group_rows"]):
    c_name, c_cols, c_del = st.columns([2, 7, 1], vertical_alignment="bottom")
    c_name.text_input(_("Group name"), key=f"gname_{gid}")
    c_cols.multiselect(_("Columns"), options, key=f"gcols_{gid}", on_change=_moved, args=(gid,))
    c_del.button(_("Delete"), key=f"gdel_{gid}", on_click=_delete, args=(gid,),
                 help=_("Delete this group (its columns become unused)"))

a1, a2, a3 = st.columns([3, 1, 2], vertical_alignment="bottom")
a1.text_input(_("New group name"), key="new_group_name", placeholder=_("e.g. exhaust"))
a2.button(_("Add group"), key="add_group", on_click=_add)
a3.button(_("Reset to suggestion"), key="reset_groups", on_click=_reset_groups, args=(target,))

groups = {ss[f"gname_{gid}"]: ss[f"gcols_{gid}"] for gid in ss["group_rows"]}
used = {c for cols in groups.values() for c in cols}
unused = [c for c in options if c not in used]
if unused:
    st.caption(_("Not used: {columns}", columns=", ".join(unused)))

# ---------------------------------------------------------------------------- window
st.subheader(_("Window"))
defaults = ui.ui_defaults()
ss.setdefault("lookback_in", int(defaults["lookback"]))
ss.setdefault("horizon_in", int(defaults["horizon"]))
w1, w2 = st.columns(2)
lookback = w1.number_input(_("Lookback (steps the model sees)"), 1, 600, key="lookback_in")
horizon = w2.number_input(_("Horizon (steps ahead; 0 = estimate the current step)"), 0, 600,
                          key="horizon_in")

# ---------------------------------------------------------------------------- validate
names = [ss[f"gname_{gid}"].strip() for gid in ss["group_rows"]]
try:
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise pc.DataError(_("Two groups are called '{name}'. Give each group its own name.",
                             name=dup))
    grouping = pc.SensorGrouping({ss[f"gname_{gid}"]: ss[f"gcols_{gid}"]
                                  for gid in ss["group_rows"]})
    grouping.validate(ds, target)
    window = pc.WindowSpec(lookback=int(lookback), horizon=int(horizon))
except pc.DataError as exc:
    ss.pop("grouping", None)
    st.error(_("This grouping cannot be used yet: {error}", error=exc))
    ok = False
else:
    ss.update(grouping=grouping.to_dict(), target=target, window=window)
    st.success(_("Ready: predict **{target}** from {sensors} sensors in {groups} groups, "
                  "lookback {lookback}, horizon {horizon}.", target=target,
                  sensors=len(grouping.features), groups=len(grouping.groups),
                  lookback=window.lookback,
                  horizon=window.horizon))
    ok = True
if st.button(_("Next: train →"), type="primary", disabled=not ok, key="to_train"):
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
