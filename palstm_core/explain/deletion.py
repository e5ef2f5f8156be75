"""Scoring explanation maps: deletion curves against a random order, and recovery of planted
cells (Ismail, Gunady, Corrada Bravo & Feizi, "Benchmarking deep learning interpretability in
time series predictions", NeurIPS 2020).

    curve = deletion_curve(run, ds, "relevance")        # or "integrated_gradients", an array…
    curve.fractions      0, 0.1, …, 1.0
    curve.error          RMSE (target units) after removing the top fraction of cells
    curve.error_random   the same for random orders (mean of n_random orders)
    curve.area, curve.area_random, curve.beats_random

Deletion: in every window the cells (step, input) are ranked by |map| (ties in random order)
and the top ``round(f·L·F)`` are replaced by the training mean (0 in the scaled inputs). The
error is the RMSE over the part's windows with a known target. The curve is normalised by
the error with nothing removed: ê(f) = e(f) / e(0), and the area is the trapezoid mean of ê
over f ∈ [0, 1] (1 = removing inputs never hurts). A map that points at the inputs the model
uses makes the error rise early, so its area is larger than the random order's. ``beats_random``
asks for a margin of ``MARGIN`` (1 % of the intact error, averaged over the curve), so a model
whose predictions hardly depend on its inputs (e.g. untrained: e(1) ≈ e(0)) does not pass by
noise; its summary says that deletion cannot score it.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from .maps import part_maps
from .scoring import removed_predictions
from ..i18n import _, tr

MARGIN = 0.01


@dataclass
class DeletionCurve:
    fractions: np.ndarray
    error: np.ndarray
    error_random: np.ndarray
    area: float
    area_random: float
    map_name: str
    n_windows: int
    n_random: int
    seconds: float
    summary: str

    @property
    def beats_random(self) -> bool:
        return bool(self.area > self.area_random + MARGIN)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"fraction": self.fractions, "error": self.error,
                             "error_random": self.error_random})

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("fractions", "error", "error_random"):
            d[k] = d[k].tolist()
        return d


def _ranks(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, C) rank of every cell, 0 = largest score; ties broken at random."""
    order = np.lexsort((rng.random(scores.shape), -scores), axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None], axis=1)
    return ranks


def _top_removed(ranks: np.ndarray, inner: np.ndarray, L: int, F: int):
    """Masks for ``removed_predictions``: inputs intact, all removed, then each order's top-k
    cells removed (k in ``inner``); ``ranks`` (orders, n, L·F)."""
    def keep(i: int, x: torch.Tensor) -> torch.Tensor:
        b = len(x)
        k_t = torch.as_tensor(inner, device=x.device).view(1, -1, 1, 1, 1)
        r = torch.as_tensor(ranks[:, i:i + b], device=x.device).view(len(ranks), 1, b, L, F)
        top = (r >= k_t).reshape(-1, b, L, F)                              # (O·S, b, L, F)
        return torch.cat([torch.ones_like(x, dtype=torch.bool)[None],
                          torch.zeros_like(x, dtype=torch.bool)[None], top])
    return keep


def _map_name(name: str):
    """The map's short name as shown (re-rendered in the language it is shown in)."""
    from ..i18n import Msg
    from .maps import SHORT
    msgid = SHORT.get(name, name)
    return Msg(tr(msgid), msgid)


