"""Inside an LSTM / GRU cell: tiny one-layer nets that predict the next value of a sequence,
and numpy traces of every gate at every step from the module's own weights.

Gate order follows PyTorch: nn.LSTM rows are (i, f, g, o), nn.GRU rows are (r, z, n).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn
from ..i18n import N_

LSTM_GATES = ("i", "f", "g", "o")


GATE_NAMES = {"i": N_("input gate"), "f": N_("forget gate"), "g": N_("candidate"),   # msgids:
              "o": N_("output gate"), "r": N_("reset gate"), "z": N_("update gate"),  # shown
              "n": N_("candidate")}                                                   # with tr


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
        N_("unit"): np.arange(1, len(pre) + 1),
        "W·x_t": p["Wx"][t], "U·h_(t-1)": p["Uh"][t], "b": p["b"],
        N_("sum"): pre, GATE_NAMES[gate]: trace[gate][t],
    }).set_index("unit")


def cell_update_table(trace: dict, t: int) -> pd.DataFrame:
    """c_t = f ⊙ c_{t-1} + i ⊙ g and h_t = o ⊙ tanh(c_t) at step ``t``, term by term."""
    f, i, g, o = (trace[k][t] for k in ("f", "i", "g", "o"))
    c_prev, c = trace["c_prev"][t], trace["c"][t]
    return pd.DataFrame({
        N_("unit"): np.arange(1, len(c) + 1),
        N_("f·c_(t-1) (kept)"): f * c_prev, N_("i·g (written)"): i * g, "c_t": c,
        "o_t": o, "tanh(c_t)": np.tanh(c), "h_t": trace["h"][t],
    }).set_index("unit")


def compare_table(models: dict[str, NextValueModel], seq=None) -> pd.DataFrame:
    """One row per model: parameters (counted from the live module), gates, states, and
    (with ``seq``) the next-value MSE on it."""
    info = {
        "rnn": (N_("none"), "h", "h_t = tanh(W x_t + U h_{t-1} + b)", 1),    # N_: shown
        "lstm": (N_("input i, forget f, output o (+ candidate g)"), N_("h and c"),  # with tr
                 "c_t = f⊙c_{t-1} + i⊙g;  h_t = o⊙tanh(c_t)", 4),
        "gru": (N_("reset r, update z (+ candidate n)"), "h",
                "h_t = (1−z)⊙n + z⊙h_{t-1}", 3),
    }
    rows = []
    for name, m in models.items():
        gates, states, update, blocks = info[m.kind]
        I, H = m.module.input_size, m.module.hidden_size
        row = {N_("model"): name, N_("parameters"): m.n_params,
               N_("formula"): f"{blocks}·(H·I + H·H + 2H) = {blocks}·({H}·{I} + {H}·{H} + 2·{H})",
               N_("weight blocks"): blocks, N_("gates"): gates, N_("state vectors"): states,
               N_("state update"): update}
        if seq is not None:
            row[N_("next-value MSE")] = m.mse(seq)
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
