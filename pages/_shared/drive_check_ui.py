"""Results' lab → road section: the run checked on the whole of another drive (another
sample or an uploaded file), with ``pc.drive_check``; a section function that
``pages/4_Results.py`` calls from ``main()``."""
from __future__ import annotations

import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import _, tr

from .keys import Results as K
from .lang import fmt
from .state import first_step, memo, parse_upload

UPLOAD = "Upload a CSV…"             # option value of the drive selector; shown translated


def other_drive(ds: pc.Dataset) -> pc.Dataset | None:
    """A second drive: another sample or an uploaded CSV (None: not chosen)."""
    others = [s for s in pc.SAMPLES if f"sample: {s}" != ds.name]
    choice = st.selectbox(_("Drive"), ["—", *others, UPLOAD], key=K.res_other,
                          format_func=fmt(lambda o: _("Upload a CSV…") if o == UPLOAD else o),
                          help=_("Train on one drive (e.g. urban), check the model on another."))
    if choice == UPLOAD:
        up = st.file_uploader(_("Second drive (CSV)"), type=["csv", "txt"], key=K.other_upload)
        return parse_upload(up, _("second drive"))
    if choice != "—":
        return memo(("sample", choice), lambda: pc.load_sample(choice))
    return None


def lab_to_road_section(run: pc.TrainedRun, ds: pc.Dataset) -> None:
    """``pc.drive_check`` of the run on the whole of a second drive."""
    st.subheader(_("Evaluate on another drive (lab → road)"))
    other = other_drive(ds)
    if other is None:
        return
    try:
        check = memo(("drive_check", run.key, other.fingerprint()),
                        lambda: pc.drive_check(run, other))
    except pc.DataError as exc:
        st.error(tr(str(exc)))
        return
    m = check.metrics
    if check.measured:
        st.write(_("**{model}** trained on {data}, tested on the whole of {other}: RMSE "
                   "{rmse:.3g}, MAE {mae:.3g}, R² {r2:.3f} (own test span: RMSE {own:.3g}).",
                   model=run.config.model,
                   data=_("{name} (simulated)", name=run.data_name) if run.simulated
                   else run.data_name, other=other.label, rmse=m["rmse"], mae=m["mae"],
                   r2=m["r2"], own=run.metrics["rmse"]))
    else:
        st.write(_("{label} has no {target} column: predictions only (estimated from the "
                    "sensors).", label=other.label, target=run.target))
    one = first_step(check.predictions)         # step 1 of a multi-step run
    st.plotly_chart(plots.predictions_figure({run.config.model: one}, run.target,
                                             run.target_unit, other.time_kind,
                                             title=other.label),
                    width="stretch", key="other_fig")
