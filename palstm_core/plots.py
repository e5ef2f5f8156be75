"""Plotly figures a notebook user would also want, named by what they draw (plus the two small
display tables of ``tables.py``, re-exported). Pure functions: data in, figure out; the numbers
they show are computed by their owners (``grouping.lagged_correlation``,
``windows.window_steps``, ``metrics``, ``explain``).

No Streamlit here (the pages call these). Colours are mid-tone so that the figures read in the
light and the dark theme; backgrounds are left transparent for the host theme to fill.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .data import Dataset
from .explain import Attention
from .explore_plots import error_by_value_figure, sensitivity_figure  # noqa: F401 - re-export
from .i18n import N_, _, tr
from .metrics import exceedance_flags
from .tables import cleaning_table, column_table  # noqa: F401 (re-exported display tables)

from .plots_warning import tradeoff_figure  # noqa: F401  (a figure of ``plots``)
from .plot_base import (ACTUAL, GRID, OUTCOME_COLOURS, OUTCOME_NAMES, PALETTE,  # noqa: F401
                        SEPARATOR, _layout, time_title, time_values, with_unit)


# ----------------------------------------------------------- signals over time
def channels_figure(ds: Dataset, channels: Sequence[str]) -> go.Figure:
    """Chosen channels over time, one row each on a shared, zoomable time axis."""
    channels = [c for c in channels if c in ds.columns]
    n = max(len(channels), 1)
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=0.02)
    x = time_values(ds.times, ds.time_kind)
    for i, c in enumerate(channels, 1):
        fig.add_trace(go.Scattergl(x=x, y=ds.frame[c], name=c, mode="lines",
                                   line=dict(width=1.2, color=PALETTE[(i - 1) % len(PALETTE)])),
                      row=i, col=1)
        fig.update_yaxes(title_text=with_unit(c, ds.units.get(c, "")), row=i, col=1)
    fig.update_xaxes(title_text=time_title(ds.time_kind), row=n, col=1)
    return _layout(fig, height=max(220, 150 * n + 60), title=ds.label, showlegend=False)


def predictions_figure(preds: Mapping[str, pd.DataFrame], target: str, unit: str = "",
                       time_kind: str = "seconds", threshold: float | None = None,
                       marker_time: float | None = None, title: str | None = None,
                       range_slider: bool = True, height: int = 380,
                       band: pd.DataFrame | None = None, band_name: str = "interval") -> go.Figure:
    """Actual target and each run's prediction over time, zoomable, with a range slider;
    ``band`` (a frame with time, lower, upper; step 1 of a multi-step one) is drawn shaded."""
    fig = go.Figure()
    if band is not None:
        band = band[band["step"] == 1] if "step" in band else band
        x = time_values(band["time"], time_kind)
        fig.add_trace(go.Scatter(x=x, y=band["upper"], mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip", name=band_name))
        fig.add_trace(go.Scatter(x=x, y=band["lower"], mode="lines", line=dict(width=0),
                                 fill="tonexty", fillcolor="rgba(31,119,180,0.18)",
                                 name=band_name))
    first = next(iter(preds.values()), None)
    if first is not None and first["actual"].notna().any():
        fig.add_trace(go.Scatter(x=time_values(first["time"], time_kind), y=first["actual"],
                                   name=_("actual"), mode="lines", line=dict(color=ACTUAL, width=2)))
    for i, (name, p) in enumerate(preds.items()):
        fig.add_trace(go.Scatter(x=time_values(p["time"], time_kind), y=p["predicted"],
                                   name=f"{name}", mode="lines",
                                   line=dict(color=PALETTE[i % len(PALETTE)], width=1.5)))
    if threshold is not None:
        fig.add_hline(y=threshold, line=dict(color=OUTCOME_COLOURS["miss"], dash="dot"),
                      annotation_text=_("threshold"), annotation_position="top left")
    if marker_time is not None:
        fig.add_vline(x=time_values([marker_time], time_kind)[0],
                      line=dict(color=SEPARATOR, dash="dash"))
    fig.update_yaxes(title_text=with_unit(target, unit))
    fig.update_xaxes(title_text=time_title(time_kind), rangeslider=dict(visible=range_slider,
                                                                        thickness=0.08))
    return _layout(fig, height=height, title=title)


def residuals_figure(preds: Mapping[str, pd.DataFrame], target: str, unit: str = "",
                     time_kind: str = "seconds") -> go.Figure:
    """Residual (predicted − actual) over time and its distribution, per run."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.7, 0.3], shared_yaxes=True,
                        horizontal_spacing=0.02)
    for i, (name, p) in enumerate(preds.items()):
        r = p["predicted"] - p["actual"]
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scattergl(x=time_values(p["time"], time_kind), y=r, name=name,
                                   mode="markers", marker=dict(size=3, color=colour)), 1, 1)
        fig.add_trace(go.Histogram(y=r, name=name, marker_color=colour, opacity=0.6,
                                   showlegend=False), 1, 2)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text=_("residual {target}", target=with_unit(target, unit)), row=1,
                     col=1)
    fig.update_xaxes(title_text=time_title(time_kind), row=1, col=1)
    fig.update_xaxes(title_text=_("count"), row=1, col=2)
    return _layout(fig, height=300)


