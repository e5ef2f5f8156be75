"""Data: upload a CSV or pick a shipped sample; validation report, column table, channel plot."""
import io

import numpy as np

import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages import _shared as ui

DRIVE_TYPES = sorted(s[1:] for s in pc.FILE_SUFFIXES if s)   # every format load_file reads
CAMPAIGN_TYPES = ["zip", *DRIVE_TYPES]

st.set_page_config(page_title="Data · PA-LSTM Explorer", page_icon="📂", layout="wide")
ui.start_page(ui.keys.DataPage)
K, L = ui.keys.DataPage, ui.keys.Loaded
st.title("1 · Data")
ui.step_indicator("data")

DATE_ORDER = {"automatic (from the data)": None, "day/month/year": True, "month/day/year": False}
src_sample, src_upload, src_paste = st.tabs(["Sample drive", "Upload CSV", "Paste CSV text"])
with src_sample:
    st.write("Shipped one-hour drives made by `palstm_core.simulate` — **simulated**, not "
             "measured. Train on *urban*, test on *motorway* for a lab → road check.")
    sample = st.selectbox("Sample", pc.SAMPLES, key=K.sample_name)
    if st.button("Load sample", type="primary", key=K.load_sample):
        ui.load_sample_into_session(sample)
with src_upload:
    st.write("A CSV with one row per time step and one column per sensor. Units in the header "
             "like `speed [km/h]` are kept; a time column (time, timestamp, elapsed…) is found "
             "automatically, else the row number is the clock.")
    order = st.selectbox("Date order", list(DATE_ORDER), key=K.date_order,
                         help="Dates like 08/07/2019: the data usually settles it (a day above "
                              "12); otherwise the report says which order was assumed.")
    dayfirst = DATE_ORDER[order]
    up = st.file_uploader("Drive file (CSV, Parquet, xlsx or MF4)", type=DRIVE_TYPES, key=K.upload)
    if up is not None and K._uploaded_id.get() != (up.file_id, dayfirst):
        K._uploaded_id.set((up.file_id, dayfirst))
        ui.load_into_session(up, name=up.name, dayfirst=dayfirst)
with src_paste:
    text = st.text_area("CSV text (header row first)", key=K.paste_text, height=150)
    if st.button("Load pasted text", key=K.load_paste):
        ui.load_into_session(io.BytesIO(text.encode("utf-8")), name="pasted text",
                             dayfirst=DATE_ORDER[K.date_order.get("automatic (from the data)")])


# ---------------------------------------------------------------------------- campaign


def _load_campaign(source) -> None:
    """Load drives with a progress bar per drive; a plain error when none can be used."""
    bar = st.progress(0.0, text="Loading drives…")
    err = ui.load_campaign_into_session(
        source, lambda f, msg: bar.progress(min(max(float(f), 0.0), 1.0), text=msg))
    bar.empty()
    K.campaign_error.set(err)
    if err is None:
        st.rerun()                      # the step indicator above shows the new data


def _drive_table(camp: pc.Campaign) -> None:
    """The drive table (from ``Campaign.table``) with a 'test drive' checkbox column."""
    table = camp.table()
    table.insert(0, "test drive", table["drive"].isin(ui.test_drives()))
    edited = st.data_editor(
        table, key=K.drive_table_.of(L.campaign_gen.get(0)), hide_index=True,
        width="stretch", disabled=[c for c in table.columns if c != "test drive"],
        column_config={
            "test drive": st.column_config.CheckboxColumn(
                help="Held out whole: the model never sees it while training and is scored "
                     "on it. Lab → road = tick the road drives."),
            "duration [min]": st.column_config.NumberColumn(format="%.1f"),
            "rate [Hz]": st.column_config.NumberColumn(format="%.3g"),
            "report": st.column_config.TextColumn(width="large")})
    ui.set_test_drives(edited.loc[edited["test drive"], "drive"].tolist())


def _campaign_section() -> None:
    """Several drives: files or a zip of trip folders, or the simulated sample campaign."""
    camp = ui.campaign()
    with st.expander("Several drives (campaign)", expanded=camp is not None):
        st.write("Many drives at once: each file is one drive; a trip folder with `OBD/` and "
                 "`PEMS/` subfolders is one drive (its loggers' files joined and merged). A "
                 "browser upload has no folders, so pack trip folders into a **zip**.")
        ups = st.file_uploader("Drive files or a zip", type=CAMPAIGN_TYPES,
                               accept_multiple_files=True, key=K.campaign_upload)
        ids = tuple(u.file_id for u in ups or [])
        if ids and K._campaign_upload_id.get() != ids:
            K._campaign_upload_id.set(ids)
            _load_campaign(list(ups))
        if st.button("Use the sample campaign (6 simulated drives)", key=K.load_campaign_sample):
            _load_campaign("sample")
        if K.campaign_error.get():
            st.error("These drives could not be used. " + K.campaign_error.get())
        camp = ui.campaign()
        if camp is None:
            return
        st.markdown(f"**Campaign:** {camp.label}")
        if camp.simulated:
            st.warning("Simulated sample campaign — made by palstm_core.simulate, not measured "
                       "data.", icon=":material/science:")
        st.write(camp.report[1 if camp.simulated else 0])
        _drive_table(camp)
        test = ui.test_drives()
        st.caption("Tick the **test drives**: they are held out whole and scored one by one. "
                   "Lab → road = choose the road drives as test drives. "
                   + (f"Chosen: {', '.join(test)}." if test else "None ticked: every drive is "
                      "split in time (the last part of each is tested)."))
        if camp.skipped:
            st.markdown("**Not used** (and why):")
            for name, why in camp.skipped.items():
                st.markdown(f"- `{name}`: {why}")
        _vehicle_section(camp)
        with st.expander("Campaign report"):
            for line in camp.report:
                st.markdown(f"- {line}")


