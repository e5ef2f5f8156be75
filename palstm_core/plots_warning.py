"""The early warning's trade-off figure (``plots.tradeoff_figure``): hit rate against false
alarms as the alarm probability moves (``early_warning.tradeoff``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .i18n import _
from .plot_base import OUTCOME_COLOURS, PALETTE, _layout


def tradeoff_figure(curve: pd.DataFrame, chosen: float | None = None,
                    title: str | None = None, height: int = 340) -> go.Figure:
    """One point per alarm probability (``curve``: probability, hit_rate, false_alarms):
    false alarms on x, hit rate on y, points p = 0.1, 0.3, … labelled (all in the hover); ``chosen``
    (the probability in use) is ringed."""
    fig = go.Figure()
    hover = ("alarm at p ≥ %{customdata[0]:.2f}<br>hit rate %{y:.0%}<br>"
             "false alarms %{x}<br>hits %{customdata[1]}, misses %{customdata[2]}<extra></extra>")
    fig.add_trace(go.Scatter(
        x=curve["false_alarms"], y=curve["hit_rate"], mode="lines+markers+text",
        text=[f"p {p:.1f}" if round(p * 10) % 2 and abs(p * 10 - round(p * 10)) < 1e-6 else ""
              for p in curve["probability"]], textposition="top center",
        textfont=dict(size=9), line=dict(color=PALETTE[0]), name=_("alarm probability"),
        customdata=np.c_[curve["probability"], curve["hits"], curve["misses"]],
        hovertemplate=hover))
    if chosen is not None and len(curve):
        row = curve.iloc[int(np.argmin(np.abs(curve["probability"].to_numpy(float) - chosen)))]
        fig.add_trace(go.Scatter(x=[row["false_alarms"]], y=[row["hit_rate"]], mode="markers",
                                 marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(
                                     color=OUTCOME_COLOURS["miss"], width=2)),
                                 name=_("in use: p ≥ {p:.2f}", p=chosen), hoverinfo="skip"))
    fig.update_xaxes(title_text=_("false alarms (count)"), rangemode="tozero")
    fig.update_yaxes(title_text=_("hit rate (crossings warned in time)"), range=[-0.05, 1.08],
                     tickformat=".0%")
    return _layout(fig, height=height, title=title)
