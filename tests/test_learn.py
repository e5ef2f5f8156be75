"""Learn page: unit tests of palstm_core.teach and AppTest tests of pages/6_Learn.py."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import palstm_core as pc
from palstm_core import teach

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # the page's job runner sets it too
PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "6_Learn.py")


def _sig(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------------------- LSTM / GRU cells
def test_lstm_trace_is_the_real_lstm():
    module = teach.build_recurrent("lstm", hidden=5, seed=3)
    seq = np.sin(np.linspace(0, 6, 30))
    tr = teach.lstm_trace(module, seq)
    # the equations hold step by step
    np.testing.assert_allclose(tr["h"], tr["o"] * np.tanh(tr["c"]), atol=1e-12)
    np.testing.assert_allclose(tr["c"], tr["f"] * tr["c_prev"] + tr["i"] * tr["g"], atol=1e-12)
    np.testing.assert_allclose(tr["c_prev"][1:], tr["c"][:-1])
    for k in ("i", "f", "o"):
        assert ((tr[k] > 0) & (tr[k] < 1)).all()
    assert (np.abs(tr["g"]) < 1).all()
    # ... and match PyTorch's nn.LSTM and nn.LSTMCell with the same weights
    x = torch.tensor(seq, dtype=torch.float32)[None, :, None]
    out, (h_n, c_n) = module(x)
    np.testing.assert_allclose(tr["h"], out[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(tr["c"][-1], c_n[0, 0].detach().numpy(), atol=1e-5)
    cell = nn.LSTMCell(1, 5)
    with torch.no_grad():
        cell.weight_ih.copy_(module.weight_ih_l0)
        cell.weight_hh.copy_(module.weight_hh_l0)
        cell.bias_ih.copy_(module.bias_ih_l0)
        cell.bias_hh.copy_(module.bias_hh_l0)
        h = c = torch.zeros(1, 5)
        for t in range(len(seq)):
            h, c = cell(x[:, t], (h, c))
            np.testing.assert_allclose(tr["h"][t], h[0].numpy(), atol=1e-5)
            np.testing.assert_allclose(tr["c"][t], c[0].numpy(), atol=1e-5)


def test_gate_breakdown_adds_up():
    module = teach.build_recurrent("lstm", hidden=4, seed=0)
    tr = teach.lstm_trace(module, [0.1, -0.5, 0.9, 0.3])
    for gate in ("i", "f", "g", "o"):
        df = teach.gate_breakdown(tr, gate, 2)
        np.testing.assert_allclose(df["sum"], df["W·x_t"] + df["U·h_(t-1)"] + df["b"])
        act = np.tanh(df["sum"]) if gate == "g" else _sig(df["sum"])
        np.testing.assert_allclose(df.iloc[:, -1], act, atol=1e-12)
    upd = teach.cell_update_table(tr, 2)
    np.testing.assert_allclose(upd["c_t"], upd["f·c_(t-1) (kept)"] + upd["i·g (written)"])
    np.testing.assert_allclose(upd["h_t"], upd["o_t"] * upd["tanh(c_t)"])


def test_gru_trace_is_the_real_gru():
    module = teach.build_recurrent("gru", hidden=4, seed=1)
    seq = np.cos(np.linspace(0, 4, 20))
    tr = teach.gru_trace(module, seq)
    np.testing.assert_allclose(tr["h"], (1 - tr["z"]) * tr["n"] + tr["z"] * tr["h_prev"],
                               atol=1e-12)
    out, _ = module(torch.tensor(seq, dtype=torch.float32)[None, :, None])
    np.testing.assert_allclose(tr["h"], out[0].detach().numpy(), atol=1e-5)


def test_training_makes_the_cell_predict_the_next_value():
    seq = teach.sample_sequence("urban", "speed", 120, 40)
    assert seq.simulated and "simulated" in seq.label
    assert seq.scaled.min() == pytest.approx(-1) and seq.scaled.max() == pytest.approx(1)
    m = teach.next_value_model("lstm", seq.scaled, hidden=4, train_steps=100)
    assert m.losses[-1] < m.losses[0] / 5
    assert m.mse(seq.scaled) == pytest.approx(m.losses[-1], rel=0.5)
    untrained = teach.next_value_model("lstm", seq.scaled, hidden=4)
    assert untrained.losses == [] and untrained.mse(seq.scaled) > m.mse(seq.scaled)


def test_compare_table_counts_live_parameters():
    demo = teach.cell_demo(teach.scale(np.arange(12.0) ** 0.5), hidden=3, train_steps=5)
    tab = demo["table"]
    H, I = 3, 1
    assert tab.loc["LSTM", "parameters"] == 4 * (H * I + H * H + 2 * H)
    assert tab.loc["GRU", "parameters"] == 3 * (H * I + H * H + 2 * H)
    assert tab.loc["plain RNN", "parameters"] == H * I + H * H + 2 * H
    assert set(demo["lstm"]) >= {"i", "f", "g", "o", "c", "h"}
    assert demo["pred"]["GRU"].shape == (12,)


def test_parse_values():
    s = teach.parse_values("1, 2;3 4")
    np.testing.assert_allclose(s.raw, [1, 2, 3, 4])
    assert not s.simulated
    for bad in ("1, x, 3", "1, 2", "1, nan, 3"):
        with pytest.raises(ValueError):
            teach.parse_values(bad)
    with pytest.raises(pc.DataError):
        teach.sample_sequence("urban", "no_such_channel")


# ---------------------------------------------------------------------------- gradients
def test_plain_rnn_gradient_vanishes_lstm_keeps_it():
    g = teach.gradient_by_step(lookback=100)
    assert list(g["step"]) == list(range(1, 101))
    for k in ("rnn", "lstm", "gru"):
        assert np.isfinite(g[k]).all() and (g[k] > 0).all()
    first = g.iloc[0]
    assert first["rnn"] < 1e-6 * first["lstm"]          # oldest step: RNN gradient is gone
    assert g["rnn"].iloc[-1] > 1e-4                     # ... though the newest step gets plenty
    # a forget gate that starts open keeps more of the gradient
    open_ = teach.gradient_by_step(lookback=60, forget_bias=3.0, kinds=("lstm",))
    closed = teach.gradient_by_step(lookback=60, forget_bias=0.0, kinds=("lstm",))
    assert open_["lstm"].iloc[0] > 100 * closed["lstm"].iloc[0]


# ---------------------------------------------------------------------------- attention
def test_attention_weights_sum_to_one_and_follow_the_query():
    seq = teach.sample_sequence("urban", "speed", 120, 40).scaled
    keys, values, steps = teach.attention_keys(seq, 12)
    assert keys.shape == (12, 2) and values.shape == (12,) and steps[0] == 1 and steps[-1] == 40
    for fn in (teach.dot_attention, teach.additive_attention):
        a = fn(np.array([1.5, 0.0]), keys)
        b = fn(np.array([-1.5, 0.0]), keys)
        assert a.sum() == pytest.approx(1) and b.sum() == pytest.approx(1)
        assert (a >= 0).all() and np.abs(a - b).max() > 0.01
    # dot product: a query pointing to high levels favours the highest-level key
    a = teach.dot_attention(np.array([3.0, 0.0]), keys)
    assert np.argmax(a) == np.argmax(keys[:, 0])


def test_attention_pooling():
    H = np.random.default_rng(0).normal(size=(10, 4))
    alpha, pooled = teach.attention_pooling(H, np.zeros(4))
    np.testing.assert_allclose(alpha, 0.1)
    alpha, pooled = teach.attention_pooling(H, np.array([5.0, 0, 0, 0]))
    assert alpha.sum() == pytest.approx(1) and np.argmax(alpha) == np.argmax(H[:, 0])
    np.testing.assert_allclose(pooled, alpha @ H)


# ---------------------------------------------------------------------------- planted signal
def test_planted_attention_tiny(tmp_path):
    cache = pc.ModelCache(tmp_path)
    kw = dict(n_rows=400, lag=2, lookback=6, hidden=4, epochs=1, cache=cache)
    res = teach.planted_attention(**kw)
    assert set(res.feature) == {"da_rnn", "pa_lstm"}
    for m, att in res.feature.items():
        assert att.shape == (8, 6) and list(att.columns) == teach.step_labels(6)
        assert res.temporal[m].sum() == pytest.approx(1, abs=1e-4)
        rel = res.relative(m)
        assert rel.shape == att.shape and (rel.to_numpy() > 0).all()
    # PA-LSTM's attention sums to 1 within each group, DA-RNN's over all sensors
    pa = res.feature["pa_lstm"]
    for cols in res.groups.values():
        np.testing.assert_allclose(pa.loc[cols].sum(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(res.feature["da_rnn"].sum(axis=0), 1, atol=1e-4)
    assert res.truth.to_numpy().sum() == 1 and res.truth.loc["engine_a", "t−2"] == 1
    assert res.group["pa_lstm"].sum() == pytest.approx(1, abs=1e-4)
    summary = teach.planted_summary(res)
    assert list(summary.index) == ["DA-RNN", "PA-LSTM"]
    assert "In this run" in teach.planted_verdict(res)
    again = teach.planted_attention(**kw)                 # second visit: from the cache
    assert all(again.from_cache.values())
    np.testing.assert_allclose(again.feature["pa_lstm"], res.feature["pa_lstm"], atol=1e-6)
    with pytest.raises(ValueError):
        teach.planted_attention(n_rows=400, lag=6, lookback=6, cache=cache)
    stop = threading.Event()
    stop.set()
    with pytest.raises(pc.TrainingCancelled):
        teach.planted_attention(**{**kw, "epochs": 2}, cancel=stop)


def test_attention_vs_attribution_scores_are_the_real_ones(tmp_path):
    from palstm_core.explain.deletion import planted_cells
    cache = pc.ModelCache(tmp_path)
    kw = dict(n_rows=500, lag=2, lookback=6, hidden=6, epochs=2, cache=cache)
    chk = teach.attention_vs_attribution(**kw)
    assert list(chk.scores.index) == ["feature attention α", "relevance", "integrated gradients"]
    for m in chk.maps.values():
        assert m.shape == (8, 6) and m.to_numpy().sum() == pytest.approx(1, abs=1e-6)
    assert chk.truth.loc["engine_a", "t−2"] == 1 and chk.truth.to_numpy().sum() == 1
    # recompute one row by hand from the cached run: planted score and deletion area
    ds, g, info = pc.simulate.planted_signal(n_rows=500, lag=2, seed=0)
    run = pc.train(ds, "target", grouping=g, window=pc.WindowSpec(lookback=6, horizon=0),
                   config=pc.TrainConfig(model="pa_lstm", hidden_size=6, epochs=2, batch_size=64,
                                         lr=1e-2, seed=0, device="cpu", patience=2), cache=cache)
    assert run.from_cache                                  # the Learn page's section 5 model
    rel = run.explain(ds, part="test").relevance
    row = chk.scores.loc["relevance"]
    assert row["precision@1 (per window)"] == pytest.approx(
        pc.explain.planted_score(rel, planted_cells(run, info))["precision"])
    assert row["deletion area"] == pytest.approx(
        pc.explain.deletion_curve(run, ds, rel, part="test").area)
    text = teach.explanation_verdict(chk)
    assert f"{row['precision@1 (per window)']:.0%} for relevance" in text
    with pytest.raises(ValueError):
        teach.attention_vs_attribution(**{**kw, "lag": 6})


# ---------------------------------------------------------------------------- the page
def _app():
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(PAGE, default_timeout=120)


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_page_renders_every_section():
    at = _app().run()
    assert not at.exception, at.exception
    assert not at.error
    headers = [h.value for h in at.header]
    assert len(headers) == 9 and headers[0].startswith("1.") and headers[7].startswith("6.")
    assert headers[8].startswith("7.")                  # conformal intervals
    assert len(at.get("plotly_chart")) >= 9            # sequence, bars, heatmaps, gradients, attention
    assert len(at.latex) >= 10                          # LSTM and GRU equations with numbers
    assert "simulated" in _text(at).lower()
    assert len(at.metric) == 3
    assert at.button(key="train_planted") is not None   # section 5 waits for the button
    assert at.button(key="run_xai") is not None         # section 6 too


def test_step_slider_moves_the_numbers():
    at = _app().run()
    before = [x.value for x in at.latex]
    assert r"\sigma(\left[" in before[0] and "f_t" in before[0]
    at.slider(key="step").set_value(30).run()
    assert not at.exception
    after = [x.value for x in at.latex]
    assert after[0] != before[0] and after[4] != before[4]     # forget gate and cell state
    assert "step t = 30" in [s.value for s in at.subheader][0]
    # more hidden units -> longer vectors in the equations
    at.slider(key="hidden").set_value(6).run()
    assert at.latex[0].value.count(r",\ ") > before[0].count(r",\ ")
    # untrained weights give other gates
    at.toggle(key="trained").set_value(False).run()
    assert not at.exception and at.latex[0].value != after[0]


def test_own_values_and_bad_input():
    at = _app().run()
    at.radio(key="src").set_value("Type my own values").run()
    assert not at.exception and not at.error
    at.text_input(key="values").input("0, 1, 2, 3, 2, 1, 0, -1, -2").run()
    assert at.slider(key="step").max == 9
    at.text_input(key="values").input("1, two, 3").run()
    assert at.error and "two" in at.error[0].value


def test_gradient_and_attention_widgets_respond():
    at = _app().run()
    metrics = [m.value for m in at.metric]
    at.slider(key="lookback").set_value(120).run()
    assert not at.exception
    after = [m.value for m in at.metric]
    assert after != metrics
    rnn, lstm = (float(v) for v in after[:2])
    assert rnn < lstm                                  # vanishing gradient shown on the page
    text = _text(at)
    at.slider(key="q_level").set_value(-2.0).run()
    assert _text(at) != text
    text = _text(at)
    at.slider(key="pool_w").set_value(-6.0).run()
    assert _text(at) != text and "sum to 1.000" in _text(at)


def test_planted_training_button_tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("PALSTM_CACHE_DIR", str(tmp_path))
    at = _app().run()
    n_charts = len(at.get("plotly_chart"))
    at.slider(key="p_lookback").set_value(6)
    at.slider(key="p_lag").set_value(6)
    at.button(key="train_planted").click().run()
    assert at.error and "smaller than the lookback" in at.error[0].value
    at.number_input(key="p_rows").set_value(400)
    at.slider(key="p_lag").set_value(2)
    at.slider(key="p_hidden").set_value(4)
    at.slider(key="p_epochs").set_value(1)
    at.button(key="train_planted").click().run()
    assert not at.exception and not at.error
    # training runs in a background thread; the page keeps rendering meanwhile
    job = at.session_state["learn_job"] if "learn_job" in at.session_state else None
    if job is not None:
        assert job.wait(timeout=120)
        at.run()
    assert "learn_job" not in at.session_state and not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= n_charts + 5     # truth, DA-RNN, PA-LSTM, temporal, groups
    assert "In this run" in _text(at)
    assert len(at.dataframe) >= 1
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 2  # both cached
    at.toggle(key="relative").set_value(False).run()
    assert not at.exception


def test_attention_vs_attribution_section_live(tmp_path, monkeypatch):
    monkeypatch.setenv("PALSTM_CACHE_DIR", str(tmp_path))
    at = _app().run()
    assert "Attention is not explanation" in _text(at)
    at.number_input(key="p_rows").set_value(400)
    at.slider(key="p_lookback").set_value(6)
    at.slider(key="p_lag").set_value(2)
    at.slider(key="p_hidden").set_value(4)
    at.slider(key="p_epochs").set_value(1)
    at.button(key="run_xai").click().run()
    job = at.session_state["learn_xai_job"] if "learn_xai_job" in at.session_state else None
    if job is not None:
        assert job.wait(timeout=120)
        at.run()
    assert not at.exception and not at.error
    cfg, chk = at.session_state["learn_xai"]
    table = next(d.value for d in at.dataframe if "deletion area" in d.value.columns)
    assert table.loc["relevance", "deletion area"] == chk.scores.loc["relevance", "deletion area"]
    assert teach.explanation_verdict(chk) in _text(at)
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text")
              for c in at.get("plotly_chart")]
    assert {"Truth (planted)", "relevance", "integrated gradients"} <= set(titles)


def test_planted_training_can_be_cancelled(tmp_path, monkeypatch):
    monkeypatch.setenv("PALSTM_CACHE_DIR", str(tmp_path))
    at = _app().run()
    at.number_input(key="p_rows").set_value(5000)
    at.slider(key="p_epochs").set_value(20)
    at.button(key="train_planted").click().run()
    assert not at.exception
    job = at.session_state["learn_job"]
    at.run()                                                 # page re-renders meanwhile
    assert at.button(key="train_planted").disabled           # one training at a time
    assert at.session_state["learn_job"] is job
    at.button(key="cancel_planted").click().run()
    assert job.wait(timeout=60) and job.cancelled and job.result is None
    at.run()
    assert not at.exception and "learn_job" not in at.session_state
    assert any("cancelled" in w.value for w in at.warning)
    assert "learn_planted" not in at.session_state


# ------------------------------------------------------------------ seq2seq / MHA (issue 22)
def _chart(at, key: str) -> dict:
    """The figure of the plotly chart whose element key is ``key``."""
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id)


def test_seq2seq_decoder_section_is_live_and_its_sliders_change_it():
    at = _app().run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    assert any(h.startswith("4b.") and "decoder" in h for h in headers)
    latex = "\n".join(x.value for x in at.latex)
    assert r"e_{kj} = d_k^\top h_j" in latex and r"c_k = \sum_j a_{kj} h_j" in latex
    fig = _chart(at, "dec_attention_chart")
    assert len([d for d in fig["data"] if d["type"] == "heatmap"]) == 2   # with / without forcing
    box = [s for s in fig["layout"]["shapes"] if s.get("line", {}).get("color") == "red"]
    y0 = box[0]["y0"]
    eq = [x.value for x in at.latex if "teacher forcing" in x.value][0]
    at.slider(key="d_step").set_value(3).run()                 # another decoder step
    assert not at.exception
    box = [s for s in _chart(at, "dec_attention_chart")["layout"]["shapes"]
           if s.get("line", {}).get("color") == "red"]
    assert box[0]["y0"] == y0 + 2
    assert [x.value for x in at.latex if "teacher forcing" in x.value][0] != eq
    before = _chart(at, "dec_attention_chart")["data"][0]["z"]
    at.radio(key="d_kind").set_value("bahdanau").run()         # the other score: retrained
    assert not at.exception
    assert r"e_{kj} = v^\top \tanh(W_a d_{k-1} + U_a h_j)" in "\n".join(x.value for x in at.latex)
    assert _chart(at, "dec_attention_chart")["data"][0]["z"] != before
    table = next(d.value for d in at.dataframe if "decoder step" in d.value.columns)
    assert len(table) == at.slider(key="d_steps").value


def test_self_attention_section_is_live_and_its_sliders_change_it():
    at = _app().run()
    assert not at.exception, at.exception
    assert any(h.value.startswith("4c.") for h in at.header)
    latex = "\n".join(x.value for x in at.latex)
    assert r"\mathrm{softmax}\!\left(\frac{Q_h K_h^\top}{\sqrt{d_h}}\right)" in latex
    heads = _chart(at, "sa_heads_chart")
    assert len([d for d in heads["data"] if d["type"] == "heatmap"]) == 2 * 2   # scores, A × heads
    bars = _chart(at, "sa_query_chart")
    assert [d["name"] for d in bars["data"]] == ["head 1", "head 2"]
    at.select_slider(key="sa_heads").set_value(4).run()        # four heads side by side
    assert not at.exception
    assert len([d for d in _chart(at, "sa_heads_chart")["data"] if d["type"] == "heatmap"]) == 8
    assert len(_chart(at, "sa_query_chart")["data"]) == 4
    row = _chart(at, "sa_query_chart")["data"][0]["y"]
    at.slider(key="sa_query").set_value(3).run()               # another query row
    assert not at.exception
    assert _chart(at, "sa_query_chart")["data"][0]["y"] != row
    at.slider(key="sa_length").set_value(6).run()              # shorter window: query kept inside
    assert not at.exception and at.slider(key="sa_query").max == 6
    assert "matches `torch.nn.MultiheadAttention`" in _text(at)
# ---------------------------------------------------------------------------- 7. intervals
def test_conformal_demo_is_split_conformal():
    lo, hi = teach.conformal_demo(0.5), teach.conformal_demo(0.9)
    assert hi.rank == int(np.ceil((hi.n_calibration + 1) * 0.9))
    assert hi.quantile == np.sort(hi.scores)[hi.rank - 1]             # the rank-th smallest
    assert hi.width > lo.width and hi.coverage > lo.coverage
    assert abs(hi.coverage - 0.9) < 0.05 and abs(lo.coverage - 0.5) < 0.08
    t = hi.test
    np.testing.assert_allclose(t["upper"] - t["predicted"], hi.quantile)   # ŷ ± q
    assert hi.coverage == t["inside"].mean()
    scaled = teach.conformal_demo(0.9, scaled=True)
    assert (scaled.test["upper"] - scaled.test["lower"]).std() > 0        # width follows ŷ


def test_conformal_section_level_slider_updates_band_and_coverage():
    at = _app().run()
    assert not at.exception, at.exception
    at.slider(key="conf_level").set_value(0.5).run()
    assert not at.exception, at.exception
    demo = teach.conformal_demo(0.5)
    assert f"**{demo.coverage:.1%}**" in _text(at) and f"**{demo.rank}**" in _text(at)
    at.toggle(key="conf_scaled").set_value(True).run()
    assert not at.exception, at.exception
    assert f"**{teach.conformal_demo(0.5, True).coverage:.1%}**" in _text(at)
