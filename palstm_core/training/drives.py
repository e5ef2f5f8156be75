"""Training data of one drive or a campaign: which drives are used (a report line for each one
skipped), the scaler fit on the training rows only, the stacked windows and their split.

One drive = one series. A ``Campaign``'s drives are stacked in natural name order ('trip2'
before 'trip10'); their windows never cross a drive (``windows.stack_windows``). Whole drives
are held out when ``WindowSpec.test_drives`` / ``val_drives`` name them, else every drive is
split in time.

Under ``torchrun`` with a ``Campaign``, each rank holds only its share of the drives (the ranks'
shares are disjoint; their union is the campaign). The ranks then agree on everything one
process over all drives would compute: the scaler from all-reduced sums and counts, the
window counts, and a global numbering of the training windows (``Prepared.train_ids``) so that
every rank draws the same batches as one process would (see ``loop``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist

from ..data import DataError, Dataset
from ..data.campaign import Campaign, drives_fingerprint
from ..grouping import SensorGrouping
from ..windows import (PARTS, Scaler, Windows, WindowSpec, input_columns, make_windows,
                       part_rows, stack_windows)
from .device import dist_info
from ..i18n import _

MIN_WINDOWS = {"train": 8, "val": 1, "test": 1}


def natural(name: str) -> list:
    """Sort key: 'trip2' before 'trip10'."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", name)]


@dataclass
class Prepared:
    """What training needs, for this process.

    drives     the drives used here, in stacking order (this rank's share under torchrun)
    train_ids  global number of each local training window (sharded training), else None
    n_train    training windows over all ranks
    """

    columns: list[str]
    scaler: Scaler
    windows: Windows
    parts: dict[str, np.ndarray]
    drives: dict[str, Dataset]
    name: str
    fingerprint: str
    simulated: bool
    report: list[str] = field(default_factory=list)
    train_ids: np.ndarray | None = None
    n_train: int = 0


def sharded(data) -> bool:
    """True when ``data`` is this rank's share of a campaign under torch.distributed."""
    return isinstance(data, Campaign) and dist_info()[0] > 1


def _gather(obj) -> list:
    """``obj`` of every rank (rank order); ``[obj]`` outside torch.distributed."""
    world, __ = dist_info()
    if world <= 1:
        return [obj]
    out = [None] * world
    dist.all_gather_object(out, obj)
    return out


def campaign_fingerprint(drives: dict[str, Dataset], shard: bool = False) -> str:
    """Hash of the drive names and contents (all ranks' drives when ``shard``)."""
    mine = {name: ds.fingerprint() for name, ds in drives.items()}
    every = {k: v for part in (_gather(mine) if shard else [mine]) for k, v in part.items()}
    return drives_fingerprint(every)


def check_drive_names(window: WindowSpec, names: list[str]) -> None:
    """DataError naming every test/validation drive that is not in the campaign."""
    unknown = [n for n in (*window.test_drives, *window.val_drives) if n not in names]
    if unknown:
        shown = ", ".join(map(repr, names[:12])) + (" …" if len(names) > 12 else "")
        raise DataError(_("No drive named {join} in the campaign. Its drives are: "
                           "{shown}. Use one of these names (exact spelling).",
                           join=', '.join(map(repr, unknown)), shown=shown))


def _usable(drives: dict[str, Dataset], need: list[str], report: list[str]) -> dict[str, Dataset]:
    """Drives that have every column in ``need``; a report line for each one that does not."""
    out = {}
    for name, ds in drives.items():
        missing = [c for c in need if c not in ds.frame.columns]
        if missing:
            report.append(_("Drive '{name}' skipped: it lacks the column(s) {join} that "
                             "the model needs.", name=name,
                             join=', '.join(map(repr, missing))))
        else:
            out[name] = ds
    return out


def _train_rows(drives: dict[str, Dataset], columns: list[str], target: str,
                window: WindowSpec) -> np.ndarray:
    """The rows the scaler is fit on: the training part of every drive."""
    blocks = []
    for name, ds in drives.items():
        span = part_rows(window, name, len(ds), "train")
        if span is not None:
            blocks.append(ds.frame[columns + [target]].iloc[span[0]:span[1]].to_numpy(dtype=float))
    if not blocks:
        return np.zeros((0, len(columns) + 1))
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def reduced_scaler(values: np.ndarray) -> Scaler:
    """``Scaler.fit`` over the rows of all ranks together: all-reduce of per-column sums and
    counts (mean), then of squared deviations from that mean (std), in float64; the result is
    the mean/std one process over all rows gets (to rounding)."""
    finite = np.isfinite(values)
    x = np.where(finite, values, 0.0)
    first = torch.tensor(np.stack([x.sum(axis=0), finite.sum(axis=0)]), dtype=torch.float64)
    dist.all_reduce(first)
    total, count = first.numpy()
    mean = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
    dev = torch.tensor(np.where(finite, values - mean, 0.0) ** 2, dtype=torch.float64).sum(0)
    dist.all_reduce(dev)
    var = np.divide(dev.numpy(), count, out=np.full_like(total, np.nan), where=count > 0)
    std = np.sqrt(var)
    return Scaler(np.nan_to_num(mean), np.where(np.isfinite(std) & (std > 1e-12), std, 1.0))


