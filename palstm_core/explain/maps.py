"""Named "which sensor, when" maps of a run for one window or a whole part, how far two maps
agree, and the long tables the Downloads page and the CLI write.

    MAP_LABELS                       name -> what the map is, in words
    available_maps(run)              the names that apply to ``run`` (relevance first)
    window_map(run, ds, name, i)     (L, F) map of window i of the part
    part_maps(run, data, name)       (n, L, F) map of every window of the part: the one
                                     name -> map dispatcher (the deletion curve uses it too)
    map_table(run, data, name)       long table of a map (time, [drive,] lag, feature, value)
    map_frame(times, values, names)  long table: time, lag, feature, value (``long_table``)
    shares(m)                        |m| / Σ|m|: a map as shares of its window's total
    agreement(a, b)                  Spearman rank correlation of the cells, and a sentence
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .attention import long_table
from .attribution import METHODS, attribute
from ..i18n import N_, _, ngettext

MAP_LABELS = {                        # English msgids: the UI shows them with i18n.tr
    "relevance": N_("relevance (weight each input really gets)"),
    "feature": N_("feature attention α: within-group weights, not a which-sensor-when map"),
    "integrated_gradients": N_("integrated gradients (Captum, 50 steps, baseline = training "
                               "mean)"),
    "occlusion": N_("occlusion (Captum: one cell set to its training mean)"),
}
SHORT = {"relevance": N_("relevance"), "feature": N_("feature attention α"),
         "integrated_gradients": N_("integrated gradients"), "occlusion": N_("occlusion")}
DISAGREE = 0.3
MAP_NAMES = ("relevance", "feature", "temporal") + METHODS


def available_maps(run) -> list[str]:
    """Map names that apply to ``run``: relevance and α for attention models, then the
    attribution methods (any model)."""
    attn = ["relevance", "feature"] if run.model.has_feature_attention else []
    return attn + ["integrated_gradients", "occlusion"]


def default_map(run) -> str:
    return available_maps(run)[0]


def part_maps(run, ds, name: str, part: str = "test", windows=None) -> np.ndarray:
    """(n, L, F) map ``name`` of the ``part`` windows of ``ds`` (a Dataset or a Campaign; rows
    ``windows`` of them, aligned with ``run.predict(ds, part)``): "relevance", "feature" (α),
    "temporal" (β on every input of a step) or an attribution method (``METHODS``)."""
    if name in METHODS:
        return attribute(run, ds, name, windows=windows, part=part).values
    if name not in MAP_NAMES:
        raise ValueError(_("Unknown map '{name}'. Choose one of: {join}, or pass an (n, "
                            "lookback, features) array.", name=name,
                            join=', '.join(MAP_NAMES)))
    att = run.explain(ds, part=part)
    if name == "temporal":
        m = None if att.temporal is None else np.repeat(att.temporal[:, :, None],
                                                        len(att.features), axis=2)
    else:
        m = getattr(att, name)
    if m is None:
        raise ValueError(_("{model} has no {get} map; choose integrated gradients or "
                            "occlusion.", model=run.config.model,
                            get=SHORT.get(name, name)))
    return m if windows is None else m[np.atleast_1d(windows)]


def window_map(run, ds, name: str, index: int, part: str = "test") -> np.ndarray:
    """(L, F) map ``name`` of window ``index`` of the part (row ``index`` of ``run.predict``)."""
    return part_maps(run, ds, name, part, windows=[int(index)])[0]


def map_frame(times, values: np.ndarray, features, drives=None) -> pd.DataFrame:
    """Long format, one row per (window, step, feature): time, [drive,] lag (0 = newest),
    feature, value (``long_table``, the one builder)."""
    return long_table(times, values, features, drives)


def map_table(run, data, name: str, part: str = "test") -> pd.DataFrame:
    """Long table of map ``name`` for every ``part`` window of ``data`` (a Dataset, or a Campaign:
    then with each window's drive): what the Downloads page and the CLI write."""
    inp = run.inputs(data, part)
    return long_table(inp.times, part_maps(run, data, name, part), run.columns, inp.drives)


def shares(m: np.ndarray) -> np.ndarray:
    """|m| / Σ|m| over the window: any map as each cell's share of the window's total
    importance (relevance already is one), so two maps can share one colour scale."""
    a = np.abs(np.asarray(m, dtype=float))
    total = a.sum()
    return a / total if total > 0 else a


@dataclass
class Agreement:
    rho: float              # Spearman rank correlation of the |cells| (NaN when undefined)
    top_a: tuple[str, int]  # (feature, lag) of each map's top cell
    top_b: tuple[str, int]
    sentence: str


def _top(m: np.ndarray, features) -> tuple[str, int]:
    t, f = np.unravel_index(int(np.argmax(np.abs(m))), m.shape)
    return str(list(features)[f]), int(m.shape[0] - 1 - t)


def agreement(a: np.ndarray, b: np.ndarray, features, label_a: str = "the first map",
              label_b: str = "the second map") -> Agreement:
    """Spearman rank correlation of the |cells| of two (L, F) maps, and a plain sentence."""
    a, b = np.abs(np.asarray(a, float)).ravel(), np.abs(np.asarray(b, float)).ravel()
    rho = float("nan") if a.std() == 0 or b.std() == 0 else float(spearmanr(a, b).statistic)
    shape = (len(a) // len(features), len(features))
    ta, tb = _top(a.reshape(shape), features), _top(b.reshape(shape), features)

    def cell(t):
        if t[1] == 0:
            return _("{feature} at the newest input", feature=t[0])
        return ngettext("{feature} {n} step before the newest input",
                        "{feature} {n} steps before the newest input", t[1], feature=t[0])
    if not np.isfinite(rho):
        flat = label_a if a.std() == 0 else label_b
        s = _("No agreement can be computed: {map} gives every cell the same weight.", map=flat)
    elif rho < DISAGREE:
        s = _("These two maps disagree about which inputs mattered (Spearman ρ = {rho:.2f}): "
              "{a} puts its largest weight on {cell_a}, {b} on {cell_b}. At most one of them "
              "can describe what the model used; the deletion score below says which one does "
              "better than chance.", rho=rho, a=label_a, cell_a=cell(ta), b=label_b,
              cell_b=cell(tb))
    elif rho < 0.7:
        s = _("The two maps partly agree (Spearman ρ = {rho:.2f}): {a}'s top cell is {cell_a}, "
              "{b}'s is {cell_b}.", rho=rho, a=label_a, cell_a=cell(ta), b=label_b,
              cell_b=cell(tb))
    else:
        s = _("The two maps agree on the ranking of the inputs (Spearman ρ = {rho:.2f}); top "
              "cells: {cell_a} and {cell_b}.", rho=rho, cell_a=cell(ta), cell_b=cell(tb))
    return Agreement(rho, ta, tb, s)
