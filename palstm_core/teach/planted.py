"""DA-RNN vs PA-LSTM on planted-signal data (simulated, known answer): does the feature attention
find the one sensor the target depends on?"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..simulate import planted_signal
from ..training import TrainConfig, train
from ..windows import WindowSpec
from ..i18n import N_, _

MODEL_LABELS = {"da_rnn": "DA-RNN", "pa_lstm": "PA-LSTM"}


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
    if not 0 <= lag < lookback:
        raise ValueError(_("The lag ({lag}) must be smaller than the lookback ({lookback}).",
                            lag=lag, lookback=lookback))
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
            N_("best other sensor × uniform"): float(rel.drop(feat).max()),
            f"{feat} rank (of {len(rel)})": rank,
            f"group weight of {group}": (float(res.group[m][group]) if m in res.group
                                       else float("nan")),
            N_("test R²"): float(res.metrics[m]["r2"]),
            N_("test RMSE"): float(res.metrics[m]["rmse"]),
            N_("training s"): float(res.seconds[m]),
            N_("from cache"): N_("yes") if res.from_cache[m] else N_("no"),
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
            parts.append(_("{label} puts the most attention (relative to uniform) on "
                            "`{feat}` ({rel:.2f}× uniform; next best {max:.2f}×)",
                            label=label, feat=feat, rel=rel[feat], max=rel.drop(feat).max()))
        else:
            parts.append(_("{label} does **not** single out `{feat}` (rank {rank}; "
                            "{rel:.2f}× uniform vs {max:.2f}× for `{idxmax}`)",
                            label=label, feat=feat, rank=rank, rel=rel[feat], max=rel.max(),
                            idxmax=rel.idxmax()))
        if m in res.group:
            g = res.group[m]
            parts[-1] += _(", and its group weights favour `{group}` ({weight:.2f})",
                           group=g.idxmax(), weight=g.max())
    return _("**In this run:** {findings}.", findings="; ".join(parts))
