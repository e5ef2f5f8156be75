"""Learn: what happens inside an LSTM cell, a GRU, and attention — live, on the sample data.

All numbers come from palstm_core.learn (real torch models); this page only lays them out.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import palstm_core as pc
from palstm_core import learn

GATE_COLORS = {"f": "#d62728", "i": "#2ca02c", "o": "#1f77b4", "g": "#9467bd", "c": "#ff7f0e",
               "h": "#17becf", "r": "#8c564b", "z": "#e377c2", "n": "#9467bd"}
SAMPLE_CHANNELS = ["speed", "NOx", "rpm", "load", "CO2", "MAF", "accel", "exhaust_flow"]


# ---------------------------------------------------------------------------- cached calls
@st.cache_resource
def _executor() -> ThreadPoolExecutor:
    """One background worker for section 5's training (shared by all sessions)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="learn-train")


@st.cache_data(show_spinner=False, max_entries=32)
def _sample(sample: str, channel: str, start: int, length: int) -> learn.Sequence:
    return learn.sample_sequence(sample, channel, start, length)


@st.cache_data(show_spinner="Training the little LSTM and GRU…", max_entries=32)
def _demo(values: tuple, hidden: int, train_steps: int) -> dict:
    return learn.cell_demo(np.array(values), hidden=hidden, seed=0, train_steps=train_steps)


@st.cache_data(show_spinner=False, max_entries=64)
def _gradients(lookback: int, forget_bias: float) -> pd.DataFrame:
    return learn.gradient_by_step(lookback=lookback, forget_bias=forget_bias)


def _vec(a, n: int = 6) -> str:
    """A vector as LaTeX: [0.61, 0.42, …]."""
    a = np.asarray(a, dtype=float).ravel()
    body = r",\ ".join(f"{v:.2f}" for v in a[:n]) + (r",\ \dots" if len(a) > n else "")
    return r"\left[" + body + r"\right]"


def _heat_rows(trace: dict, names: list[str], t: int, title: str) -> go.Figure:
    """One heatmap row block per quantity (units × steps), a line at the current step."""
    T, H = trace[names[0]].shape
    titles = {"c": "c — cell state (colours saturate at ±1; hover for the value)",
              "h": "h — hidden state"}
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=[f"{n} — {learn.GATE_NAMES[n]}" if n in learn.GATE_NAMES
                                        else titles[n] for n in names])
    for row, n in enumerate(names, 1):
        gate = n in ("f", "i", "o", "r", "z")
        z = trace[n].T
        lim = 1.0
        fig.add_trace(go.Heatmap(
            z=z, x=np.arange(1, T + 1), y=[f"unit {k + 1}" for k in range(H)],
            zmin=0 if gate else -lim, zmax=1 if gate else lim,
            colorscale="Viridis" if gate else "RdBu", reversescale=not gate,
            showscale=row in (1, len(names)),
            colorbar=dict(len=0.3, y=0.85 if row == 1 else 0.15, title="gate" if row == 1 else "state"),
            hovertemplate=f"{n}<br>step %{{x}}<br>%{{y}}: %{{z:.3f}}<extra></extra>"), row=row, col=1)
        fig.add_vline(x=t + 1, line=dict(color="black", width=2), row=row, col=1)
    fig.update_layout(height=125 * len(names) + 60, title=title, margin=dict(t=70, b=30))
    fig.update_xaxes(title_text="step", row=len(names), col=1)
    return fig


def _bars(trace: dict, names: list[str], t: int, title: str) -> go.Figure:
    H = trace[names[0]].shape[1]
    fig = go.Figure()
    for n in names:
        fig.add_bar(name=n, x=[f"unit {k + 1}" for k in range(H)], y=trace[n][t],
                    marker_color=GATE_COLORS.get(n), text=[f"{v:.2f}" for v in trace[n][t]],
                    textposition="outside")
    lim = max(1.2, 1.2 * max(float(np.abs(trace[n][t]).max()) for n in names))
    fig.update_layout(barmode="group", height=360, title=title, yaxis_range=[-lim, lim],
                      margin=dict(t=50, b=30), legend=dict(orientation="h", y=-0.15))
    return fig


