"""What every figure of ``plots`` shares: colours (mid-tone, for the light and the dark theme),
the layout (transparent backgrounds, legend on top) and the time axis."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .i18n import N_, _

ACTUAL = "#7f7f7f"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22"]
GRID = "rgba(128,128,128,0.25)"
SEPARATOR = "rgba(128,128,128,0.95)"
OUTCOME_COLOURS = {"hit": "#2ca02c", "miss": "#d62728", "false alarm": "#ff7f0e"}
OUTCOME_NAMES = {"hit": N_("hit"), "miss": N_("miss"), "false alarm": N_("false alarm")}


def _layout(fig: go.Figure, height: int, title: str | None = None, **kw) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      title=title, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **kw)
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID)
    return fig


def time_values(times: np.ndarray, time_kind: str = "seconds"):
    """Times as the x axis shows them: date-times for epoch clocks, else seconds/rows."""
    times = np.asarray(times, dtype=float)
    if time_kind == "datetime":
        return pd.to_datetime(times, unit="s")
    return times


def time_title(time_kind: str = "seconds") -> str:
    return {"datetime": _("time"), "row": _("row")}.get(time_kind) or _("time [s]")


def with_unit(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit else name
