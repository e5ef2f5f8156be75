"""Data: upload a CSV or pick a shipped sample; validation report, column table, channel plot."""
import io

import numpy as np

import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import N_, _, tr
from pages import _shared as ui

DRIVE_TYPES = sorted(s[1:] for s in pc.FILE_SUFFIXES if s)   # every format load_file reads
CAMPAIGN_TYPES = ["zip", *DRIVE_TYPES]

ui.page_setup(N_("Data"), "📂")
ui.start_page(ui.keys.DataPage)
K, L = ui.keys.DataPage, ui.keys.Loaded
st.title(_("1 · Data"))
ui.step_indicator("data")

DATE_ORDER = {N_("automatic (from the data)"): None, N_("day/month/year"): True,
              N_("month/day/year"): False}          # keys: msgids, shown with tr()
src_sample, src_upload, src_paste = st.tabs([_("Sample drive"), _("Upload CSV"), _("Paste CSV text")])
with src_sample:
    st.write(_("Shipped one-hour drives made by `palstm_core.simulate` — **simulated**, not "
             "measured. Train on *urban*, test on *motorway* for a lab → road check."))
    sample = st.selectbox(_("Sample"), pc.SAMPLES, key=K.sample_name)
    if st.button(_("Load sample"), type="primary", key=K.load_sample):
        ui.load_sample_into_session(sample)
with src_upload:
    st.write(_("A CSV with one row per time step and one column per sensor. Units in the header "
             "like `speed [km/h]` are kept; a time column (time, timestamp, elapsed…) is found "
             "automatically, else the row number is the clock."))
    order = st.selectbox(_("Date order"), list(DATE_ORDER), key=K.date_order,
                         format_func=ui.fmt(),
                         help=_("Dates like 08/07/2019: the data usually settles it (a day above "
                              "12); otherwise the report says which order was assumed."))
    dayfirst = DATE_ORDER[order]
    up = st.file_uploader(_("Drive file (CSV, Parquet, xlsx or MF4)"), type=DRIVE_TYPES, key=K.upload)
    if up is not None and K._uploaded_id.get() != (up.file_id, dayfirst):
        K._uploaded_id.set((up.file_id, dayfirst))
        ui.load_into_session(up, name=up.name, dayfirst=dayfirst)
with src_paste:
    text = st.text_area(_("CSV text (header row first)"), key=K.paste_text, height=150)
    if st.button(_("Load pasted text"), key=K.load_paste):
        ui.load_into_session(io.BytesIO(text.encode("utf-8")), name=_("pasted text"),
                             dayfirst=DATE_ORDER[K.date_order.get("automatic (from the data)")])


# ---------------------------------------------------------------------------- campaign


def _load_campaign(source) -> None:
    """Load drives with a progress bar per drive; a plain error when none can be used."""
    bar = st.progress(0.0, text=_("Loading drives…"))
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
        column_config=ui.headers(table, {
            "test drive": st.column_config.CheckboxColumn(
                _("test drive"), help=_("Held out whole: the model never sees it while training "
                                        "and is scored on it. Lab → road = tick the road "
                                        "drives.")),
            "duration [min]": st.column_config.NumberColumn(format="%.1f"),
            "rate [Hz]": st.column_config.NumberColumn(format="%.3g"),
            "report": st.column_config.TextColumn(width="large")}))
    ui.set_test_drives(edited.loc[edited["test drive"], "drive"].tolist())


