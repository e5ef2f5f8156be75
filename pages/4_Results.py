"""Results: predictions vs actual, leaderboard, residuals; a chosen prediction next to its feature-
and temporal-attention heatmaps; group importance; lab → road; high-emission early warning."""
import numpy as np
import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from palstm_core.explain import maps
from palstm_core.metrics import exceedance_counts, highest_actual_time
from palstm_core.windows import window_steps
from pages import _shared as ui

st.set_page_config(page_title="Results · PA-LSTM Explorer", page_icon="📈", layout="wide")
st.title("4 · Results")
ui.step_indicator("results")
ss = st.session_state
ds = ui.need_data()
ui.data_badge(ds)

usable = ui.need_runs(ds, "No trained run for this data yet. Train one (or open a cached run) first.")


def run_label(key: str) -> str:
    r = usable[key]
    extra = "" if r.data_fingerprint == ds.fingerprint() else f", trained on {r.data_name}"
    return (f"{r.config.model} (hidden {r.config.hidden_size}, lookback {r.window.lookback}"
            f"{extra}) · {key[:6]}")


MAP_CAPTIONS = {
    "relevance": "Brighter = a larger share of the window's weight (cells sum to 1): γ_g·β^g_t·α^k_t "
                 "for PA-LSTM, β·α for DA-RNN. Bottom: temporal attention β.",
    "feature": "Feature attention α: at each step the weights sum to 1 *within each sensor group*, "
               "so it is not a which-sensor-when map (it barely changes along the window); "
               "relevance is.",
    "integrated_gradients": "Integrated gradients (Captum, 50 steps) from the training mean: red "
                            "pushed this prediction up, blue down (scaled target units).",
    "occlusion": "Occlusion (Captum): how much this prediction changes when one cell is set to its "
                 "training mean; red = the prediction drops without it.",
}


def faith_cell(key: str, name: str) -> str:
    """'1.37 vs 1.02 random' from a memoised deletion curve, or why there is none."""
    if name not in maps.available_maps(usable[key]):
        return "–"
    c = ui.deletion(usable[key], ds, name, compute=False)
    if c is None:
        return "not scored yet"
    return c if isinstance(c, str) else f"{c.area:.2f} vs {c.area_random:.2f} random"


def window_of(key: str, t: float) -> tuple[int, np.ndarray]:
    """Row of run ``key``'s test windows that predicts time ``t`` and its step times."""
    r = usable[key]
    tk = ui.predict_and_explain(r, ds, "test")[0]["time"].to_numpy(dtype=float)
    j = int(np.argmin(np.abs(tk - t)))
    return j, window_steps(ds.times, float(tk[j]), r.window.lookback, r.window.horizon)


def show_map(r, att, name: str, i: int, steps, t: float) -> None:
    """The chosen map of window ``i`` (computed on demand and memoised for attributions)."""
    if name == "feature":
        st.plotly_chart(plots.attention_window_figure(att, i, steps, t), width="stretch",
                        key="att_fig")
        return
    with st.spinner(f"Computing {maps.SHORT[name]} for this window…"):
        m = ui.window_map(r, ds, name, i)
    if isinstance(m, str):
        st.error(m)
        return
    x, x_title = plots.window_axis(r.window.lookback, steps, t)
    signed = name != "relevance"
    fig = plots.map_window_figure(m, r.columns, r.groups, x, x_title,
                                  maps.MAP_LABELS[name].capitalize(),
                                  None if att.temporal is None else att.temporal[i], signed,
                                  "share" if name == "relevance" else "attribution")
    st.plotly_chart(fig, width="stretch", key="att_fig")


def pair_label(option: str) -> str:
    key, name = option.split("|")
    return f"{usable[key].config.model} · {key[:6]} — {maps.SHORT[name]}"


