"""A campaign's data kept whole: columns that are constant in one drive but vary across the
campaign are kept there, and a drive with a long gap in its clock becomes parts no window
crosses.

- ``split_at_gaps(ds)``: a drive whose clock jumps by more than ``GAP_STEPS`` times its usual
  step (two recordings in one trip folder, 5.6 h apart) is cut there into drives named
  "<drive> part 1", "<drive> part 2" …, each with a report line giving the gap. Windows never
  cross drives, so none spans the gap.
- ``constant_columns(drives)``: with the files read keeping their constant columns, a column
  with one and the same value in every drive that has it is dropped from all of them (nothing to
  learn, a report line); a column that varies somewhere in the campaign is kept in the drives
  where it is constant (a report line per drive: which value), so every drive has the columns
  the others have (the Ford trips' Phi = 1.0).
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from .dataset import Dataset

GAP_STEPS = 5            # a jump of more than this many usual steps splits a drive
PART = re.compile(r"^(.*) part \d+$")


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


def split_at_gaps(ds: Dataset, gap_steps: float = GAP_STEPS) -> list[Dataset]:
    """``ds`` cut at every jump of its clock longer than ``gap_steps`` usual steps (module
    text); ``[ds]`` when there is none or it has no clock."""
    if ds.time_column is None or len(ds) < 3:
        return [ds]
    steps = np.diff(ds.times)
    usual = float(np.median(steps))
    if not usual > 0:
        return [ds]
    cuts = np.flatnonzero(steps > gap_steps * usual) + 1
    if not cuts.size:
        return [ds]
    bounds = [0, *cuts.tolist(), len(ds)]
    parts = []
    for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:]), 1):
        part = ds.slice(lo, hi)
        part.name = f"{ds.name} part {k}"
        why = []
        if k > 1:
            why.append(f"starts after a gap of {_duration(steps[lo - 1])} in the clock")
        if hi < len(ds):
            why.append(f"ends before a gap of {_duration(steps[hi - 1])}")
        part.report = [*ds.report, f"Drive '{ds.name}' split at gaps longer than {gap_steps:g} "
                       f"steps ({gap_steps * usual:g} s): part {k} of {len(bounds) - 1}, rows "
                       f"{lo + 1}-{hi}, {' and '.join(why)}; no window crosses a gap."]
        parts.append(part)
    return parts


def parent_name(name: str) -> str:
    """The drive a part was cut from ('trip 3 part 2' -> 'trip 3'); the name itself otherwise."""
    m = PART.match(name)
    return m.group(1) if m else name


def _values(ds: Dataset, col: str) -> np.ndarray:
    v = ds.frame[col].to_numpy(dtype=float)
    return np.unique(v[np.isfinite(v)])


def constant_columns(drives: dict[str, Dataset]) -> tuple[dict[str, Dataset], list[str]]:
    """(drives, report): constant columns dropped where they carry nothing across the campaign,
    kept where another drive varies in them (module text)."""
    report: list[str] = []
    columns = dict.fromkeys(c for ds in drives.values() for c in ds.columns)
    drop, kept = [], {}
    for col in columns:
        having = {n: _values(ds, col) for n, ds in drives.items() if col in ds.frame.columns}
        single = {n: v for n, v in having.items() if v.size <= 1}
        if not single:
            continue
        every = np.unique(np.concatenate(list(having.values())))
        if every.size <= 1:
            drop.append(col)
        else:
            for n, v in single.items():
                kept.setdefault(n, []).append(f"'{col}' ({v[0]:g} throughout)" if v.size
                                              else f"'{col}' (empty)")
    out = {}
    for name, ds in drives.items():
        gone = [c for c in drop if c in ds.frame.columns]
        lines = list(ds.report)
        if gone:
            lines.append("Dropped constant column(s) (one value in every drive of the campaign, "
                         "nothing to learn): " + ", ".join(f"'{c}'" for c in gone) + ".")
        if name in kept:
            lines.append("Kept column(s) constant in this drive because they vary in other "
                         "drives of the campaign: " + ", ".join(kept[name]) + ".")
        out[name] = replace(ds, frame=ds.frame.drop(columns=gone), report=lines) \
            if gone or name in kept else ds
    if drop:
        report.append("Dropped column(s) with one value in every drive: "
                      + ", ".join(f"'{c}'" for c in drop) + ".")
    if kept:
        report.append(f"Kept column(s) constant in {len(kept)} drive(s) because they vary across "
                      "the campaign (see those drives' lines).")
    return out, report


def keep_whole(drives: dict[str, Dataset]) -> tuple[dict[str, Dataset], list[str]]:
    """What ``load_drives`` does with the loaded drives: each split at its gaps, then the
    constant columns decided over the campaign; (drives, campaign report lines)."""
    parts: dict[str, Dataset] = {}
    report: list[str] = []
    for name, ds in drives.items():
        pieces = split_at_gaps(ds)
        if len(pieces) > 1:
            report.append(f"Drive '{name}' was split into {len(pieces)} parts at gaps in its "
                          "clock (see the parts' lines).")
        parts.update({p.name: p for p in pieces})
    parts, notes = constant_columns(parts)
    return parts, report + notes
