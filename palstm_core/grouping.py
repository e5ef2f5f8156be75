"""Sensor groups: which input channels share a PA-LSTM branch.

PA-LSTM gives every group of sensors its own branch (feature attention + LSTM), so channels that
come from the same sensor or describe the same physics should share a group.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .data import DataError, Dataset
from .data.channels import GROUPS, group_of
from .i18n import _


def _column_list(name: str, cols) -> list[str]:
    """The columns of group ``name`` as a list of names; DataError for text or a non-list."""
    if isinstance(cols, (str, bytes)):
        example = json.dumps({name: [str(cols)]})
        raise DataError(_("Group '{name}' must be a list of column names, e.g. {example}, "
                           "not the text '{cols}'.", name=name,
                           example=example, cols=cols))
    if isinstance(cols, Mapping) or not isinstance(cols, Iterable):
        raise DataError(_("Group '{name}' must be a list of column names, not {cols!r}.",
                           name=name, cols=cols))
    out = []
    for c in cols:
        if c is None or not str(c).strip():
            raise DataError(_("Group '{name}' has an empty column name. Remove it from "
                               "the group.", name=name))
        out.append(str(c))
    return out


class SensorGrouping:
    """An ordered mapping of group name -> list of column names.

    >>> g = SensorGrouping({"engine": ["rpm", "load"], "motion": ["speed", "accel"]})
    >>> g.features
    ['rpm', 'load', 'speed', 'accel']
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]):
        if not isinstance(groups, Mapping):
            raise DataError(_("Sensor groups must map each group name to a list of columns, e.g. "
                            '{"engine": ["rpm", "load"], "motion": ["speed"]}.'))
        if not groups:
            raise DataError(_("A sensor grouping needs at least one group of columns."))
        clean: dict[str, list[str]] = {}
        seen: dict[str, str] = {}
        for name, cols in groups.items():
            name = str(name).strip()
            if not name:
                raise DataError(_("Every sensor group needs a name."))
            if name in clean:
                raise DataError(_("Two groups are called '{name}'. Give each group its "
                                   "own name.", name=name))
            cols = _column_list(name, cols)
            if not cols:
                raise DataError(_("Group '{name}' is empty. Add a column to it or delete "
                                   "the group.", name=name))
            for c in cols:
                if c in seen:
                    where = (_("twice in that group") if seen[c] == name else
                             _("also in '{group}'", group=seen[c]))
                    raise DataError(_("Column '{c}' is in group '{name}' and {where}. "
                                       "Each column can be in one group only.",
                                       c=c, name=name, where=where))
                seen[c] = name
            clean[name] = cols
        self.groups = clean

    @property
    def features(self) -> list[str]:
        """All grouped columns, group by group (the model's input order)."""
        return [c for cols in self.groups.values() for c in cols]

    def validate(self, ds: Dataset, target: str) -> None:
        """Raise ``DataError`` unless every column exists in ``ds`` and the target is not a feature."""
        if target not in ds.columns:
            raise DataError(_("Target '{target}' is not a column of {label}. Pick one of: "
                               "{join}.", target=target,
                               label=ds.label, join=', '.join(ds.columns)))
        unknown = [c for c in self.features if c not in ds.columns]
        if unknown:
            raise DataError(_("Column(s) {join} are not in {label}. Remove them from the "
                               "groups or load a file that has them.",
                               join=', '.join(map(repr, unknown)), label=ds.label))
        for name, cols in self.groups.items():
            if target in cols:
                raise DataError(_("The target '{target}' is in group '{name}'. A model "
                                   "must not see the value it predicts; remove it from the "
                                   "group.", target=target,
                                   name=name))

    def to_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.groups.items()}

    def __eq__(self, other) -> bool:
        return isinstance(other, SensorGrouping) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"SensorGrouping({self.groups!r})"


def _correlation_clusters(ds: Dataset, columns: list[str], threshold: float = 0.6) -> list[list[str]]:
    """Greedy clustering by |Pearson correlation|: a column joins the first cluster whose seed it
    correlates with above ``threshold``, else it starts a new cluster."""
    corr = ds.frame[columns].corr().abs().fillna(0.0).to_numpy()
    clusters: list[list[int]] = []
    for i in np.argsort(-corr.sum(axis=1)):
        for cl in clusters:
            if corr[i, cl[0]] >= threshold:
                cl.append(int(i))
                break
        else:
            clusters.append([int(i)])
    return [[columns[i] for i in sorted(cl)] for cl in clusters]


def suggest_groups(ds: Dataset, target: str, max_groups: int = 6,
                   vehicle: Sequence[str] = ()) -> SensorGrouping:
    """Propose sensor groups for predicting ``target`` from the other columns of ``ds``.

    Known names (``data.channels``) go to engine / motion / thermal / exhaust groups; the rest are
    clustered by correlation into "group 1", "group 2", ... Constant columns are left out (they
    carry nothing), except the vehicle covariates named in ``vehicle`` (a campaign's
    ``vehicle_columns``: constant in a drive, varying across drives), which form the last group,
    "vehicle".
    """
    if target not in ds.columns:
        raise DataError(_("Target '{target}' is not a column of {label}. Pick one of: {join}.",
                           target=target, label=ds.label, join=', '.join(ds.columns)))
    std = ds.frame[ds.columns].std()
    vehicle = [c for c in vehicle if c in ds.columns and c != target]
    candidates = [c for c in ds.columns if c != target and std.get(c, 0) > 0 and c not in vehicle]
    if not candidates:
        raise DataError(_("{label} has no other varying column to predict '{target}' from.",
                           label=ds.label, target=target))
    groups: dict[str, list[str]] = {}
    unknown = []
    for c in candidates:
        g = group_of(c)
        if g is None:
            unknown.append(c)
        else:
            groups.setdefault(g, []).append(c)
    if unknown:
        clusters = _correlation_clusters(ds, unknown) if len(unknown) > 1 else [unknown]
        for k, cl in enumerate(clusters, 1):
            groups[f"group {k}"] = cl
    while len(groups) > max_groups:                       # merge the two smallest groups
        a, b = sorted(groups, key=lambda k: len(groups[k]))[:2]
        groups[a] = groups[a] + groups.pop(b)
    ordered = {k: groups[k] for k in [*GROUPS, *sorted(set(groups) - set(GROUPS))]
               if k in groups}
    return SensorGrouping({**ordered, **({"vehicle": vehicle} if vehicle else {})})


def lagged_correlation(ds: Dataset, target: str, features: Sequence[str],
                       max_lag: int = 30) -> pd.DataFrame:
    """Pearson correlation of each feature ``lag`` steps earlier with the target now.

    Rows = features, columns = lags 0..max_lag (0 = same time step).
    """
    y = ds.frame[target].astype(float)
    max_lag = max(0, min(int(max_lag), len(ds) - 3))
    out = {}
    for c in features:
        x = ds.frame[c].astype(float)
        out[c] = [float(y.corr(x.shift(lag))) if x.std() > 0 else np.nan
                  for lag in range(max_lag + 1)]
    return pd.DataFrame.from_dict(out, orient="index", columns=list(range(max_lag + 1)))
