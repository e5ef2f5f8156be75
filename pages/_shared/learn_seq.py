"""Learn's sequence-to-sequence sections, next to the attention toy: the seq2seq attention
decoder step by step (Luong or Bahdanau, with and without teacher forcing; the seeds' 004) and
self-attention / multi-head attention on the drive (the seeds' 003: Q·K scores, softmax, heads
side by side). Section functions that ``pages/6_Learn.py`` calls; the numbers come from
``palstm_core.teach`` (real torch models)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from palstm_core import teach
from pages._shared.text import N_, _, tr

from . import figures
from .keys import Learn as K
from .lang import fmt, headers

KINDS = {"luong": N_("Luong (dot product)"), "bahdanau": N_("Bahdanau (additive)")}
HEADS = [1, 2, 4, 8]
D_MODEL = 8


def vec(a, n: int = 6) -> str:
    """A vector as LaTeX: [0.61, 0.42, …]."""
    a = np.asarray(a, dtype=float).ravel()
    body = r",\ ".join(f"{v:.2f}" for v in a[:n]) + (r",\ \dots" if len(a) > n else "")
    return r"\left[" + body + r"\right]"


def _bounded(key, lo: int, hi: int, default: int) -> None:
    """Start slider ``key`` at ``default`` and keep it inside lo … hi when another setting
    moves its range (a value outside the range would be an error)."""
    key.set(int(min(max(key.get(default), lo), hi)))


@st.cache_data(show_spinner=False, max_entries=16)
def _decoder(values: tuple, lookback: int, steps: int, kind: str) -> teach.DecoderDemo:
    return teach.decoder_demo(np.array(values), lookback=lookback, steps=steps, attention=kind,
                              train_steps=60, seed=0)


# ---------------------------------------------------------------- the attention decoder
def decoder_settings(T: int) -> tuple[str, int, int]:
    """Score (Luong / Bahdanau), lookback and decoder steps, within the sequence's length."""
    c1, c2, c3 = st.columns(3)
    kind = c1.radio(_("Score"), list(KINDS), format_func=fmt(lambda k: tr(KINDS[k])),
                    horizontal=True, key=K.d_kind,
                    help=_("Luong: e_kj = d_kᵀ h_j. Bahdanau: e_kj = vᵀ tanh(W_a d_(k−1) + "
                           "U_a h_j)."))
    top = max(4, min(20, T - 4))
    _bounded(K.d_lookback, 3, top, min(12, top))
    lookback = c2.slider(_("Encoder steps (lookback L)"), 3, top, key=K.d_lookback)
    most = max(2, min(8, T - lookback - 1))
    _bounded(K.d_steps, 1, most, min(5, most))
    steps = c3.slider(_("Decoder steps S (forecast steps)"), 1, most, key=K.d_steps)
    return kind, int(lookback), int(steps)


def decoder_equations(demo: teach.DecoderDemo, k: int) -> None:
    """The decoder's equations at step ``k`` (0-based), with this window's numbers."""
    score = (r"e_{kj} = d_k^\top h_j" if demo.kind == "luong"
             else r"e_{kj} = v^\top \tanh(W_a d_{k-1} + U_a h_j)")
    st.latex(r"\text{encoder: } h_j, c_j = \mathrm{LSTM}(x_j, (h_{j-1}, c_{j-1}))\qquad "
             r"\text{decoder: } d_k, s_k = \mathrm{LSTMCell}([\hat y_{k-1}; \tilde h_{k-1}], "
             r"(d_{k-1}, s_{k-1}))")
    st.latex(score + r"\qquad a_{kj} = \mathrm{softmax}_j(e_{kj})\qquad c_k = \sum_j a_{kj} h_j"
             r"\qquad \hat y_k = w_o^\top \tanh(W_c [c_k; d_k] + b_c) + b_o")
    a, af = demo.attention[k], demo.forced_attention[k]
    st.latex(rf"a_{{{k + 1},\cdot}} = " + vec(a[::-1], 8) + r"\ (\text{newest } h_L \text{ first})"
             rf"\qquad \hat y_{{{k + 1}}} = {demo.forecast[k]:.3f},\ "
             rf"y_{{{k + 1}}} = {demo.targets[k]:.3f}")
    st.latex(r"\text{teacher forcing: } \hat y_{k-1} \to y_{k-1}:\quad a_{" + str(k + 1)
             + r",\cdot} = " + vec(af[::-1], 8) + rf"\qquad \hat y_{{{k + 1}}} = "
             rf"{demo.forced_forecast[k]:.3f}")


