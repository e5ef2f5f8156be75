"""Helpers the command line's commands share (``__main__`` and ``cli_tools``): the data, the
campaign and the cached run named on the command line, the progress bar, cache notes."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from tqdm import tqdm

from . import (FILE_SUFFIXES, SAMPLES, Campaign, DataError, ModelCache, check_device,
               load_drives, load_file, load_sample, natural_key)


def _cache_notes(cache: ModelCache | None) -> None:
    for line in cache.report if cache is not None else []:
        print(f"warning: {line}", file=sys.stderr)


def _dataset(args):
    if args.csv:
        return load_file(args.csv, time_column=args.time_column)
    return load_sample(args.sample)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--sample", default=SAMPLES[0],
                     help=f"shipped sample drive: {' or '.join(SAMPLES)}")
    src.add_argument("--csv", help="path to a PEMS/OBD CSV file")
    p.add_argument("--time-column", help="name of the time column (default: detected)")
    p.add_argument("--cache-dir", help="run cache folder (default: $PALSTM_CACHE_DIR or .palstm_cache)")


def _drive_items(source: Path) -> list[Path]:
    """The files and folders directly in a campaign folder that can be drives (natural order)."""
    items = [p for p in source.iterdir() if not p.name.startswith(".")
             and (p.is_dir() or p.suffix.lower() in FILE_SUFFIXES)]
    return sorted(items, key=lambda p: natural_key(p.name))


def _campaign(args, world: int, rank: int) -> Campaign:
    """``--drives``: the campaign (under torchrun: this process's share of a folder's drives),
    with a per-drive tqdm bar; its report is printed."""
    source = Path(args.drives)
    share = source
    if world > 1 and source.is_dir():           # each process reads only its own drives
        share = _drive_items(source)[rank::world]
    with tqdm(total=1000, unit="‰", desc="loading drives", leave=False, disable=rank != 0,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed} {postfix}") as bar:
        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message, refresh=False)
            bar.update(int(fraction * 1000) - bar.n)
        if isinstance(share, list) and not share:
            camp = Campaign({}, name=source.name)
        else:
            camp = load_drives(share, progress=progress)
    if world > 1 and not source.is_dir():       # a zip: read whole, keep this process's share
        camp = Campaign({n: camp[n] for n in camp.names[rank::world]}, camp.report,
                        camp.skipped, camp.name)
    camp.name = source.name
    for line in camp.report:
        print(f"  {line}")
    return camp


@contextlib.contextmanager
def _progress_bar(desc: str, disable: bool = False):
    """A tqdm bar in per mille; yields the ``progress(fraction, message)`` callback."""
    with tqdm(total=1000, unit="‰", desc=desc, leave=False, disable=disable,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed} {postfix}") as bar:
        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message, refresh=False)
            bar.update(max(0, int(fraction * 1000) - bar.n))   # redraws at most every 0.1 s
        yield progress


def _cached_run(args):
    """The model cache of ``--cache-dir`` and its run ``--run`` on ``--device``, or a plain
    error naming the cache and how to list it."""
    cache = ModelCache(args.cache_dir)
    run = cache.load(args.run, device=check_device(args.device))
    if run is None:
        raise DataError(f"No cached run '{args.run}' in {cache.root}. "
                        "`python -m palstm_core list` shows the cached runs.")
    return cache, run
