"""Downloads: predictions CSV, attention CSV and relevance/attribution maps (long format),
model weights, run metadata."""
import streamlit as st

import palstm_core as pc
from pages import _shared as ui

st.set_page_config(page_title="Downloads · PA-LSTM Explorer", page_icon="⬇️", layout="wide")
ui.start_page(ui.keys.Downloads)
K = ui.keys.Downloads
st.title("Downloads")
ui.step_indicator("results")
ds = ui.need_data()
ui.data_badge(ds)

usable = ui.need_runs(ds, "No trained run for this data yet.")
keys = list(usable)
if K.dl_run.get() not in keys:
    selected = ui.keys.Runs.selected_run.get()
    K.dl_run.set(selected if selected in keys else keys[-1])
key = st.selectbox("Run", keys, key=K.dl_run,
                   format_func=lambda k: f"{usable[k].config.model} · {usable[k].data_name} · "
                                         f"{k}")
run = usable[key]
part = st.radio("Rows", ["test", "all"], horizontal=True, key=K.dl_part,
                format_func={"test": "test span", "all": "whole drive"}.get)
stem = f"{run.config.model}_{run.target}_{key[:8]}_{part}"
data = ui.campaign() if ui.on_campaign(run) else ds     # a campaign run: all its drives
try:
    pred, att = ui.predict_and_explain(run, data, part)
except pc.DataError as exc:
    st.error(str(exc))
    st.stop()
note = " The data is simulated." if ds.simulated else ""

st.subheader("Predictions")
n_windows = len(ui.first_step(pred))
if run.window.steps > 1:
    st.caption(f"{len(pred)} rows, one per window and forecast step ({n_windows} windows × "
               f"{run.window.steps} steps): time (the predicted time), origin (the newest input), "
               f"step, actual, predicted ({run.target_unit or 'target unit'}). The maps below "
               "are one row per window (they explain step 1)." + note)
else:
    st.caption(f"{len(pred)} rows: time, actual, predicted ({run.target_unit or 'target unit'})."
               + note)
st.download_button("Predictions CSV", pred.to_csv(index=False).encode(), f"{stem}_predictions.csv",
                   "text/csv", key=K.dl_pred)

st.subheader("Attention")
if att.feature is None and att.temporal is None:
    st.info(f"{run.config.model} has no attention to download.")
else:
    st.caption("Long format: one row per (window, lag, feature) with the feature and temporal "
               "attention weight; lag 0 = newest input step.")
    st.download_button("Attention CSV", att.to_frame().to_csv(index=False).encode(),
                       f"{stem}_attention.csv", "text/csv", key=K.dl_att)

st.subheader("Which sensor, when: relevance and attribution maps")
names = [n for n in pc.explain.available_maps(run) if n != "feature"]
st.caption("Long format: one row per (window, lag, feature) with the map's value; lag 0 = newest "
           "input step. " + " ".join(f"*{pc.explain.SHORT[n]}*: {pc.explain.MAP_LABELS[n]}." for n in names)
           + " Attributions are computed for every window when you ask (about 0.03 s a window).")
for col, name in zip(st.columns(len(names)), names):
    if name == "relevance" or K.dl_want_.of(name).get():
        with st.spinner(f"Computing {pc.explain.SHORT[name]} for {n_windows} windows…"):
            frame = ui.part_map_frame(run, data, name, part)
        if isinstance(frame, str):
            col.error(frame)
        else:
            col.download_button(f"{pc.explain.SHORT[name].capitalize()} CSV",
                                 frame.to_csv(index=False).encode(), f"{stem}_{name}.csv",
                                 "text/csv", key=K.dl_map_.of(name))
    elif col.button(f"Compute {pc.explain.SHORT[name]}", key=K.dl_ready_.of(name)):
        K.dl_want_.of(name).set(True)
        st.rerun()

st.subheader("Model")
if run.path is not None and (run.path / "weights.safetensors").is_file():
    st.caption("Weights as safetensors (no pickle) and the run's metadata (config, sensor groups, "
               "window, scaler, metrics, history) as JSON.")
    d1, d2 = st.columns(2)
    d1.download_button("Model weights (safetensors)",
                       (run.path / "weights.safetensors").read_bytes(), f"{key}.safetensors",
                       "application/octet-stream", key=K.dl_weights)
    d2.download_button("Run metadata (run.json)", (run.path / "run.json").read_bytes(),
                       f"{key}.json", "application/json", key=K.dl_meta)
else:
    st.info("This run is not in the model cache (it may have been deleted); train it again to "
            "download its weights.")