def exceedance_figure(pred: pd.DataFrame, threshold: float, target: str, unit: str = "",
                      time_kind: str = "seconds") -> go.Figure:
    """Actual and predicted target with the threshold; hits, misses and false alarms marked."""
    fig = predictions_figure({_("predicted"): pred}, target, unit, time_kind, threshold=threshold,
                             range_slider=False, height=320)
    flags = exceedance_flags(pred["actual"], pred["predicted"], threshold)
    x = time_values(pred["time"], time_kind)
    for outcome, colour in OUTCOME_COLOURS.items():
        m = flags == outcome
        if m.any():
            y = pred["predicted"] if outcome == "false alarm" else pred["actual"]
            fig.add_trace(go.Scattergl(x=np.asarray(x)[m], y=np.asarray(y)[m], mode="markers",
                                       name=tr(OUTCOME_NAMES[outcome]),
                                       marker=dict(color=colour, size=6)))
    return fig


def cleaning_figure(raw: Dataset, cleaned: Dataset, column: str) -> go.Figure:
    """One channel before (grey) and after cleaning, with the removed spikes marked."""
    x = time_values(raw.times, raw.time_kind)
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=x, y=raw.frame[column], name=_("before"), mode="lines",
                               line=dict(color=ACTUAL, width=1.2)))
    fig.add_trace(go.Scattergl(x=time_values(cleaned.times, cleaned.time_kind),
                               y=cleaned.frame[column], name=_("after cleaning"), mode="lines",
                               line=dict(color=PALETTE[0], width=1.2)))
    rows = [int(r) for r in ((cleaned.cleaning or {}).get(column) or {}).get("spike_rows", [])
            if 0 <= int(r) < len(raw)]
    if rows:
        fig.add_trace(go.Scattergl(x=np.asarray(x)[rows], y=raw.frame[column].to_numpy()[rows],
                                   name=_("removed spikes ({n})", n=len(rows)), mode="markers",
                                   marker=dict(color=OUTCOME_COLOURS["miss"], size=9,
                                               symbol="x")))
    fig.update_yaxes(title_text=with_unit(column, raw.units.get(column, "")))
    fig.update_xaxes(title_text=time_title(raw.time_kind))
    return _layout(fig, height=320)


# ----------------------------------------------------------- sensor-group rows
def _grouped_order(features: Sequence[str], groups: Mapping[str, Sequence[str]] | None
                   ) -> tuple[list[str], list[tuple[str, int, int]]]:
    """Features in group order and (group, first row, last row + 1) for each group."""
    if not groups:
        return list(features), []
    order, bounds = [], []
    for g, cols in groups.items():
        cols = [c for c in cols if c in features and c not in order]
        if cols:
            bounds.append((g, len(order), len(order) + len(cols)))
            order += cols
    rest = [c for c in features if c not in order]
    if rest:
        bounds.append((_("other"), len(order), len(order) + len(rest)))
        order += rest
    return order, bounds


