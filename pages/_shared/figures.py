"""Figures only the dashboard draws (gates, gradients, attention toys, the planted-signal test;
the decoder × encoder and per-head attention maps that Learn and Results share), named by what
they draw. The numbers come from ``palstm_core.teach`` and ``palstm_core.explain``."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pages._shared.text import _, tr
from palstm_core.teach import GATE_NAMES

GATE_COLORS = {"f": "#d62728", "i": "#2ca02c", "o": "#1f77b4", "g": "#9467bd", "c": "#ff7f0e",
               "h": "#17becf", "r": "#8c564b", "z": "#e377c2", "n": "#9467bd"}


def gate_heatmaps(trace: dict, names: list[str], t: int, title: str) -> go.Figure:
    """One heatmap row block per quantity (units × steps), a line at the current step."""
    T, H = trace[names[0]].shape
    titles = {"c": _("c — cell state (colours saturate at ±1; hover for the value)"),
              "h": _("h — hidden state")}
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=[f"{n} — {tr(GATE_NAMES[n])}" if n in GATE_NAMES
                                        else titles[n] for n in names])
    for row, n in enumerate(names, 1):
        gate = n in ("f", "i", "o", "r", "z")
        z = trace[n].T
        lim = 1.0
        fig.add_trace(go.Heatmap(
            z=z, x=np.arange(1, T + 1), y=[_("unit {k}", k=k + 1) for k in range(H)],
            zmin=0 if gate else -lim, zmax=1 if gate else lim,
            colorscale="Viridis" if gate else "RdBu", reversescale=not gate,
            showscale=row in (1, len(names)),
            colorbar=dict(len=0.3, y=0.85 if row == 1 else 0.15,
                          title=_("gate") if row == 1 else _("state")),
            hovertemplate=_("{name}<br>step %{{x}}<br>%{{y}}: %{{z:.3f}}", name=n)
            + "<extra></extra>"),
            row=row, col=1)
        fig.add_vline(x=t + 1, line=dict(color="black", width=2), row=row, col=1)
    fig.update_layout(height=125 * len(names) + 60, title=title, margin=dict(t=70, b=30))
    fig.update_xaxes(title_text=_("step"), row=len(names), col=1)
    return fig


def gate_bars(trace: dict, names: list[str], t: int, title: str) -> go.Figure:
    """Each quantity's value per unit at step ``t``, as grouped bars."""
    H = trace[names[0]].shape[1]
    fig = go.Figure()
    for n in names:
        fig.add_bar(name=n, x=[_("unit {k}", k=k + 1) for k in range(H)], y=trace[n][t],
                    marker_color=GATE_COLORS.get(n), text=[f"{v:.2f}" for v in trace[n][t]],
                    textposition="outside")
    lim = max(1.2, 1.2 * max(float(np.abs(trace[n][t]).max()) for n in names))
    fig.update_layout(barmode="group", height=360, title=title, yaxis_range=[-lim, lim],
                      margin=dict(t=50, b=30), legend=dict(orientation="h", y=-0.15))
    return fig


def sequence_figure(seq, pred: dict | None, step: int) -> go.Figure:
    """The scaled input sequence, the cells' next-value predictions (when trained) and a line
    at the current step."""
    T = len(seq.scaled)
    fig = go.Figure()
    fig.add_scatter(x=np.arange(1, T + 1), y=seq.scaled, mode="lines+markers",
                    name=_("x (scaled input)"), line=dict(color="black"))
    for name, color in (("LSTM", GATE_COLORS["o"]), ("GRU", GATE_COLORS["r"])):
        if pred:
            fig.add_scatter(x=np.arange(2, T + 2), y=pred[name], mode="lines",
                            name=_("{name}: predicted next value", name=name),
                            line=dict(color=color, dash="dot"))
    fig.add_vline(x=step, line=dict(color="red", width=2))
    unit = f" [{seq.unit}]" if seq.unit else ""
    fig.update_layout(height=300, margin=dict(t=50, b=30), xaxis_title=_("step"),
                      yaxis_title=_("scaled value (−1 … 1)"), legend=dict(orientation="h", y=-0.25),
                      title=f"{seq.label}{unit}")
    return fig


