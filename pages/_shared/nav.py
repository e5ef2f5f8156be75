"""Navigation: the steps data → groups → train → results, the start of every page run
(``start_page``: lifetimes of the session keys, the finished job), the step indicator, and the
"load data first" / "train first" stops."""
from __future__ import annotations

import streamlit as st

import palstm_core as pc
from pages._shared.text import N_, _, ngettext, tr

from .keys import Runs, enter_page
from .state import (add_run, campaign, dataset, fits, grouping, runs, show_in_results, target,
                    test_drives)

STEPS = [("data", N_("1 · Data"), "pages/1_Data.py"),       # labels: msgids, shown with tr()
         ("groups", N_("2 · Sensor groups"), "pages/2_Sensor_groups.py"),
         ("train", N_("3 · Train"), "pages/3_Train.py"),
         ("results", N_("4 · Results"), "pages/4_Results.py")]
PAGE = {k: path for k, _label, path in STEPS}
PAGE["downloads"] = "pages/5_Downloads.py"
PAGE["home"] = "app.py"

def current_step() -> str:
    if runs():
        return "results"
    if grouping() is not None:
        return "train"
    if dataset() is not None:
        return "groups"
    return "data"


def start_page(space) -> None:
    """First call of every page (``space``: its namespace in ``keys``): the lifetimes of the
    session keys (``keys.enter_page``), then the runs of a finished training job."""
    enter_page(space)
    collect_job()


def collect_job():
    """Move the runs of a finished training job into the session (once) and ask Results to
    show them; returns the job when this call collected it, else None."""
    job = Runs.job.get()
    if job is None or not job.done or job.collected:
        return None
    job.collected = True
    for run in job.runs:
        add_run(run, select=run is job.runs[0])
    if job.runs:
        show_in_results(job.runs[0].key, [r.key for r in job.runs], job.focus)
    return job


def step_indicator(active: str | None = None) -> None:
    """data → groups → train → results, with what the session has loaded."""
    done = {"data": dataset() is not None, "groups": grouping() is not None,
            "train": bool(runs()), "results": bool(runs())}
    here = active or current_step()
    parts = []
    for key, label, _path in STEPS:
        mark = "✓" if done[key] else "○"
        text = f"**{tr(label)}**" if key == here else tr(label)
        parts.append(f"{mark} {text}")
    st.markdown(" → ".join(parts))
    ds = dataset()
    bits = [_("data: **{label}** ({rows} rows)", label=ds.label, rows=len(ds))
            if ds is not None else _("no data loaded")]
    if campaign() is not None:
        bits = [_("data: **{label}**", label=campaign().label)]
    if target():
        g = grouping()
        bits.append(_("target **{target}**", target=target())
                    + (_(", {n} sensor groups", n=len(g.groups)) if g else ""))
    if runs():
        bits.append(ngettext("{n} trained run", "{n} trained runs", len(runs())))
    job = Runs.job.get()
    if job is not None and job.running:
        bits.append(_("training in progress…"))
    st.caption(" · ".join(bits))


def need_data() -> pc.Dataset:
    """The session's dataset, or a hint to load one and stop the page."""
    ds = dataset()
    if ds is None:
        st.info(_("No data loaded yet. Load the sample drive or your own CSV first."))
        st.page_link(PAGE["data"], label=_("Go to Data"), icon=":material/folder_open:")
        st.stop()
    return ds


def need_runs(ds: pc.Dataset, hint: str) -> dict[str, pc.TrainedRun]:
    """This session's runs that can run on ``ds`` (its columns include theirs), or ``hint``
    with a link to the Train page and stop the page."""
    usable = {k: r for k, r in runs().items() if fits(r, ds)}
    if not usable:
        st.info(hint)
        st.page_link(PAGE["train"], label=_("Go to Train"), icon=":material/model_training:")
        st.stop()
    return usable


def data_badge(ds: pc.Dataset) -> None:
    camp = campaign()
    if camp is not None:
        test = test_drives()
        st.caption(_("Data: **{label}**", label=camp.label)
                   + (_(" — simulated drives, not measured") if camp.simulated else "")
                   + _("; test drives: {drives}. One-drive views show {name}.",
                       drives=", ".join(test) if test else
                       _("none (the last part of every drive is tested)"), name=ds.name))
    elif ds.simulated:
        st.caption(_("Data: **{label}** — simulated sample drive, not measured.",
                     label=ds.label))
    else:
        st.caption(_("Data: **{label}**", label=ds.label))