def _campaign_section() -> None:
    """Several drives: files or a zip of trip folders, or the simulated sample campaign."""
    camp = ui.campaign()
    with st.expander(_("Several drives (campaign)"), expanded=camp is not None):
        st.write(_("Many drives at once: each file is one drive; a trip folder with `OBD/` and "
                 "`PEMS/` subfolders is one drive (its loggers' files joined and merged). A "
                 "browser upload has no folders, so pack trip folders into a **zip**."))
        ups = st.file_uploader(_("Drive files or a zip"), type=CAMPAIGN_TYPES,
                               accept_multiple_files=True, key=K.campaign_upload)
        ids = tuple(u.file_id for u in ups or [])
        if ids and K._campaign_upload_id.get() != ids:
            K._campaign_upload_id.set(ids)
            _load_campaign(list(ups))
        if st.button(_("Use the sample campaign (6 simulated drives)"), key=K.load_campaign_sample):
            _load_campaign("sample")
        if K.campaign_error.get():
            st.error(_("These drives could not be used. {error}",
                       error=tr(K.campaign_error.get())))
        camp = ui.campaign()
        if camp is None:
            return
        st.markdown(_("**Campaign:** {label}", label=camp.label))
        if camp.simulated:
            st.warning(_("Simulated sample campaign — made by palstm_core.simulate, not measured "
                       "data."), icon=":material/science:")
        st.write(tr(camp.report[1 if camp.simulated else 0]))
        _drive_table(camp)
        test = ui.test_drives()
        st.caption(_("Tick the **test drives**: they are held out whole and scored one by one. "
                     "Lab → road = choose the road drives as test drives.") + " "
                   + (_("Chosen: {drives}.", drives=", ".join(test)) if test else
                      _("None ticked: every drive is split in time (the last part of each is "
                        "tested).")))
        if camp.skipped:
            st.markdown(_("**Not used** (and why):"))
            for name, why in camp.skipped.items():
                st.markdown(f"- `{name}`: {tr(why)}")
        _vehicle_section(camp)
        with st.expander(_("Campaign report")):
            for line in camp.report:
                st.markdown(f"- {tr(line)}")


VEHICLE_COLUMNS = ["vehicle", "engine displacement [l]", "mass [kg]", "fuel"]


def _vehicle_section(camp: pc.Campaign) -> None:
    """Static vehicle covariates typed per drive (or from vehicles.csv), fed to every model as
    constant inputs of the drive (``pc.add_vehicles``)."""
    with st.expander(_("Vehicle covariates (one row per drive)"), expanded=False):
        st.caption(_("Engine displacement, mass, fuel … of the vehicle of each drive, fed to "
                     "every model as constants of the drive (group 'vehicle'); a `vehicles.csv` "
                     "beside the drives fills this in. `vehicle` is a name, not a model input."))
        table = (camp.vehicles.reset_index() if camp.vehicles is not None else
                 pd.DataFrame({"drive": camp.names, **{c: None for c in VEHICLE_COLUMNS}}))
        edited = st.data_editor(table.astype(str).replace({"None": "", "nan": ""}),
                                key=K.vehicle_table, hide_index=True, width="stretch",
                                disabled=["drive"], num_rows="fixed")
        if st.button(_("Use these vehicle covariates"), key=K.apply_vehicles):
            test = ui.test_drives()
            try:
                ui.set_campaign(pc.add_vehicles(camp, edited))
            except pc.DataError as exc:
                st.error(tr(str(exc), quiet=True))
                return
            ui.set_test_drives(test)
            st.rerun()


_campaign_section()

if L.data_error.get():
    st.error(_("This file could not be used. {error}", error=tr(L.data_error.get())))

