"""The two small display tables the Data page shows next to its figures (``plots`` re-exports
them): one row per sensor column, and one row per cleaned channel. Column names are English
msgids (the UI shows them translated, the data keeps them)."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .data import Dataset
from .i18n import N_


def column_table(ds: Dataset) -> pd.DataFrame:
    """One row per sensor column: name, unit, min, max, mean, missing %."""
    f = ds.frame
    rows = []
    for c in ds.columns:
        v = f[c]
        rows.append({N_("column"): c, N_("unit"): ds.units.get(c, ""), N_("min"): v.min(),
                     N_("max"): v.max(), N_("mean"): v.mean(),
                     N_("missing %"): round(100 * float(v.isna().mean()), 2)})
    return pd.DataFrame(rows)


def cleaning_table(cleaned: Dataset, channels: Sequence[str]) -> pd.DataFrame:
    """Per cleaned channel: spikes removed, peaks kept as real events, drift corrected."""
    info = cleaned.cleaning or {}
    rows = []
    for c in channels:
        i = info.get(c) or {}
        unit = cleaned.units.get(c, "")
        rows.append({N_("channel"): c, N_("spikes removed"): int(i.get("spikes", 0)),
                     N_("peaks kept (seen in other gases)"): int(i.get("events_kept", 0)),
                     N_("drift corrected"): bool(i.get("drift_corrected", False)),
                     N_("drift over the drive"): (f"{i['drift']:+.3g} {unit}".strip()
                                              if i.get("drift") is not None else "")})
    return pd.DataFrame(rows)