VEHICLE_COLUMNS = ["vehicle", "engine displacement [l]", "mass [kg]", "fuel"]


def _vehicle_section(camp: pc.Campaign) -> None:
    """Static vehicle covariates typed per drive (or from vehicles.csv), fed to every model as
    constant inputs of the drive (``pc.add_vehicles``)."""
    with st.expander("Vehicle covariates (one row per drive)", expanded=False):
        st.caption("Engine displacement, mass, fuel … of the vehicle of each drive, fed to every "
                   "model as constants of the drive (group 'vehicle'); a `vehicles.csv` beside "
                   "the drives fills this in. `vehicle` is a name, not a model input.")
        table = (camp.vehicles.reset_index() if camp.vehicles is not None else
                 pd.DataFrame({"drive": camp.names, **{c: None for c in VEHICLE_COLUMNS}}))
        edited = st.data_editor(table.astype(str).replace({"None": "", "nan": ""}),
                                key=K.vehicle_table, hide_index=True, width="stretch",
                                disabled=["drive"], num_rows="fixed")
        if st.button("Use these vehicle covariates", key=K.apply_vehicles):
            test = ui.test_drives()
            try:
                ui.set_campaign(pc.add_vehicles(camp, edited))
            except pc.DataError as exc:
                st.error(str(exc))
                return
            ui.set_test_drives(test)
            st.rerun()


_campaign_section()

if L.data_error.get():
    st.error("This file could not be used. " + L.data_error.get())

# ---------------------------------------------------------------------------- PEMS + OBD
AUTO = "automatic"
_cur = ui.dataset()
with st.expander("PEMS + OBD from two files",
                 expanded=bool(_cur is not None and _cur.alignment)):
    st.write("A PEMS export and an OBD log of the same drive, each with its own clock (several "
             "files per logger are joined on their wall clock). They are "
             "put on one clock, the analyzer delay of the PEMS gas channels is estimated from "
             "the correlation of a PEMS/OBD channel pair, and the merged drive becomes the "
             "data of this session.")
    use_split = st.toggle("Use the split sample (urban drive as two files — simulated)",
                          key=K.mergeopt_sample)
    pems_src = obd_src = None
    if use_split:
        pems_src, obd_src = ui.split_sample()
        st.caption("PEMS: sample urban_pems, OBD: sample urban_obd — **simulated** files with "
                   "different clocks and a 4 s transport delay of the gas channels (their 1.5 s "
                   "response time adds about 1 s to the delay the correlation finds).")
    else:
        u1, u2 = st.columns(2)
        up_p = u1.file_uploader("PEMS CSV file(s)", type=["csv", "txt"], key=K.merge_pems_file,
                                accept_multiple_files=True)
        up_o = u2.file_uploader("OBD CSV file(s)", type=["csv", "txt"], key=K.merge_obd_file,
                                accept_multiple_files=True)
        first = DATE_ORDER[K.date_order.get("automatic (from the data)")]
        pems_src = ui.parse_upload(up_p, "PEMS", first)
        obd_src = ui.parse_upload(up_o, "OBD", first)
    K.mergeopt_rate.setdefault(1.0)
    K.mergeopt_lag.setdefault(4.0)
    m1, m2, m3 = st.columns(3)
    rate = m1.number_input("Common rate [Hz]", 0.1, 100.0, step=0.5,
                           key=K.mergeopt_rate, help="Samples per second of the merged drive.")
    pems_cols = [AUTO, *(pems_src.columns if pems_src is not None else [])]
    obd_cols = [AUTO, *(obd_src.columns if obd_src is not None else [])]
    for k, opts in ((K.mergeopt_pems_col, pems_cols), (K.mergeopt_obd_col, obd_cols)):
        if k.get() not in opts:
            k.set(AUTO)
    pcol = m2.selectbox("PEMS channel for the delay", pems_cols, key=K.mergeopt_pems_col,
                        help="A gas channel, e.g. CO2. 'automatic' tries every gas/driver pair.")
    ocol = m3.selectbox("OBD channel for the delay", obd_cols, key=K.mergeopt_obd_col,
                        help="What drives that gas, e.g. fuel_rate or MAF.")
    l1, l2 = st.columns([1, 2])
    lag_on = l1.toggle("Set the delay myself", key=K.mergeopt_lag_on)
    lag = l2.number_input("Analyzer delay [s]", 0.0, 120.0, step=0.5,
                          key=K.mergeopt_lag, disabled=not lag_on)
    ready = pems_src is not None and obd_src is not None
    if st.button("Merge the two files", type="primary", disabled=not ready, key=K.merge_btn):
        pair = None
        if (pcol == AUTO) != (ocol == AUTO):
            st.error("Pick both channels of the pair (PEMS and OBD), or leave both on "
                     "'automatic'.")
        else:
            if pcol != AUTO:
                pair = (pcol, ocol)
            err = ui.merge_into_session(pems_src, obd_src, rate_hz=float(rate), pair=pair,
                                        lag=float(lag) if lag_on else None)
            if err:
                st.error("The two files could not be merged. " + err)
    if not ready and not use_split:
        st.caption("Upload both files (or use the split sample) to merge them.")
    cur = ui.dataset()
    if cur is not None and cur.alignment:
        st.markdown(f"**Merged drive:** {cur.label}")
        a = cur.alignment
        pair = a.get("pair")
        r1, r2, r3, r4 = st.columns(4)
        r1.metric("Analyzer delay", f"{a['lag_s']:g} s", help=str(a.get("lag_method")))
        r2.metric("Channel pair", f"{pair[0]} ↔ {pair[1]}" if pair else "—")
        fmt = lambda v: f"{v:.3f}" if v is not None and np.isfinite(v) else "—"  # noqa: E731
        r3.metric("Correlation before", fmt(a.get("corr_before")))
        r4.metric("Correlation after", fmt(a.get("corr_after")),
                  delta=(f"{a['corr_after'] - a['corr_before']:+.3f}"
                         if a.get("corr_after") is not None and a.get("corr_before") is not None
                         else None))
        st.caption(f"Delay {a.get('lag_method')}; clocks: {a.get('clock_method')}; "
                   f"OBD starts {a.get('obd_start_after_pems_s', 0):+g} s after PEMS; "
                   f"{a.get('rows')} rows at {a.get('rate_hz'):g} Hz.")
        lag_fig = plots.lag_curve_figure(a)
        if lag_fig is not None:
            st.plotly_chart(lag_fig, width="stretch", key="lag_fig")

