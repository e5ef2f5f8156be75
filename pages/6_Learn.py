"""Learn: what happens inside an LSTM cell, a GRU, and attention (the attention toy, the seq2seq
attention decoder and multi-head self-attention, in ``pages/_shared/learn_seq.py``) — live, on
the sample data.

All numbers come from palstm_core.teach (real torch models); this page only lays them out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import palstm_core as pc
from palstm_core import i18n, teach
from pages._shared.text import N_, _
from pages import _shared as ui
from pages._shared import figures, learn_seq
from pages._shared.learn_seq import vec as _vec

K = ui.keys.Learn

SAMPLE_CHANNELS = ["speed", "NOx", "rpm", "load", "CO2", "MAF", "accel", "exhaust_flow"]


# ---------------------------------------------------------------------------- cached calls
@st.cache_data(show_spinner=False, max_entries=32)
def _sample(sample: str, channel: str, start: int, length: int, lang: str) -> teach.Sequence:
    """(``lang`` keys the cache: the sequence's label is in the session's language.)"""
    return teach.sample_sequence(sample, channel, start, length)


@st.cache_data(show_spinner=False, max_entries=32)
def _demo(values: tuple, hidden: int, train_steps: int) -> dict:
    return teach.cell_demo(np.array(values), hidden=hidden, seed=0, train_steps=train_steps)


@st.cache_data(show_spinner=False, max_entries=64)
def _conformal(level: float, scaled: bool) -> teach.ConformalDemo:
    return teach.conformal_demo(level, scaled)


@st.cache_data(show_spinner=False, max_entries=64)
def _gradients(lookback: int, forget_bias: float) -> pd.DataFrame:
    return teach.gradient_by_step(lookback=lookback, forget_bias=forget_bias)


# ---------------------------------------------------------------- 1. inside an LSTM cell
def sequence_input():
    """The sequence (a piece of a sample drive or typed values), the hidden size and whether
    the cells are trained first; the sequence is None when it cannot be used."""
    st.header(_("1. Inside an LSTM cell"))
    st.markdown(
        _("An LSTM reads a sequence one step at a time. At every step it has two memories: the "
        "**cell state** $c$ (long-term, changed only by adding and scaling) and the **hidden state** "
        "$h$ (what it shows to the next layer). Three **gates** — numbers between 0 and 1, one per "
        "unit — decide what happens: the *forget gate* $f$ keeps (1) or erases (0) the old cell "
        "state, the *input gate* $i$ decides how much of the new *candidate* $g$ is written, and the "
        "*output gate* $o$ decides how much of the cell state is shown as $h$."))

    src_col, opt_col = st.columns([3, 2])
    with src_col:
        source = st.radio(_("Sequence"), [N_("Sample drive (simulated)"), N_("Type my own values")],
                          format_func=ui.fmt(), horizontal=True, key=K.src)
        seq = None
        if source.startswith("Sample"):
            c1, c2, c3, c4 = st.columns(4)
            sample = c1.selectbox(_("Sample drive"), pc.SAMPLES, key=K.sample)
            channel = c2.selectbox(_("Channel"), SAMPLE_CHANNELS, key=K.channel)
            start = c3.number_input(_("Start (s)"), 0, 3500, 120, step=10, key=K.start)
            length = c4.slider(_("Length (steps)"), 10, 80, 40, key=K.length)
            try:
                seq = _sample(sample, channel, int(start), int(length), i18n.current())
            except pc.DataError as exc:
                st.error(str(exc))
        else:
            text = st.text_input(_("Values (comma-separated)"), "0, 0, 1, 3, 6, 8, 8, 7, 4, 2, 1, 0, 0, "
                                 "2, 5, 9, 9, 6, 3, 1", key=K.values)
            try:
                seq = teach.parse_values(text)
            except ValueError as exc:
                st.error(str(exc))
    with opt_col:
        hidden = st.slider(_("Hidden units"), 2, 8, 4, key=K.hidden,
                           help=_("Size of h and c. Small, so every number fits on the screen."))
        trained = st.toggle(_("Train the cells first (≈1 s) to predict the next value"), True,
                            key=K.trained, help=_("Off: random starting weights. On: 150 passes of "
                            "Adam on this very sequence, so the gates do something purposeful."))
    return seq, int(hidden), bool(trained)


def lstm_equations(tr: dict, seq, t: int, step: int) -> None:
    """The gate equations of the LSTM at step index ``t``, with the numbers."""
    st.subheader(_("The gate equations at step t = {step}", step=step))
    st.markdown(_("Input $x_t$ = **{scaled:.3f}** (scaled; raw value {raw:.4g}{v}). Each "
                   "gate is a weighted sum of the input and the previous hidden state, "
                   "squashed by σ (to 0…1) or tanh (to −1…1). The numbers are that unit's "
                   "value, unit 1 first.", scaled=seq.scaled[t],
                   raw=seq.raw[t], v=' ' + seq.unit if seq.unit else ''))
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


def lstm_section(seq, demo: dict, trained: bool) -> tuple[int, int]:
    """The step slider, the sequence and the LSTM's gates; returns (step, its index t)."""
    tr = demo["lstm"]
    T = len(seq.scaled)
    step = st.slider(_("Step t"), 1, T, min(T, 12), key=K.step,
                     help=_("Which time step of the sequence the numbers below belong to."))
    t = step - 1

    seq_col, bars_col = st.columns(2)
    seq_col.plotly_chart(figures.sequence_figure(seq, demo["pred"] if trained else None, step),
                         key="seq_chart")
    bars_col.plotly_chart(figures.gate_bars(tr, ["f", "i", "g", "o", "c", "h"], t,
                                _("LSTM at step {step}: gates and states per unit", step=step)),
                     key="lstm_bars")
    if seq.simulated:
        st.caption(_("Simulated sample data (palstm_core.simulate) — not a measured drive."))
    lstm_equations(tr, seq, t, step)
    forget = tr["f"][t]
    keep = int(np.argmax(forget))
    st.info(_("At step {step}, unit {value} has the most open forget gate (f = "
               "{forget:.2f}): it keeps {forget:.0%} of its old cell state; unit {value2} "
               "keeps only {min:.0%}. The input gate writes i·g = [{join}] into the cell, "
               "and the output gate shows o = [{join2}] of tanh(c).", step=step,
               value=keep + 1, forget=forget[keep], value2=int(np.argmin(forget)) + 1,
               min=forget.min(), join=', '.join(f'{v:.2f}' for v in tr['i'][t] * tr['g'][t]),
               join2=', '.join(f'{v:.2f}' for v in tr['o'][t])))
    with st.expander(_("The arithmetic at this step, term by term")):
        gate = st.radio(_("Gate"), ["f", "i", "g", "o"], horizontal=True, key=K.gate,
                        format_func=ui.fmt(lambda k: f"{k} ({i18n.tr(teach.GATE_NAMES[k])})"))
        st.dataframe(ui.localized(teach.gate_breakdown(tr, gate, t)).style.format("{:.3f}"),
                     key="breakdown")
        st.dataframe(ui.localized(teach.cell_update_table(tr, t)).style.format("{:.3f}"),
                     key="update_table")
    st.plotly_chart(figures.gate_heatmaps(tr, ["f", "i", "o", "g", "c", "h"], t,
                               _("LSTM over the whole sequence (black line = step t)")),
                key="lstm_heat")
    return step, t