def show_pair(t: float) -> None:
    """Two (run, map) choices for the window at time ``t`` on one colour scale + agreement."""
    options = [f"{k}|{n}" for k in usable for n in maps.available_maps(usable[k])]
    main_opts = [o for o in options if o.startswith(main_key)]
    if ss.get("pair_a") not in options:
        ss["pair_a"] = main_opts[0]
    if ss.get("pair_b") not in options:
        others = [o for o in options if not o.startswith(main_key)]
        ig = [o for o in main_opts[1:] if o.endswith("integrated_gradients")]
        ss["pair_b"] = (others or ig or main_opts)[0]
    c1, c2 = st.columns(2)
    picks = [c1.selectbox("Left", options, key="pair_a", format_func=pair_label),
             c2.selectbox("Right", options, key="pair_b", format_func=pair_label)]
    got, xs = [], []
    with st.spinner("Computing both maps for this window…"):
        for o in picks:
            key, name = o.split("|")
            j, steps_k = window_of(key, t)
            got.append(ui.window_map(usable[key], ds, name, j))
            xs.append(plots.window_axis(usable[key].window.lookback, steps_k, t)[0])
    bad = [g for g in got if isinstance(g, str)]
    if bad:
        st.error(bad[0])
        return
    runs_ = [usable[o.split("|")[0]] for o in picks]
    fig = plots.map_pair_figure([maps.shares(g) for g in got], [pair_label(o) for o in picks],
                                runs_[0].columns, runs_[0].groups, xs,
                                "seconds before the predicted time")
    st.plotly_chart(fig, width="stretch", key="pair_fig")
    st.caption("Both maps as shares of their window's total |value| (each sums to 1), on one "
               "colour scale.")
    if got[0].shape != got[1].shape or runs_[0].columns != runs_[1].columns:
        st.info("The two runs see different inputs or lookbacks, so their cells cannot be "
                "ranked against each other.")
        return
    agr = maps.agreement(got[0], got[1], runs_[0].columns, pair_label(picks[0]),
                         pair_label(picks[1]))
    st.metric("Agreement (Spearman ρ of the cells)",
              f"{agr.rho:.2f}" if np.isfinite(agr.rho) else "—")
    (st.warning if np.isfinite(agr.rho) and agr.rho < maps.DISAGREE else st.write)(agr.sentence)


def show_deletion(r, name: str) -> None:
    """Deletion curve of map ``name`` over the test span, on a button (memoised)."""
    curve = ui.deletion(r, ds, name, compute=False)
    if curve is None:
        st.caption("Removes the top 0…100 % input cells of every test window (replaced by the "
                   "training mean) and compares the error with a random order. Takes a few "
                   "seconds (9–15 s for PA-LSTM on the urban test span on 2 CPU cores).")
        if not st.button("Score this map (deletion curve)", key="score_btn"):
            return
        with st.spinner(f"Deletion curve of the {maps.SHORT[name]} map over the test span…"):
            curve = ui.deletion(r, ds, name)
        st.rerun()                                  # the leaderboard's faithfulness cell too
    if isinstance(curve, str):
        st.error(f"Could not score this map: {curve}")
        return
    st.write(curve.summary)
    st.plotly_chart(plots.deletion_curve_figure(curve, r.target_unit), width="stretch",
                    key="deletion_fig")
    st.caption(f"Area under the curve (error ÷ intact error, 1 = removing never hurts): "
               f"**{curve.area:.3f}** for the map vs **{curve.area_random:.3f}** for "
               f"{curve.n_random} random orders, on {curve.n_windows} test windows "
               f"({curve.seconds:.1f} s).")


keys = list(usable)
if ss.get("res_main") not in keys:
    ss["res_main"] = ss.get("selected_run") if ss.get("selected_run") in keys else keys[-1]
ss["res_compare"] = [k for k in ss.get("res_compare", []) if k in keys] or [ss["res_main"]]
c1, c2 = st.columns(2)
main_key = c1.selectbox("Run to explain", keys, key="res_main", format_func=run_label)
compare = c2.multiselect("Runs to compare in the plots", keys, key="res_compare",
                         format_func=run_label)
if main_key not in compare:
    compare = [main_key, *compare]
run = usable[main_key]
unit = run.target_unit
target = run.target


