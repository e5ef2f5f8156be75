"""Attention vs attribution on planted-signal data (simulated, known answer): PA-LSTM's feature
attention α, its relevance map β·γ·α and Captum's integrated gradients of the same trained
model, each scored against the planted cell (precision/recall among the top-k cells, Ismail et
al. 2020) and by a deletion curve against a random order.

Why both scores: an attention map is what the model *mixes* with, not necessarily what its
prediction *depends on*; attention weights can often be changed a lot without changing the
prediction (Jain & Wallace 2019, "Attention is not explanation"), while for some models and
tasks they do carry the signal (Wiegreffe & Pinter 2019, "Attention is not not explanation").
Only a check against the prediction (deletion) or a known answer (planted data) tells which
case a given model is in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..explain import attribute, deletion_curve, planted_score
from ..explain.deletion import planted_cells
from ..explain.maps import SHORT
from ..simulate import planted_signal
from ..training import TrainConfig, train
from ..windows import WindowSpec
from .planted import step_labels
from ..i18n import N_, _, tr

MAPS = ("feature", "relevance", "integrated_gradients")


@dataclass
class ExplanationCheck:
    """Three maps of one PA-LSTM on planted data, and how well each finds the planted cell."""

    maps: dict[str, pd.DataFrame]   # map name -> features × lookback: mean |map| over the test
    #                                 windows, as shares (sums to 1)
    scores: pd.DataFrame            # one row per map (see ``attention_vs_attribution``)
    truth: pd.DataFrame             # 1 at (planted feature, planted step), else 0
    info: dict                      # planted feature, lag, column, settings, test R²
    summaries: dict[str, str]       # map name -> the deletion curve's sentence


def _mean_share(m: np.ndarray, features, lookback: int) -> pd.DataFrame:
    a = np.abs(m).mean(axis=0)
    return pd.DataFrame((a / a.sum()).T, index=list(features), columns=step_labels(lookback))


def attention_vs_attribution(n_rows: int = 1500, lag: int = 4, lookback: int = 12,
                             hidden: int = 12, epochs: int = 6, seed: int = 0, cache=None,
                             progress=None, cancel=None) -> ExplanationCheck:
    """Train (or load from ``cache``: the same settings as ``planted_attention``) a PA-LSTM on
    ``simulate.planted_signal`` and score α, relevance and integrated gradients on its test
    windows. Score columns: precision@1 and recall@3 of the planted cell per window, whether
    the top cell of the mean map is the planted cell, deletion area and random area."""
    if not 0 <= lag < lookback:
        raise ValueError(_("The lag ({lag}) must be smaller than the lookback ({lookback}).",
                            lag=lag, lookback=lookback))
    ds, grouping, info = planted_signal(n_rows=n_rows, lag=lag, seed=seed)
    cfg = TrainConfig(model="pa_lstm", hidden_size=hidden, epochs=epochs, batch_size=64,
                      lr=1e-2, seed=seed, device="cpu", patience=epochs)

    def prog(frac, msg):
        if progress:
            progress(0.7 * frac, f"pa_lstm: {msg}")
    run = train(ds, "target", grouping=grouping, window=WindowSpec(lookback=lookback, horizon=0),
                config=cfg, cache=cache, progress=prog, cancel=cancel)
    att = run.explain(ds, part="test")
    if progress:
        progress(0.75, _("integrated gradients of every test window"))
    maps = {"feature": att.feature, "relevance": att.relevance,
            "integrated_gradients": attribute(run, ds, part="test").values}
    cells = planted_cells(run, info)
    rows, shares, summaries = {}, {}, {}
    for k, (name, m) in enumerate(maps.items()):
        if progress:
            progress(0.8 + 0.2 * k / len(maps), _("deletion curve of {map}",
                                                   map=tr(SHORT[name])))
        curve = deletion_curve(run, ds, m, part="test")
        shares[name] = _mean_share(m, run.columns, lookback)
        top = np.unravel_index(int(np.argmax(np.abs(m).mean(0))), cells.shape)
        rows[SHORT[name]] = {
            N_("precision@1 (per window)"): planted_score(m, cells, k=1)["precision"],
            N_("recall@3 (per window)"): planted_score(m, cells, k=3)["recall"],
            N_("mean map's top cell = planted"): bool(cells[top]),
            N_("deletion area"): curve.area, N_("random order area"): curve.area_random,
            N_("beats random"): curve.beats_random}
        summaries[name] = curve.summary
    column = step_labels(lookback)[lookback - 1 - lag]
    truth = pd.DataFrame(0.0, index=list(run.columns), columns=step_labels(lookback))
    truth.loc[info["feature"], column] = 1.0
    info = {**info, "column": column, "lookback": lookback, "n_rows": n_rows, "hidden": hidden,
            "epochs": epochs, "r2": float(run.metrics["r2"]), "n_windows": len(att),
            "from_cache": bool(run.from_cache)}
    return ExplanationCheck(shares, pd.DataFrame.from_dict(rows, orient="index"), truth, info,
                            summaries)


def explanation_verdict(res: ExplanationCheck) -> str:
    """Plain sentences on what this run found (computed from ``res.scores``, not canned)."""
    s = res.scores
    alpha, rel, ig = (s.loc[SHORT[n]] for n in MAPS)
    feat, col = res.info["feature"], res.info["column"]
    parts = [_("**In this run** (test R² {r2:.2f}), the planted cell is `{feature}` at {column}. "
               "Per window, the top cell is the planted one in {alpha:.0%} of windows for α, "
               "{relevance:.0%} for relevance and {ig:.0%} for integrated gradients.",
               r2=res.info["r2"], feature=feat, column=col,
               alpha=alpha["precision@1 (per window)"],
               relevance=rel["precision@1 (per window)"], ig=ig["precision@1 (per window)"])]
    if alpha["precision@1 (per window)"] < max(rel["precision@1 (per window)"],
                                              ig["precision@1 (per window)"]):
        parts.append(_("α alone finds the cell less often: it is normalised within each sensor "
                     "group and is almost the same at every step, so it cannot say *when*."))
    names = ("α", tr(SHORT["relevance"]), tr(SHORT["integrated_gradients"]))
    beat = [n for n, r in zip(names, (alpha, rel, ig)) if r["beats random"]]
    lost = [n for n in names if n not in beat]
    if lost:
        parts.append(_("The deletion check does **not** confirm {maps}: removing the "
                        "cells that map ranks highest hurts the prediction no more than "
                        "removing random cells, so that map should not be read as the "
                        "model's reason.", maps=', '.join(lost)))
    else:
        parts.append(_("All three maps pass the deletion check (removing their top cells hurts "
                     "more than removing random ones)."))
    return " ".join(parts)