def _windows(drives: dict[str, Dataset], columns: list[str], target: str, window: WindowSpec,
             scaler: Scaler, report: list[str]) -> list[tuple[str, Windows]]:
    """Each drive's windows; a drive too short, or with no complete window, is skipped with a
    report line."""
    out = []
    for name, ds in drives.items():
        try:
            w = make_windows(ds, columns, target, window, scaler, need_target=True)
        except DataError as exc:
            report.append(_("Drive '{name}' skipped: {exc}", name=name, exc=exc))
            continue
        if len(w.starts) == 0:
            report.append(_("Drive '{name}' skipped: no window of {lookback} rows without "
                             "a missing value in the inputs and '{target}'.",
                             name=name, lookback=window.lookback, target=target))
            continue
        out.append((name, w))
    return out


def _check_parts(counts: dict[str, int], label: str, window: WindowSpec) -> None:
    for p in PARTS:
        if counts[p] < MIN_WINDOWS[p]:
            held = {"test": window.test_drives, "val": window.val_drives}.get(p)
            hint = (_("Choose other {part} drives (now: {drives}).", part=p,
                      drives=", ".join(held)) if held else
                    _("Use longer recordings, a shorter lookback, or fill the missing values."))
            raise DataError(_("{label}: only {counts} complete window(s) in the {p} part "
                               "(lookback {lookback}, horizon {horizon}). {hint}",
                               label=label, counts=counts[p], p=p, lookback=window.lookback,
                               horizon=window.horizon, hint=hint))


def prepare_single(ds: Dataset, target: str, grouping: SensorGrouping,
                   window: WindowSpec) -> Prepared:
    """One drive: the chronological split of ``ds``; bad input is a DataError."""
    if window.by_drive:
        raise DataError(_("Test or validation drives were chosen but only one drive is loaded. "
                        "Load several drives (a campaign), or clear the drive choice to split "
                        "the drive in time."))
    columns = input_columns(grouping, target, window)
    scaler = Scaler.fit(_train_rows({ds.name: ds}, columns, target, window))
    w = stack_windows([(ds.name, make_windows(ds, columns, target, window, scaler,
                                              need_target=True))])
    parts = w.drive_parts(window)
    _check_parts({p: len(v) for p, v in parts.items()}, ds.label, window)
    return Prepared(columns, scaler, w, parts, {ds.name: ds}, ds.name, ds.fingerprint(),
                    ds.simulated, n_train=len(parts["train"]))


def prepare_campaign(camp: Campaign, target: str, grouping: SensorGrouping,
                     window: WindowSpec) -> Prepared:
    """A campaign (this rank's share under torchrun): usable drives, scaler, windows, split."""
    shard = sharded(camp)
    every = [n for names in _gather(camp.names) for n in names]
    if shard and len(set(every)) != len(every):
        twice = sorted({n for n in every if every.count(n) > 1})
        raise DataError(_("Under torchrun each process must load its own share of the "
                           "drives, but {join} was loaded by more than one.",
                           join=', '.join(map(repr, twice))))
    check_drive_names(window, every)
    columns = input_columns(grouping, target, window)
    report: list[str] = []
    drives = _usable({n: camp[n] for n in sorted(camp.names, key=natural)},
                     columns + [target], report)
    rows = _train_rows(drives, columns, target, window)
    scaler = reduced_scaler(rows) if shard else Scaler.fit(rows)
    if not shard and not len(rows):
        raise DataError(_("{label}: no training drive is left (all drives are test or "
                           "validation drives, or were skipped). Keep some drives for "
                           "training.", label=camp.label))
    pairs = _windows(drives, columns, target, window, scaler, report)
    drives = {n: drives[n] for n, __ in pairs}
    report = [ln for part in _gather(report) for ln in part] if shard else report
    if not pairs and not shard:
        raise DataError(_("{label}: no drive can be used.", label=camp.label) + "\n"
                        + "\n".join(report))
    w = stack_windows(pairs) if pairs else _empty(len(columns), window)
    parts = w.drive_parts(window)
    counts = _gather({p: len(v) for p, v in parts.items()})
    _check_parts({p: sum(c[p] for c in counts) for p in PARTS}, camp.label, window)
    used = {n for part in _gather(list(drives)) for n in part}
    for name in (*window.test_drives, *window.val_drives):
        if name not in used:
            report.append(_("Held-out drive '{name}' was skipped (see above); it is not "
                             "scored.", name=name))
    prepared = Prepared(columns, scaler, w, parts, drives, camp.name,
                        campaign_fingerprint(drives, shard), camp.simulated, report,
                        n_train=sum(c["train"] for c in counts))
    if shard:
        prepared.train_ids = _train_ids(w, parts["train"])
    return prepared


def _empty(n_columns: int, window: WindowSpec) -> Windows:
    """No rows (a rank whose share of the drives is all skipped still joins every step)."""
    return Windows(np.zeros((0, n_columns), np.float32), np.zeros(0, np.float32),
                   np.zeros(0, dtype=int), window.lookback, window.horizon, np.array([0]), [],
                   steps=window.steps)


def _train_ids(w: Windows, train: np.ndarray) -> np.ndarray:
    """Global number of each local training window: windows are numbered drive by drive over
    all ranks' drives in natural name order, then by row — the order one process uses."""
    names = w.names or []
    which = w.drive_index(train)
    mine = {n: int((which == d).sum()) for d, n in enumerate(names)}
    counts = {k: v for part in _gather(mine) for k, v in part.items()}
    offset, first = 0, {}
    for n in sorted(counts, key=natural):
        first[n] = offset
        offset += counts[n]
    ids = np.empty(len(train), dtype=np.int64)
    for d, n in enumerate(names):
        sel = which == d
        ids[sel] = first[n] + np.arange(int(sel.sum()))
    return ids