def _group_separators(fig: go.Figure, bounds, x_ref: str = "x", y_ref: str = "y",
                      label_x: float = 1.0) -> None:
    """Horizontal lines between groups and the group names on the right edge."""
    x_domain = "x domain" if x_ref == "x" else f"{x_ref} domain"
    for k, (name, lo, hi) in enumerate(bounds):
        if k > 0:
            fig.add_shape(type="line", xref=x_domain, yref=y_ref, x0=0, x1=1, y0=lo - 0.5,
                          y1=lo - 0.5, line=dict(color=SEPARATOR, width=2.5))
        fig.add_annotation(xref=x_domain, yref=y_ref, x=label_x, y=(lo + hi - 1) / 2,
                           text=f"<b>{name}</b>", showarrow=False, xanchor="left",
                           font=dict(size=11), xshift=4)


# ----------------------------------------------------------------- correlation
def correlation_figure(corr: pd.DataFrame, groups: Mapping[str, Sequence[str]] | None,
                       target: str) -> go.Figure:
    """Heatmap of ``grouping.lagged_correlation`` rows, grouped by sensor group (separators
    and labels)."""
    order, bounds = _grouped_order(list(corr.index), groups)
    z = corr.loc[order].to_numpy()
    lags = [-int(c) for c in corr.columns]
    fig = go.Figure(go.Heatmap(
        z=z, x=lags, y=order, zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
        colorbar=dict(title="r", thickness=12, x=1.0, xanchor="left", xpad=72),
        hovertemplate=_("%{y} %{x} steps before: r = %{z:.2f}") + "<extra></extra>"))
    _group_separators(fig, bounds, x_ref="x", label_x=1.0)
    fig.update_yaxes(autorange="reversed", title_text=None)
    fig.update_xaxes(title_text=_("steps before the {target} value (0 = same step)",
                                   target=target))
    fig = _layout(fig, height=max(260, 22 * len(order) + 90),
                  title=_("Correlation with {target}", target=target))
    fig.update_layout(margin=dict(r=118))
    return fig


def lag_curve_figure(alignment: Mapping) -> go.Figure | None:
    """Correlation of the PEMS/OBD channel pair at each candidate analyzer delay, with the lag
    that was used marked (``ds.alignment`` from ``merge_drives``); None without a curve."""
    curve = (alignment or {}).get("lag_curve")
    if not curve or not len(curve.get("lag_s", [])):
        return None
    pair = alignment.get("pair") or ("PEMS", "OBD")
    fig = go.Figure(go.Scatter(x=list(curve["lag_s"]), y=list(curve["r"]), mode="lines+markers",
                               line=dict(color=PALETTE[0], width=2), marker=dict(size=5),
                               name=_("correlation"),
                               hovertemplate=_("delay %{x:.1f} s: r = %{y:.3f}")
                               + "<extra></extra>"))
    lag = alignment.get("lag_s")
    if lag is not None and np.isfinite(lag):
        given = str(getattr(alignment.get("lag_method"), "msgid", alignment.get("lag_method"))
                    or "").startswith("given")
        text = (_("delay set by you: {lag:g} s", lag=float(lag)) if given else
                _("delay used: {lag:g} s", lag=float(lag)))
        fig.add_vline(x=float(lag), line=dict(color=PALETTE[3], dash="dash", width=2),
                      annotation_text=text,
                      annotation_position="top right")
    fig.update_xaxes(title_text=_("analyzer delay tried [s] (PEMS moved earlier by this much)"))
    fig.update_yaxes(title_text=_("r ({pems} vs {obd})", pems=pair[0], obd=pair[1]))
    return _layout(fig, height=280, title=_("Correlation of PEMS {pems} with OBD {obd}",
                                             pems=pair[0], obd=pair[1]))