# ---------------------------------------------------------------------------- page
st.set_page_config(page_title="Learn — PA-LSTM Explorer", layout="wide")
st.title("Learn: LSTM, GRU and attention, step by step")
st.markdown(
    "This page opens up the pieces PA-LSTM is built from. Everything below is computed live "
    "with small PyTorch models on a short piece of the **simulated** sample drive (or on "
    "numbers you type). Move the sliders and watch the numbers change.")

# ---------------------------------------------------------------- 1. inside an LSTM cell
st.header("1. Inside an LSTM cell")
st.markdown(
    "An LSTM reads a sequence one step at a time. At every step it has two memories: the "
    "**cell state** $c$ (long-term, changed only by adding and scaling) and the **hidden state** "
    "$h$ (what it shows to the next layer). Three **gates** — numbers between 0 and 1, one per "
    "unit — decide what happens: the *forget gate* $f$ keeps (1) or erases (0) the old cell "
    "state, the *input gate* $i$ decides how much of the new *candidate* $g$ is written, and the "
    "*output gate* $o$ decides how much of the cell state is shown as $h$.")

src_col, opt_col = st.columns([3, 2])
with src_col:
    source = st.radio("Sequence", ["Sample drive (simulated)", "Type my own values"],
                      horizontal=True, key="src")
    seq = None
    if source.startswith("Sample"):
        c1, c2, c3, c4 = st.columns(4)
        sample = c1.selectbox("Sample drive", ["urban", "motorway"], key="sample")
        channel = c2.selectbox("Channel", SAMPLE_CHANNELS, key="channel")
        start = c3.number_input("Start (s)", 0, 3500, 120, step=10, key="start")
        length = c4.slider("Length (steps)", 10, 80, 40, key="length")
        try:
            seq = _sample(sample, channel, int(start), int(length))
        except pc.DataError as exc:
            st.error(str(exc))
    else:
        text = st.text_input("Values (comma-separated)", "0, 0, 1, 3, 6, 8, 8, 7, 4, 2, 1, 0, 0, "
                             "2, 5, 9, 9, 6, 3, 1", key="values")
        try:
            seq = learn.parse_values(text)
        except ValueError as exc:
            st.error(str(exc))
with opt_col:
    hidden = st.slider("Hidden units", 2, 8, 4, key="hidden",
                       help="Size of h and c. Small, so every number fits on the screen.")
    trained = st.toggle("Train the cells first (≈1 s) to predict the next value", True,
                        key="trained", help="Off: random starting weights. On: 150 passes of "
                        "Adam on this very sequence, so the gates do something purposeful.")

if seq is None:
    st.stop()

demo = _demo(tuple(float(v) for v in seq.scaled), int(hidden), 150 if trained else 0)
tr, gr = demo["lstm"], demo["gru"]
T = len(seq.scaled)
step = st.slider("Step t", 1, T, min(T, 12), key="step",
                 help="Which time step of the sequence the numbers below belong to.")
t = step - 1

fig = go.Figure()
fig.add_scatter(x=np.arange(1, T + 1), y=seq.scaled, mode="lines+markers", name="x (scaled input)",
                line=dict(color="black"))
if trained:
    for name, color in (("LSTM", GATE_COLORS["o"]), ("GRU", GATE_COLORS["r"])):
        fig.add_scatter(x=np.arange(2, T + 2), y=demo["pred"][name], mode="lines",
                        name=f"{name}: predicted next value", line=dict(color=color, dash="dot"))
fig.add_vline(x=step, line=dict(color="red", width=2))
unit = f" [{seq.unit}]" if seq.unit else ""
fig.update_layout(height=300, margin=dict(t=50, b=30), xaxis_title="step",
                  yaxis_title="scaled value (−1 … 1)", legend=dict(orientation="h", y=-0.25),
                  title=f"{seq.label}{unit}")
seq_col, bars_col = st.columns(2)
seq_col.plotly_chart(fig, key="seq_chart")
bars_col.plotly_chart(_bars(tr, ["f", "i", "g", "o", "c", "h"], t,
                            f"LSTM at step {step}: gates and states per unit"), key="lstm_bars")
if seq.simulated:
    st.caption("Simulated sample data (palstm_core.simulate) — not a measured drive.")

