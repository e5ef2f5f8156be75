"""Figures of ``explore`` (sensitivity curves and the error binned by a sensor's value); the
``plots`` module re-exports them, so ``plots.sensitivity_figure`` is what pages and notebooks
call.

    sens = pc.sensitivity(run, ds, "rpm")
    plots.sensitivity_figure(sens, run.target, run.target_unit, highlight=812.0)
    plots.error_by_value_figure(pc.error_by_value(run, ds, "speed"), "speed", run.target_unit)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

ICE = "rgba(31,119,180,0.28)"
PDP = "#d62728"
CHOSEN = "#2ca02c"
GRID = "rgba(128,128,128,0.25)"


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10),
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID)
    return fig


def sensitivity_figure(sens, target: str, unit: str = "", n_lines: int = 12,
                       highlight: float | None = None) -> go.Figure:
    """ICE lines (the prediction of ``n_lines`` windows spread over the span as the sensor is
    scaled), the partial dependence (their mean over every window) and, when ``highlight`` is a
    window's time, that window's line."""
    x = 100 * np.asarray(sens.scales, dtype=float)
    n = len(sens.ice)
    fig = go.Figure()
    for k, i in enumerate(np.unique(np.linspace(0, n - 1, min(n_lines, n)).round().astype(int))):
        fig.add_scatter(x=x, y=sens.ice[i], mode="lines", line=dict(color=ICE, width=1),
                        name="one window (ICE)", legendgroup="ice", showlegend=k == 0,
                        hovertemplate=f"window at {sens.times[i]:g} s<br>%{{x:.0f}} %: "
                                      "%{y:.4g}<extra></extra>")
    if highlight is not None and n:
        i = int(np.argmin(np.abs(np.asarray(sens.times) - float(highlight))))
        fig.add_scatter(x=x, y=sens.ice[i], mode="lines+markers", line=dict(color=CHOSEN),
                        name=f"the chosen window ({sens.times[i]:g} s)")
    fig.add_scatter(x=x, y=sens.pdp, mode="lines+markers", line=dict(color=PDP, width=3),
                    name=f"mean over {n} windows (partial dependence)")
    fig.add_vline(x=100, line=dict(color="gray", dash="dot"))
    label = f"predicted {target}" + (f" [{unit}]" if unit else "")
    fig.update_xaxes(title_text=f"{sens.column} over the whole window, % of its value")
    fig.update_yaxes(title_text=label)
    return _style(fig, 340)


def error_by_value_figure(table: pd.DataFrame, column: str, unit: str = "") -> go.Figure:
    """Mean absolute error (bars) and bias (predicted − actual, markers) per bin of
    ``column``'s value (``pc.error_by_value``); hover shows the windows in each bin."""
    labels = [f"{lo:.3g}–{hi:.3g}" for lo, hi in zip(table["low"], table["high"])]
    fig = go.Figure()
    fig.add_bar(x=labels, y=table["mae"], name="mean absolute error", marker_color="#1f77b4",
                customdata=table["n"], hovertemplate="%{x}: MAE %{y:.4g} (%{customdata} "
                                                    "windows)<extra></extra>")
    fig.add_scatter(x=labels, y=table["bias"], mode="markers+lines", name="bias (predicted − "
                    "actual)", line=dict(color=PDP, dash="dot"))
    fig.add_hline(y=0, line=dict(color="gray", width=1))
    fig.update_xaxes(title_text=f"{column} at the predicted time (bins of equal count)")
    fig.update_yaxes(title_text="error" + (f" [{unit}]" if unit else ""))
    return _style(fig, 320)
