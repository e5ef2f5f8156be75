"""Data: upload a CSV or pick a shipped sample; validation report, column table, channel plot."""
import io

import streamlit as st

from palstm_core import plots
from pages import _shared as ui

st.set_page_config(page_title="Data · PA-LSTM Explorer", page_icon="📂", layout="wide")
st.title("1 · Data")
ui.step_indicator("data")

src_sample, src_upload, src_paste = st.tabs(["Sample drive", "Upload CSV", "Paste CSV text"])
with src_sample:
    st.write("Shipped one-hour drives made by `palstm_core.simulate` — **simulated**, not "
             "measured. Train on *urban*, test on *motorway* for a lab → road check.")
    sample = st.selectbox("Sample", ["urban", "motorway"], key="sample_name")
    if st.button("Load sample", type="primary", key="load_sample"):
        ui.load_sample_into_session(sample)
with src_upload:
    st.write("A CSV with one row per time step and one column per sensor. Units in the header "
             "like `speed [km/h]` are kept; a time column (time, timestamp, elapsed…) is found "
             "automatically, else the row number is the clock.")
    up = st.file_uploader("CSV file", type=["csv", "txt"], key="upload")
    if up is not None and st.session_state.get("_uploaded_id") != up.file_id:
        st.session_state["_uploaded_id"] = up.file_id
        ui.load_into_session(up, name=up.name)
with src_paste:
    text = st.text_area("CSV text (header row first)", key="paste_text", height=150)
    if st.button("Load pasted text", key="load_paste"):
        ui.load_into_session(io.BytesIO(text.encode("utf-8")), name="pasted text")

if st.session_state.get("data_error"):
    st.error("This file could not be used. " + st.session_state["data_error"])

# Placeholders for the two-file and cleaning steps (core functions arrive in another branch).
with st.expander("PEMS + OBD from two files"):
    st.info("Coming soon: upload a PEMS export and an OBD log separately; they will be put on one "
            "clock (with the analyzer delay estimated) before training. For now, merge them into "
            "one CSV yourself.")
with st.expander("Clean PEMS channels"):
    st.info("Coming soon: remove analyzer spikes and drift from chosen PEMS channels, counted in "
            "the validation report.")

ds = ui.dataset()
if ds is None:
    st.info("No data loaded yet: load the sample or upload a CSV above.")
    st.stop()

st.divider()
st.subheader(f"Loaded: {ds.label}")
if ds.simulated:
    st.warning("Simulated sample drive — made by palstm_core.simulate, not measured data.",
               icon=":material/science:")
clock = {"row": "row number", "datetime": "date-time", "seconds": "seconds"}[ds.time_kind]
st.write(f"{len(ds)} rows × {len(ds.columns)} sensor columns; clock: {clock}"
         + (f" (column '{ds.time_column}')" if ds.time_column else "") + ".")
with st.expander("Validation report", expanded=True):
    for line in ds.report or ["Nothing had to be fixed."]:
        st.markdown(f"- {line}")

st.dataframe(plots.column_table(ds), hide_index=True, width="stretch",
             column_config={"min": st.column_config.NumberColumn(format="%.3g"),
                            "max": st.column_config.NumberColumn(format="%.3g"),
                            "mean": st.column_config.NumberColumn(format="%.3g")})

if "plot_channels" not in st.session_state:
    st.session_state["plot_channels"] = ([c for c in ("speed", "rpm", "NOx") if c in ds.columns]
                                         or ds.columns[:3])
channels = st.multiselect("Channels to plot", ds.columns, key="plot_channels")
if channels:
    st.plotly_chart(plots.channels_figure(ds, channels), width="stretch")

if st.button("Next: sensor groups →", type="primary", key="to_groups"):
    st.switch_page(ui.PAGE["groups"])