# ---------------------------------------------------------------- 2. LSTM vs GRU
def gru_section(demo: dict, t: int, step: int, trained: bool) -> None:
    gr = demo["gru"]
    st.header(_("2. LSTM vs GRU"))
    st.markdown(
        _("A GRU is a slimmer cousin: no separate cell state, and two gates instead of three. The "
        "*update gate* $z$ mixes old $h$ and the new candidate $n$ (it plays forget and input gate "
        "at once: keep $z$, write $1-z$); the *reset gate* $r$ decides how much of the old $h$ the "
        "candidate may look at. Same sequence, same hidden size, same training as above."))
    gl, gr_col = st.columns([3, 2])
    with gl:
        st.latex(r"r_t = \sigma(W_r x_t + U_r h_{t-1} + b_r) = " + _vec(gr["r"][t]))
        st.latex(r"z_t = \sigma(W_z x_t + U_z h_{t-1} + b_z) = " + _vec(gr["z"][t]))
        st.latex(r"n_t = \tanh(W_n x_t + r_t \odot (U_n h_{t-1} + b_{hn}) + b_{in}) = "
                 + _vec(gr["n"][t]))
        st.latex(r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1} = " + _vec(gr["h"][t]))
    with gr_col:
        st.plotly_chart(figures.gate_bars(gr, ["r", "z", "n", "h"], t, _("GRU at step {step}",
                                                                     step=step)),
                        key="gru_bars")
    table = demo["table"]
    st.dataframe(ui.localized(table).style.format({i18n.tr("next-value MSE"): "{:.5f}"}),
             key="compare_table")
    n_l, n_g = int(table.loc["LSTM", "parameters"]), int(table.loc["GRU", "parameters"])
    mse = table["next-value MSE"]
    st.markdown(
        _("The LSTM has **{lstm}** parameters, the GRU **{gru}** ({share:.0%} of it): 3 weight "
          "blocks instead of 4 (PyTorch keeps two bias vectors per block, hence the 2H).",
          lstm=n_l, gru=n_g, share=n_g / n_l) + " "
        + (_("After the same training, the next-value error on this sequence is {lstm:.4f} "
             "(LSTM), {gru:.4f} (GRU) and {rnn:.4f} (plain RNN) — on 40 steps of one channel "
             "that says little about which is better in general.", lstm=mse["LSTM"],
             gru=mse["GRU"], rnn=mse["plain RNN"])
           if trained else _("Switch on training above to compare their next-value errors.")))
    st.plotly_chart(figures.gate_heatmaps(gr, ["r", "z", "n", "h"], t,
                                      _("GRU over the whole sequence")),
                    key="gru_heat")