# ---------------------------------------------------------------------------- campaign
def _campaign_section(run: pc.TrainedRun, ds: pc.Dataset) -> pc.Dataset:
    """A run trained on the session's campaign: metrics of every scored drive (table + bar
    chart from ``run.metrics_by_drive``) and a drive selector; returns the chosen drive, which
    the rest of the page (predictions, heatmaps, early warning) shows. Else ``ds``."""
    camp = ui.campaign()
    if not ui.on_campaign(run):
        return ds
    by_drive = {d: m for d, m in run.metrics_by_drive.items() if d in camp}
    if not by_drive:
        st.warning("No drive of this campaign was scored (see the training report).")
        return ds
    st.subheader("Metrics per drive")
    held = run.window.test_drives
    st.caption(("Each test drive was held out whole: the model never saw it while training. "
                if held else f"The last {run.window.split[2]:.0%} of every drive, which the model "
                "never saw while training. ") + f"Overall: RMSE {run.metrics['rmse']:.3g}, "
               f"R² {run.metrics['r2']:.3f} ({unit or 'target unit'}).")
    if ss.get("res_drive") not in by_drive:
        ss["res_drive"] = next(iter(by_drive))
    drive = st.selectbox("Drive to look at", list(by_drive), key="res_drive",
                         help="Predictions, attention heatmaps and the early warning below are "
                              "for this drive.")
    st.dataframe(plots.drive_metrics_table(by_drive), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ("RMSE", "MAE", "MAPE %", "R²")})
    st.plotly_chart(plots.drive_metrics_figure(by_drive, unit, selected=drive),
                    width="stretch", key="drive_metrics_fig")
    for line in run.report:
        st.caption(line)
    return camp[drive]


ds = _campaign_section(run, ds)

try:
    results = {k: ui.predict_and_explain(usable[k], ds, "test") for k in compare}
except pc.DataError as exc:
    st.error(str(exc))
    st.stop()
pred, att = results[main_key]
if len(pred) == 0:
    st.error("The test span of this drive has no complete window; use a longer drive.")
    st.stop()
names = {k: f"{usable[k].config.model} · {k[:6]}" for k in compare}
preds = {names[k]: results[k][0] for k in compare}

# ---------------------------------------------------------------------------- leaderboard
st.subheader("Leaderboard (test span of this data)")
board = [r for r in ui.cache().list()
         if r["data_fingerprint"] == ds.fingerprint() and r["target"] == target]
if board:
    lb = pd.DataFrame([{"model": r["model"], "RMSE": r["rmse"], "MAE": r["mae"],
                        "MAPE %": r["mape"], "R²": r["r2"], "created (UTC)": r["created"],
                        "key": r["key"]} for r in board]).sort_values("RMSE")
    st.dataframe(lb, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ("RMSE", "MAE", "MAPE %", "R²")})
else:                               # runs trained on other data: score them on this test span
    lb = pd.DataFrame([{"model": usable[k].config.model, "trained on": usable[k].data_name,
                        **pc.regression_metrics(f["actual"], f["predicted"]), "key": k}
                       for k, (f, _) in results.items()])
    st.dataframe(lb, hide_index=True, width="stretch")
scored = pd.DataFrame([{"model": usable[k].config.model, "key": k[:6],
                        **{f"deletion area: {maps.SHORT[n]}": faith_cell(k, n)
                           for n in ("relevance", "integrated_gradients")}}
                       for k in usable])
if (scored.iloc[:, 2:] != "not scored yet").any(axis=None):
    st.dataframe(scored, hide_index=True, width="stretch", key="faith_table")
    st.caption("Faithfulness: deletion-curve area of the map vs a random order on the test span "
               "(larger than random = the map points at inputs the model uses). Score a map "
               "below to fill in a cell.")
if run.data_fingerprint != ds.fingerprint():
    st.info(f"This run was trained on {run.data_name}; here it is evaluated on the test span of "
            f"{ds.label}.")
st.caption(f"Metrics in {unit or 'the target unit'} on "
           + ("the whole of this test drive" if ds.name in run.window.test_drives else
              f"the last {run.window.split[2]:.0%} of the drive") + ", which no model saw while "
           "training.")

# ---------------------------------------------------------------------------- time pick
times = pred["time"].to_numpy(dtype=float)
focus = ss.pop("res_focus", None)
if focus == "peak":
    peak = highest_actual_time(pred)
    if peak is not None:
        ss["res_time"] = float(peak)
