"""Train: pick models and hyper-parameters; training runs in a background thread with a live
progress bar and loss curve and can be cancelled; cached runs can be reopened or deleted."""
import dataclasses

import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import N_, _, tr
from pages import _shared as ui

ui.page_setup(N_("Train"), "🏋️")
ui.start_page(ui.keys.Train)
K, R = ui.keys.Train, ui.keys.Runs
cache = ui.cache()

# ---------------------------------------------------------------------------- finished job
job = R.job.get()
if job is not None and job.done and job.open_results and job.runs:   # the demo's job
    job.open_results = False
    st.switch_page(ui.PAGE["results"])

st.title(_("3 · Train"))
ui.step_indicator("train")

device = ui.device_label(pc.device_name())
st.caption(_("Device: **{device}**", device=device) if device.startswith("GPU") else
           _("Device: **{device}** — training uses {threads} CPU thread(s) "
             "($PALSTM_TORCH_THREADS)", device=device, threads=ui.train_threads()))
ds = ui.dataset()
g, target, window = ui.grouping(), ui.target(), ui.window_spec()
ready = ds is not None and g is not None and target and window is not None



# ---------------------------------------------------------------------------- campaign
def _campaign_window(window: pc.WindowSpec) -> pc.WindowSpec:
    """With a campaign loaded: say which drives train and test, and hold the test drives
    (chosen on the Data page) out whole; without one, ``window`` as it is."""
    camp = ui.campaign()
    if camp is None:
        return window
    test = ui.test_drives()
    st.info(_("Trains on the campaign **{label}**: {n} training drive(s); test drive(s) "
              "{drives} are held out whole and scored one by one. Choose the test drives in "
              "the drive table on the Data page.", label=camp.label, n=len(camp) - len(test),
              drives=", ".join(test)) if test else
            _("Trains on the campaign **{label}**: no test drive chosen, so the last part of "
              "every drive is the test span. Choose the test drives in the drive table on the "
              "Data page.", label=camp.label))
    st.page_link(ui.PAGE["data"], label=_("Change the test drives"),
                 icon=":material/checklist:")
    return dataclasses.replace(window, test_drives=tuple(test))


# ---------------------------------------------------------------------------- settings
st.subheader(_("New training"))
if not ready:
    st.info(_("Load data and confirm the sensor groups first."))
    st.page_link(ui.PAGE["data"] if ds is None else ui.PAGE["groups"],
                 label="Go to Data" if ds is None else "Go to Sensor groups",
                 icon=":material/arrow_forward:")
else:
    ui.data_badge(ds)
    st.write(_("Predict **{target}** from {sensors} sensors in {groups} groups ({names}); "
                "lookback {lookback}, horizon {horizon}.", target=target,
                sensors=len(g.features), groups=len(g.groups), names=', '.join(g.groups),
                lookback=window.lookback, horizon=window.horizon))
    if window.steps > 1:
        st.write(_("{steps} forecast steps from every window (t + {horizon} … t + {last}).",
                   steps=window.steps, horizon=window.horizon,
                   last=window.horizon + window.steps - 1))
    window = _campaign_window(window)
    d = ui.ui_defaults()
    for key, value in ((K.trainset_models, ["pa_lstm"]),
                       (K.trainset_hidden, int(d["hidden_size"])),
                       (K.trainset_epochs, int(d["epochs"])),
                       (K.trainset_batch, int(d["batch_size"])),
                       (K.trainset_lr, float(d["lr"])),
                       (K.trainset_patience, int(d["patience"]))):
        key.setdefault(value)
    models = st.multiselect(
        _("Models"), list(pc.MODELS), key=K.trainset_models,
        format_func=ui.fmt(lambda m: f"{m} — {tr(pc.MODELS[m].description)}"),
        help=_("PA-LSTM plus baselines to compare on the same split."))
    c1, c2, c3 = st.columns(3)
    hidden = c1.number_input(_("Hidden size (per branch)"), 1, 512, key=K.trainset_hidden)
    epochs = c2.number_input(_("Max. epochs"), 1, 500, key=K.trainset_epochs)
    batch = c3.number_input(_("Batch size"), 1, 4096, key=K.trainset_batch)
    with st.expander(_("More settings")):
        e1, e2 = st.columns(2)
        lr = e1.number_input(_("Learning rate"), 1e-5, 1.0, key=K.trainset_lr, format="%.4f")
        patience = e2.number_input(_("Early-stopping patience (epochs)"), 1, 100,
                                   key=K.trainset_patience)
    running = job is not None and job.running
    mode = st.radio(_("Run"), [N_("Train"), N_("Tune")], horizontal=True, key=K.trainset_mode,
                    format_func=ui.fmt(),
                    help=_("Tune: an Optuna search of learning rate, hidden size, Huber delta, "
                         "weight decay and batch size for the first chosen model, judged on the "
                         "validation part only (never the test part); the best run is kept."))
    if mode == "Train":
        if st.button(_("Train"), type="primary", disabled=running or not models,
                     key=K.start_training):
            try:
                configs = [pc.TrainConfig(model=m, hidden_size=int(hidden), epochs=int(epochs),
                                          batch_size=int(batch), lr=float(lr),
                                          patience=int(patience)) for m in models]
            except pc.DataError as exc:
                st.error(str(exc))
            else:
                ui.start_job(ui.TrainingJob(ui.train_data(), target, g, window, configs,
                                            cache))
                st.rerun()
    else:
        K.tuneset_trials.setdefault(int(d["tune_trials"]))
        K.tuneset_seconds.setdefault(int(d["tune_seconds"]))
        t1, t2 = st.columns(2)
        trials = t1.number_input(_("Trials (at most)"), 1, 500, key=K.tuneset_trials)
        seconds = t2.number_input(_("Time budget (seconds)"), 5, 7200, key=K.tuneset_seconds)
        st.caption(_("Tunes **{model}**; the first trial is the settings above, so the result "
                      "is never worse than them on the validation part. The lookback stays "
                      "{lookback}. Trials that fall behind are stopped early.",
                      model=models[0] if models else '–', lookback=window.lookback))
        if st.button(_("Tune"), type="primary", disabled=running or not models, key=K.start_tuning):
            try:
                config = pc.TrainConfig(model=models[0], hidden_size=int(hidden),
                                        epochs=int(epochs), batch_size=int(batch), lr=float(lr),
                                        patience=int(patience))
            except pc.DataError as exc:
                st.error(str(exc))
            else:
                ui.start_job(ui.TuneJob(ui.train_data(), target, g, window, config, cache,
                                        int(trials), float(seconds)))
                st.rerun()

