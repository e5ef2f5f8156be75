"""Downloads: predictions CSV, attention CSV and relevance/attribution maps (long format),
model weights, run metadata."""
import streamlit as st

import palstm_core as pc
from pages._shared.text import N_, _, tr
from pages import _shared as ui

ui.page_setup(N_("Downloads"), "⬇️")
ui.start_page(ui.keys.Downloads)
K = ui.keys.Downloads
st.title(_("Downloads"))
ui.step_indicator("results")
ds = ui.need_data()
ui.data_badge(ds)

usable = ui.need_runs(ds, _("No trained run for this data yet."))
keys = list(usable)
if K.dl_run.get() not in keys:
    selected = ui.keys.Runs.selected_run.get()
    K.dl_run.set(selected if selected in keys else keys[-1])
key = st.selectbox(_("Run"), keys, key=K.dl_run,
                   format_func=lambda k: f"{usable[k].config.model} · {usable[k].data_name} · "
                                         f"{k}")
run = usable[key]
part = st.radio(_("Rows"), ["test", "all"], horizontal=True, key=K.dl_part,
                format_func=ui.fmt({"test": N_("test span"), "all": N_("whole drive")}.get))
stem = f"{run.config.model}_{run.target}_{key[:8]}_{part}"
data = ui.campaign() if ui.on_campaign(run) else ds     # a campaign run: all its drives
try:
    pred, att = ui.predict_and_explain(run, data, part)
except pc.DataError as exc:
    st.error(str(exc))
    st.stop()
note = " " + _("The data is simulated.") if ds.simulated else ""

st.subheader(_("Predictions"))
n_windows = len(ui.first_step(pred))
if run.window.steps > 1:
    st.caption(_("{rows} rows, one per window and forecast step ({n} windows × {steps} steps): "
                 "time (the predicted time), origin (the newest input), step, actual, predicted "
                 "({unit}). The maps below are one row per window (they explain step 1).",
                 rows=len(pred), n=n_windows, steps=run.window.steps,
                 unit=run.target_unit or _("target unit")) + note)
else:
    st.caption(_("{rows} rows: time, actual, predicted ({unit}).", rows=len(pred),
                 unit=run.target_unit or _("target unit")) + note)
st.download_button(_("Predictions CSV"), pred.to_csv(index=False).encode(), f"{stem}_predictions.csv",
                   "text/csv", key=K.dl_pred)

st.subheader(_("Trip results"))
trips = ui.trip_results(run, data, part)
if isinstance(trips, str):
    st.info(tr(trips, quiet=True))
else:
    st.caption(_("One row per drive and speed bin (all, urban, rural, motorway): distance [km], "
                 "measured and predicted {target} [g] and [g/km], error [%].", target=run.target)
               + note)
    st.download_button(_("Trip results CSV"), trips.to_csv(index=False).encode(),
                       f"{stem}_trips.csv", "text/csv", key=K.dl_trips)

st.subheader(_("Attention"))
if att.feature is None and att.temporal is None:
    st.info(_("{model} has no attention to download.", model=run.config.model))
else:
    st.caption(_("Long format: one row per (window, lag, feature) with the feature and temporal "
               "attention weight; lag 0 = newest input step."))
    st.download_button(_("Attention CSV"), att.to_frame().to_csv(index=False).encode(),
                       f"{stem}_attention.csv", "text/csv", key=K.dl_att)

st.subheader(_("Which sensor, when: relevance and attribution maps"))
names = [n for n in pc.explain.available_maps(run) if n != "feature"]
st.caption(_("Long format: one row per (window, lag, feature) with the map's value; lag 0 = "
             "newest input step.") + " "
           + " ".join(f"*{tr(pc.explain.SHORT[n])}*: {tr(pc.explain.MAP_LABELS[n])}."
                      for n in names) + " "
           + _("Attributions are computed for every window when you ask (about 0.03 s a "
               "window)."))
for col, name in zip(st.columns(len(names)), names):
    if name == "relevance" or K.dl_want_.of(name).get():
        with st.spinner(_("Computing {map} for {n} windows…", map=tr(pc.explain.SHORT[name]),
                           n=n_windows)):
            frame = ui.part_map_frame(run, data, name, part)
        if isinstance(frame, str):
            col.error(tr(frame))
        else:
            col.download_button(_("{map} CSV", map=ui.first_upper(tr(pc.explain.SHORT[name]))),
                                 frame.to_csv(index=False).encode(), f"{stem}_{name}.csv",
                                 "text/csv", key=K.dl_map_.of(name))
    elif col.button(_("Compute {map}", map=tr(pc.explain.SHORT[name])), key=K.dl_ready_.of(name)):
        K.dl_want_.of(name).set(True)
        st.rerun()

st.subheader(_("Model"))
if run.path is not None and (run.path / "weights.safetensors").is_file():
    st.caption(_("Weights as safetensors (no pickle) and the run's metadata (config, sensor groups, "
               "window, scaler, metrics, history) as JSON."))
    d1, d2 = st.columns(2)
    d1.download_button(_("Model weights (safetensors)"),
                       (run.path / "weights.safetensors").read_bytes(), f"{key}.safetensors",
                       "application/octet-stream", key=K.dl_weights)
    d2.download_button(_("Run metadata (run.json)"), (run.path / "run.json").read_bytes(),
                       f"{key}.json", "application/json", key=K.dl_meta)
else:
    st.info(_("This run is not in the model cache (it may have been deleted); train it again to "
            "download its weights."))
