"""Results' multi-step views (a run with ``window.steps > 1``) and the model's own attention
maps (seq2seq's decoder × encoder map, the transformer's heads), as section functions that
``pages/4_Results.py`` calls from ``main()``.

A multi-step ``run.predict`` frame is long (one row per window and step); ``run.explain`` and
the one-window views of Results are one row per window. ``one_row_per_window`` gives those
views step 1 (the step the maps explain); the fan, the error by step and the maps below use the
long frame and the window chosen on the page. The numbers come from ``palstm_core``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import plots
from pages._shared.text import N_, _

from . import figures
from .lang import headers
from .state import fingerprint, first_step, memo

LEAD = N_("steps after the newest input")          # a table column (shown translated)

def one_row_per_window(results: dict) -> tuple[dict, dict[str, pd.DataFrame]]:
    """``{key: (predict, explain)}`` -> the same with step 1 of every multi-step prediction
    (one row per window, as ``explain``), and ``{key: predict}`` in the run's own (long) form."""
    long = {k: p for k, (p, _a) in results.items()}
    return {k: (first_step(p), a) for k, (p, a) in results.items()}, long


def step_one_note(run: pc.TrainedRun) -> None:
    """Under the leaderboard: which step the one-row-per-window plots show."""
    if run.window.steps > 1:
        w = run.window
        st.info(_("This run forecasts **{S} steps** from every window (t + {h} … t + {last}). "
                  "The leaderboard scores all steps together; the predictions, the window and "
                  "its maps below show **step 1**, and the multi-step forecast of the chosen "
                  "window follows them.", S=w.steps, h=w.horizon, last=w.horizon + w.steps - 1))


def window_at(pred1: pd.DataFrame, t: float) -> int:
    """Row of the one-row-per-window frame ``pred1`` whose (step-1) time is nearest ``t``."""
    return int(np.argmin(np.abs(pred1["time"].to_numpy(dtype=float) - float(t))))


# ---------------------------------------------------------------------------- fan
def fan_section(run: pc.TrainedRun, pred: pd.DataFrame, ds: pc.Dataset, origin: float) -> None:
    """The forecasts of the chosen window (bold) and the origins just before it, against the
    actual target, and the chosen window's numbers per step."""
    w = run.window
    st.subheader(_("Forecast of the next {S} steps from the chosen window", S=w.steps))
    st.plotly_chart(plots.forecast_fan_figure(pred, origin, run.target, run.target_unit,
                                              ds.time_kind, n_origins=5),
                    width="stretch", key="fan_fig")
    rows = pred[pred["origin"] == origin].sort_values("step")
    table = pd.DataFrame({"step": rows["step"].to_numpy(),
                          LEAD: w.horizon + rows["step"].to_numpy() - 1,
                          "time": rows["time"].to_numpy(), "actual": rows["actual"].to_numpy(),
                          "predicted": rows["predicted"].to_numpy()})
    table["error"] = table["predicted"] - table["actual"]
    st.dataframe(table, hide_index=True, width="stretch", key="fan_table",
                 column_config=headers(table, {c: st.column_config.NumberColumn(format="%.4g")
                                               for c in ("time", "actual", "predicted",
                                                         "error")}))
    st.caption(_("The origin (dashed line) is the newest input of the window chosen above; the "
                 "bold line is what the model forecast from it for steps 1 … {S}, the faint "
                 "lines the forecasts of the 4 windows before it. Move the time slider above to "
                 "pick another origin. Units: {unit}.", S=w.steps,
                 unit=run.target_unit or _("target unit")))