# ---------------------------------------------------------------------------- live progress
def _job_done(job: ui.TrainingJob, tuning: bool) -> None:
    """What a finished (and collected) job did: cancelled, errors, the runs, the tuning."""
    if job.cancelled:
        st.warning(_("Tuning was cancelled; nothing was saved.") if tuning else
                   _("Training was cancelled; nothing was saved for the cancelled model."))
    for err in job.errors:
        st.error(err)
    for run in job.runs:
        how = _("reopened from the cache") if run.from_cache else \
            _("trained in {seconds:.1f} s", seconds=run.timings.get('train_seconds', 0))
        m = run.metrics
        st.success(_("**{model}** {how}: RMSE {rmse:.3g}, MAE {mae:.3g}, R² {r2:.3f} on "
                      "the test span.", model=run.config.model, how=how,
                      rmse=m['rmse'], mae=m['mae'], r2=m['r2']))
    if tuning and job.tuned is not None:
        t = job.tuned
        best = ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                         for k, v in t.best_params.items()) or _("the settings above")
        st.info(_("Best of {n} trial(s) in {seconds:.0f} s (stopped by {stopped_by}): "
                   "{best}; validation loss {best_val_loss:.4g} vs {base_val_loss:.4g} "
                   "with the settings above. Chosen on the validation part only; the test "
                   "scores above were computed after the choice.",
                   n=len(t.trials), seconds=t.seconds, stopped_by=tr(t.stopped_by), best=best,
                   best_val_loss=t.best_val_loss, base_val_loss=t.base_val_loss))
    if job.runs and st.button(_("Open results →"), type="primary", key=K.open_results):
        st.switch_page(ui.PAGE["results"])


def live_progress(job: ui.TrainingJob) -> None:
    """Progress, trials, loss curves and a cancel button while ``job`` runs (polled by
    ``ui.watch``); its outcome once it is done."""
    tuning = isinstance(job, ui.TuneJob)
    st.subheader(_("Tuning") if tuning else _("Training"))
    st.progress(min(max(job.fraction, 0.0), 1.0), text=job.message)
    if tuning and job.trials:
        st.dataframe(pd.DataFrame(list(job.trials)), hide_index=True,
                     column_config={"val_loss": st.column_config.NumberColumn(
                         _("val loss (MSE, scaled)"), format="%.4g")})
    if any(job.histories.values()):
        snapshot = {k: list(v) for k, v in list(job.histories.items())}
        st.plotly_chart(plots.loss_figure(snapshot), width="stretch", key="loss_live")
    if job.done:
        _job_done(job, tuning)
        return
    if job.cancel.is_set():
        st.caption(_("Cancelling…"))
    elif st.button(_("Cancel"), key=K.cancel_training):
        job.cancel.set()
        st.caption(_("Cancelling…"))
    st.caption(_("{elapsed:.0f} s — the page stays usable while the model trains.",
                  elapsed=job.elapsed))


ui.watch(R.job.get(), live_progress)

# ---------------------------------------------------------------------------- calibrate
def _new_drives() -> dict[str, pc.Dataset]:
    """The drives a fleet run can be calibrated on: the campaign's, else the loaded drive."""
    camp = ui.campaign()
    if camp is not None:
        return dict(camp.drives)
    return {ds.name: ds} if ds is not None else {}