if not isinstance(ss.get("res_time"), float) or not times[0] <= ss["res_time"] <= times[-1]:
    ss["res_time"] = float(highest_actual_time(pred) or times[len(times) // 2])
step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0

# ---------------------------------------------------------------------------- predictions
st.subheader(f"Predicted vs actual {target}")
st.plotly_chart(plots.predictions_figure(preds, target, unit, ds.time_kind,
                                         marker_time=ss["res_time"]),
                width="stretch", key="pred_fig")
with st.expander("Residuals"):
    st.plotly_chart(plots.residuals_figure(preds, target, unit, ds.time_kind), width="stretch",
                    key="resid_fig")

# ---------------------------------------------------------------------------- attention
st.subheader("One prediction and which inputs mattered")
if times[-1] > times[0]:
    label = {"row": "Prediction row", "datetime": "Prediction time (epoch seconds)"}.get(
        ds.time_kind, "Prediction time [s]")
    st.slider(label, float(times[0]),
              float(times[-1]), step=step, key="res_time",
              help="Pick a moment of the test span; the dashed line marks it above.")
b1, b2, _ = st.columns([1, 1, 4])
if b1.button("Highest actual value", key="peak_btn"):
    ss["res_focus"] = "peak"
    st.rerun()
i = int(np.argmin(np.abs(times - ss["res_time"])))
t = float(times[i])
left, right = st.columns([2, 3])
with left:
    a, p = pred["actual"].iloc[i], pred["predicted"].iloc[i]
    m1, m2 = st.columns(2)
    m1.metric(f"Actual {target}", f"{a:.3g} {unit}" if np.isfinite(a) else "—")
    m2.metric("Predicted", f"{p:.3g} {unit}",
              delta=f"{p - a:+.3g} {unit}" if np.isfinite(a) else None, delta_color="off")
    L, h = run.window.lookback, run.window.horizon
    span = max(3 * L, 30) * step
    near = {n: f[(f["time"] >= t - span) & (f["time"] <= t + span / 2)] for n, f in preds.items()}
    fig = plots.predictions_figure(near, target, unit, ds.time_kind, marker_time=t,
                                   range_slider=False, height=330)
    steps = window_steps(ds.times, t, L, h)
    x0, x1 = plots.time_values([steps[0], steps[-1]], ds.time_kind)
    fig.add_vrect(x0=x0, x1=x1, fillcolor="rgba(128,128,128,0.18)", line_width=0,
                  annotation_text="lookback", annotation_position="top left")
    st.plotly_chart(fig, width="stretch", key="near_fig")
    st.caption(f"Window {i + 1} of {len(pred)}: the model saw the shaded {L} steps and predicted "
               f"{target} at the dashed line ({h} step(s) after the newest input).")
with right:
    map_names = maps.available_maps(run)
    if ss.get("res_map") not in map_names or ss.get("res_map_run") != main_key:
        ss["res_map"] = map_names[0]                # a new run starts on its default map
    ss["res_map_run"] = main_key
    map_name = st.radio("Map", map_names, key="res_map", horizontal=True,
                        format_func=maps.SHORT.get,
                        help="relevance: the weight each input x at each step really gets on the "
                             "model's attention path (sums to 1). α: the feature attention inside "
                             "each sensor group. Integrated gradients / occlusion: attribution "
                             "(Captum), for any model.")
    if not run.model.has_feature_attention:
        what = ("has temporal attention only (no feature attention)"
                if run.model.has_temporal_attention else "has no attention")
        st.caption(f"**{run.config.model}** {what}; its map is an attribution computed for "
                   "this window.")
    show_map(run, att, map_name, i, steps, t)
    st.caption(MAP_CAPTIONS[map_name])

# ---------------------------------------------------------------------------- side by side
st.subheader("Two maps of the same window, side by side")
show_pair(t)

# ---------------------------------------------------------------------------- deletion score
st.subheader(f"Is the {maps.SHORT[map_name]} map faithful? Deletion curve over the test span")
show_deletion(run, map_name)

# ---------------------------------------------------------------------------- relevance vs IG (issue 20)
if "relevance" in maps.available_maps(run):
    st.subheader("Relevance checked against integrated gradients (whole test span)")
    agr_key = ("relevance_agreement", run.key, ds.fingerprint())
    if st.button("Compare relevance with integrated gradients", key="agree_btn") or \
            agr_key in (ss.get("memo") or {}):
        with st.spinner("Integrated gradients and two deletion curves over the test span…"):
            ra = ui.memo(agr_key, lambda: pc.explain.relevance_agreement(run, ds))
        a1, a2, a3 = st.columns(3)
        a1.metric("Spearman ρ (mean maps)", f"{ra.spearman:.2f}")
        a2.metric(f"Top-{ra.k} cells shared", f"{round(ra.top_overlap * ra.k)} of {ra.k}")
        a3.metric("Trust (deletion decides)", {"relevance": "relevance",
                  "integrated_gradients": "integrated gradients"}.get(ra.trust, "neither"))
        (st.warning if ra.inseparable or ra.spearman < 0.7 else st.write)(ra.summary)

# ---------------------------------------------------------------------------- importance
st.subheader("Which sensor groups matter (whole test span)")
imp = plots.importance_figure(att)
if imp is None:
    st.info(f"{run.config.model} has no feature or group attention to aggregate.")
else:
    st.plotly_chart(imp, width="stretch", key="imp_fig")
    if att.group is None:
        st.caption(f"{run.config.model} has no sensor-group weights (only PA-LSTM has them).")

# ---------------------------------------------------------------------------- early warning
st.subheader("High-emission early warning")
actual = pred["actual"].to_numpy(dtype=float)
if "res_threshold" not in ss or not np.isfinite(ss["res_threshold"]):
    ss["res_threshold"] = float(np.round(np.nanpercentile(actual, 90), 3))
thr = st.number_input(f"Warn when {target} exceeds ({unit or 'target unit'})",
                      key="res_threshold", format="%.3f")
counts = exceedance_counts(pred["actual"], pred["predicted"], thr)
k1, k2, k3, k4 = st.columns(4)
k1.metric("Hits", counts["hits"], help="actual above the threshold and warned")
k2.metric("Misses", counts["misses"], help="actual above the threshold, no warning")
k3.metric("False alarms", counts["false_alarms"], help="warned, actual below the threshold")
k4.metric("Hit rate", f"{counts['hit_rate']:.0%}" if np.isfinite(counts["hit_rate"]) else "—")
st.plotly_chart(plots.exceedance_figure(pred, thr, target, unit, ds.time_kind), width="stretch",
                key="warn_fig")
st.caption("Counted per time step of the test span.")

# ---------------------------------------------------------------------------- lab → road
st.subheader("Evaluate on another drive (lab → road)")
others = [s for s in ("urban", "motorway") if f"sample: {s}" != ds.name]
choice = st.selectbox("Drive", ["—", *others, "Upload a CSV…"], key="res_other",
                      help="Train on one drive (e.g. urban), check the model on another.")
other = None
if choice == "Upload a CSV…":
    up = st.file_uploader("Second drive (CSV)", type=["csv", "txt"], key="other_upload")
    other = ui.parse_upload(up, "second drive")
elif choice != "—":
    other = ui.memo(("sample", choice), lambda: pc.load_sample(choice))
if other is not None:
    try:
        opred = ui.memo(("predict_all", run.key, other.fingerprint()),
                        lambda: run.predict(other, part="all"))
    except pc.DataError as exc:
        st.error(str(exc))
    else:
        om = pc.regression_metrics(opred["actual"], opred["predicted"])
        if np.isfinite(om["rmse"]):
            st.write(f"**{run.config.model}** trained on {run.data_name}"
                     + (" (simulated)" if run.simulated else "") + f", tested on the whole of "
                     f"{other.label}: RMSE {om['rmse']:.3g}, MAE {om['mae']:.3g}, "
                     f"R² {om['r2']:.3f} (own test span: RMSE {run.metrics['rmse']:.3g}).")
        else:
            st.write(f"{other.label} has no {target} column: predictions only (estimated from "
                     "the sensors).")
        st.plotly_chart(plots.predictions_figure({run.config.model: opred}, target, unit,
                                                 other.time_kind, title=other.label),
                        width="stretch", key="other_fig")

st.page_link(ui.PAGE["downloads"], label="Download predictions, attention and the model",
             icon=":material/download:")