# ---------------------------------------------------------------------------- cleaning
with st.expander("Clean PEMS channels", expanded=bool(K.clean_on.get())):
    raw = ui.base_dataset()
    if ui.campaign() is not None:
        st.caption("Cleaning works on one drive; it is not applied to a campaign.")
    elif raw is None:
        st.caption("Load data first.")
    else:
        st.write("Removes analyzer spikes (a Hampel filter; peaks seen in several gases at once "
                 "are kept as real engine events) and slow zero drift from the chosen channels. "
                 "Turn it off to get the data exactly as loaded back.")
        on = st.toggle("Clean PEMS channels", key=K.clean_on)
        if on:
            gases = ui.default_clean_channels(raw)
            K.clean_channels.set([c for c in K.clean_channels.setdefault(gases)
                                  if c in raw.columns])
            chosen = st.multiselect("Channels to clean", raw.columns, key=K.clean_channels,
                                    help="Defaults to the exhaust gas channels present.")
            if not chosen:
                st.info("Choose at least one channel to clean.")
                ui.use_cleaned(None)
            else:
                try:
                    cleaned = ui.memo(("clean", raw.fingerprint(), tuple(chosen)),
                                      lambda: pc.clean(raw, chosen))
                except pc.DataError as exc:
                    st.error("Cleaning did not work. " + str(exc))
                    ui.use_cleaned(None)
                else:
                    ui.use_cleaned(cleaned)
                    info = cleaned.cleaning or {}
                    st.dataframe(plots.cleaning_table(cleaned, chosen), hide_index=True,
                                 width="stretch")
                    if K.clean_plot.get() not in chosen:
                        K.clean_plot.set(max(
                            chosen, key=lambda c: (info.get(c) or {}).get("spikes", 0)))
                    col = st.selectbox("Before / after of", chosen, key=K.clean_plot)
                    st.plotly_chart(plots.cleaning_figure(raw, cleaned, col), width="stretch",
                                    key="clean_fig")
                    st.caption("The cleaned drive is what the next steps (groups, training, "
                               "results) use.")
        else:
            ui.use_cleaned(None)

ds = ui.dataset()
if ds is None:
    st.info("No data loaded yet: load the sample or upload a CSV above.")
    st.stop()

st.divider()
st.subheader(f"Loaded: {ds.label}" + (" — cleaned" if ds.cleaning else ""))
if ui.campaign() is not None:
    st.caption("The first drive of the campaign, with the columns every drive has (what the "
               "sensor groups are built from); training uses all drives.")
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

if not K.plot_channels.present:
    K.plot_channels.set([c for c in ("speed", "rpm", "NOx") if c in ds.columns]
                        or ds.columns[:3])
channels = st.multiselect("Channels to plot", ds.columns, key=K.plot_channels)
if channels:
    st.plotly_chart(plots.channels_figure(ds, channels), width="stretch")

if st.button("Next: sensor groups →", type="primary", key=K.to_groups):
    st.switch_page(ui.PAGE["groups"])