# ------------------------------------------------------------- training curves
def loss_figure(histories: Mapping[str, Sequence[Mapping]]) -> go.Figure:
    """Training and validation loss (scaled MSE) per epoch, one colour per model."""
    fig = go.Figure()
    for i, (name, hist) in enumerate(histories.items()):
        if not hist:
            continue
        colour = PALETTE[i % len(PALETTE)]
        ep = [h["epoch"] for h in hist]
        fig.add_trace(go.Scatter(x=ep, y=[h["train_loss"] for h in hist], name=_("{name} train", name=name),
                                 mode="lines+markers", line=dict(color=colour)))
        fig.add_trace(go.Scatter(x=ep, y=[h["val_loss"] for h in hist], name=_("{name} validation",
                                                                                name=name),
                                 mode="lines+markers", line=dict(color=colour, dash="dash")))
    fig.update_xaxes(title_text=_("epoch"))
    fig.update_yaxes(title_text=_("loss (MSE, scaled)"), type="log")
    return _layout(fig, height=300)


# ------------------------------------------------------------------- attention
def window_axis(lookback: int, step_times: np.ndarray | None = None,
                predicted_time: float | None = None) -> tuple[np.ndarray, str]:
    """x values of a window's steps: seconds relative to the predicted time when the step
    times are known, else steps back from the newest input; and the axis title."""
    if step_times is not None and predicted_time is not None:
        return (np.asarray(step_times, dtype=float) - float(predicted_time),
                _("seconds before the predicted time"))
    return np.arange(-lookback + 1, 1, dtype=float), _("steps back from the newest input")


def _map_heatmap(values: np.ndarray, features: Sequence[str], order: list[str], x,
                 signed: bool, zrange: tuple[float, float] | None, **kw) -> go.Heatmap:
    """Heatmap trace of an (L, F) map, rows in ``order``; signed maps get a diverging scale."""
    z = np.asarray(values, dtype=float)[:, [list(features).index(c) for c in order]].T
    if zrange is None:
        lim = max(float(np.abs(z).max()), 1e-9)
        zrange = (-lim, lim) if signed else (0.0, lim)
    return go.Heatmap(z=z, x=x, y=order, zmin=zrange[0], zmax=zrange[1],
                      colorscale="RdBu" if signed else "Viridis", reversescale=signed,
                      hovertemplate=_("%{y} at %{x:.1f}: %{z:.3g}") + "<extra></extra>", **kw)


def map_window_figure(values: np.ndarray | None, features: Sequence[str],
                      groups: Mapping[str, Sequence[str]] | None, x: np.ndarray, x_title: str,
                      title: str, temporal: np.ndarray | None = None, signed: bool = False,
                      colorbar_title: str | None = None) -> go.Figure:
    """One window's (L, F) map (sensors × lookback steps, rows grouped by sensor group) above
    an optional temporal-weight profile (L,), on one shared time axis."""
    has_f, has_t = values is not None, temporal is not None
    rows = int(has_f) + int(has_t)
    if rows == 0:
        fig = go.Figure()
        fig.add_annotation(text=_("This model has no attention to show."), showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5)
        return _layout(fig, height=200)
    order, bounds = _grouped_order(features, groups) if has_f else ([], [])
    heights = [max(0.55, min(0.8, 0.05 * len(order))), 0.3] if rows == 2 else [1.0]
    heights = [h / sum(heights) for h in heights]
    titles = ([title] if has_f else []) + ([_("Temporal attention (which time step)")]
                                          if has_t else [])
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, row_heights=heights,
                        vertical_spacing=0.1, subplot_titles=titles)
    if has_f:
        fig.add_trace(_map_heatmap(values, features, order, x, signed, None, colorbar=dict(
            title=colorbar_title or _("weight"), thickness=12, len=heights[0], y=1, yanchor="top", x=1.0,
            xanchor="left", xpad=72)), row=1, col=1)
        fig.update_yaxes(autorange="reversed", row=1, col=1)
        _group_separators(fig, bounds, x_ref="x", y_ref="y", label_x=1.0)
    if has_t:
        fig.add_trace(go.Bar(x=x, y=temporal, marker_color=PALETTE[0],
                             name=_("temporal attention"), showlegend=False,
                             hovertemplate="%{x:.1f}: %{y:.3f}<extra></extra>"), row=rows, col=1)
        fig.update_yaxes(title_text=_("weight"), rangemode="tozero", row=rows, col=1)
    fig.update_xaxes(title_text=x_title, row=rows, col=1)
    height = (max(260, 20 * len(order) + 120) if has_f else 0) + (200 if has_t else 0)
    fig = _layout(fig, height=height)
    fig.update_layout(margin=dict(l=10, r=118 if has_f else 10, t=30, b=10))
    return fig