def decoder_section(seq) -> None:
    """A tiny seq2seq trained on the sequence; one window's decoder, step by step."""
    st.header(_("4b. The seq2seq attention decoder, step by step"))
    st.markdown(_(
        "An **encoder** LSTM reads the window and keeps its **hidden state** $h_j$ at every input "
        "step. A **decoder** LSTM then writes the forecast one step at a time, and at every step "
        "it checks the encoder's outputs again — an open-book test: the book is the encoder's "
        "hidden states, the question is the decoder's state $d_k$, the answer its forecast "
        "$\\hat y_k$. The **attention** weights $a_{kj}$ say which encoder states decoder step $k$ "
        "reads. **Teacher forcing** (training): each step is fed the *true* previous value "
        "$y_{k-1}$; at inference it is fed its own forecast $\\hat y_{k-1}$, so errors can "
        "compound. This is the model the Train page trains as `seq2seq`, tiny, trained here for "
        "60 Adam steps on every window of the sequence above."))
    if len(seq.scaled) < 8:
        st.info(_("The decoder needs a sequence of at least 8 values (lookback + steps + 1)."))
        return
    kind, lookback, steps = decoder_settings(len(seq.scaled))
    try:
        with st.spinner(_("Training the little seq2seq (a few seconds)…")):
            demo = _decoder(tuple(float(v) for v in seq.scaled), lookback, steps, kind)
    except ValueError as exc:
        st.error(str(exc))
        return
    _bounded(K.d_step, 1, steps, 1)
    k = st.slider(_("Decoder step k"), 1, max(steps, 2), key=K.d_step, disabled=steps == 1,
                  help=_("Which forecast step the red boxes and the numbers below belong "
                         "to.")) - 1
    c1, c2 = st.columns([2, 3])
    c1.plotly_chart(figures.decoder_forecast_figure(
        demo.inputs, demo.targets, {_("forecast ŷ (no teacher forcing)"): demo.forecast,
                                    _("forecast with teacher forcing"): demo.forced_forecast},
        _("The last window: inputs, true next values, forecasts")), key="dec_forecast_chart")
    c2.plotly_chart(figures.decoder_attention_figure(
        demo.attention, _("{kind}: which encoder state each decoder step reads",
                          kind=tr(KINDS[kind])),
        forced=demo.forced_attention, row=k), key="dec_attention_chart")
    st.caption(_("The colours span the smallest to the largest weight of the two panels (hover "
                 "for the numbers); the red box is decoder step k."))
    decoder_equations(demo, k)
    table = demo.table()
    st.dataframe(table, hide_index=True, key="dec_table",
                 column_config=headers(table, {c: st.column_config.NumberColumn(format="%.3f")
                                               for c in ("target", "forecast",
                                                         "forecast (teacher forcing)",
                                                         "its weight")}))
    a = demo.attention[k]
    st.markdown(_(
        "Decoder step **{k}** puts its largest weight ({w:.2f}; uniform would be {u:.2f}) on "
        "encoder step **{j}**. A weight is on an encoder *state*, which already mixes every "
        "input up to that step: one attention weighs time here, never features and time "
        "together. Step 1 is the same with and without teacher forcing (its input is the "
        "newest known value); from step 2 on, the forced decoder is fed the true value and the "
        "free one its own forecast. Training loss after 60 steps: {loss:.4f} (scaled units). "
        "Switch the score or the number of steps and the model is trained again (cached).",
        k=k + 1, w=a.max(), u=1 / lookback, j=figures.step_labels(lookback)[int(a.argmax())],
        loss=demo.losses[-1]))