def calibrate_section() -> None:
    """Fine-tune a cached fleet run on the first minutes of a new vehicle's drive (in the
    background, ``pc.calibrate``) and compare it with the fleet run on the rest of that drive."""
    st.divider()
    st.subheader(_("Calibrate to a new vehicle"))
    st.caption(_("Fine-tunes a copy of a trained (fleet) run on the first minutes of one drive "
                 "of a vehicle it has not seen, and scores it on the rest of that drive next to "
                 "the fleet run and a run trained on those minutes alone (same rows, trip totals "
                 "included). The calibrated run is cached under its parent run."))
    rows, drives = cache.list(), _new_drives()
    if not rows or not drives:
        st.info(_("Train a fleet run and load the new vehicle's drive (with its PEMS target) "
                  "first."))
        return
    labels = {r["key"]: " · ".join((r["model"], r["data"], r["target"], r["key"])) for r in rows}
    if K.calib_run.get() not in labels:
        K.calib_run.set(next(iter(labels)))
    if K.calib_drive.get() not in drives:
        test = [d for d in ui.test_drives() if d in drives]
        K.calib_drive.set(test[0] if test else next(iter(drives)))
    K.calib_minutes.setdefault(5.0)
    c1, c2, c3 = st.columns([3, 2, 1])
    key = c1.selectbox(_("Fleet run"), list(labels), format_func=labels.get, key=K.calib_run)
    drive = c2.selectbox(_("New vehicle's drive"), list(drives), key=K.calib_drive)
    minutes = c3.number_input(_("Minutes"), 0.5, 600.0, step=0.5, key=K.calib_minutes,
                              help=_("Minutes at the start of the drive to calibrate on; the "
                                     "last 20 % of them decide when to stop (validation)."))
    busy = K.calib_job.get() is not None and not K.calib_job.get().done
    start = st.button(_("Calibrate"), disabled=busy, key=K.start_calib)
    run = cache.load(key) if start else None
    if start and run is None:
        st.error(_("That run could not be read from the cache; train it again."))
        start = False
    config = {"run": run, "drive": drives[drive], "minutes": float(minutes)}
    if ui.background(K.calib_job, K.calib_result, start, pc.calibrate, config, cache,
                     (N_("Calibration"), K.cancel_calib, N_("Cancel calibration"))):
        return
    done = K.calib_result.get()
    if done is not None:
        _calibration_result(done[1])


def _calibration_result(cal: pc.Calibration) -> None:
    fields = dict(parent=cal.parent, minutes=cal.minutes, drive=cal.drive, key=cal.key,
                  rows=cal.rows["test"])
    st.success(_("Run {parent} reopened from the cache: calibrated on the first {minutes:g} min "
                 "of **{drive}** (run {key}); scored on the remaining {rows} rows.", **fields)
               if cal.from_cache else
               _("Run {parent} calibrated on the first {minutes:g} min of **{drive}** (run "
                 "{key}); scored on the remaining {rows} rows.", **fields))
    table = cal.table()
    table = table.set_axis([tr(c, quiet=True) for c in table.columns], axis=1)
    table.iloc[:, 0] = table.iloc[:, 0].map(tr)             # fleet / calibrated / this drive only
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4g")
                                for c in table.columns[1:]})
    for line in cal.report:
        st.caption(tr(line, quiet=True))


calibrate_section()

# ---------------------------------------------------------------------------- cached runs
st.divider()
st.subheader(_("Cached runs"))
for line in cache.report:            # the cache folder could not be written: where runs went
    st.warning(line)
rows = cache.list()
if not rows:
    st.caption(_("No trained runs in the cache yet."))
else:
    fp = ui.fingerprint(ui.train_data())
    table = pd.DataFrame([{
        N_("model"): r["model"],
        N_("data"): _("{name} (simulated)", name=r["data"]) if r["simulated"] else r["data"],
        N_("target"): r["target"], N_("this data"): r["data_fingerprint"] == fp,
        "RMSE": r["rmse"], "MAE": r["mae"], "R²": r["r2"], N_("created (UTC)"): r["created"],
        N_("key"): r["key"]} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config=ui.headers(table, {c: st.column_config.NumberColumn(format="%.3g")
                                                  for c in ("RMSE", "MAE", "R²")}))
    labels = {r["key"]: " · ".join((r["model"], r["data"], r["target"], r["created"], r["key"]))
              for r in rows}
    key = st.selectbox(_("Run"), list(labels), format_func=labels.get, key=K.cached_pick)
    b1, b2, _spacer = st.columns([1, 1, 4])
    if b1.button(_("Open"), key=K.open_cached):
        run = ui.open_cached(key)
        if run is None:
            st.error(_("That run could not be read from the cache; train it again."))
        else:
            if ds is None or run.data_fingerprint != ds.fingerprint():
                if ds is None or not ui.fits(run, ds):
                    st.warning(_("This run was trained on {data_name}; load that data (or "
                                  "a drive with the same columns) to see its results.",
                                  data_name=run.data_name))
                    st.stop()
            st.switch_page(ui.PAGE["results"])
    if b2.button(_("Delete"), key=K.delete_cached):
        ui.delete_run(key)
        st.rerun()