def attention_window_figure(att: Attention, index: int, step_times: np.ndarray | None = None,
                            predicted_time: float | None = None) -> go.Figure:
    """Window ``index``: feature attention α (features × lookback steps, rows grouped by sensor
    group) above the temporal-attention profile, on one shared time axis.

    The x axis is seconds relative to the predicted time (negative = before it) when
    ``step_times``/``predicted_time`` are given, else steps back from the newest input.
    """
    x, x_title = window_axis(att.lookback, step_times, predicted_time)
    return map_window_figure(
        None if att.feature is None else att.feature[index], att.features, att.groups, x,
        x_title, _("Feature attention (which sensor, when)"),
        None if att.temporal is None else att.temporal[index])


def map_pair_figure(maps: Sequence[np.ndarray], titles: Sequence[str], features: Sequence[str],
                    groups: Mapping[str, Sequence[str]] | None, xs: Sequence[np.ndarray],
                    x_title: str) -> go.Figure:
    """Two (L, F) maps side by side on ONE colour scale (a shared coloraxis from 0 to the
    larger maximum), each on its own step axis ``xs[i]``. Pass maps already on a common
    footing (e.g. ``explain.maps.shares``)."""
    order, bounds = _grouped_order(features, groups)
    zmax = max(max(float(np.abs(m).max()) for m in maps), 1e-9)
    fig = make_subplots(rows=1, cols=len(maps), shared_yaxes=True, subplot_titles=list(titles),
                        horizontal_spacing=0.04)
    for c, (m, x) in enumerate(zip(maps, xs), 1):
        fig.add_trace(_map_heatmap(np.abs(m), features, order, x, False, (0.0, zmax),
                                   coloraxis="coloraxis"), row=1, col=c)
        fig.update_xaxes(title_text=x_title, row=1, col=c)
    fig.update_yaxes(autorange="reversed")
    _group_separators(fig, bounds, x_ref=f"x{len(maps)}", y_ref="y", label_x=1.0)
    fig = _layout(fig, height=max(280, 20 * len(order) + 130))
    fig.update_layout(coloraxis=dict(colorscale="Viridis", cmin=0, cmax=zmax, colorbar=dict(
        title=_("share"), thickness=12, x=1.0, xanchor="left", xpad=72)),
        margin=dict(l=10, r=118, t=40, b=10))
    return fig


def deletion_curve_figure(curve, unit: str = "") -> go.Figure:
    """Deletion curve (``explain.deletion_curve``): error as the top cells of the map are
    replaced by their training mean, against the mean of random orders."""
    pct = 100 * np.asarray(curve.fractions)
    fig = go.Figure()
    fig.add_scatter(x=pct, y=curve.error, mode="lines+markers", line=dict(color=PALETTE[3]),
                    name=_("top cells of the map first (area {area:.2f})", area=curve.area))
    fig.add_scatter(x=pct, y=curve.error_random, mode="lines+markers",
                    line=dict(color=ACTUAL, dash="dash"),
                    name=_("random order (area {area_random:.2f})",
                            area_random=curve.area_random))
    fig.update_xaxes(title_text=_("input cells removed per window (%)"))
    fig.update_yaxes(title_text=with_unit("RMSE", unit), rangemode="tozero")
    return _layout(fig, height=300)