def gradient_figure(grads, lookback: int) -> go.Figure:
    """‖∂loss/∂x_t‖ per step back, log scale, for the plain RNN, the LSTM and the GRU."""
    fig = go.Figure()
    for kind, name, color in (("rnn", _("plain RNN"), "#7f7f7f"), ("lstm", "LSTM", GATE_COLORS["o"]),
                              ("gru", "GRU", GATE_COLORS["r"])):
        fig.add_scatter(x=grads["steps_back"], y=grads[kind], mode="lines+markers", name=name,
                        line=dict(color=color), marker=dict(size=4))
    fig.update_layout(height=380, yaxis_type="log", yaxis_exponentformat="power",
                      xaxis_title=_("steps before the end (0 = newest input)"),
                      yaxis_title=_("‖∂loss/∂x_t‖ (log scale)"), margin=dict(t=40, b=40),
                      title=_("Gradient reaching each input step, lookback {lookback}",
                               lookback=lookback))
    fig.update_xaxes(autorange="reversed")
    return fig


def keys_figure(keys, steps, weights, query) -> go.Figure:
    """2-D keys (marker size = attention weight) and the query as an arrow from the origin."""
    fig = go.Figure()
    fig.add_scatter(x=keys[:, 0], y=keys[:, 1], mode="markers+text", text=[str(s) for s in steps],
                    textposition="top center", name=_("keys (step number)"),
                    marker=dict(size=8 + 60 * weights, color=weights, colorscale="Blues",
                                line=dict(color="black", width=1),
                                cmin=0, cmax=max(0.3, weights.max())))
    fig.add_scatter(x=[0, query[0]], y=[0, query[1]], mode="lines+markers", name=_("query"),
                    marker=dict(symbol="star", size=[1, 16], color="red"), line=dict(color="red"))
    fig.update_layout(height=380, title=_("Keys (size = dot-product weight) and the query"),
                      xaxis_title=_("level"), yaxis_title=_("change ×3"), margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def attention_weights_figure(steps, w_dot, w_add) -> go.Figure:
    """Dot-product and additive attention weights per step, side by side."""
    fig = go.Figure()
    fig.add_bar(x=steps, y=w_dot, name=_("scaled dot product"), marker_color=GATE_COLORS["o"])
    fig.add_bar(x=steps, y=w_add, name=_("additive (Bahdanau)"), marker_color=GATE_COLORS["g"])
    fig.update_layout(barmode="group", height=380,
                      title=_("Attention weights per step (each set sums to 1)"),
                      xaxis_title=_("step"), yaxis_title=_("weight α"), margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def pooling_figure(hidden_states, alpha) -> go.Figure:
    """tanh(H) as a units × steps heatmap above the pooling weights α per step."""
    T, H = hidden_states.shape
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4],
                        vertical_spacing=0.08,
                        subplot_titles=[_("tanh(H): hidden states of the LSTM"),
                                        _("α = softmax(wᵀ tanh(H))")])
    fig.add_trace(go.Heatmap(z=np.tanh(hidden_states).T, x=np.arange(1, T + 1),
                             y=[_("unit {k}", k=k + 1) for k in range(H)], zmin=-1, zmax=1,
                             colorscale="RdBu", reversescale=True, colorbar=dict(len=0.55, y=0.75)),
                  row=1, col=1)
    fig.add_bar(x=np.arange(1, T + 1), y=alpha, marker_color=GATE_COLORS["c"], name="α",
                row=2, col=1)
    fig.update_layout(height=420, margin=dict(t=50, b=30), showlegend=False)
    fig.update_xaxes(title_text=_("step"), row=2, col=1)
    return fig


def feature_lag_heatmap(frame, title: str, feature: str, column: str) -> go.Figure:
    """Features × lookback steps, with a red box on (``feature``, ``column``): the truth."""
    fig = go.Figure(go.Heatmap(z=frame.to_numpy(), x=list(frame.columns), y=list(frame.index),
                               colorscale="Viridis", zmin=0,
                               hovertemplate=_("%{y} at %{x}: %{z:.3f}") + "<extra></extra>"))
    r = list(frame.index).index(feature)
    c = list(frame.columns).index(column)
    fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                  line=dict(color="red", width=3))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=360, title=title, margin=dict(t=50, b=40, l=10, r=10),
                      xaxis_title=_("lookback step"))
    return fig