st.subheader(f"The gate equations at step t = {step}")
st.markdown(f"Input $x_t$ = **{seq.scaled[t]:.3f}** (scaled; raw value {seq.raw[t]:.4g}"
            f"{' ' + seq.unit if seq.unit else ''}). Each gate is a weighted sum of "
            "the input and the previous hidden state, squashed by σ (to 0…1) or tanh (to −1…1). "
            "The numbers are that unit's value, unit 1 first.")
pre = {k: tr["parts"][k]["pre"][t] for k in "ifgo"}
st.latex(r"f_t = \sigma(W_f x_t + U_f h_{t-1} + b_f) = \sigma(" + _vec(pre["f"]) + ") = "
         + _vec(tr["f"][t]))
st.latex(r"i_t = \sigma(W_i x_t + U_i h_{t-1} + b_i) = \sigma(" + _vec(pre["i"]) + ") = "
         + _vec(tr["i"][t]))
st.latex(r"g_t = \tanh(W_g x_t + U_g h_{t-1} + b_g) = \tanh(" + _vec(pre["g"]) + ") = "
         + _vec(tr["g"][t]))
st.latex(r"o_t = \sigma(W_o x_t + U_o h_{t-1} + b_o) = \sigma(" + _vec(pre["o"]) + ") = "
         + _vec(tr["o"][t]))
st.latex(r"\begin{aligned}c_t &= f_t \odot c_{t-1} + i_t \odot g_t = " + _vec(tr["f"][t])
         + r"\odot" + _vec(tr["c_prev"][t]) + r"\\ &\quad +" + _vec(tr["i"][t] * tr["g"][t])
         + "=" + _vec(tr["c"][t]) + r"\end{aligned}")
st.latex(r"h_t = o_t \odot \tanh(c_t) = " + _vec(tr["o"][t]) + r"\odot"
         + _vec(np.tanh(tr["c"][t])) + "=" + _vec(tr["h"][t]))

forget = tr["f"][t]
keep = int(np.argmax(forget))
st.info(f"At step {step}, unit {keep + 1} has the most open forget gate (f = {forget[keep]:.2f}): "
        f"it keeps {forget[keep]:.0%} of its old cell state; unit {int(np.argmin(forget)) + 1} "
        f"keeps only {forget.min():.0%}. The input gate writes i·g = "
        f"[{', '.join(f'{v:.2f}' for v in tr['i'][t] * tr['g'][t])}] into the cell, and the "
        f"output gate shows o = [{', '.join(f'{v:.2f}' for v in tr['o'][t])}] of tanh(c).")
with st.expander("The arithmetic at this step, term by term"):
    gate = st.radio("Gate", ["f", "i", "g", "o"], horizontal=True, key="gate",
                    format_func=lambda k: f"{k} ({learn.GATE_NAMES[k]})")
    st.dataframe(learn.gate_breakdown(tr, gate, t).style.format("{:.3f}"), key="breakdown")
    st.dataframe(learn.cell_update_table(tr, t).style.format("{:.3f}"), key="update_table")
st.plotly_chart(_heat_rows(tr, ["f", "i", "o", "g", "c", "h"], t,
                           "LSTM over the whole sequence (black line = step t)"), key="lstm_heat")

# ---------------------------------------------------------------- 2. LSTM vs GRU
st.header("2. LSTM vs GRU")
st.markdown(
    "A GRU is a slimmer cousin: no separate cell state, and two gates instead of three. The "
    "*update gate* $z$ mixes old $h$ and the new candidate $n$ (it plays forget and input gate "
    "at once: keep $z$, write $1-z$); the *reset gate* $r$ decides how much of the old $h$ the "
    "candidate may look at. Same sequence, same hidden size, same training as above.")
gl, gr_col = st.columns([3, 2])
with gl:
    st.latex(r"r_t = \sigma(W_r x_t + U_r h_{t-1} + b_r) = " + _vec(gr["r"][t]))
    st.latex(r"z_t = \sigma(W_z x_t + U_z h_{t-1} + b_z) = " + _vec(gr["z"][t]))
    st.latex(r"n_t = \tanh(W_n x_t + r_t \odot (U_n h_{t-1} + b_{hn}) + b_{in}) = "
             + _vec(gr["n"][t]))
    st.latex(r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1} = " + _vec(gr["h"][t]))
with gr_col:
    st.plotly_chart(_bars(gr, ["r", "z", "n", "h"], t, f"GRU at step {step}"), key="gru_bars")