def importance_figure(att: Attention) -> go.Figure | None:
    """Mean attention over the whole span: per sensor group (group weights) and per feature."""
    fi, gi = att.feature_importance(), att.group_importance()
    if fi is None and gi is None:
        return None
    cols = int(fi is not None) + int(gi is not None)
    titles = ([_("Group weight (mean)")] if gi is not None else []) + \
             ([(_("Feature attention within its group (mean)") if len(att.groups) > 1
               else _("Feature attention over all sensors (mean)"))] if fi is not None else [])
    fig = make_subplots(rows=1, cols=cols, subplot_titles=titles,
                        column_widths=[0.35, 0.65] if cols == 2 else [1.0],
                        horizontal_spacing=0.18)
    group_colour = {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(att.groups)}
    c = 1
    if gi is not None:
        fig.add_trace(go.Bar(x=gi.values, y=list(gi.index), orientation="h",
                             marker_color=[group_colour[g] for g in gi.index], showlegend=False,
                             hovertemplate="%{y}: %{x:.3f}<extra></extra>"), 1, c)
        fig.update_yaxes(autorange="reversed", row=1, col=c)
        c += 1
    if fi is not None:
        other = _("other")
        group_of = {f: g for g, cs in att.groups.items() for f in cs}
        order, _bounds = _grouped_order(list(fi.index), att.groups)
        for g in dict.fromkeys(group_of.get(f, other) for f in order):
            feats = [f for f in order if group_of.get(f, other) == g]
            fig.add_trace(go.Bar(x=fi[feats].values, y=feats, orientation="h", name=g,
                                 marker_color=group_colour.get(g, ACTUAL),
                                 hovertemplate="%{y}: %{x:.3f}<extra>" + g + "</extra>"), 1, c)
        fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=order,
                         row=1, col=c)
    n = max(len(fi) if fi is not None else 0, len(gi) if gi is not None else 0)
    fig = _layout(fig, height=max(260, 22 * n + 100), showlegend=False)
    fig.update_layout(margin=dict(t=40))
    return fig


def drive_metrics_table(metrics_by_drive: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """``run.metrics_by_drive`` as a table: drive, RMSE, MAE, MAPE %, R² (one row per drive)."""
    names = {"rmse": "RMSE", "mae": "MAE", "mape": "MAPE %", "r2": "R²"}
    return pd.DataFrame([{N_("drive"): d, **{names[k]: float(m.get(k, np.nan)) for k in names}}
                         for d, m in metrics_by_drive.items()],
                        columns=["drive", *names.values()])


def drive_metrics_figure(metrics_by_drive: Mapping[str, Mapping[str, float]], unit: str = "",
                         selected: str | None = None) -> go.Figure:
    """RMSE and R² of each drive's test windows side by side (bars); ``selected`` drawn darker."""
    table = drive_metrics_table(metrics_by_drive)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=[with_unit(_("RMSE, lower is better"), unit),
                                        _("R², 1 = perfect, 0 = the mean")])
    colours = [PALETTE[0] if d == selected or selected is None else "rgba(31,119,180,0.45)"
               for d in table["drive"]]
    for col, metric, fmt in ((1, "RMSE", ".3g"), (2, "R²", ".3f")):
        fig.add_trace(go.Bar(x=table[metric], y=table["drive"], orientation="h",
                             marker_color=colours, showlegend=False,
                             text=[format(v, fmt) for v in table[metric]], textposition="auto",
                             hovertemplate="%{y}: " + metric + " %{x:" + fmt + "}<extra></extra>"),
                      1, col)
        fig.update_yaxes(autorange="reversed", row=1, col=col, showticklabels=col == 1)
    fig = _layout(fig, height=max(220, 34 * len(table) + 90))
    fig.update_layout(margin=dict(t=40))
    return fig