# ---------------------------------------------------------------- 3. why gates help
def gradient_section() -> None:
    st.header(_("3. Why gates help: gradients that survive"))
    st.markdown(
        _("A network learns from the gradient of its loss. For a step far in the past to matter, "
        "the gradient has to travel back through every step in between (backpropagation through "
        "time). In a plain RNN it is multiplied by the recurrent weights and tanh′ at every step, so "
        "it usually shrinks geometrically — the *vanishing gradient*. In an LSTM the cell state is "
        "updated by $c_t = f_t \\odot c_{t-1} + \\dots$, so along that path the gradient is only "
        "multiplied by the forget gate: if $f$ is near 1 it survives.\n\n"
        "**Toy task:** random inputs, the target is the *first* input, the prediction is read from "
        "the last hidden state. Below: $\\lVert \\partial \\text{loss} / \\partial x_t \\rVert$ for "
        "freshly initialised networks (16 units, 64 sequences), computed with autograd."))
    c1, c2 = st.columns(2)
    lookback = c1.slider(_("Lookback (sequence length)"), 5, 150, 50, key=K.lookback)
    fbias = c2.slider(_("LSTM forget-gate bias"), 0.0, 4.0, 1.0, 0.5, key=K.fbias,
                      help=_("Starting value of b_f. 1 is a common choice; σ(1) ≈ 0.73 means 'keep "
                           "most of the memory' before any training."))
    grads = _gradients(int(lookback), float(fbias))
    st.plotly_chart(figures.gradient_figure(grads, lookback), key="grad_chart")
    first = grads.iloc[0]
    cols = st.columns(3)
    for col, (kind, name) in zip(cols, (("rnn", _("plain RNN")), ("lstm", "LSTM"), ("gru", "GRU"))):
        col.metric(_("{name}: gradient at the oldest step", name=name), f"{first[kind]:.1e}",
                   help=_("relative to the newest step: {value:.1e}",
                           value=first[kind] / grads[kind].iloc[-1]))
    st.caption(_("These are untrained networks: the picture shows the starting point training "
               "works from. Training can push an LSTM's forget gates towards 1 where memory is needed; "
               "a plain RNN has no such knob."))