table = demo["table"]
st.dataframe(table.style.format({"next-value MSE": "{:.5f}"}), key="compare_table")
n_l, n_g = int(table.loc["LSTM", "parameters"]), int(table.loc["GRU", "parameters"])
mse = table["next-value MSE"]
st.markdown(
    f"The LSTM has **{n_l}** parameters, the GRU **{n_g}** ({n_g / n_l:.0%} of it): 3 weight "
    "blocks instead of 4 (PyTorch keeps two bias vectors per block, hence the 2H). "
    + (f"After the same training, the next-value error on this sequence is "
       f"{mse['LSTM']:.4f} (LSTM), {mse['GRU']:.4f} (GRU) and {mse['plain RNN']:.4f} (plain RNN) — "
       "on 40 steps of one channel that says little about which is better in general."
       if trained else "Switch on training above to compare their next-value errors."))
st.plotly_chart(_heat_rows(gr, ["r", "z", "n", "h"], t, "GRU over the whole sequence"),
                key="gru_heat")

# ---------------------------------------------------------------- 3. why gates help
st.header("3. Why gates help: gradients that survive")
st.markdown(
    "A network learns from the gradient of its loss. For a step far in the past to matter, "
    "the gradient has to travel back through every step in between (backpropagation through "
    "time). In a plain RNN it is multiplied by the recurrent weights and tanh′ at every step, so "
    "it usually shrinks geometrically — the *vanishing gradient*. In an LSTM the cell state is "
    "updated by $c_t = f_t \\odot c_{t-1} + \\dots$, so along that path the gradient is only "
    "multiplied by the forget gate: if $f$ is near 1 it survives.\n\n"
    "**Toy task:** random inputs, the target is the *first* input, the prediction is read from "
    "the last hidden state. Below: $\\lVert \\partial \\text{loss} / \\partial x_t \\rVert$ for "
    "freshly initialised networks (16 units, 64 sequences), computed with autograd.")
c1, c2 = st.columns(2)
lookback = c1.slider("Lookback (sequence length)", 5, 150, 50, key="lookback")
fbias = c2.slider("LSTM forget-gate bias", 0.0, 4.0, 1.0, 0.5, key="fbias",
                  help="Starting value of b_f. 1 is a common choice; σ(1) ≈ 0.73 means 'keep "
                       "most of the memory' before any training.")
grads = _gradients(int(lookback), float(fbias))
fig = go.Figure()
for kind, name, color in (("rnn", "plain RNN", "#7f7f7f"), ("lstm", "LSTM", GATE_COLORS["o"]),
                          ("gru", "GRU", GATE_COLORS["r"])):
    fig.add_scatter(x=grads["steps_back"], y=grads[kind], mode="lines+markers", name=name,
                    line=dict(color=color), marker=dict(size=4))
fig.update_layout(height=380, yaxis_type="log", yaxis_exponentformat="power", xaxis_title="steps before the end (0 = newest input)",
                  yaxis_title="‖∂loss/∂x_t‖ (log scale)", margin=dict(t=40, b=40),
                  title=f"Gradient reaching each input step, lookback {lookback}")
fig.update_xaxes(autorange="reversed")
st.plotly_chart(fig, key="grad_chart")
first = grads.iloc[0]
cols = st.columns(3)
for col, (kind, name) in zip(cols, (("rnn", "plain RNN"), ("lstm", "LSTM"), ("gru", "GRU"))):
    col.metric(f"{name}: gradient at the oldest step", f"{first[kind]:.1e}",
               help="relative to the newest step: " f"{first[kind] / grads[kind].iloc[-1]:.1e}")
st.caption("These are untrained networks: the picture shows the starting point training "
           "works from. Training can push an LSTM's forget gates towards 1 where memory is needed; "
           "a plain RNN has no such knob.")

# ---------------------------------------------------------------- 4. attention
st.header("4. Attention: a learned, soft lookup")
st.markdown(
    "Attention turns scores into weights that sum to 1 (softmax) and takes the weighted average "
    "of some *values*. A **query** says what we are looking for; each step has a **key** that "
    "says what it offers. Here 12 steps spread over the sequence above each get a 2-D key "
    "(its level $x_t$ and its change $3\\,(x_t - x_{t-1})$) and its value $x_t$. Move the query: "
    "a query pointing right asks for high values, pointing up for rising ones.")