def temporal_profiles_figure(columns, profiles: dict, labels: dict, lag_x: int) -> go.Figure:
    """Mean temporal attention per model over the lookback, a dashed line at the planted lag."""
    fig = go.Figure()
    for m, profile in profiles.items():
        fig.add_scatter(x=list(columns), y=profile, mode="lines+markers",
                        name=labels.get(m, m))
    fig.add_vline(x=lag_x, line=dict(color="red", dash="dash"))
    fig.update_layout(height=320, title=_("Temporal attention (mean); red = planted lag"),
                      xaxis_title=_("lookback step"), yaxis_title=_("weight"), margin=dict(t=50, b=40))
    return fig


def group_weights_figure(weights, title: str) -> go.Figure:
    """Mean weight per sensor group, as bars."""
    fig = go.Figure(go.Bar(x=list(weights.index), y=weights.to_numpy(),
                           marker_color=GATE_COLORS["c"]))
    fig.update_layout(height=320, title=title, yaxis_title=_("weight"), margin=dict(t=50, b=40))
    return fig


def step_labels(L: int) -> list[str]:
    """Input steps of a window, oldest first: t−(L−1) … t−1, t (t = the newest input)."""
    return [f"t−{L - 1 - j}" if j < L - 1 else "t" for j in range(L)]


def decoder_attention_figure(att, title: str, forced=None, row: int | None = None) -> go.Figure:
    """Decoder step × encoder step attention (rows sum to 1) as a heatmap; with ``forced`` a
    second panel: the same window decoded with teacher forcing; a red box on decoder step
    ``row`` (0-based)."""
    panels = [(_("without teacher forcing (inference)"), np.asarray(att))]
    if forced is not None:
        panels.append((_("with teacher forcing (training)"), np.asarray(forced)))
    S, L = panels[0][1].shape
    top = max(float(a.max()) for _n, a in panels)      # colours span the weights there are
    low = min(float(a.min()) for _n, a in panels)
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[n for n, _a in panels] if forced is not None else None)
    for c, (_n, a) in enumerate(panels, 1):
        fig.add_trace(go.Heatmap(
            z=a, x=step_labels(L), y=[_("decoder step {k}", k=k + 1) for k in range(S)], zmin=low,
            zmax=max(top, low + 1e-9), colorscale="Blues", showscale=c == 1,
            colorbar=dict(title="a_kj"),
            hovertemplate="%{y} reads encoder %{x}: %{z:.3f}<extra></extra>"), row=1, col=c)
        if row is not None:
            fig.add_shape(type="rect", x0=-0.5, x1=L - 0.5, y0=row - 0.5, y1=row + 0.5,
                          line=dict(color="red", width=2), row=1, col=c)
        fig.update_xaxes(title_text=_("encoder step j (input)"), row=1, col=c)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=110 + 34 * S, title=title, margin=dict(t=70, b=40))
    return fig


def heads_figure(rows: dict, title: str, query: int | None = None) -> go.Figure:
    """Rows of (heads, L, L) query step × key step maps (a layer each, or scores and weights),
    the heads side by side; a red box on the ``query`` row. A row with negative values gets a
    diverging colour scale (scores), else min … max of its weights (softmax weights)."""
    names = list(rows)
    n, L = np.asarray(rows[names[0]]).shape[:2]
    fig = make_subplots(rows=len(names), cols=n, horizontal_spacing=0.03,
                        vertical_spacing=0.12 if len(names) > 1 else 0.05,
                        subplot_titles=[_("{row} · head {h}", row=r, h=h + 1) for r in names
                                        for h in range(n)])
    labels = step_labels(L)
    for r, name in enumerate(names, 1):
        z = np.asarray(rows[name], dtype=float)
        signed = float(z.min()) < 0
        lim = max(float(np.abs(z).max()), 1e-9)
        low = -lim if signed else min(float(z.min()), lim - 1e-9)
        for h in range(n):
            fig.add_trace(go.Heatmap(
                z=z[h], x=labels, y=labels, colorscale="RdBu" if signed else "Blues",
                reversescale=signed, zmin=low, zmax=lim,
                showscale=h == n - 1, colorbar=dict(len=0.9 / len(names),
                                                    y=1 - (r - 0.5) / len(names)),
                hovertemplate="query %{y} · key %{x}: %{z:.3f}<extra></extra>"), row=r, col=h + 1)
            if query is not None:
                fig.add_shape(type="rect", x0=-0.5, x1=L - 0.5, y0=query - 0.5, y1=query + 0.5,
                              line=dict(color="red", width=2), row=r, col=h + 1)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_yaxes(showticklabels=True, col=1)
    fig.update_layout(height=80 + 300 * len(names), title=title, margin=dict(t=80, b=30))
    return fig


