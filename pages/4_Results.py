"""Results: predictions vs actual, leaderboard, residuals; a chosen prediction next to its feature-
and temporal-attention heatmaps; group importance; lab → road; high-emission early warning.

Each section is a function of what it shows (the run, the drive, the predictions); ``main`` at
the bottom calls them in page order. The numbers come from ``palstm_core``."""
import numpy as np
import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import N_, _, tr
from pages import _shared as ui
from pages._shared import drive_check_ui, forecast_ui
from pages._shared import uncertainty_ui as IV   # the band, coverage and warning (issue 23)

K = ui.keys.Results
EX = ui.explore_ui           # what-if, sensitivity, report, link (issue 24)
NOT_SCORED = N_("not scored yet")
METRIC_FORMAT = {c: st.column_config.NumberColumn(format="%.3g")
                 for c in ("RMSE", "MAE", "MAPE %", "R²")}
MAP_CAPTIONS = {                    # msgids, shown with tr()
    "relevance": N_("Brighter = a larger share of the window's weight (cells sum to 1): γ_g·β^g_t·α^k_t "
                 "for PA-LSTM, β·α for DA-RNN. Bottom: temporal attention β."),
    "feature": N_("Feature attention α: at each step the weights sum to 1 *within each sensor group*, "
               "so it is not a which-sensor-when map (it barely changes along the window); "
               "relevance is."),
    "integrated_gradients": N_("Integrated gradients (Captum, 50 steps) from the training mean: red "
                            "pushed this prediction up, blue down (scaled target units)."),
    "occlusion": N_("Occlusion (Captum): how much this prediction changes when one cell is set to its "
                 "training mean; red = the prediction drops without it."),
}


# ---------------------------------------------------------------------------- runs
def pick_runs(usable: dict[str, pc.TrainedRun], ds: pc.Dataset) -> tuple[str, list[str]]:
    """The run to explain and the runs to compare (a request from Train or the demo first)."""
    keys = list(usable)
    show = ui.keys.Runs.show.pop()
    if show:
        K.res_main.set(show["main"])
        K.res_compare.set(show["compare"])
        if show["focus"]:
            K.res_focus.set(show["focus"])
    if K.res_main.get() not in keys:
        selected = ui.keys.Runs.selected_run.get()
        K.res_main.set(selected if selected in keys else keys[-1])
    K.res_compare.set([k for k in K.res_compare.get([]) if k in keys] or [K.res_main.get()])

    def run_label(key: str) -> str:
        r = usable[key]
        if r.data_fingerprint == ds.fingerprint():
            return _("{model} (hidden {hidden}, lookback {lookback}) · {key}",
                     model=r.config.model, hidden=r.config.hidden_size,
                     lookback=r.window.lookback, key=key[:6])
        return _("{model} (hidden {hidden}, lookback {lookback}, trained on {data}) · {key}",
                 model=r.config.model, hidden=r.config.hidden_size, lookback=r.window.lookback,
                 data=r.data_name, key=key[:6])

    c1, c2 = st.columns(2)
    main_key = c1.selectbox(_("Run to explain"), keys, key=K.res_main,
                             format_func=ui.fmt(run_label))
    compare = c2.multiselect(_("Runs to compare in the plots"), keys, key=K.res_compare,
                             format_func=ui.fmt(run_label))
    return main_key, compare if main_key in compare else [main_key, *compare]


# ---------------------------------------------------------------------------- campaign
def campaign_section(run: pc.TrainedRun, ds: pc.Dataset) -> pc.Dataset:
    """A run trained on the session's campaign: metrics of every scored drive (table + bar
    chart from ``run.metrics_by_drive``) and a drive selector; returns the chosen drive, which
    the rest of the page (predictions, heatmaps, early warning) shows. Else ``ds``."""
    camp = ui.campaign()
    if not ui.on_campaign(run):
        return ds
    by_drive = {d: m for d, m in run.metrics_by_drive.items() if d in camp}
    if not by_drive:
        st.warning(_("No drive of this campaign was scored (see the training report)."))
        return ds
    st.subheader(_("Metrics per drive"))
    held = run.window.test_drives
    st.caption((_("Each test drive was held out whole: the model never saw it while training.")
                if held else _("The last {share:.0%} of every drive, which the model never saw "
                               "while training.", share=run.window.split[2])) + " "
               + _("Overall: RMSE {rmse:.3g}, R² {r2:.3f} ({unit}).", rmse=run.metrics["rmse"],
                   r2=run.metrics["r2"], unit=run.target_unit or _("target unit")))
    if K.res_drive.get() not in by_drive:
        K.res_drive.set(next(iter(by_drive)))
    drive = st.selectbox(_("Drive to look at"), list(by_drive), key=K.res_drive,
                         help=_("Predictions, attention heatmaps and the early warning below are "
                              "for this drive."))
    dtable = plots.drive_metrics_table(by_drive)
    st.dataframe(dtable, hide_index=True, width="stretch",
                 column_config=ui.headers(dtable, METRIC_FORMAT))
    st.plotly_chart(plots.drive_metrics_figure(by_drive, run.target_unit, selected=drive),
                    width="stretch", key="drive_metrics_fig")
    for line in run.report:
        st.caption(tr(line))
    return camp[drive]