keys, values, steps = learn.attention_keys(seq.scaled, n=min(12, T))
q1, q2 = st.columns(2)
qa = q1.slider("Query: level", -3.0, 3.0, 1.5, 0.1, key="q_level")
qb = q2.slider("Query: change", -3.0, 3.0, 0.0, 0.1, key="q_change")
q = np.array([qa, qb])
w_dot = learn.dot_attention(q, keys)
w_add = learn.additive_attention(q, keys)
st.latex(r"\text{dot product: } \alpha_j = \mathrm{softmax}_j\!\left(\frac{q \cdot k_j}{\sqrt{d}}\right)"
         r"\qquad \text{additive: } \alpha_j = \mathrm{softmax}_j\!\left(v^\top \tanh(W_q q + W_k k_j)\right)")
a1, a2 = st.columns(2)
with a1:
    fig = go.Figure()
    fig.add_scatter(x=keys[:, 0], y=keys[:, 1], mode="markers+text", text=[str(s) for s in steps],
                    textposition="top center", name="keys (step number)",
                    marker=dict(size=8 + 60 * w_dot, color=w_dot, colorscale="Blues",
                                line=dict(color="black", width=1), cmin=0, cmax=max(0.3, w_dot.max())))
    fig.add_scatter(x=[0, qa], y=[0, qb], mode="lines+markers", name="query",
                    marker=dict(symbol="star", size=[1, 16], color="red"), line=dict(color="red"))
    fig.update_layout(height=380, title="Keys (size = dot-product weight) and the query",
                      xaxis_title="level", yaxis_title="change ×3", margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.2))
    st.plotly_chart(fig, key="keys_chart")
with a2:
    fig = go.Figure()
    fig.add_bar(x=steps, y=w_dot, name="scaled dot product", marker_color=GATE_COLORS["o"])
    fig.add_bar(x=steps, y=w_add, name="additive (Bahdanau)", marker_color=GATE_COLORS["g"])
    fig.update_layout(barmode="group", height=380, title="Attention weights per step (each set sums to 1)",
                      xaxis_title="step", yaxis_title="weight α", margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.2))
    st.plotly_chart(fig, key="weights_chart")
st.markdown(
    f"Dot product: steps whose key points the same way as the query win — the top step is "
    f"**{steps[np.argmax(w_dot)]}** (α = {w_dot.max():.2f}); the output is "
    f"Σ α·value = **{w_dot @ values:.3f}**. Additive attention scores each key with a tiny "
    f"neural network instead (here with fixed random weights $W_q, W_k, v$; in a model they are "
    f"learned): top step **{steps[np.argmax(w_add)]}** (α = {w_add.max():.2f}), output "
    f"**{w_add @ values:.3f}**. Weights only say where the model looks, not why.")

st.subheader("Attention pooling over an LSTM's hidden states")
st.markdown(
    "The *LSTM + attention* model does the same without an outside query: it scores every hidden "
    "state of the LSTM with one learned vector $w$, $\\alpha = \\mathrm{softmax}(w^\\top \\tanh(H))$, "
    "and predicts from the weighted sum $\\sum_j \\alpha_j h_j$. Below, $H$ are the hidden states "
    "of the LSTM from section 1; choose $w$ (here: one unit times a strength) and see which "
    "steps it picks.")
p1, p2 = st.columns(2)
busiest = int(np.argmax(np.tanh(tr["h"]).std(axis=0)))       # the unit that changes most
pool_unit = p1.selectbox("w listens to unit", list(range(1, int(hidden) + 1)), index=busiest,
                         key="pool_unit", help="Preselected: the unit whose state changes most.")
strength = p2.slider("strength of w", -10.0, 10.0, 6.0, 0.5, key="pool_w",
                     help="Positive: prefer steps where this unit is high; negative: where it is "
                          "low; 0: all steps equal.")
w = np.zeros(int(hidden))
w[pool_unit - 1] = strength
alpha, pooled = learn.attention_pooling(tr["h"], w)
fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.08,
                    subplot_titles=["tanh(H): hidden states of the LSTM", "α = softmax(wᵀ tanh(H))"])
