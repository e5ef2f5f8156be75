"""Results' prediction interval (the band on the predictions plot, its coverage next to the
nominal level) and the early warning (threshold, lead time, alarm probability, scores per drive,
trade-off curve). The numbers come from ``palstm_core`` (``TrainedRun.with_interval``,
``pc.interval_metrics``, ``pc.early_warning``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import _

from . import state as ui
from .keys import Results as K

LEVELS = [0.5, 0.8, 0.9, 0.95, 0.99]


def training_data(run: pc.TrainedRun, ds: pc.Dataset) -> pc.Dataset | pc.Campaign:
    """The session's data the run was trained on (the campaign or the drive), for runs stored
    before intervals existed (their calibration is computed from its validation part)."""
    return ui.campaign() if ui.on_campaign(run) else ds


def interval_band(run: pc.TrainedRun, pred: pd.DataFrame, ds: pc.Dataset) -> pd.DataFrame | None:
    """The level picker, the test part's coverage next to it (a sentence when they differ);
    returns ``pred`` with lower and upper of the chosen level (None: off or not available)."""
    if K.res_level.get() not in LEVELS:
        K.res_level.set(0.9)
    c1, c2 = st.columns([2, 3])
    level = c1.select_slider(_("Prediction interval"), LEVELS, key=K.res_level,
                             format_func=lambda v: f"{v:.0%}",
                             help=_("Split-conformal interval calibrated on the run's validation "
                                    "part (never the test part): the band should hold this share "
                                    "of the measured values."))
    try:
        band = run.with_interval(pred, level, data=training_data(run, ds))
    except pc.DataError as exc:
        c2.info(str(exc))
        return None
    m = pc.interval_metrics(band, level)
    if not np.isfinite(m["coverage"]):
        c2.caption(_("This drive has no measured target here, so the coverage cannot be "
                     "checked."))
        return band
    info = band.attrs["interval"]
    c2.markdown(_("Coverage on the test span: **{coverage:.1%}** of the measured values inside "
                  "the **{level:.0%}** interval (nominal); mean width {width:.3g} {unit}, "
                  "Winkler score {winkler:.3g}.", coverage=m["coverage"], level=level,
                  width=m["width"], unit=run.target_unit, winkler=m["winkler"]),
                help=_("{method} interval from {n} validation windows (split conformal, per "
                       "forecast step).", method=info["method"],
                       n=info["calibration_windows"]))
    errors = pc.error_shift(band, run.interval_calibration(training_data(run, ds)))
    sentence = pc.coverage_sentence(m["coverage"], level, m["n"], errors)
    verdict = pc.coverage_verdict(m["coverage"], level, m["n"])
    (st.caption if verdict == "as promised" else st.warning)(sentence)
    interval_tables(run, band, level)
    return band


def interval_tables(run: pc.TrainedRun, band: pd.DataFrame, level: float) -> None:
    """Coverage, width and Winkler score of this drive overall and per forecast step, and (a
    campaign run) the stored 90 % figures of every test drive."""
    with st.expander(_("Interval metrics per forecast step and per drive")):
        table = pc.interval_table(band, level)
        st.dataframe(table[table["scope"] != "drive"], hide_index=True, width="stretch",
                     key="interval_table")
        by_drive = run.intervals.get("by_drive", {})
        if len(by_drive) > 1:
            st.caption(_("Every test drive, {level:.0%} interval (stored with the run):",
                         level=run.intervals["level"]))
            st.dataframe(pd.DataFrame([{"drive": d, **v} for d, v in by_drive.items()]),
                         hide_index=True, width="stretch", key="interval_drives")


def warning_settings(run: pc.TrainedRun, pred: pd.DataFrame, ds: pc.Dataset) -> tuple:
    """Threshold (starts at the 90th percentile of the actual values of each new drive or
    target), lead time in forecast steps, alarm probability."""
    context = (ui.fingerprint(ds), run.target)
    thr = K.res_threshold.get()
    if K.res_threshold_for.get() != context or thr is None or not np.isfinite(thr):
        actual = pred["actual"].to_numpy(dtype=float)
        K.res_threshold.set(float(np.round(np.nanpercentile(actual, 90), 3)))
        K.res_threshold_for.set(context)
    S, h = run.window.steps, run.window.horizon
    if not isinstance(K.res_lead.get(), int) or not 1 <= K.res_lead.get() <= S:
        K.res_lead.set(S)
    if not isinstance(K.res_alarm_p.get(), float):
        K.res_alarm_p.set(0.5)
    c1, c2, c3 = st.columns(3)
    thr = c1.number_input(_("Warn when {target} exceeds ({unit})", target=run.target,
                            unit=run.target_unit or _("target unit")),
                          key=K.res_threshold, format="%.3f")
    if S > 1:
        lead = c2.slider(_("Lead time (forecast steps)"), 1, S, key=K.res_lead,
                         help=_("Warn when the target may pass the threshold within this many "
                                "forecast steps (step k forecasts t+{h}+k−1).", h=h))
    else:
        lead = 1
        c2.caption(_("Lead time: this run forecasts one step, {h} sampling step(s) ahead; train "
                     "with more forecast steps for a longer lead.", h=h))
    p = c3.slider(_("Alarm probability"), 0.05, 0.95, step=0.05, key=K.res_alarm_p,
                  help=_("Raise the alarm when the probability that the target passes the "
                         "threshold within the lead time reaches this value."))
    return thr, lead, p


def warning(run: pc.TrainedRun, pred: pd.DataFrame, ds: pc.Dataset) -> None:
    """The early warning "the target passes the threshold within the lead time with probability
    ≥ p" on the test span: hits, misses, false alarms and the mean warning time (per drive for
    a campaign run) and the trade-off of hit rate against false alarms as p moves."""
    thr, lead, p = warning_settings(run, pred, ds)
    data, test = ds, pred
    camp = ui.campaign()
    if ui.on_campaign(run):                                 # every drive of the campaign
        data = camp
        test = ui.memo(("test_all", run.key, ui.fingerprint(camp)),
                       lambda: run.predict(camp, part="test"))
    try:
        w = ui.memo(("warning", run.key, ui.fingerprint(data), thr, lead, p),
                    lambda: pc.early_warning(run, data, thr, lead, p, predictions=test))
        curve = ui.memo(("tradeoff", run.key, ui.fingerprint(data), thr, lead), w.tradeoff)
    except pc.DataError as exc:
        st.info(str(exc))
        return
    tot = w.total
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(_("Hits"), tot["hits"],
              help=_("crossings of the threshold warned within the lead time"))
    k2.metric(_("Misses"), tot["misses"], help=_("crossings without a warning in time"))
    k3.metric(_("False alarms"), tot["false_alarms"],
              help=_("alarms with no crossing in the lead time"))
    k4.metric(_("Mean warning time"), f"{tot['mean_warning_s']:.1f} s"
              if np.isfinite(tot["mean_warning_s"]) else "—",
              help=_("seconds from the first alarm to the crossing, over the hits"))
    if len(w.scores) > 1 or "drive" in test:
        st.dataframe(w.scores.rename(columns={"false_alarms": "false alarms", "hit_rate":
                                              "hit rate", "mean_warning_s": "mean warning s"}),
                     hide_index=True, width="stretch", key="warn_table")
    st.plotly_chart(plots.tradeoff_figure(curve, p), width="stretch", key="tradeoff_fig")
    st.caption(_("{n} crossing(s) of {thr:.3g} {unit} on the test span; the warning looks "
                 "{lead:g} s ahead. Each point of the curve is one alarm probability: a lower "
                 "one warns of more crossings and raises more false alarms. The probability "
                 "comes from the run's validation errors (all forecast steps together).",
                 n=tot["crossings"], thr=thr, unit=run.target_unit, lead=w.lead_s))