# ---------------------------------------------------------------------------- trip results
TRIP_NAMES = {"drive": N_("drive"), "bin": N_("speed bin"), "distance_km": N_("distance [km]"),
              "measured_g": N_("measured [g]"), "predicted_g": N_("predicted [g]"),
              "measured_g_per_km": N_("measured [g/km]"),
              "predicted_g_per_km": N_("predicted [g/km]"), "error_pct": N_("error [%]")}
BINS = {"all": N_("all"), "urban": N_("urban"), "rural": N_("rural"), "motorway": N_("motorway")}


def trip_section(run: pc.TrainedRun, ds: pc.Dataset) -> None:
    """Measured vs predicted grams per drive, per km, overall and per RDE speed bin, on the
    test rows (``pc.trip_results``)."""
    st.subheader(_("Trip results: grams per trip and per km"))
    data = ui.campaign() if ui.on_campaign(run) else ds
    res = ui.trip_results(run, data, "test")
    if isinstance(res, str):
        st.info(tr(res, quiet=True))
        return
    st.caption(_("{target} summed over the test rows of each drive, measured vs predicted; speed "
                 "bins as in the RDE rules (urban ≤ 60 km/h, rural 60–90, motorway > 90). Error "
                 "= (predicted − measured) / measured.", target=run.target))
    names = {k: tr(v) for k, v in TRIP_NAMES.items()}
    shown = res.assign(bin=res["bin"].map(lambda b: tr(BINS.get(b, b)))).rename(columns=names)
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={v: st.column_config.NumberColumn(format="%.4g")
                                for k, v in names.items() if k not in ("drive", "bin")})
    for line in res.attrs.get("report", []):
        st.caption(tr(line, quiet=True))


# ---------------------------------------------------------------------------- leaderboard
def faith_cell(run: pc.TrainedRun, ds: pc.Dataset, name: str) -> str:
    """'1.37 vs 1.02 random' from a memoised deletion curve, or why there is none."""
    if name not in pc.explain.available_maps(run):
        return "–"
    c = ui.deletion(run, ds, name, compute=False)
    if c is None:
        return NOT_SCORED
    return tr(c) if isinstance(c, str) else _("{area:.2f} vs {random:.2f} random", area=c.area,
                                              random=c.area_random)


def leaderboard_section(run: pc.TrainedRun, ds: pc.Dataset, usable: dict[str, pc.TrainedRun],
                        preds: dict[str, pd.DataFrame]) -> None:
    """The cached runs of this drive and target (``pc.leaderboard_table``), else the compared
    runs scored on its test span (``pc.score_runs``); the faithfulness cells scored so far."""
    st.subheader(_("Leaderboard (test span of this data)"))
    board = pc.leaderboard_table(ui.cache().list(), ds.fingerprint(), run.target)
    if len(board):
        st.dataframe(board, hide_index=True, width="stretch",
                     column_config=ui.headers(board, METRIC_FORMAT))
    else:                           # runs trained on other data: score them on this test span
        scores = pc.score_runs({k: usable[k] for k in preds}, ds, predictions=preds)
        st.dataframe(scores, hide_index=True, width="stretch", column_config=ui.headers(scores))
    scored = pd.DataFrame([{"model": r.config.model, "key": k[:6],
                            **{f"deletion area: {pc.explain.SHORT[n]}": faith_cell(r, ds, n)
                               for n in ("relevance", "integrated_gradients")}}
                           for k, r in usable.items()])
    if (scored.iloc[:, 2:] != NOT_SCORED).any(axis=None):
        st.dataframe(scored, hide_index=True, width="stretch", key="faith_table",
                 column_config=ui.headers(scored))
        st.caption(_("Faithfulness: deletion-curve area of the map vs a random order on the test "
                   "span (larger than random = the map points at inputs the model uses). Score "
                   "a map below to fill in a cell."))
    if run.data_fingerprint != ds.fingerprint():
        st.info(_("This run was trained on {data_name}; here it is evaluated on the test "
                   "span of {label}.", data_name=run.data_name,
                   label=ds.label))
    unit = run.target_unit or _("the target unit")
    st.caption(_("Metrics in {unit} on the whole of this test drive, which no model saw while "
                 "training.", unit=unit) if ds.name in run.window.test_drives else
               _("Metrics in {unit} on the last {share:.0%} of the drive, which no model saw while "
                 "training.", unit=unit, share=run.window.split[2]))