# ---------------------------------------------------------------- 4. attention
def query_section(seq) -> None:
    """A query against 2-D keys of the sequence: dot-product and additive weights."""
    T = len(seq.scaled)
    st.header(_("4. Attention: a learned, soft lookup"))
    st.markdown(
        _("Attention turns scores into weights that sum to 1 (softmax) and takes the weighted average "
        "of some *values*. A **query** says what we are looking for; each step has a **key** that "
        "says what it offers. Here 12 steps spread over the sequence above each get a 2-D key "
        "(its level $x_t$ and its change $3\\,(x_t - x_{t-1})$) and its value $x_t$. Move the query: "
        "a query pointing right asks for high values, pointing up for rising ones."))
    keys, values, steps = teach.attention_keys(seq.scaled, n=min(12, T))
    q1, q2 = st.columns(2)
    qa = q1.slider(_("Query: level"), -3.0, 3.0, 1.5, 0.1, key=K.q_level)
    qb = q2.slider(_("Query: change"), -3.0, 3.0, 0.0, 0.1, key=K.q_change)
    q = np.array([qa, qb])
    w_dot = teach.dot_attention(q, keys)
    w_add = teach.additive_attention(q, keys)
    st.latex(r"\text{dot product: } \alpha_j = \mathrm{softmax}_j\!\left(\frac{q \cdot k_j}{\sqrt{d}}\right)"
             r"\qquad \text{additive: } \alpha_j = \mathrm{softmax}_j\!\left(v^\top \tanh(W_q q + W_k k_j)\right)")
    a1, a2 = st.columns(2)
    a1.plotly_chart(figures.keys_figure(keys, steps, w_dot, q), key="keys_chart")
    a2.plotly_chart(figures.attention_weights_figure(steps, w_dot, w_add), key="weights_chart")
    st.markdown(
        _("Dot product: steps whose key points the same way as the query win — the top "
           "step is **{steps}** (α = {max:.2f}); the output is Σ α·value = "
           "**{value:.3f}**. Additive attention scores each key with a tiny neural network "
           "instead (here with fixed random weights $W_q, W_k, v$; in a model they are "
           "learned): top step **{steps2}** (α = {max2:.2f}), output **{value2:.3f}**. "
           "Weights only say where the model looks, not why.",
           steps=steps[np.argmax(w_dot)], max=w_dot.max(), value=w_dot @ values,
           steps2=steps[np.argmax(w_add)], max2=w_add.max(), value2=w_add @ values))


def pooling_section(tr: dict, hidden: int) -> None:
    """Attention pooling over the LSTM's hidden states ``tr["h"]`` with a chosen vector w."""
    st.subheader(_("Attention pooling over an LSTM's hidden states"))
    st.markdown(
        _("The *LSTM + attention* model does the same without an outside query: it scores every hidden "
        "state of the LSTM with one learned vector $w$, $\\alpha = \\mathrm{softmax}(w^\\top \\tanh(H))$, "
        "and predicts from the weighted sum $\\sum_j \\alpha_j h_j$. Below, $H$ are the hidden states "
        "of the LSTM from section 1; choose $w$ (here: one unit times a strength) and see which "
        "steps it picks."))
    p1, p2 = st.columns(2)
    busiest = int(np.argmax(np.tanh(tr["h"]).std(axis=0)))       # the unit that changes most
    pool_unit = p1.selectbox(_("w listens to unit"), list(range(1, int(hidden) + 1)), index=busiest,
                             key=K.pool_unit, help=_("Preselected: the unit whose state changes most."))
    strength = p2.slider(_("strength of w"), -10.0, 10.0, 6.0, 0.5, key=K.pool_w,
                         help=_("Positive: prefer steps where this unit is high; negative: where it is "
                              "low; 0: all steps equal."))
    w = np.zeros(int(hidden))
    w[pool_unit - 1] = strength
    alpha, pooled = teach.attention_pooling(tr["h"], w)
    st.plotly_chart(figures.pooling_figure(tr["h"], alpha), key="pool_chart")
    st.markdown(_("The weights sum to {sum:.3f}; the largest is step **{step}** (α = "
                   "{max:.2f}). Pooled vector $h = \\sum_j \\alpha_j h_j$ = ${vec}$.",
                   sum=alpha.sum(), step=int(np.argmax(alpha)) + 1, max=alpha.max(),
                   vec=_vec(pooled, 8)))