# ----------------- multi-step forecasts (WindowSpec.steps > 1; predict's long form)
def forecast_fan_figure(pred: pd.DataFrame, origin: float, target: str, unit: str = "",
                        time_kind: str = "seconds", n_origins: int = 5,
                        context: int | None = None, height: int = 340) -> go.Figure:
    """Fan of multi-step forecasts (``run.predict(ds)`` of one drive, steps > 1) from the origin
    nearest ``origin`` (bold) and the ``n_origins − 1`` before it, against the actual target
    from ``context`` rows (default: steps) before the origin; a dashed line at the origin."""
    origins = np.unique(pred["origin"].to_numpy(dtype=float))
    if not len(origins):
        raise ValueError("no forecasts to draw")
    i = min(int(np.searchsorted(origins, float(origin))), len(origins) - 1)
    o, chosen = origins[i], origins[max(0, i - max(int(n_origins), 1) + 1): i + 1]
    times = np.unique(pred["time"].to_numpy(dtype=float))
    back = int(pred["step"].max()) if context is None else int(context)
    span = pred[(pred["time"] >= times[max(0, int(np.searchsorted(times, o)) - back)])
                & (pred["time"] <= pred.loc[pred["origin"] == o, "time"].max())]
    span = span.drop_duplicates("time")
    fig = go.Figure()                           # the actual target, then the forecasts
    if span["actual"].notna().any():
        fig.add_trace(go.Scatter(x=time_values(span["time"], time_kind), y=span["actual"],
                                 name=_("actual"), mode="lines+markers",
                                 line=dict(color=ACTUAL, width=2), marker=dict(size=4)))
    for j, oj in enumerate(chosen):
        f, last = pred[pred["origin"] == oj].sort_values("step"), oj == o
        fig.add_trace(go.Scatter(
            x=time_values(f["time"], time_kind), y=f["predicted"], mode="lines+markers",
            name=_("forecast from the chosen origin") if last else _("earlier origins"),
            showlegend=bool(last or j == 0), legendgroup=str(last),
            opacity=1.0 if last else 0.25 + 0.5 * (j + 1) / len(chosen),
            line=dict(color=PALETTE[0] if last else PALETTE[1], width=2.5 if last else 1),
            customdata=f["step"],
            hovertemplate=_("step %{customdata}: %{y:.4g}") + "<extra></extra>"))
    fig.add_vline(x=time_values([o], time_kind)[0], line=dict(color=SEPARATOR, dash="dash"),
                  annotation_text=_("origin (newest input)"), annotation_position="top left")
    fig.update_yaxes(title_text=with_unit(target, unit))
    return _layout(fig.update_xaxes(title_text=time_title(time_kind)), height=height)


def error_by_step_figure(metrics_by_step: Mapping[str, Mapping[int, Mapping[str, float]]],
                         metric: str = "rmse", unit: str = "", height: int = 300) -> go.Figure:
    """Test error by forecast step, a line per run ``{label: run.metrics_by_step}``."""
    labels = {"rmse": with_unit("RMSE", unit), "mae": with_unit("MAE", unit), "r2": "R²"}
    if metric not in labels:
        raise ValueError(f"metric must be one of {', '.join(labels)}, not {metric!r}")
    fig = go.Figure()
    for i, (name, by_step) in enumerate(metrics_by_step.items()):
        steps = sorted(int(k) for k in by_step)
        fig.add_trace(go.Scatter(x=steps, y=[by_step[k][metric] for k in steps], name=name,
                                 mode="lines+markers", line=dict(color=PALETTE[i % len(PALETTE)])))
    fig.update_xaxes(title_text=_("forecast step (1 = t + horizon)"), dtick=1)
    return _layout(fig.update_yaxes(title_text=labels[metric]), height=height)