fig.add_trace(go.Heatmap(z=np.tanh(tr["h"]).T, x=np.arange(1, T + 1),
                         y=[f"unit {k + 1}" for k in range(int(hidden))], zmin=-1, zmax=1,
                         colorscale="RdBu", reversescale=True, colorbar=dict(len=0.55, y=0.75)),
              row=1, col=1)
fig.add_bar(x=np.arange(1, T + 1), y=alpha, marker_color=GATE_COLORS["c"], name="α", row=2, col=1)
fig.update_layout(height=420, margin=dict(t=50, b=30), showlegend=False)
fig.update_xaxes(title_text="step", row=2, col=1)
st.plotly_chart(fig, key="pool_chart")
st.markdown(f"The weights sum to {alpha.sum():.3f}; the largest is step **{int(np.argmax(alpha)) + 1}** "
            f"(α = {alpha.max():.2f}). Pooled vector $h = \\sum_j \\alpha_j h_j$ = ${_vec(pooled, 8)}$.")

# ---------------------------------------------------------------- 5. grouped attention
st.header("5. Why grouped (parallel) attention: a test with a known answer")
st.markdown(
    "Feature attention is meant to show *which sensor* matters. To check that, we need data "
    "where we know the answer. The **planted-signal** data (simulated) has 8 sensors in 3 groups "
    "(engine, motion, thermal); the target depends on **one** of them, `engine_a`, a fixed number "
    "of steps earlier, and on nothing else. `motion_b` and `thermal_b` are strongly correlated "
    "with their neighbours but unrelated to the target. DA-RNN attends over all 8 sensors at "
    "once; PA-LSTM gives each group its own branch with attention inside the group, plus group "
    "weights. Train both for a few seconds and compare their mean feature attention over the test "
    "windows with the truth.")
with st.expander("Settings (kept small so it trains in seconds on a CPU)"):
    s1, s2, s3, s4, s5 = st.columns(5)
    p_rows = s1.number_input("Rows", 300, 5000, 1500, step=100, key="p_rows")
    p_lookback = s2.slider("Lookback", 4, 24, 12, key="p_lookback")
    p_lag = s3.slider("Planted lag", 0, 20, 4, key="p_lag")
    p_hidden = s4.slider("Hidden", 4, 32, 12, key="p_hidden")
    p_epochs = s5.slider("Epochs", 1, 20, 6, key="p_epochs")
config = dict(n_rows=int(p_rows), lag=int(p_lag), lookback=int(p_lookback), hidden=int(p_hidden),
              epochs=int(p_epochs))
job = st.session_state.get("learn_job")
running = job is not None and not job["future"].done()
if st.button("Train DA-RNN and PA-LSTM on the planted signal", key="train_planted", type="primary",
             disabled=running):
    if config["lag"] >= config["lookback"]:
        st.error(f"The planted lag ({config['lag']}) must be smaller than the lookback "
                 f"({config['lookback']}), or the cause is outside every window.")
    else:
        # train in a background thread, so the page keeps re-rendering (and can cancel)
        state = {"fraction": 0.0, "message": "starting…"}
        cancel = threading.Event()

        def _progress(f, m, state=state):
            state.update(fraction=min(1.0, float(f)), message=m)

        future = _executor().submit(learn.planted_attention, **config, cache=pc.ModelCache(),
                                    progress=_progress, cancel=cancel)
        job = st.session_state["learn_job"] = dict(config=config, future=future, state=state,
                                                   cancel=cancel)
        running = True

if job is not None and running:
    @st.fragment(run_every=0.5)
    def _training_status():
        if job["future"].done():
            st.rerun()
        st.progress(job["state"]["fraction"], text=f"Training: {job['state']['message']}")
        if st.button("Cancel training", key="cancel_planted"):
            job["cancel"].set()
    _training_status()
elif job is not None:
    st.session_state.pop("learn_job")
    try:
        st.session_state["learn_planted"] = (job["config"], job["future"].result())
    except pc.TrainingCancelled:
        st.warning("Training was cancelled.")
    except (pc.DataError, pc.TrainingError, ValueError) as exc:
        st.error(f"Training failed: {exc}")

stored = st.session_state.get("learn_planted")
if stored is None and not running:
    st.caption("Press the button to train (a few seconds; trained models are cached, so the "
               "second time is instant).")