# ---------------------------------------------------------------- 5. grouped attention
def planted_settings() -> dict:
    """The planted-signal settings (sections 5 and 6 share them)."""
    st.header(_("5. Why grouped (parallel) attention: a test with a known answer"))
    st.markdown(
        _("Feature attention is meant to show *which sensor* matters. To check that, we need data "
        "where we know the answer. The **planted-signal** data (simulated) has 8 sensors in 3 groups "
        "(engine, motion, thermal); the target depends on **one** of them, `engine_a`, a fixed number "
        "of steps earlier, and on nothing else. `motion_b` and `thermal_b` are strongly correlated "
        "with their neighbours but unrelated to the target. DA-RNN attends over all 8 sensors at "
        "once; PA-LSTM gives each group its own branch with attention inside the group, plus group "
        "weights. Train both for a few seconds and compare their mean feature attention over the test "
        "windows with the truth."))
    with st.expander(_("Settings (kept small so it trains in seconds on a CPU)")):
        s1, s2, s3, s4, s5 = st.columns(5)
        p_rows = s1.number_input(_("Rows"), 300, 5000, 1500, step=100, key=K.p_rows)
        p_lookback = s2.slider(_("Lookback"), 4, 24, 12, key=K.p_lookback)
        p_lag = s3.slider(_("Planted lag"), 0, 20, 4, key=K.p_lag)
        p_hidden = s4.slider(_("Hidden"), 4, 32, 12, key=K.p_hidden)
        p_epochs = s5.slider(_("Epochs"), 1, 20, 6, key=K.p_epochs)
    config = dict(n_rows=int(p_rows), lag=int(p_lag), lookback=int(p_lookback), hidden=int(p_hidden),
                  epochs=int(p_epochs))
    return config


def planted_results(stored: tuple, config: dict) -> None:
    """Truth vs the trained models' feature attention, the table, the verdict, the profiles."""
    cfg, res = stored
    if cfg != config:
        st.warning(_("The settings changed since this training; press the button to train again."))
    relative = st.toggle(_("Show relative to 'no preference' (1 = uniform within the softmax)"), True,
                         key=K.relative,
                         help=_("PA-LSTM's weights sum to 1 within each group (3, 3 and 2 sensors), "
                              "DA-RNN's over all 8 sensors; dividing by the uniform weight makes "
                              "them comparable."))
    info = res.info
    panels = [(_("Truth (planted)"), res.truth)] + [
        (teach.MODEL_LABELS.get(m, m), res.relative(m) if relative else res.feature[m])
        for m in res.feature]
    cols = st.columns(len(panels))
    for col, (title, frame) in zip(cols, panels):
        col.plotly_chart(figures.feature_lag_heatmap(frame, title, info["feature"], info["column"]),
                         key=f"planted_{title}")
    mets = teach.planted_summary(res)
    for col in mets.select_dtypes("float").columns:        # "—" where a model has no such number
        mets[col] = mets[col].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}")
    st.dataframe(ui.localized(mets), key="planted_table")
    st.markdown(teach.planted_verdict(res))
    t1, t2 = st.columns(2)
    t1.plotly_chart(figures.temporal_profiles_figure(res.truth.columns, res.temporal,
                                                     teach.MODEL_LABELS,
                                                     info["lookback"] - 1 - info["lag"]),
                    key="planted_temporal")
    if res.group:
        t2.plotly_chart(figures.group_weights_figure(
            res.group["pa_lstm"], _("PA-LSTM group weights (mean); truth: engine")),
            key="planted_groups")
    st.markdown(
        _("**What this shows.** Trained for {epochs} epochs on {n_rows} simulated rows, "
           "the red box marks the truth: `{feature}` at {column} (lag {lag}). A model "
           "whose feature attention is higher on `{feature}` than on the others has found "
           "*which* sensor matters — within a group for PA-LSTM (plus its group weight), "
           "across all sensors for DA-RNN. Compare ranks and shares rather than the "
           "×-uniform numbers: DA-RNN's single softmax over 8 sensors can reach 8× "
           "uniform, PA-LSTM's softmax over the 3 engine sensors at most 3×. What grouping "
           "buys: a correlated distractor in another group cannot take weight from "
           "`engine_a` inside the engine branch, and the group weights answer a second, "
           "coarser question: which sensor group matters.\n\n**What it does not show.** In "
           "these models the feature attention at a step is computed from each sensor's "
           "*whole* lookback window, so its rows change little across the lookback: "
           "feature attention says *which sensor*, not *when*; the *when* is the temporal "
           "attention's job, and that is weighted over hidden states that have already "
           "mixed earlier steps, so its peak need not sit on the planted lag. Attention "
           "weights are what the model uses to mix its inputs, not a proof of cause: a few "
           "epochs on one seed can point at a correlated neighbour, and high attention on "
           "a sensor with small values can still mean little. Try other lags, more epochs "
           "or fewer rows and see how stable the picture is.", epochs=info['epochs'],
           n_rows=info['n_rows'], feature=info['feature'], column=info['column'],
           lag=info['lag']))
    st.caption(_("Planted-signal data is simulated (palstm_core.simulate.planted_signal)."))


