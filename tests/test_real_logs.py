"""The real PEMS + OBD exports in ../shared/real-logs/ (two trips of the McGill campaign, see its
README): every file loads on the wall clock, each trip merges into one drive whose CO2 matches
the authors' processed file, and nothing is dropped without a report line. Skipped when the
folder is absent."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT.parent / "shared" / "real-logs"
TRIPS = sorted(p for p in LOGS.iterdir() if p.is_dir() and p.name != "processed") \
    if LOGS.is_dir() else []
pytestmark = pytest.mark.skipif(not TRIPS, reason="../shared/real-logs/ is not here")


def _wall(ds: pc.Dataset) -> pd.DatetimeIndex:
    return pd.to_datetime(ds.times, unit="s")


@pytest.mark.parametrize("trip", TRIPS, ids=lambda p: p.name)
def test_pems_file_reads_date_and_12_hour_clock_and_drops_zeroing(trip):
    for path in sorted((trip / "PEMS").glob("*.csv")):
        raw = pd.read_csv(path, dtype=str)
        ds = pc.load_csv(path)
        assert ds.time_kind == "datetime"
        stamp = pd.to_datetime(raw["Date"] + " " + raw["Time"], format="%Y-%m-%d %I:%M:%S %p")
        measured = raw[raw["Bag#"] != "Zeroing"]
        assert len(ds) == len(measured)
        assert _wall(ds)[0] == stamp[measured.index[0]]          # the date, not today
        assert _wall(ds)[-1] == stamp[measured.index[-1]]        # PM hours after noon
        zeroing = int((raw["Bag#"] == "Zeroing").sum())
        assert any(f"Dropped {zeroing} row(s) where 'Bag#' says 'Zeroing'" in line
                   for line in ds.report), ds.report
        np.testing.assert_allclose(ds.frame["CO2"].to_numpy(),
                                   pd.to_numeric(measured["CO2 (%)"]).to_numpy())


@pytest.mark.parametrize("trip", TRIPS, ids=lambda p: p.name)
def test_obd_files_read_month_day_clock_and_join(trip):
    files = sorted((trip / "OBD").glob("*.csv"))
    parts = [pc.load_csv(f) for f in files]
    for f, ds in zip(files, parts):
        first = pd.read_csv(f, dtype=str, nrows=1)["Time"].iloc[0]
        start = pd.to_datetime(first, format="%m-%d-%Y %I:%M:%S.%f %p")
        assert _wall(ds)[0] - start > pd.Timedelta(-1, "ms")      # (float seconds: µs apart)
        assert _wall(ds)[0].strftime("%Y%m%d") == f.stem.split("_")[1]   # the file's own date
    joined = pc.concat_drives(parts)
    assert len(joined) == sum(len(p) for p in parts)
    assert np.all(np.diff(joined.times) > 0)
    assert f"Joined {len(files)} files" in joined.report[0]
    # no column is empty over a whole piece (the Toyota's second OBD file has constant, hence
    # dropped, 'Barometric pressure': it is left out of the joint drive, and the report says so)
    bounds = np.cumsum([0] + [len(p) for p in parts])
    for a, b in zip(bounds, bounds[1:]):
        assert joined.frame.iloc[a:b].notna().any().all()
    missing = [c for p in parts for c in set().union(*(q.columns for q in parts)) - set(p.columns)]
    if missing:
        assert any(line.startswith("Left out column(s) that not every file has")
                   and all(repr(c) in line for c in missing) for line in joined.report)


def test_leading_all_zero_rows_are_dropped_with_a_report_line():
    path = LOGS / "Mazda 3 2016 (July 2019)" / "OBD" / "CSVLog_20190708_100134.csv"
    ds = pc.load_csv(path)
    assert any("Dropped the first 1 row(s): every sensor reads 0" in line for line in ds.report)
    assert ds.frame["Engine RPM"].iloc[0] == 701.0


@pytest.mark.parametrize("trip", TRIPS, ids=lambda p: p.name)
def test_trip_merges_on_the_wall_clock_and_matches_the_processed_file(trip):
    merged = pc.merge_drives(sorted((trip / "PEMS").glob("*.csv")),
                             sorted((trip / "OBD").glob("*.csv")))
    al = merged.alignment
    assert al["clock_method"].startswith("absolute date-time")
    assert 0 <= al["lag_s"] <= 30
    assert any(line.startswith("Analyzer delay " + format(al["lag_s"], "g") + " s (estimated)")
               for line in merged.report)
    ref = pc.load_csv(LOGS / "processed" / f"{trip.name.replace(' ', '_')}.csv")
    assert "CO2 Conc. [ppm]" in ref.columns and "CO2 Conc. [%]" in ref.columns
    ours = pd.Series(merged.frame["CO2"].to_numpy(), np.round(merged.times).astype(np.int64))
    theirs = pd.Series(ref.frame["CO2 Conc. [%]"].to_numpy(),     # not delay-corrected
                       np.round(ref.times).astype(np.int64) - int(round(al["lag_s"])))
    both = pd.concat([ours, theirs], axis=1, join="inner").dropna()
    assert len(both) > 0.9 * len(ref)
    assert both.corr().iloc[0, 1] >= 0.95
    for col in ("Engine RPM", "Vehicle speed", "Mass air flow rate"):
        assert merged.frame[col].notna().mean() > 0.9