# ---------------------------------------------------------------------------- PEMS + OBD
AUTO = "automatic"                  # the option value; shown as _("automatic")
_cur = ui.dataset()
with st.expander(_("PEMS + OBD from two files"),
                 expanded=bool(_cur is not None and _cur.alignment)):
    st.write(_("A PEMS export and an OBD log of the same drive, each with its own clock (several "
             "files per logger are joined on their wall clock). They are "
             "put on one clock, the analyzer delay of the PEMS gas channels is estimated from "
             "the correlation of a PEMS/OBD channel pair, and the merged drive becomes the "
             "data of this session."))
    use_split = st.toggle(_("Use the split sample (urban drive as two files — simulated)"),
                          key=K.mergeopt_sample)
    pems_src = obd_src = None
    if use_split:
        pems_src, obd_src = ui.split_sample()
        st.caption(_("PEMS: sample urban_pems, OBD: sample urban_obd — **simulated** files with "
                   "different clocks and a 4 s transport delay of the gas channels (their 1.5 s "
                   "response time adds about 1 s to the delay the correlation finds)."))
    else:
        u1, u2 = st.columns(2)
        up_p = u1.file_uploader(_("PEMS CSV file(s)"), type=["csv", "txt"], key=K.merge_pems_file,
                                accept_multiple_files=True)
        up_o = u2.file_uploader(_("OBD CSV file(s)"), type=["csv", "txt"], key=K.merge_obd_file,
                                accept_multiple_files=True)
        first = DATE_ORDER[K.date_order.get("automatic (from the data)")]
        pems_src = ui.parse_upload(up_p, "PEMS", first)
        obd_src = ui.parse_upload(up_o, "OBD", first)
    K.mergeopt_rate.setdefault(1.0)
    K.mergeopt_lag.setdefault(4.0)
    m1, m2, m3 = st.columns(3)
    rate = m1.number_input(_("Common rate [Hz]"), 0.1, 100.0, step=0.5,
                           key=K.mergeopt_rate, help=_("Samples per second of the merged drive."))
    pems_cols = [AUTO, *(pems_src.columns if pems_src is not None else [])]
    obd_cols = [AUTO, *(obd_src.columns if obd_src is not None else [])]
    for k, opts in ((K.mergeopt_pems_col, pems_cols), (K.mergeopt_obd_col, obd_cols)):
        if k.get() not in opts:
            k.set(AUTO)
    auto_label = lambda c: _("automatic") if c == AUTO else c  # noqa: E731
    pcol = m2.selectbox(_("PEMS channel for the delay"), pems_cols, key=K.mergeopt_pems_col,
                        format_func=ui.fmt(auto_label),
                        help=_("A gas channel, e.g. CO2. 'automatic' tries every gas/driver pair."))
    ocol = m3.selectbox(_("OBD channel for the delay"), obd_cols, key=K.mergeopt_obd_col,
                        format_func=ui.fmt(auto_label),
                        help=_("What drives that gas, e.g. fuel_rate or MAF."))
    l1, l2 = st.columns([1, 2])
    lag_on = l1.toggle(_("Set the delay myself"), key=K.mergeopt_lag_on)
    lag = l2.number_input(_("Analyzer delay [s]"), 0.0, 120.0, step=0.5,
                          key=K.mergeopt_lag, disabled=not lag_on)
    ready = pems_src is not None and obd_src is not None
    if st.button(_("Merge the two files"), type="primary", disabled=not ready, key=K.merge_btn):
        pair = None
        if (pcol == AUTO) != (ocol == AUTO):
            st.error(_("Pick both channels of the pair (PEMS and OBD), or leave both on "
                     "'automatic'."))
        else:
            if pcol != AUTO:
                pair = (pcol, ocol)
            err = ui.merge_into_session(pems_src, obd_src, rate_hz=float(rate), pair=pair,
                                        lag=float(lag) if lag_on else None)
            if err:
                st.error(_("The two files could not be merged. {error}", error=tr(err)))
    if not ready and not use_split:
        st.caption(_("Upload both files (or use the split sample) to merge them."))
    cur = ui.dataset()
    if cur is not None and cur.alignment:
        st.markdown(_("**Merged drive:** {label}", label=cur.label))
        a = cur.alignment
        pair = a.get("pair")
        r1, r2, r3, r4 = st.columns(4)
        r1.metric(_("Analyzer delay"), f"{a['lag_s']:g} s", help=tr(a.get("lag_method")))
        r2.metric(_("Channel pair"), f"{pair[0]} ↔ {pair[1]}" if pair else "—")
        fmt = lambda v: f"{v:.3f}" if v is not None and np.isfinite(v) else "—"  # noqa: E731
        r3.metric(_("Correlation before"), fmt(a.get("corr_before")))
        r4.metric(_("Correlation after"), fmt(a.get("corr_after")),
                  delta=(f"{a['corr_after'] - a['corr_before']:+.3f}"
                         if a.get("corr_after") is not None and a.get("corr_before") is not None
                         else None))
        st.caption(_("Delay {lag_method}; clocks: {clock_method}; OBD starts "
                      "{obd_start_after_pems_s:+g} s after PEMS; {rows} rows at "
                      "{rate_hz:g} Hz.", lag_method=tr(a.get('lag_method')),
                      clock_method=tr(a.get('clock_method')),
                      obd_start_after_pems_s=a.get('obd_start_after_pems_s', 0),
                      rows=a.get('rows'), rate_hz=a.get('rate_hz')))
        lag_fig = plots.lag_curve_figure(a)
        if lag_fig is not None:
            st.plotly_chart(lag_fig, width="stretch", key="lag_fig")