def planted_section(config: dict, cache: pc.ModelCache) -> None:
    """Train DA-RNN and PA-LSTM on the planted signal in the background (``ui.background``)."""
    job = K.learn_job.get()
    running = job is not None and job.running
    start = st.button(_("Train DA-RNN and PA-LSTM on the planted signal"), key=K.train_planted,
                      type="primary", disabled=running)
    if start and config["lag"] >= config["lookback"]:
        st.error(_("The planted lag ({lag}) must be smaller than the lookback "
                    "({lookback}), or the cause is outside every window.",
                    lag=config['lag'], lookback=config['lookback']))
        start = False
    # train in a background thread, so the page keeps re-rendering (and can cancel)
    running = ui.background(K.learn_job, K.learn_planted, start, teach.planted_attention, config,
                            cache, (N_("Training"), K.cancel_planted, N_("Cancel training")))
    stored = K.learn_planted.get()
    if stored is None and not running:
        st.caption(_("Press the button to train (a few seconds; trained models are cached, so the "
                   "second time is instant)."))
    elif stored is not None:
        planted_results(stored, config)


# ---------------------------------------------------------------- 6. attention vs attribution
def xai_section(config: dict, cache: pc.ModelCache) -> None:
    st.header(_("6. Attention vs attribution: which map can you trust?"))
    st.markdown(
        _("An attention map shows what the model *mixes*; it is not automatically the reason for a "
        "prediction. Jain & Wallace (2019, *Attention is not explanation*) showed that attention "
        "weights can often be changed a lot without changing the prediction; Wiegreffe & Pinter "
        "(2019, *Attention is not not explanation*) showed that for some models they do carry the "
        "signal. Which case a given model is in can only be **checked**: against a known answer "
        "(planted data) and by deleting what the map ranks highest and watching the error "
        "(a deletion curve, against a random order). Here the PA-LSTM of section 5 (same settings, "
        "so it comes from the cache if you trained it there) is explained three ways: its feature "
        "attention α, its relevance β·γ·α (the weight each input really gets) and integrated "
        "gradients (Captum), and each map is scored."))
    start = st.button(_("Compare attention and attribution on the planted signal"), key=K.run_xai,
                      disabled=((job := K.learn_xai_job.get()) is not None and job.running
                                or config["lag"] >= config["lookback"]))
    ui.background(K.learn_xai_job, K.learn_xai, start, teach.attention_vs_attribution, config,
                  cache, (N_("Computing the maps"), K.cancel_xai, N_("Cancel")))
    xstored = K.learn_xai.get()
    if xstored is None:
        return
    xcfg, chk = xstored
    if xcfg != config:
        st.warning(_("The settings changed since this comparison; press the button again."))
    panels = [(_("Truth (planted)"), chk.truth)] + [
        (i18n.tr(teach.explanations.SHORT[n]), chk.maps[n]) for n in teach.explanations.MAPS]
    for col, (title, frame) in zip(st.columns(len(panels)), panels):
        col.plotly_chart(figures.feature_lag_heatmap(frame, title, chk.info["feature"],
                                                     chk.info["column"]),
                         key=f"xai_{title}")
    table = chk.scores.copy()
    for c in table.columns:
        if table[c].dtype == bool:
            table[c] = table[c].map({True: _("yes"), False: _("no")})
    st.dataframe(ui.localized(table), key="xai_table", column_config={
        i18n.tr(c, quiet=True): st.column_config.NumberColumn(format="%.3f")
        for c in chk.scores.select_dtypes("float").columns})
    st.markdown(teach.explanation_verdict(chk))
    st.caption(_("Maps: mean |value| over the {n_windows} test windows, as shares. "
                  "Precision@1 / recall@3: how often the planted cell is the top cell / "
                  "among the top 3 of a window (Ismail et al. 2020). Deletion area: error "
                  "÷ intact error as the top 0…100 % cells are replaced by the training "
                  "mean (larger than the random order = the map points at inputs the model "
                  "uses). Planted-signal data is simulated.",
                  n_windows=chk.info['n_windows']))