def query_row_figure(rows: dict, title: str) -> go.Figure:
    """One query's attention weights over the key steps, a bar group per head."""
    fig = go.Figure()
    for i, (name, w) in enumerate(rows.items()):
        w = np.asarray(w, dtype=float)
        fig.add_bar(x=step_labels(len(w)), y=w, name=name,
                    marker_color=list(GATE_COLORS.values())[i % len(GATE_COLORS)])
    fig.update_layout(barmode="group", height=320, title=title, xaxis_title=_("key step j"),
                      yaxis_title=_("weight (sums to 1 per head)"), margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def decoder_forecast_figure(inputs, targets, forecasts: dict, title: str) -> go.Figure:
    """A window's inputs, the values after it and the decoder's forecasts (one line each)."""
    L, S = len(inputs), len(targets)
    x_in, x_out = np.arange(-L + 1, 1), np.arange(1, S + 1)
    fig = go.Figure()
    fig.add_scatter(x=x_in, y=inputs, mode="lines+markers", name=_("window (encoder input)"),
                    line=dict(color="black"))
    fig.add_scatter(x=x_out, y=targets, mode="lines+markers", name=_("true next values"),
                    line=dict(color="#7f7f7f", dash="dot"))
    for (name, f), color in zip(forecasts.items(), (GATE_COLORS["o"], GATE_COLORS["c"])):
        fig.add_scatter(x=x_out, y=f, mode="lines+markers", name=name, line=dict(color=color))
    fig.add_vline(x=0.5, line=dict(color="gray", dash="dash"))
    fig.update_layout(height=320, title=title, xaxis_title=_("step (0 = newest input t; k = "
                                                            "decoder step k)"),
                      yaxis_title=_("scaled value"), margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def conformal_scores_figure(demo) -> go.Figure:
    """Histogram of the calibration scores with the conformal quantile q marked."""
    fig = go.Figure(go.Histogram(x=demo.scores, nbinsx=60, marker_color="#1f77b4",
                                 name=_("calibration scores")))
    fig.add_vline(x=demo.quantile, line=dict(color="#d62728", width=2),
                  annotation_text=_("q = {q:.3g} (rank {rank} of {n})", q=demo.quantile,
                                    rank=demo.rank, n=demo.n_calibration),
                  annotation_position="top right")
    fig.update_layout(height=300, margin=dict(t=30, b=30), showlegend=False,
                      xaxis_title="|error|" + (" ÷ σ̂" if demo.scaled else f" [{demo.unit}]"),
                      yaxis_title=_("calibration points"))
    return fig


def conformal_band_figure(demo) -> go.Figure:
    """The test part: actual, prediction, the band, and the points outside it in red."""
    t = demo.test
    fig = go.Figure()
    fig.add_scatter(x=t["time"], y=t["upper"], mode="lines", line=dict(width=0),
                    showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=t["time"], y=t["lower"], mode="lines", line=dict(width=0), fill="tonexty",
                    fillcolor="rgba(31,119,180,0.2)",
                    name=_("{level:.0%} band", level=demo.level))
    fig.add_scatter(x=t["time"], y=t["predicted"], mode="lines", name=_("prediction"),
                    line=dict(color="#1f77b4", width=1))
    fig.add_scatter(x=t["time"], y=t["actual"], mode="markers", name=_("actual"),
                    marker=dict(size=3, color=np.where(t["inside"], "#7f7f7f", "#d62728")))
    fig.update_layout(height=340, margin=dict(t=30, b=30), xaxis_title=_("time [s]"),
                      yaxis_title=_("NOx [{unit}]", unit=demo.unit),
                      legend=dict(orientation="h", y=1.1))
    return fig