# ---------------------------------------------------------------------------- cleaning
with st.expander(_("Clean PEMS channels"), expanded=bool(K.clean_on.get())):
    raw = ui.base_dataset()
    if ui.campaign() is not None:
        st.caption(_("Cleaning works on one drive; it is not applied to a campaign."))
    elif raw is None:
        st.caption(_("Load data first."))
    else:
        st.write(_("Removes analyzer spikes (a Hampel filter; peaks seen in several gases at once "
                 "are kept as real engine events) and slow zero drift from the chosen channels. "
                 "Turn it off to get the data exactly as loaded back."))
        on = st.toggle(_("Clean PEMS channels"), key=K.clean_on)
        if on:
            gases = ui.default_clean_channels(raw)
            K.clean_channels.set([c for c in K.clean_channels.setdefault(gases)
                                  if c in raw.columns])
            chosen = st.multiselect(_("Channels to clean"), raw.columns, key=K.clean_channels,
                                    help=_("Defaults to the exhaust gas channels present."))
            if not chosen:
                st.info(_("Choose at least one channel to clean."))
                ui.use_cleaned(None)
            else:
                try:
                    cleaned = ui.memo(("clean", raw.fingerprint(), tuple(chosen)),
                                      lambda: pc.clean(raw, chosen))
                except pc.DataError as exc:
                    st.error(_("Cleaning did not work. {error}", error=exc))
                    ui.use_cleaned(None)
                else:
                    ui.use_cleaned(cleaned)
                    info = cleaned.cleaning or {}
                    ctable = plots.cleaning_table(cleaned, chosen)
                    st.dataframe(ctable, hide_index=True, width="stretch",
                                 column_config=ui.headers(ctable))
                    if K.clean_plot.get() not in chosen:
                        K.clean_plot.set(max(
                            chosen, key=lambda c: (info.get(c) or {}).get("spikes", 0)))
                    col = st.selectbox(_("Before / after of"), chosen, key=K.clean_plot)
                    st.plotly_chart(plots.cleaning_figure(raw, cleaned, col), width="stretch",
                                    key="clean_fig")
                    st.caption(_("The cleaned drive is what the next steps (groups, training, "
                               "results) use."))
        else:
            ui.use_cleaned(None)

ds = ui.dataset()
if ds is None:
    st.info(_("No data loaded yet: load the sample or upload a CSV above."))
    st.stop()

st.divider()
st.subheader(_("Loaded: {label} — cleaned", label=ds.label) if ds.cleaning else
             _("Loaded: {label}", label=ds.label))
if ui.campaign() is not None:
    st.caption(_("The first drive of the campaign, with the columns every drive has (what the "
               "sensor groups are built from); training uses all drives."))
if ds.simulated:
    st.warning(_("Simulated sample drive — made by palstm_core.simulate, not measured data."),
               icon=":material/science:")
clock = {"row": _("row number"), "datetime": _("date-time"), "seconds": _("seconds")}[ds.time_kind]
st.write(_("{rows} rows × {n} sensor columns; clock: {clock} (column '{column}').", rows=len(ds),
           n=len(ds.columns), clock=clock, column=ds.time_column) if ds.time_column else
         _("{rows} rows × {n} sensor columns; clock: {clock}.", rows=len(ds),
           n=len(ds.columns), clock=clock))
with st.expander(_("Validation report"), expanded=True):
    for line in ds.report or [_("Nothing had to be fixed.")]:
        st.markdown(f"- {tr(line)}")

table = plots.column_table(ds)
st.dataframe(table, hide_index=True, width="stretch",
             column_config=ui.headers(table, {
                 c: st.column_config.NumberColumn(format="%.3g") for c in ("min", "max", "mean")}))

if not K.plot_channels.present:
    K.plot_channels.set([c for c in ("speed", "rpm", "NOx") if c in ds.columns]
                        or ds.columns[:3])
channels = st.multiselect(_("Channels to plot"), ds.columns, key=K.plot_channels)
if channels:
    st.plotly_chart(plots.channels_figure(ds, channels), width="stretch")

if st.button(_("Next: sensor groups →"), type="primary", key=K.to_groups):
    st.switch_page(ui.PAGE["groups"])