# ---------------------------------------------------------------------------- time pick
def pick_time(pred: pd.DataFrame) -> tuple[np.ndarray, float]:
    """The predicted times of the test windows and their step; ``res_time`` set to a time of
    this span (the highest actual value on a "peak" request or when it is outside)."""
    times = pred["time"].to_numpy(dtype=float)
    if K.res_focus.pop() == "peak":
        peak = pc.highest_actual_time(pred)
        if peak is not None:
            K.res_time.set(float(peak))
    t = K.res_time.get()
    if not isinstance(t, float) or not times[0] <= t <= times[-1]:
        K.res_time.set(float(pc.highest_actual_time(pred) or times[len(times) // 2]))
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    return times, step


def predictions_section(preds: dict[str, pd.DataFrame], run: pc.TrainedRun,
                        ds: pc.Dataset) -> None:
    st.subheader(_("Predicted vs actual {target}", target=run.target))
    band = IV.interval_band(run, next(iter(preds.values())), ds)
    st.plotly_chart(plots.predictions_figure(preds, run.target, run.target_unit, ds.time_kind,
                                             marker_time=K.res_time.get(), band=band,
                                             band_name=_("{model}: {level:.0%} interval",
                                                         model=run.config.model,
                                                         level=K.res_level.get())),
                    width="stretch", key="pred_fig")
    with st.expander(_("Residuals")):
        st.plotly_chart(plots.residuals_figure(preds, run.target, run.target_unit, ds.time_kind),
                        width="stretch", key="resid_fig")


# ---------------------------------------------------------------------------- one window
def window_numbers(run: pc.TrainedRun, pred: pd.DataFrame, preds: dict[str, pd.DataFrame],
                   ds: pc.Dataset, i: int, step: float) -> np.ndarray:
    """Actual and predicted value of window ``i``, the predictions around it with its lookback
    shaded; returns the window's step times."""
    target, unit, t = run.target, run.target_unit, float(pred["time"].iloc[i])
    a, p = pred["actual"].iloc[i], pred["predicted"].iloc[i]
    m1, m2 = st.columns(2)
    m1.metric(_("Actual {target}", target=target), f"{a:.3g} {unit}" if np.isfinite(a) else "—")
    m2.metric(_("Predicted"), f"{p:.3g} {unit}",
              delta=f"{p - a:+.3g} {unit}" if np.isfinite(a) else None, delta_color="off")
    L, h = run.window.lookback, run.window.horizon
    span = max(3 * L, 30) * step
    near = {n: f[(f["time"] >= t - span) & (f["time"] <= t + span / 2)] for n, f in preds.items()}
    fig = plots.predictions_figure(near, target, unit, ds.time_kind, marker_time=t,
                                   range_slider=False, height=330)
    steps = pc.window_steps(ds.times, t, L, h)
    x0, x1 = plots.time_values([steps[0], steps[-1]], ds.time_kind)
    fig.add_vrect(x0=x0, x1=x1, fillcolor="rgba(128,128,128,0.18)", line_width=0,
                  annotation_text=_("lookback"), annotation_position="top left")
    st.plotly_chart(fig, width="stretch", key="near_fig")
    st.caption(_("Window {i} of {n}: the model saw the shaded {lookback} steps and predicted "
                  "{target} at the dashed line ({horizon} step(s) after the newest input).",
                  i=i + 1, n=len(pred), lookback=L, target=target, horizon=h))
    return steps


def show_map(run: pc.TrainedRun, att: pc.Attention, ds: pc.Dataset, name: str, i: int,
             steps, t: float) -> None:
    """The chosen map of window ``i`` (computed on demand and memoised for attributions)."""
    if name == "feature":
        st.plotly_chart(plots.attention_window_figure(att, i, steps, t), width="stretch",
                        key="att_fig")
        return
    with st.spinner(_("Computing {map} for this window…", map=tr(pc.explain.SHORT[name]))):
        m = ui.window_map(run, ds, name, i)
    if isinstance(m, str):
        st.error(tr(m))
        return
    x, x_title = plots.window_axis(run.window.lookback, steps, t)
    signed = name != "relevance"
    fig = plots.map_window_figure(m, run.columns, run.groups, x, x_title,
                                  ui.first_upper(tr(pc.explain.MAP_LABELS[name])),
                                  None if att.temporal is None else att.temporal[i], signed,
                                  _("share") if name == "relevance" else _("attribution"))
    st.plotly_chart(fig, width="stretch", key="att_fig")


def map_column(run: pc.TrainedRun, att: pc.Attention, ds: pc.Dataset, i: int, steps,
               t: float) -> str:
    """The map selector (a new run starts on its default map) and the map; returns its name."""
    map_names = pc.explain.available_maps(run)
    if K.res_map.get() not in map_names or K.res_map_run.get() != run.key:
        K.res_map.set(map_names[0])
    K.res_map_run.set(run.key)
    name = st.radio(_("Map"), map_names, key=K.res_map, horizontal=True,
                    format_func=ui.fmt(lambda n: tr(pc.explain.SHORT[n])),
                    help=_("relevance: the weight each input x at each step really gets on the "
                         "model's attention path (sums to 1). α: the feature attention inside "
                         "each sensor group. Integrated gradients / occlusion: attribution "
                         "(Captum), for any model."))
    if not run.model.has_feature_attention:
        st.caption(_("**{model}** has temporal attention only (no feature attention); its map "
                     "is an attribution computed for this window.", model=run.config.model)
                   if run.model.has_temporal_attention else
                   _("**{model}** has no attention; its map is an attribution computed for this "
                     "window.", model=run.config.model))
    show_map(run, att, ds, name, i, steps, t)
    st.caption(tr(MAP_CAPTIONS[name]))
    return name


def window_section(run: pc.TrainedRun, pred: pd.DataFrame, att: pc.Attention,
                   preds: dict[str, pd.DataFrame], ds: pc.Dataset, times: np.ndarray,
                   step: float) -> tuple[float, str]:
    """A moment of the test span: its numbers and its map; returns (its time, the map)."""
    st.subheader(_("One prediction and which inputs mattered"))
    if times[-1] > times[0]:
        label = {"row": _("Prediction row"),
                 "datetime": _("Prediction time (epoch seconds)")}.get(ds.time_kind) or \
            _("Prediction time [s]")
        st.slider(label, float(times[0]), float(times[-1]), step=step, key=K.res_time,
                  help=_("Pick a moment of the test span; the dashed line marks it above."))
    b1, _b2, _b3 = st.columns([1, 1, 4])
    if b1.button(_("Highest actual value"), key=K.peak_btn):
        K.res_focus.set("peak")
        st.rerun()
    i = int(np.argmin(np.abs(times - K.res_time.get())))
    left, right = st.columns([2, 3])
    with left:
        steps = window_numbers(run, pred, preds, ds, i, step)
    with right:
        name = map_column(run, att, ds, i, steps, float(times[i]))
    return float(times[i]), name


# ---------------------------------------------------------------------------- side by side
def window_of(run: pc.TrainedRun, ds: pc.Dataset, t: float) -> tuple[int, np.ndarray]:
    """Row of ``run``'s test windows that predicts time ``t`` and its step times."""
    pred1 = forecast_ui.first_step(ui.predict_and_explain(run, ds, "test")[0])
    tk = pred1["time"].to_numpy(dtype=float)
    j = int(np.argmin(np.abs(tk - t)))
    return j, pc.window_steps(ds.times, float(tk[j]), run.window.lookback, run.window.horizon)


def pair_section(usable: dict[str, pc.TrainedRun], main_key: str, ds: pc.Dataset,
                 t: float) -> None:
    """Two (run, map) choices for the window at time ``t`` on one colour scale + agreement."""
    st.subheader(_("Two maps of the same window, side by side"))

    def pair_label(option: str) -> str:
        key, name = option.split("|")
        return f"{usable[key].config.model} · {key[:6]} — {tr(pc.explain.SHORT[name])}"

    options = [f"{k}|{n}" for k in usable for n in pc.explain.available_maps(usable[k])]
    main_opts = [o for o in options if o.startswith(main_key)]
    if K.pair_a.get() not in options:
        K.pair_a.set(main_opts[0])
    if K.pair_b.get() not in options:
        others = [o for o in options if not o.startswith(main_key)]
        ig = [o for o in main_opts[1:] if o.endswith("integrated_gradients")]
        K.pair_b.set((others or ig or main_opts)[0])
    c1, c2 = st.columns(2)
    picks = [c1.selectbox(_("Left"), options, key=K.pair_a, format_func=ui.fmt(pair_label)),
             c2.selectbox(_("Right"), options, key=K.pair_b, format_func=ui.fmt(pair_label))]
    got, xs = [], []
    with st.spinner(_("Computing both maps for this window…")):
        for o in picks:
            key, name = o.split("|")
            j, steps_k = window_of(usable[key], ds, t)
            got.append(ui.window_map(usable[key], ds, name, j))
            xs.append(plots.window_axis(usable[key].window.lookback, steps_k, t)[0])
    bad = [g for g in got if isinstance(g, str)]
    if bad:
        st.error(tr(bad[0]))
        return
    runs_ = [usable[o.split("|")[0]] for o in picks]
    fig = plots.map_pair_figure([pc.explain.shares(g) for g in got], [pair_label(o) for o in picks],
                                runs_[0].columns, runs_[0].groups, xs,
                                _("seconds before the predicted time"))
    st.plotly_chart(fig, width="stretch", key="pair_fig")
    st.caption(_("Both maps as shares of their window's total |value| (each sums to 1), on one "
               "colour scale."))
    if got[0].shape != got[1].shape or runs_[0].columns != runs_[1].columns:
        st.info(_("The two runs see different inputs or lookbacks, so their cells cannot be "
                "ranked against each other."))
        return
    agr = pc.explain.agreement(got[0], got[1], runs_[0].columns, pair_label(picks[0]),
                               pair_label(picks[1]))
    st.metric(_("Agreement (Spearman ρ of the cells)"),
              f"{agr.rho:.2f}" if np.isfinite(agr.rho) else "—")
    (st.warning if np.isfinite(agr.rho) and agr.rho < pc.explain.DISAGREE else st.write)(
        tr(agr.sentence))


# ---------------------------------------------------------------------------- deletion score
def deletion_section(run: pc.TrainedRun, ds: pc.Dataset, name: str) -> None:
    """Deletion curve of map ``name`` over the test span, on a button (memoised)."""
    st.subheader(_("Is the {map} map faithful? Deletion curve over the test span",
                    map=tr(pc.explain.SHORT[name])))
    curve = ui.deletion(run, ds, name, compute=False)
    if curve is None:
        st.caption(_("Removes the top 0…100 % input cells of every test window (replaced by the "
                   "training mean) and compares the error with a random order. Takes a few "
                   "seconds (9–15 s for PA-LSTM on the urban test span on 2 CPU cores)."))
        if not st.button(_("Score this map (deletion curve)"), key=K.score_btn):
            return
        with st.spinner(_("Deletion curve of the {map} map over the test span…",
                           map=tr(pc.explain.SHORT[name]))):
            curve = ui.deletion(run, ds, name)
        st.rerun()                                  # the leaderboard's faithfulness cell too
    if isinstance(curve, str):
        st.error(_("Could not score this map: {error}", error=tr(curve)))
        return
    st.write(tr(curve.summary))
    st.plotly_chart(plots.deletion_curve_figure(curve, run.target_unit), width="stretch",
                    key="deletion_fig")
    st.caption(_("Area under the curve (error ÷ intact error, 1 = removing never hurts): "
                  "**{area:.3f}** for the map vs **{area_random:.3f}** for {n_random} "
                  "random orders, on {n_windows} test windows ({seconds:.1f} s).",
                  area=curve.area, area_random=curve.area_random, n_random=curve.n_random,
                  n_windows=curve.n_windows, seconds=curve.seconds))


# ---------------------------------------------------------------------------- relevance vs IG
def relevance_vs_ig_section(run: pc.TrainedRun, ds: pc.Dataset) -> None:
    """The relevance map against integrated gradients over the test span, on a button
    (memoised): Spearman ρ, shared top cells, which map the deletion check trusts."""
    if "relevance" not in pc.explain.available_maps(run):
        return
    st.subheader(_("Relevance checked against integrated gradients (whole test span)"))
    ra = ui.relevance_agreement(run, ds, compute=False)
    if ra is None:
        if not st.button(_("Compare relevance with integrated gradients"), key=K.agree_btn):
            return
        with st.spinner(_("Integrated gradients and two deletion curves over the test span…")):
            ra = ui.relevance_agreement(run, ds)
    a1, a2, a3 = st.columns(3)
    a1.metric(_("Spearman ρ (mean maps)"), f"{ra.spearman:.2f}")
    a2.metric(_("Top-{k} cells shared", k=ra.k),
              _("{shared} of {k}", shared=round(ra.top_overlap * ra.k), k=ra.k))
    trust = {"relevance": _("relevance"), "integrated_gradients": _("integrated gradients")}
    a3.metric(_("Trust (deletion decides)"), trust.get(ra.trust, _("neither")))
    (st.warning if ra.inseparable or ra.spearman < 0.7 else st.write)(ra.summary)


# ---------------------------------------------------------------------------- importance
def importance_section(run: pc.TrainedRun, att: pc.Attention) -> None:
    st.subheader(_("Which sensor groups matter (whole test span)"))
    imp = plots.importance_figure(att)
    if imp is None:
        st.info(_("{model} has no feature or group attention to aggregate.",
                   model=run.config.model))
        return
    st.plotly_chart(imp, width="stretch", key="imp_fig")
    if att.group is None:
        st.caption(_("{model} has no sensor-group weights (only PA-LSTM has them).",
                      model=run.config.model))


# ---------------------------------------------------------------------------- early warning
def warning_section(run: pc.TrainedRun, pred: pd.DataFrame, ds: pc.Dataset) -> None:
    """The early warning with a lead time and an alarm probability on the test span: hits,
    misses, false alarms, mean warning time (per drive) and the trade-off curve."""
    st.subheader(_("High-emission early warning"))
    IV.warning(run, pred, ds)


# ---------------------------------------------------------------------------- the page
def main() -> None:
    ui.page_setup(N_("Results"), "📈")
    ui.start_page(K)
    st.title(_("4 · Results"))
    ui.step_indicator("results")
    EX.restore_link()                          # a link's data, run, window and map, once
    EX.link_notes()
    ds = ui.need_data()
    ui.data_badge(ds)
    ui.adopt_cached_runs()                     # the cache's runs of this data
    usable = ui.need_runs(ds, _("No trained run for this data yet. Train one (or open a cached "
                                "run) first."))
    main_key, compare = pick_runs(usable, ds)
    run = usable[main_key]
    drive = campaign_section(run, ds)          # a campaign run: the chosen drive, else ds
    try:
        results = {k: ui.predict_and_explain(usable[k], drive, "test") for k in compare}
    except pc.DataError as exc:
        st.error(tr(str(exc)))
        st.stop()
    results, long = forecast_ui.one_row_per_window(results)    # step 1 of multi-step runs
    pred, att = results[main_key]
    if len(pred) == 0:
        st.error(_("The test span of this drive has no complete window; use a longer drive."))
        st.stop()
    preds = {f"{usable[k].config.model} · {k[:6]}": results[k][0] for k in compare}
    leaderboard_section(run, drive, usable, long)
    trip_section(run, ds)
    forecast_ui.step_one_note(run)
    times, step = pick_time(pred)
    predictions_section(preds, run, drive)
    t, map_name = window_section(run, pred, att, preds, drive, times, step)
    forecast_ui.forecast_sections(run, long, usable, drive, t)
    EX.whatif_section(usable, compare, run, drive, t, map_name)
    pair_section(usable, main_key, drive, t)
    deletion_section(run, drive, map_name)
    relevance_vs_ig_section(run, drive)
    importance_section(run, att)
    EX.sensitivity_section(run, drive, t)
    warning_section(run, long[main_key], drive)    # every step: the lead time picks one
    drive_check_ui.lab_to_road_section(run, drive)
    EX.report_section(run, drive, t, [usable[k] for k in compare])
    EX.link_section(run, drive, t, map_name, compare)
    st.page_link(ui.PAGE["downloads"], label=_("Download predictions, attention and the model"),
                 icon=":material/download:")


main()
