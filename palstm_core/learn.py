"""Computations behind the Learn page: small, live torch models that show what an LSTM cell,
a GRU cell and attention do, step by step. Plain functions returning numpy arrays and
DataFrames (no UI code, testable on their own).

    seq  = sample_sequence("urban", "speed", start=120, length=40)   # simulated sample data
    lstm = next_value_model("lstm", seq.scaled, hidden=4, train_steps=150)
    tr   = lstm_trace(lstm.module, seq.scaled)      # every gate at every step, (T, H) each
    grad = gradient_by_step(lookback=60)            # ||dL/dx_t|| for RNN, LSTM, GRU
    w    = dot_attention(query, keys), additive_attention(query, keys)
    res  = planted_attention(cache=pc.ModelCache())  # DA-RNN vs PA-LSTM on planted-signal data

Gate order follows PyTorch: nn.LSTM rows are (i, f, g, o), nn.GRU rows are (r, z, n).
"""
from __future__ import annotations

import math
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

LSTM_GATES = ("i", "f", "g", "o")
GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate",
              "r": "reset gate", "z": "update gate", "n": "candidate"}


@contextmanager
def one_thread():
    """Run torch on one CPU thread inside the block (these models are tiny; with several
    threads on a busy machine the thread hand-offs cost far more than the arithmetic)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ---------------------------------------------------------------------------- the sequence
@dataclass
class Sequence:
    """A short 1-D sequence: ``raw`` values and ``scaled`` to [-1, 1] (what the cells see)."""

    times: np.ndarray
    raw: np.ndarray
    scaled: np.ndarray
    label: str
    unit: str = ""
    simulated: bool = False


def scale(values) -> np.ndarray:
    """Min-max scale to [-1, 1] (a constant sequence becomes zeros)."""
    x = np.asarray(values, dtype=float)
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi - lo < 1e-12:
        return np.zeros_like(x)
    return 2.0 * (x - lo) / (hi - lo) - 1.0


def sample_sequence(sample: str = "urban", channel: str = "speed", start: int = 120,
                    length: int = 40) -> Sequence:
    """``length`` rows of one channel of a shipped (simulated) sample drive."""
    from .data import DataError, load_sample

    ds = load_sample(sample)
    if channel not in ds.columns:
        raise DataError(f"The sample '{sample}' has no channel '{channel}'. "
                        f"Channels: {', '.join(ds.columns)}.")
    length = int(max(3, length))
    start = int(min(max(0, start), len(ds) - length))
    part = ds.frame.iloc[start:start + length]
    raw = part[channel].to_numpy(dtype=float)
    raw = pd.Series(raw).interpolate(limit_direction="both").fillna(0.0).to_numpy()
    times = ds.times[start:start + length]
    return Sequence(times, raw, scale(raw), f"{channel} — {ds.label}", ds.units.get(channel, ""),
                    simulated=ds.simulated)


def parse_values(text: str, max_len: int = 200) -> Sequence:
    """User-typed numbers ("1, 2.5, 3 4") -> Sequence; ValueError with a readable message."""
    parts = [p for p in re.split(r"[,;\s]+", str(text).strip()) if p]
    values = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise ValueError(f"'{p}' is not a number. Type numbers separated by commas, "
                             "e.g. 0, 1, 3, 2, 0.") from None
        if not math.isfinite(v):
            raise ValueError(f"'{p}' is not a finite number.")
        values.append(v)
    if len(values) < 3:
        raise ValueError("Type at least 3 numbers separated by commas, e.g. 0, 1, 3, 2, 0.")
    if len(values) > max_len:
        raise ValueError(f"At most {max_len} numbers, please (got {len(values)}).")
    raw = np.array(values)
    return Sequence(np.arange(len(raw), dtype=float), raw, scale(raw), "your values")


# ---------------------------------------------------------------------------- tiny models
@dataclass
class NextValueModel:
    """A one-layer recurrent net (``module``: nn.LSTM / nn.GRU / nn.RNN, input size 1) with a
    linear ``head`` that predicts the next value of the sequence from the hidden state."""

    kind: str
    module: nn.Module
    head: nn.Linear
    losses: list[float] = field(default_factory=list)

    @property
    def n_params(self) -> int:
        """Parameters of the recurrent cell alone (the head is the same for every kind)."""
        return sum(p.numel() for p in self.module.parameters())

    @torch.no_grad()
    def predict(self, seq) -> np.ndarray:
        """Prediction of x_{t+1} made at every step t."""
        out, _ = self.module(torch.as_tensor(np.asarray(seq), dtype=torch.float32)[None, :, None])
        return self.head(out[0]).squeeze(-1).numpy().astype(float)

    def mse(self, seq) -> float:
        """Mean squared error of the next-value predictions on ``seq`` (scaled units)."""
        seq = np.asarray(seq, dtype=float)
        if len(seq) < 2:
            return float("nan")
        return float(np.mean((self.predict(seq)[:-1] - seq[1:]) ** 2))


RECURRENT = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def build_recurrent(kind: str, hidden: int = 4, seed: int = 0, input_size: int = 1,
                    forget_bias: float | None = None) -> nn.Module:
    """nn.LSTM / nn.GRU / nn.RNN (tanh), one layer, batch_first, PyTorch's default init drawn
    from ``seed``. ``forget_bias`` (LSTM only) sets b_f = b_if + b_hf."""
    if kind not in RECURRENT:
        raise ValueError(f"kind must be one of {list(RECURRENT)}")
    torch.manual_seed(seed)
    module = RECURRENT[kind](input_size, hidden, batch_first=True)
    if kind == "lstm" and forget_bias is not None:
        with torch.no_grad():
            module.bias_ih_l0[hidden:2 * hidden] = float(forget_bias)
            module.bias_hh_l0[hidden:2 * hidden] = 0.0
    return module


def next_value_model(kind: str, seq, hidden: int = 4, seed: int = 0, train_steps: int = 0,
                     lr: float = 0.03) -> NextValueModel:
    """Build a tiny recurrent net and (if ``train_steps`` > 0) train it with Adam for that many
    full passes over ``seq`` to predict each next value. Deterministic for a given seed."""
    module = build_recurrent(kind, hidden, seed)
    torch.manual_seed(seed + 1)
    head = nn.Linear(hidden, 1)
    model = NextValueModel(kind, module, head)
    seq = np.asarray(seq, dtype=float)
    if train_steps <= 0 or len(seq) < 2:
        return model
    x = torch.as_tensor(seq[:-1], dtype=torch.float32)[None, :, None]
    y = torch.as_tensor(seq[1:], dtype=torch.float32)[None, :]
    params = list(module.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    with one_thread():
        for _ in range(int(train_steps)):
            out, _ = module(x)
            loss = torch.mean((head(out).squeeze(-1) - y) ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            model.losses.append(loss.item())
    return model


def _weights(module: nn.Module, n_gates: int):
    H = module.hidden_size
    W = module.weight_ih_l0.detach().double().numpy()        # (n_gates*H, I)
    U = module.weight_hh_l0.detach().double().numpy()        # (n_gates*H, H)
    b_ih = module.bias_ih_l0.detach().double().numpy()
    b_hh = module.bias_hh_l0.detach().double().numpy()
    split = lambda a: [a[k * H:(k + 1) * H] for k in range(n_gates)]  # noqa: E731
    return H, split(W), split(U), split(b_ih), split(b_hh)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_trace(module: nn.LSTM, seq) -> dict:
    """Run ``seq`` through the LSTM cell step by step with numpy, from the module's weights.

        i_t = σ(W_i x_t + U_i h_{t-1} + b_i)      f_t = σ(W_f x_t + U_f h_{t-1} + b_f)
        g_t = tanh(W_g x_t + U_g h_{t-1} + b_g)   o_t = σ(W_o x_t + U_o h_{t-1} + b_o)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t           h_t = o_t ⊙ tanh(c_t)

    Returns {"x": (T,), "i","f","g","o","c","h": (T, H), "c_prev","h_prev": (T, H),
    "parts": {gate: {"Wx": (T, H), "Uh": (T, H), "b": (H,), "pre": (T, H)}}} (b = b_ih + b_hh,
    pre = Wx + Uh + b, the gate before σ / tanh).
    """
    xs = np.asarray(seq, dtype=float).reshape(len(seq), -1)
    H, W, U, b_ih, b_hh = _weights(module, 4)
    h, c = np.zeros(H), np.zeros(H)
    out = {k: [] for k in ("i", "f", "g", "o", "c", "h", "c_prev", "h_prev")}
    parts = {k: {"Wx": [], "Uh": [], "pre": []} for k in LSTM_GATES}
    for x in xs:
        acts = {}
        for k, name in enumerate(LSTM_GATES):
            wx, uh = W[k] @ x, U[k] @ h
            parts[name]["Wx"].append(wx)
            parts[name]["Uh"].append(uh)
            z = wx + uh + b_ih[k] + b_hh[k]
            parts[name]["pre"].append(z)
            acts[name] = np.tanh(z) if name == "g" else _sigmoid(z)
        out["c_prev"].append(c)
        out["h_prev"].append(h)
        c = acts["f"] * c + acts["i"] * acts["g"]
        h = acts["o"] * np.tanh(c)
        for name in LSTM_GATES:
            out[name].append(acts[name])
        out["c"].append(c)
        out["h"].append(h)
    res = {k: np.array(v).reshape(len(xs), H) for k, v in out.items()}
    res["x"] = xs[:, 0] if xs.shape[1] == 1 else xs
    res["parts"] = {name: {"Wx": np.array(p["Wx"]).reshape(len(xs), H),
                           "Uh": np.array(p["Uh"]).reshape(len(xs), H),
                           "b": b_ih[k] + b_hh[k],
                           "pre": np.array(p["pre"]).reshape(len(xs), H)}
                    for k, (name, p) in enumerate(parts.items())}
    return res


def gru_trace(module: nn.GRU, seq) -> dict:
    """Run ``seq`` through the GRU cell step by step with numpy (PyTorch's formulation).

        r_t = σ(W_r x_t + U_r h_{t-1} + b_r)      z_t = σ(W_z x_t + U_z h_{t-1} + b_z)
        n_t = tanh(W_n x_t + b_in + r_t ⊙ (U_n h_{t-1} + b_hn))
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Returns {"x", "r", "z", "n", "h", "h_prev"} ((T, H) each but x).
    """
    xs = np.asarray(seq, dtype=float).reshape(len(seq), -1)
    H, W, U, b_ih, b_hh = _weights(module, 3)
    h = np.zeros(H)
    out = {k: [] for k in ("r", "z", "n", "h", "h_prev")}
    for x in xs:
        r = _sigmoid(W[0] @ x + b_ih[0] + U[0] @ h + b_hh[0])
        z = _sigmoid(W[1] @ x + b_ih[1] + U[1] @ h + b_hh[1])
        n = np.tanh(W[2] @ x + b_ih[2] + r * (U[2] @ h + b_hh[2]))
        out["h_prev"].append(h)
        h = (1 - z) * n + z * h
        for k, v in (("r", r), ("z", z), ("n", n), ("h", h)):
            out[k].append(v)
    res = {k: np.array(v).reshape(len(xs), H) for k, v in out.items()}
    res["x"] = xs[:, 0] if xs.shape[1] == 1 else xs
    return res


def gate_breakdown(trace: dict, gate: str, t: int) -> pd.DataFrame:
    """The arithmetic of one LSTM gate at step ``t``, one row per hidden unit:
    W x_t, U h_{t-1}, b, their sum (pre-activation) and the gate value after σ / tanh."""
    p = trace["parts"][gate]
    pre = p["pre"][t]
    return pd.DataFrame({
        "unit": np.arange(1, len(pre) + 1),
        "W·x_t": p["Wx"][t], "U·h_(t-1)": p["Uh"][t], "b": p["b"],
        "sum": pre, GATE_NAMES[gate]: trace[gate][t],
    }).set_index("unit")


def cell_update_table(trace: dict, t: int) -> pd.DataFrame:
    """c_t = f ⊙ c_{t-1} + i ⊙ g and h_t = o ⊙ tanh(c_t) at step ``t``, term by term."""
    f, i, g, o = (trace[k][t] for k in ("f", "i", "g", "o"))
    c_prev, c = trace["c_prev"][t], trace["c"][t]
    return pd.DataFrame({
        "unit": np.arange(1, len(c) + 1),
        "f·c_(t-1) (kept)": f * c_prev, "i·g (written)": i * g, "c_t": c,
        "o_t": o, "tanh(c_t)": np.tanh(c), "h_t": trace["h"][t],
    }).set_index("unit")


def compare_table(models: dict[str, NextValueModel], seq=None) -> pd.DataFrame:
    """One row per model: parameters (counted from the live module), gates, states, and
    (with ``seq``) the next-value MSE on it."""
    info = {
        "rnn": ("none", "h", "h_t = tanh(W x_t + U h_{t-1} + b)", 1),
        "lstm": ("input i, forget f, output o (+ candidate g)", "h and c",
                 "c_t = f⊙c_{t-1} + i⊙g;  h_t = o⊙tanh(c_t)", 4),
        "gru": ("reset r, update z (+ candidate n)", "h",
                "h_t = (1−z)⊙n + z⊙h_{t-1}", 3),
    }
    rows = []
    for name, m in models.items():
        gates, states, update, blocks = info[m.kind]
        I, H = m.module.input_size, m.module.hidden_size
        row = {"model": name, "parameters": m.n_params,
               "formula": f"{blocks}·(H·I + H·H + 2H) = {blocks}·({H}·{I} + {H}·{H} + 2·{H})",
               "weight blocks": blocks, "gates": gates, "state vectors": states,
               "state update": update}
        if seq is not None:
            row["next-value MSE"] = m.mse(seq)
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def cell_demo(values, hidden: int = 4, seed: int = 0, train_steps: int = 150) -> dict:
    """Everything sections "inside an LSTM cell" and "LSTM vs GRU" show, as plain arrays:
    an LSTM and a GRU (same hidden size and seed), trained for ``train_steps`` passes to predict
    the next value of ``values`` (already scaled), traced step by step.

    Returns {"lstm": lstm_trace, "gru": gru_trace, "table": compare_table (with a plain RNN
    for reference) and "pred": {kind: (T,) next-value predictions}}.
    """
    seq = np.asarray(values, dtype=float)
    models = {name: next_value_model(kind, seq, hidden, seed, train_steps)
              for name, kind in (("LSTM", "lstm"), ("GRU", "gru"), ("plain RNN", "rnn"))}
    return {
        "lstm": lstm_trace(models["LSTM"].module, seq),
        "gru": gru_trace(models["GRU"].module, seq),
        "table": compare_table(models, seq),
        "pred": {k: m.predict(seq) for k, m in models.items()},
    }


# ---------------------------------------------------------------------------- gradients
def gradient_by_step(lookback: int = 50, hidden: int = 16, batch: int = 64, seed: int = 0,
                     forget_bias: float = 1.0, kinds=("rnn", "lstm", "gru")) -> pd.DataFrame:
    """How much the loss at the END of a sequence still depends on each input step.

    Toy task "remember the first value": inputs x_1..x_L are random N(0, 1), the target is x_1,
    the prediction is a linear read-out of h_L. For every model (freshly initialised from
    ``seed``, same read-out seed), the loss is backpropagated with autograd and the norm of
    ∂loss/∂x_t over the batch is reported for every step t. Returns a DataFrame with columns
    step (1 = oldest), steps_back (L − step) and one column per kind.
    """
    L = int(lookback)
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randn(batch, L, 1, generator=gen, dtype=torch.float64)
    y = x0[:, 0, 0]
    out = {"step": np.arange(1, L + 1), "steps_back": L - np.arange(1, L + 1)}
    for kind in kinds:
        with one_thread():
            out[kind] = _input_gradient(kind, x0, y, hidden, seed, forget_bias)
    return pd.DataFrame(out)


def _input_gradient(kind, x0, y, hidden, seed, forget_bias) -> np.ndarray:
    """Norm over the batch of ∂loss/∂x_t for a fresh ``kind`` network (float64, so tiny
    gradients do not underflow to zero)."""
    module = build_recurrent(kind, hidden, seed,
                             forget_bias=forget_bias if kind == "lstm" else None).double()
    torch.manual_seed(seed + 7)
    head = nn.Linear(hidden, 1).double()
    x = x0.double().requires_grad_(True)
    h, _ = module(x)
    loss = torch.mean((head(h[:, -1]).squeeze(-1) - y) ** 2)
    (grad,) = torch.autograd.grad(loss, x)
    return grad[..., 0].norm(dim=0).numpy().astype(float)


# ---------------------------------------------------------------------------- attention
def softmax(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z))
    return e / e.sum()


def attention_keys(seq, n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys and values for ``n`` steps spread evenly over a scaled sequence: key_t = (level
    x_t, 3 · change x_t − x_{t−1}) in 2-D so it can be drawn (×3 so both axes have a similar
    range); value_t = x_t. Returns (keys (n, 2), values (n,), step numbers (n,), 1-based)."""
    x = np.asarray(seq, dtype=float)
    d = np.diff(x, prepend=x[0])
    idx = np.unique(np.linspace(0, len(x) - 1, min(n, len(x))).round().astype(int))
    return np.stack([x, d * 3.0], 1)[idx], x[idx], idx + 1


def dot_attention(query, keys) -> np.ndarray:
    """Scaled dot-product attention weights softmax(q·k_j / √d) over the keys (sum to 1)."""
    q, K = np.asarray(query, dtype=float), np.asarray(keys, dtype=float)
    return softmax(K @ q / math.sqrt(K.shape[1]))


@dataclass
class AdditiveParams:
    """Bahdanau's scorer e_j = vᵀ tanh(W_q q + W_k k_j). Here fixed (seeded), not learned."""

    W_q: np.ndarray
    W_k: np.ndarray
    v: np.ndarray


def additive_params(dim: int = 2, size: int = 8, seed: int = 0) -> AdditiveParams:
    rng = np.random.default_rng(seed)
    return AdditiveParams(rng.normal(0, 1, (size, dim)), rng.normal(0, 1, (size, dim)),
                          rng.normal(0, 1, size))


def additive_attention(query, keys, params: AdditiveParams | None = None) -> np.ndarray:
    """Additive (Bahdanau) attention weights softmax_j(vᵀ tanh(W_q q + W_k k_j))."""
    q, K = np.asarray(query, dtype=float), np.asarray(keys, dtype=float)
    p = params or additive_params(K.shape[1])
    scores = np.tanh(p.W_q @ q + K @ p.W_k.T) @ p.v
    return softmax(scores)


def attention_pooling(H, w) -> tuple[np.ndarray, np.ndarray]:
    """LSTM + attention pooling: α = softmax(wᵀ tanh(H)), h = Σ_j α_j H_j.
    H: (T, hidden) hidden states, w: (hidden,). Returns (α (T,), h (hidden,))."""
    H, w = np.asarray(H, dtype=float), np.asarray(w, dtype=float)
    alpha = softmax(np.tanh(H) @ w)
    return alpha, alpha @ H


# ---------------------------------------------------------------------------- planted signal
@dataclass
class PlantedResult:
    """DA-RNN vs PA-LSTM attention on planted-signal data (simulated, known answer)."""

    feature: dict[str, pd.DataFrame]        # model -> features × lookback, mean over test windows
    temporal: dict[str, np.ndarray]         # model -> (lookback,) mean temporal attention
    group: dict[str, pd.Series]             # model -> mean group weight (PA-LSTM only)
    metrics: dict[str, dict]                # model -> {"rmse", "mae", "mape", "r2"}
    seconds: dict[str, float]               # model -> training seconds (0 when from cache)
    from_cache: dict[str, bool]
    groups: dict[str, list[str]]            # the sensor grouping of the planted data
    attention_groups: dict[str, dict]       # model -> the column sets its feature softmax spans
    truth: pd.DataFrame                     # 1 at (planted feature, its lag column), else 0
    info: dict                              # {"feature", "group", "lag", "lookback", ...}

    def relative(self, model: str) -> pd.DataFrame:
        """Feature attention ÷ the uniform weight it would have with no preference
        (1/len(group) for PA-LSTM, 1/F for DA-RNN): 1 = no preference, > 1 = preferred."""
        att = self.feature[model]
        size = {c: len(cols) for cols in self.attention_groups[model].values() for c in cols}
        return att.mul(pd.Series(size).reindex(att.index), axis=0)

    def relative_rank(self, model: str) -> tuple[pd.Series, int]:
        """Mean ``relative`` weight per feature, and the planted feature's rank (1 = top)."""
        rel = self.relative(model).mean(axis=1)
        return rel, int((rel > rel[self.info["feature"]]).sum()) + 1


def step_labels(lookback: int) -> list[str]:
    """Column labels for a lookback, oldest first: 't−L+1' … 't−1', 't'."""
    return [f"t−{k}" if k else "t" for k in range(lookback - 1, -1, -1)]


def planted_attention(n_rows: int = 1500, lag: int = 4, lookback: int = 12, hidden: int = 12,
                      epochs: int = 6, seed: int = 0, cache=None, models=("da_rnn", "pa_lstm"),
                      progress=None, cancel=None) -> PlantedResult:
    """Train ``models`` for a few epochs on ``simulate.planted_signal`` (target = f(engine_a
    ``lag`` steps earlier)) and average their attention over the test windows.

    Uses ``pc.train`` (with ``cache``, a ``ModelCache``, a second call is instant).
    ``progress(fraction, message)`` is called as the models train; setting ``cancel`` (a
    ``threading.Event``) stops with ``TrainingCancelled``.
    """
    from .simulate import planted_signal
    from .training import TrainConfig, train
    from .windows import WindowSpec

    if not 0 <= lag < lookback:
        raise ValueError(f"The lag ({lag}) must be smaller than the lookback ({lookback}).")
    ds, grouping, info = planted_signal(n_rows=n_rows, lag=lag, seed=seed)
    window = WindowSpec(lookback=lookback, horizon=0)
    labels = step_labels(lookback)
    feature, temporal, group, metrics, seconds, cached, spans = {}, {}, {}, {}, {}, {}, {}
    for m_i, name in enumerate(models):
        cfg = TrainConfig(model=name, hidden_size=hidden, epochs=epochs, batch_size=64,
                          lr=1e-2, seed=seed, device="cpu", patience=epochs)

        def prog(frac, msg, m_i=m_i, name=name):
            if progress:
                progress((m_i + frac) / len(models), f"{name}: {msg}")

        t0 = time.perf_counter()
        with one_thread():
            run = train(ds, "target", grouping=grouping, window=window, config=cfg,
                        cache=cache, progress=prog, cancel=cancel)
            att = run.explain(ds, part="test")
        seconds[name] = 0.0 if run.from_cache else time.perf_counter() - t0
        cached[name] = bool(run.from_cache)
        feature[name] = pd.DataFrame(att.feature.mean(axis=0).T, index=att.features,
                                     columns=labels)
        temporal[name] = att.temporal.mean(axis=0)
        spans[name] = att.groups
        if att.group is not None:
            group[name] = att.group_importance()
        metrics[name] = dict(run.metrics)
    features = list(feature[models[0]].index)
    column = labels[lookback - 1 - lag]
    truth = pd.DataFrame(0.0, index=features, columns=labels)
    truth.loc[info["feature"], column] = 1.0
    info = {**info, "lookback": lookback, "n_rows": n_rows, "hidden": hidden, "epochs": epochs,
            "column": column}
    return PlantedResult(feature, temporal, group, metrics, seconds, cached, grouping.groups,
                         spans, truth, info)


MODEL_LABELS = {"da_rnn": "DA-RNN", "pa_lstm": "PA-LSTM"}


def planted_summary(res: PlantedResult) -> pd.DataFrame:
    """One row per model: how much feature attention the planted feature gets, and the fit.

    share in its group  engine_a's weight ÷ the whole engine group's weight (both models: for
                        DA-RNN the group sum is taken over its all-sensor softmax)
    × uniform           weight ÷ the weight with no preference (see ``PlantedResult.relative``)
    rank (of F)         1 = the planted feature has the highest weight relative to uniform
    """
    feat, group = res.info["feature"], res.info["group"]
    members = res.groups[group]
    rows = {}
    for m, att in res.feature.items():
        mean = att.mean(axis=1)
        rel, rank = res.relative_rank(m)
        rows[MODEL_LABELS.get(m, m)] = {
            f"{feat} share in its group": float(mean[feat] / mean[members].sum()),
            f"{feat} × uniform": float(rel[feat]),
            "best other sensor × uniform": float(rel.drop(feat).max()),
            f"{feat} rank (of {len(rel)})": rank,
            f"group weight of {group}": (float(res.group[m][group]) if m in res.group
                                       else float("nan")),
            "test R²": float(res.metrics[m]["r2"]),
            "test RMSE": float(res.metrics[m]["rmse"]),
            "training s": float(res.seconds[m]),
            "from cache": "yes" if res.from_cache[m] else "no",
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def planted_verdict(res: PlantedResult) -> str:
    """A plain-language sentence on what this particular run found (computed, not canned)."""
    feat = res.info["feature"]
    parts = []
    for m in res.feature:
        rel, rank = res.relative_rank(m)
        label = MODEL_LABELS.get(m, m)
        if rank == 1:
            parts.append(f"{label} puts the most attention (relative to uniform) on `{feat}` "
                         f"({rel[feat]:.2f}× uniform; next best {rel.drop(feat).max():.2f}×)")
        else:
            parts.append(f"{label} does **not** single out `{feat}` (rank {rank}; "
                         f"{rel[feat]:.2f}× uniform vs {rel.max():.2f}× for `{rel.idxmax()}`)")
        if m in res.group:
            g = res.group[m]
            parts[-1] += (f", and its group weights favour `{g.idxmax()}` ({g.max():.2f})")
    return "**In this run:** " + "; ".join(parts) + "."