# ---------------------------------------------------------------- 7. intervals
def conformal_section() -> None:
    """What a 90 % interval means and how split-conformal calibration makes one (live)."""
    st.header(_("7. How sure is a prediction? Conformal intervals"))
    st.markdown(_(
        "A **90 % prediction interval** is a band around each prediction that should hold the "
        "measured value 9 times out of 10, on data the model has not seen. *Split conformal* "
        "calibration makes one without retraining: take the model's errors on a calibration "
        "part it did not train on, sort their sizes, and take the one at rank "
        "$\\lceil (n+1) \\cdot 0.9 \\rceil$ as $q$; the band is prediction $\\pm q$. If new "
        "points behave like the calibration points, at least 90 % fall inside. Here a straight "
        "line (least squares on the sensors) predicts NOx of the **simulated** urban sample; "
        "after its fit part, every other 20-s block calibrates and the others test."))
    c1, c2 = st.columns(2)
    level = c1.slider(_("Interval level"), 0.5, 0.99, 0.9, 0.01, key=K.conf_level)
    scaled = c2.toggle(_("Wider where the prediction is high (the app's scaled interval)"),
                       key=K.conf_scaled,
                       help=_("Scores are |error| ÷ σ̂ with σ̂ = |ŷ| + m·median|ŷ|; the band is "
                              "ŷ ± q·σ̂."))
    demo = _conformal(float(level), bool(scaled))
    a, b = st.columns([2, 3])
    a.plotly_chart(figures.conformal_scores_figure(demo), key="conf_scores_chart")
    b.plotly_chart(figures.conformal_band_figure(demo), key="conf_band_chart")
    st.markdown(_(
        "{n} calibration points: $q$ is the **{rank}**-th smallest score, {q:.3g}. On the "
        "{n_test} test points the band holds **{coverage:.1%}** of the measured values (asked "
        "for: {level:.0%}); mean width {width:.3g} {unit}. Red dots are outside. A higher level "
        "widens the band; the promise holds only while the test points are like the calibration "
        "points — on a new drive or in new conditions the coverage must be measured again "
        "(Results does).", n=demo.n_calibration, rank=demo.rank, q=demo.quantile,
        n_test=len(demo.test), coverage=demo.coverage, level=level, width=demo.width,
        unit=demo.unit))


# ---------------------------------------------------------------- page
def main() -> None:
    ui.page_setup(N_("Learn"), "🎓")
    ui.start_page(K)
    st.title(_("Learn: LSTM, GRU and attention, step by step"))
    st.markdown(
        _("This page opens up the pieces PA-LSTM is built from. Everything below is computed live "
        "with small PyTorch models on a short piece of the **simulated** sample drive (or on "
        "numbers you type). Move the sliders and watch the numbers change."))
    seq, hidden, trained = sequence_input()
    if seq is None:
        st.stop()
    with st.spinner(_("Training the little LSTM and GRU…")):
        demo = _demo(tuple(float(v) for v in seq.scaled), hidden, 150 if trained else 0)
    step, t = lstm_section(seq, demo, trained)
    gru_section(demo, t, step, trained)
    gradient_section()
    query_section(seq)
    pooling_section(demo["lstm"], hidden)
    learn_seq.decoder_section(seq)
    learn_seq.self_attention_section(seq)
    config = planted_settings()
    cache = ui.cache()
    planted_section(config, cache)
    xai_section(config, cache)
    conformal_section()


main()