def deletion_curve(run, ds, maps="relevance", part: str = "test", steps: int = 11,
                   seed: int = 0, n_random: int = 3, batch_size: int = 256) -> DeletionCurve:
    """Deletion curve of ``maps`` for ``run`` on the ``part`` windows of ``ds``.

    ``maps``: an (n, L, F) array aligned with ``run.predict(ds, part)``'s rows, or the name of
    a map: "relevance", "feature" (α), "temporal" (β on every input of a step) or an
    attribution method ("integrated_gradients", "occlusion", "feature_ablation", "saliency").
    ``batch_size`` bounds the windows per forward pass (all masks of a chunk of windows go in
    one pass; on CPU small passes are faster — PA-LSTM, 1 thread: 1390 windows/s at 128,
    975 at 2048 — because the recurrence's per-step buffers stay in cache).
    """
    t0 = time.perf_counter()
    inp = run.inputs(ds, part)
    x_all, y_all = inp.x, inp.y
    valid = np.flatnonzero(np.isfinite(y_all))
    if len(valid) == 0:
        raise ValueError(_("no windows with a known target in the {part!r} part", part=part))
    if isinstance(maps, str):
        name = maps
        scores = part_maps(run, ds, maps, part, windows=valid)
    else:
        name = "map"
        scores = np.asarray(maps, dtype=float)
        if scores.shape != x_all.shape:
            raise ValueError(_("maps has shape {shape}; expected {shape2} (the {part!r} "
                                "windows × lookback × inputs)",
                                shape=scores.shape, shape2=x_all.shape, part=part))
        scores = scores[valid]
    n, L, F = len(valid), x_all.shape[1], x_all.shape[2]
    C = L * F
    rng = np.random.default_rng(seed)
    fractions = np.linspace(0.0, 1.0, steps)
    ks = np.rint(fractions * C).astype(int)
    inner = ks[1:-1]                                     # 0 and C are the same for any order
    ranks = np.stack([_ranks(np.abs(scores.reshape(n, C)), rng)] +
                     [_ranks(rng.random((n, C)), rng) for __ in range(n_random)])  # (O, n, C)
    n_masks = 2 + len(inner) * len(ranks)
    preds = removed_predictions(run.model, x_all, valid, _top_removed(ranks, inner, L, F),
                                n_masks, max(1, batch_size // n_masks))
    y = run.scaler.inverse(y_all[valid].astype(float))
    rmse = np.sqrt(np.mean((run.scaler.inverse(preds.astype(float)) - y) ** 2, axis=1))
    e0, e1 = rmse[0], rmse[1]
    mid = rmse[2:].reshape(len(ranks), len(inner))       # (orders, inner fractions)
    error = np.r_[e0, mid[0], e1]
    error_random = np.r_[e0, mid[1:].mean(0), e1]

    def area(e: np.ndarray) -> float:
        ê = e / e0 if e0 > 0 else np.full_like(e, np.nan)
        return float(np.sum((ê[1:] + ê[:-1]) / 2 * np.diff(fractions)))

    a, ar = area(error), area(error_random)
    change = abs(e1 - e0) / e0 if e0 > 0 else 0.0
    if change < 0.02:
        summary = _("Removing every input changes {model}'s {part} error by only {change:.1f} %: "
                    "the model hardly uses its inputs, so deletion cannot tell a faithful map "
                    "from a random one (area {a:.3f} vs {ar:.3f}).", model=run.config.model,
                    part=part, change=100 * change, a=a, ar=ar)
    elif a > ar + MARGIN:
        summary = _("Removing the top cells of the {name} map raised the {part} error faster "
                    "than a random order (area {a:.2f} vs {ar:.2f}), so the map points at "
                    "inputs the model really uses.", name=_map_name(name), part=part, a=a, ar=ar)
    else:
        summary = _("Removing the top cells of the {name} map did not raise the {part} error "
                    "faster than a random order (area {a:.2f} vs {ar:.2f}), so the map is no "
                    "better than a random choice of inputs.", name=_map_name(name), part=part,
                    a=a, ar=ar)
    return DeletionCurve(fractions, error, error_random, a, ar, name, n, n_random,
                         time.perf_counter() - t0, summary)


def planted_cells(run, info: dict) -> np.ndarray:
    """(L, F) boolean mask of the planted cell of ``simulate.planted_signal`` data for ``run``
    (trained with horizon 0: the cause sits ``lag`` steps before the newest input)."""
    L = run.window.lookback
    mask = np.zeros((L, len(run.columns)), dtype=bool)
    mask[L - 1 - info["lag"] - run.window.horizon, run.columns.index(info["feature"])] = True
    return mask


def planted_score(maps: np.ndarray, cells: np.ndarray, k: int = 1) -> dict[str, float]:
    """Precision and recall of the planted ``cells`` among the top-``k`` cells (by |map|) of
    every window, averaged over windows (Ismail et al. 2020).

    maps (n, L, F) or (L, F); cells: boolean mask (L, F) or (n, L, F) of the planted cells.
    """
    m = np.abs(np.asarray(maps, dtype=float))
    if m.ndim == 2:
        m = m[None]
    n, L, F = m.shape
    c = np.broadcast_to(np.asarray(cells, dtype=bool), (n, L, F)).reshape(n, -1)
    k = max(1, min(int(k), L * F))
    top = np.argpartition(-m.reshape(n, -1), k - 1, axis=1)[:, :k]
    hits = np.take_along_axis(c, top, axis=1).sum(1)
    return {"precision": float(np.mean(hits / k)),
            "recall": float(np.mean(hits / np.maximum(c.sum(1), 1)))}