# ---------------------------------------------------------------------------- error by step
def error_by_step_section(run: pc.TrainedRun, long: dict[str, pd.DataFrame],
                          usable: dict[str, pc.TrainedRun], ds: pc.Dataset) -> None:
    """RMSE and R² by forecast step on this drive's test span, a line per compared run (a
    one-step run is a single point at step 1), and the chosen run's table."""
    st.subheader(_("Error by forecast step"))
    by_step = {f"{usable[k].config.model} · {k[:6]}": pc.step_metrics(p) for k, p in long.items()}
    c1, c2 = st.columns(2)
    c1.plotly_chart(plots.error_by_step_figure(by_step, "rmse", run.target_unit),
                    width="stretch", key="step_rmse_fig")
    c2.plotly_chart(plots.error_by_step_figure(by_step, "r2"), width="stretch",
                    key="step_r2_fig")
    mine = pc.step_metrics(long[run.key])
    table = pd.DataFrame([{"step": k, LEAD: run.window.horizon + k - 1,
                           "RMSE": m["rmse"], "MAE": m["mae"], "R²": m["r2"]}
                          for k, m in mine.items()])
    st.dataframe(table, hide_index=True, width="stretch", key="step_table",
                 column_config=headers(table, {c: st.column_config.NumberColumn(format="%.3g")
                                               for c in ("RMSE", "MAE", "R²")}))
    st.caption(_("Computed on the test span of {label}, step by step (step k forecasts {h} + "
                 "k − 1 steps after the newest input). The further ahead, the less the window "
                 "knows: error usually grows with the step.", label=ds.label,
                 h=run.window.horizon))


# ---------------------------------------------------------------------------- own maps
def own_maps(run: pc.TrainedRun, ds: pc.Dataset, i: int):
    """``pc.explain.model_maps`` of test window ``i`` (memoised), or a message string."""
    def compute():
        try:
            return pc.explain.model_maps(run, ds, [i], part="test")
        except (ValueError, IndexError, pc.DataError) as exc:
            return str(exc)
    return memo(("model_maps", run.key, fingerprint(ds), int(i)), compute)


def model_maps_section(run: pc.TrainedRun, ds: pc.Dataset, i: int) -> None:
    """What a map means for a multi-step run; seq2seq's decoder-step × encoder-step attention
    and the transformer's heads (query step × key step) for window ``i``."""
    w = run.window
    maps = own_maps(run, ds, i)
    if not maps and w.steps == 1:
        return
    st.subheader(_("The model's own attention in this window"))
    if w.steps > 1:
        st.markdown(_(
            "**What a map means for a multi-step forecast.** One window of inputs gives all {S} "
            "forecasts at once, and the relevance / attention / attribution maps above are "
            "computed per window: they explain **step 1** (t + {h}), the prediction the "
            "one-row-per-window plots show. The model's own maps below belong to the window as "
            "a whole; only seq2seq has one attention row per forecast step (its decoder reads "
            "the encoder again at every step).", S=w.steps, h=w.horizon))
    if isinstance(maps, str):
        st.error(maps)
        return
    if not maps:
        st.caption(_("{model} has no attention map of its own beyond the map above.",
                     model=run.config.model))
        return
    if "decoder" in maps:
        st.plotly_chart(figures.decoder_attention_figure(
            maps["decoder"][0], title=_("seq2seq ({kind}): which encoder step each decoder "
                                        "step reads", kind=run.config.attention)),
            width="stretch", key="decoder_map_fig")
        st.caption(_("Row k = decoder step k (forecast step k), columns = the encoder's "
                     "hidden states h_j of the window's input steps (t = newest); every row "
                     "sums to 1: a_kj = softmax_j(e_kj). At inference the decoder is fed its "
                     "own previous forecast (no teacher forcing)."))
    layers = {k: v[0] for k, v in maps.items() if k.startswith("layer")}
    if layers:
        st.plotly_chart(figures.heads_figure(layers, _("Transformer: every head of every layer "
                                                       "(query step × key step)")),
                        width="stretch", key="heads_map_fig")
        st.caption(_("Each panel is one head's softmax(Q_h K_hᵀ / √d_h): row i = the query "
                     "step, column j = the key step it reads, rows sum to 1. The forecast is "
                     "read from the newest step's row (t) of the last layer."))


def forecast_sections(run: pc.TrainedRun, long: dict[str, pd.DataFrame],
                      usable: dict[str, pc.TrainedRun], ds: pc.Dataset, t: float) -> None:
    """Results for the window at (step-1) time ``t``: the fan and the error by step (steps > 1),
    and the model's own attention maps."""
    pred1 = first_step(long[run.key])
    i = window_at(pred1, t)
    if run.window.steps > 1:
        fan_section(run, long[run.key], ds, float(pred1["origin"].iloc[i]))
        error_by_step_section(run, long, usable, ds)
    model_maps_section(run, ds, i)