# ---------------------------------------------------------------- self-attention
def self_attention_settings(T: int) -> tuple[int, int, int, bool]:
    c1, c2, c3, c4 = st.columns(4)
    _bounded(K.sa_length, 4, min(24, T), min(12, T))
    length = c1.slider(_("Window length L"), 4, min(24, T), key=K.sa_length)
    heads = c2.select_slider(_("Heads"), HEADS, 2, key=K.sa_heads,
                             help=_("d_model = {d} is split into heads of d_h = {d} / heads "
                                    "each.", d=D_MODEL))
    _bounded(K.sa_query, 1, int(length), int(length))
    query = c3.slider(_("Query step i"), 1, int(length), key=K.sa_query,
                      help=_("The row of every head that the bars and numbers show (L = the "
                             "newest step)."))
    positions = c4.toggle(_("Positional encoding"), True, key=K.sa_positions,
                          help=_("Off: self-attention cannot tell the order of the steps."))
    return int(length), int(heads), int(query), bool(positions)


def self_attention_section(seq) -> None:
    """Multi-head self-attention over the last steps of the sequence, every intermediate."""
    st.header(_("4c. Self-attention and multi-head attention"))
    st.markdown(_(
        "A Transformer has no recurrence: every step of the window looks at every other step "
        "at once (*Attention is all you need*, 2017). Each step gets a **query**, a **key** and a "
        "**value** (three projections of its embedding); the query·key scores, scaled by "
        "$\\sqrt{d_h}$ and turned into weights by a softmax, say how much step $i$ reads step $j$ "
        "(**scaled dot-product attention**). **Multi-head** attention does this $n$ times with "
        "smaller projections and puts the heads side by side. Here on the last $L$ steps of the "
        "sequence above, with random (seeded) projections — the picture of an untrained layer; "
        "a trained transformer's heads are on the Results page."))
    if len(seq.scaled) < 5:
        st.info(_("Self-attention needs a sequence of at least 5 values here."))
        return
    length, heads, query, positions = self_attention_settings(len(seq.scaled))
    sa = teach.self_attention(seq.scaled[-length:], heads=heads, d_model=D_MODEL, seed=0,
                              positions=positions)
    i = query - 1
    st.latex(r"Q_h = X W^Q_h,\ K_h = X W^K_h,\ V_h = X W^V_h \qquad "
             r"A_h = \mathrm{softmax}\!\left(\frac{Q_h K_h^\top}{\sqrt{d_h}}\right) \qquad "
             r"\mathrm{MHA}(X) = [A_1 V_1; \dots; A_n V_n]\, W^O")
    st.latex(rf"d_{{model}} = {D_MODEL},\ n = {heads},\ d_h = {D_MODEL // heads}:\quad "
             rf"\frac{{q_{{{query}}} \cdot k_j}}{{\sqrt{{d_h}}}}\ (\text{{head 1}}) = "
             + vec(sa.scores[0, i], 5) + r"\ \to\ a_{" + str(query) + r",j} = "
             + vec(sa.weights[0, i], 5))
    st.plotly_chart(figures.heads_figure(
        {_("scores QKᵀ/√d_h"): sa.scores, _("softmax A"): sa.weights},
        _("Every head: query step i (row) × key step j (column)"), query=i),
        key="sa_heads_chart")
    st.plotly_chart(figures.query_row_figure(
        {_("head {h}", h=h + 1): sa.weights[h, i] for h in range(heads)},
        _("What query step {i} reads, head by head", i=query)), key="sa_query_chart")
    top = [figures.step_labels(length)[int(np.argmax(sa.weights[h, i]))] for h in range(heads)]
    reads = ", ".join(_("**{step}** (head {h})", step=s, h=h + 1) for h, s in enumerate(top))
    st.markdown(_(
        "Query step {i} reads most from {reads}. Different heads can look at different steps: "
        "that is what several heads buy. The hand computation above matches "
        "`torch.nn.MultiheadAttention` with the same weights to {check:.1e}.", i=query,
        reads=reads, check=sa.check))
    if seq.simulated:
        st.caption(_("Simulated sample data (palstm_core.simulate) — not a measured drive."))