elif stored is not None:
    cfg, res = stored
    if cfg != config:
        st.warning("The settings changed since this training; press the button to train again.")
    relative = st.toggle("Show relative to 'no preference' (1 = uniform within the softmax)", True,
                         key="relative",
                         help="PA-LSTM's weights sum to 1 within each group (3, 3 and 2 sensors), "
                              "DA-RNN's over all 8 sensors; dividing by the uniform weight makes "
                              "them comparable.")
    info = res.info
    panels = [("Truth (planted)", res.truth)] + [
        (learn.MODEL_LABELS.get(m, m), res.relative(m) if relative else res.feature[m])
        for m in res.feature]
    cols = st.columns(len(panels))
    for col, (title, frame) in zip(cols, panels):
        fig = go.Figure(go.Heatmap(z=frame.to_numpy(), x=list(frame.columns), y=list(frame.index),
                                   colorscale="Viridis", zmin=0,
                                   hovertemplate="%{y} at %{x}: %{z:.3f}<extra></extra>"))
        r = list(frame.index).index(info["feature"])
        c = list(frame.columns).index(info["column"])
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                      line=dict(color="red", width=3))
        fig.update_yaxes(autorange="reversed")
        fig.update_layout(height=360, title=title, margin=dict(t=50, b=40, l=10, r=10),
                          xaxis_title="lookback step")
        col.plotly_chart(fig, key=f"planted_{title}")
    mets = learn.planted_summary(res)
    for col in mets.select_dtypes("float").columns:        # "—" where a model has no such number
        mets[col] = mets[col].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}")
    st.dataframe(mets,
                 key="planted_table")
    st.markdown(learn.planted_verdict(res))
    t1, t2 = st.columns(2)
    with t1:
        fig = go.Figure()
        for m in res.temporal:
            fig.add_scatter(x=list(res.truth.columns), y=res.temporal[m], mode="lines+markers",
                            name=learn.MODEL_LABELS.get(m, m))
        fig.add_vline(x=info["lookback"] - 1 - info["lag"], line=dict(color="red", dash="dash"))
        fig.update_layout(height=320, title="Temporal attention (mean); red = planted lag",
                          xaxis_title="lookback step", yaxis_title="weight", margin=dict(t=50, b=40))
        st.plotly_chart(fig, key="planted_temporal")
    with t2:
        if res.group:
            gw = res.group["pa_lstm"]
            fig = go.Figure(go.Bar(x=list(gw.index), y=gw.to_numpy(), marker_color=GATE_COLORS["c"]))
            fig.update_layout(height=320, title="PA-LSTM group weights (mean); truth: engine",
                              yaxis_title="weight", margin=dict(t=50, b=40))
            st.plotly_chart(fig, key="planted_groups")
    st.markdown(
        f"**What this shows.** Trained for {info['epochs']} epochs on {info['n_rows']} simulated "
        f"rows, the red box marks the truth: `{info['feature']}` at {info['column']} (lag "
        f"{info['lag']}). A model whose feature attention is higher on `{info['feature']}` than on "
        "the others has found *which* sensor matters — within a group for PA-LSTM (plus its group "
        "weight), across all sensors for DA-RNN. Compare ranks and shares rather than the "
        "×-uniform numbers: DA-RNN's single softmax over 8 sensors can reach 8× uniform, "
        "PA-LSTM's softmax over the 3 engine sensors at most 3×. What grouping buys: a "
        "correlated distractor in another group cannot take weight from `engine_a` inside the "
        "engine branch, and the group weights answer a second, coarser question: which sensor "
        "group matters.\n\n"
        "**What it does not show.** In these models the feature attention at a step is computed "
        "from each sensor's *whole* lookback window, so its rows change little across the "
        "lookback: feature attention says *which sensor*, not *when*; the *when* is the temporal "
        "attention's job, and that is weighted over hidden states that have already mixed earlier "
        "steps, so its peak need not sit on the planted lag. Attention weights are what the model "
        "uses to mix its inputs, not a proof of cause: a few epochs on one seed can point at a "
        "correlated neighbour, and high attention on a sensor with small values can still mean "
        "little. Try other lags, more epochs or fewer rows and see how stable the picture is.")
    st.caption("Planted-signal data is simulated (palstm_core.simulate.planted_signal).")
