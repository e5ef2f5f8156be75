"""PA-LSTM Explorer — home page: what the tool is, where this session stands, quick starts."""
import streamlit as st

import palstm_core as pc
from pages._shared.text import _
from pages import _shared as ui

ui.page_setup("PA-LSTM Explorer", "🚗")
ui.start_page(ui.keys.Home)
K = ui.keys.Home

st.title(_("PA-LSTM Explorer"))
st.markdown(
    _("Predict a vehicle's emissions (NOx, CO2, …) from its PEMS and OBD sensor logs with a "
    "**PA-LSTM**: the sensors are split into groups, each group gets its own attention LSTM "
    "branch, and a temporal attention picks the time steps that matter. "
    "Load a drive, check the sensor groups, train the model (GPU if there is one, CPU otherwise) "
    "and compare it with baselines. "
    "Every prediction is shown next to its feature-attention and temporal-attention heatmaps, "
    "so you can see which sensor at which moment the model looked at.")
)

ui.step_indicator()

c1, c2 = st.columns(2)
with c1:
    st.subheader(_("Start"))
    st.write(_("Load the shipped urban drive (simulated) and go on to the sensor groups."))
    if st.button(_("Start with sample data"), type="primary", key=K.start_sample):
        ui.load_sample_into_session("urban")
        st.switch_page(ui.PAGE["groups"])
    st.write(_("Or bring your own CSV (one row per time step, one column per sensor)."))
    st.page_link(ui.PAGE["data"], label=_("Upload your own CSV"), icon=":material/folder_open:")
with c2:
    st.subheader(_("Demo"))
    demo = ui.demo_settings()
    cfg = demo["config"]
    st.write(_("Train a small PA-LSTM on the urban sample (hidden {hidden}, {epochs} "
                "epochs, lookback {lookback}) — or reopen it from the cache — and open the "
                "results at the highest NOx event of the test span.",
                hidden=cfg['hidden_size'], epochs=cfg['epochs'], lookback=demo['lookback']))
    if st.button(_("Demo"), key=K.demo):
        ds = pc.load_sample(demo["sample"])
        ui.set_dataset(ds)
        target = demo["target"]
        g = pc.suggest_groups(ds, target)
        window = pc.WindowSpec(lookback=demo["lookback"], horizon=demo["horizon"])
        ui.set_problem(target, g, window)
        job = ui.TrainingJob(ds, target, g, window, [pc.TrainConfig(**cfg)], ui.cache(),
                             open_results=True, focus="peak")
        ui.start_job(job)
        st.switch_page(ui.PAGE["train"])

st.divider()
st.caption(_("Compute device: {device}. Trained models are cached on disk and shared "
              "between browser sessions; everything else belongs to this browser tab.",
              device=ui.device_label(pc.device_name())))
