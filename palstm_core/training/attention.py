"""Attention of a trained run (``TrainedRun.explain``), helpers to aggregate it for plots and
reports, and ``long_table``: the one builder of the long per-cell tables (attention, relevance,
attribution maps)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def long_table(times, values: np.ndarray, features, drives=None, column: str = "value"
               ) -> pd.DataFrame:
    """Long format of an (n, L, F) map: one row per (window, step, feature) with time (the time
    the window predicts), drive (when ``drives`` names each window's drive), lag (steps back
    from the newest input, 0 = newest), feature and the map's value (in ``column``)."""
    n, L, F = values.shape
    cols = {"time": np.repeat(np.asarray(times), L * F)}
    if drives is not None:
        cols["drive"] = np.repeat(np.asarray(drives, dtype=object), L * F)
    cols.update({"lag": np.tile(np.repeat(np.arange(L - 1, -1, -1), F), n),
                 "feature": np.tile(np.asarray(list(features), dtype=object), n * L),
                 column: values.reshape(-1)})
    return pd.DataFrame(cols)


@dataclass
class Attention:
    """Attention weights of every window of a drive (row i = ``run.predict(ds)`` row i).

    times     (N,)        time each window predicts
    feature   (N, L, F)   feature attention; at every step sums to 1 within each group, or None
    temporal  (N, L)      temporal attention over the lookback (last column = newest), or None
    group     (N, G)      group weights summing to 1, or None (model without groups)
    features  the F column names; groups: group name -> columns
    relevance (N, L, F)   weight each input x^k_t really gets on the model's attention path
                          (see the model's docstring), sums to 1 per window, or None
    drives    (N,)        drive of each window when explaining a campaign, else None
    """

    times: np.ndarray
    feature: np.ndarray | None
    temporal: np.ndarray | None
    group: np.ndarray | None
    features: list[str]
    groups: dict[str, list[str]]
    relevance: np.ndarray | None = None
    drives: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.times)

    def for_drive(self, name: str) -> "Attention":
        """The windows of drive ``name`` (a campaign's attention); self when there are no drives."""
        if self.drives is None:
            return self
        keep = self.drives == name
        pick = lambda a: None if a is None else a[keep]   # noqa: E731
        return Attention(self.times[keep], pick(self.feature), pick(self.temporal),
                         pick(self.group), self.features, self.groups, pick(self.relevance),
                         self.drives[keep])

    @property
    def lookback(self) -> int:
        for a in (self.feature, self.temporal):
            if a is not None:
                return a.shape[1]
        return 0

    def feature_importance(self) -> pd.Series | None:
        """Mean feature attention per column over all windows and steps (sums to 1 per group)."""
        if self.feature is None:
            return None
        return pd.Series(self.feature.mean(axis=(0, 1)), index=self.features, name="attention")

    def group_importance(self) -> pd.Series | None:
        """Mean group weight per group over all windows."""
        if self.group is None:
            return None
        return pd.Series(self.group.mean(axis=0), index=list(self.groups), name="weight")

    def to_frame(self) -> pd.DataFrame:
        """Long format (``long_table``): one row per (window, step, feature) with the feature and
        temporal weight; a campaign's attention also has the drive. ``lag`` counts steps back
        from the newest input (0 = newest).
        """
        n, L = len(self), self.lookback
        if n == 0 or L == 0:
            return pd.DataFrame(columns=["time", "lag", "feature", "group", "feature_attention",
                                         "temporal_attention"])
        group_of = {c: g for g, cols in self.groups.items() for c in cols}
        F = len(self.features)
        alpha = self.feature if self.feature is not None else np.full((n, L, F), np.nan)
        frame = long_table(self.times, alpha, self.features, self.drives, "feature_attention")
        frame.insert(frame.columns.get_loc("feature") + 1, "group",
                     np.tile([group_of[c] for c in self.features], n * L))
        frame["temporal_attention"] = (np.repeat(self.temporal.reshape(-1), F)
                                       if self.temporal is not None else np.nan)
        return frame
