"""The ``Dataset`` type every part of the package passes around, ``DataError`` (bad input, with a
message for the person who gave it), the row minimum and where the shipped sample drives live.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..i18n import _

SAMPLE_DIR = Path(__file__).resolve().parent.parent.parent / "sample_data"
MIN_ROWS = 60                      # fewer rows cannot make a train/validation/test split


class DataError(ValueError):
    """Input data that cannot be used; the message is meant for the person who gave it."""


@dataclass
class Dataset:
    """A time-sorted table of numeric sensor channels.

    frame        DataFrame; the time column (if any) holds seconds as float, all others numeric.
    time_column  name of the time column, or None when the row number is the clock.
    report       what loading fixed or dropped, one human-readable line each.
    units        column -> unit as found in the header ("km/h"), "" when unknown.
    name         short label for the UI and the cache listing (usually the file name).
    simulated    True for data made by ``palstm_core.simulate``: the UI labels it so.
    time_kind    "seconds", "datetime" (epoch seconds) or "row".
    alignment    set by ``merge_drives``: clock offset, analyzer lag, pair, correlations.
    cleaning     set by ``clean``: column -> {"spikes": n, "drift_corrected": bool, ...}.
    """

    frame: pd.DataFrame
    time_column: str | None = None
    report: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    name: str = "data"
    simulated: bool = False
    time_kind: str = "seconds"
    alignment: dict | None = None
    cleaning: dict | None = None

    @property
    def columns(self) -> list[str]:
        """Sensor columns (every column but the time column)."""
        return [c for c in self.frame.columns if c != self.time_column]

    @property
    def times(self) -> np.ndarray:
        """Time of each row in seconds (row number when there is no time column)."""
        if self.time_column is None:
            return np.arange(len(self.frame), dtype=float)
        return self.frame[self.time_column].to_numpy(dtype=float)

    @property
    def label(self) -> str:
        return _("{name} (simulated)", name=self.name) if self.simulated else self.name

    def fingerprint(self) -> str:
        """Hash of the content (values, column names, order); the cache key uses it."""
        h = hashlib.sha256()
        h.update("\x1f".join(map(str, self.frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
        return h.hexdigest()[:16]

    def slice(self, start: int | None = None, stop: int | None = None) -> "Dataset":
        """Rows [start, stop) as a new Dataset (same columns, units and labels)."""
        return replace(self, frame=self.frame.iloc[start:stop].reset_index(drop=True),
                       report=list(self.report))

    def __len__(self) -> int:
        return len(self.frame)
