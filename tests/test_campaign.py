"""Campaigns: ``pc.load_drives`` from a folder, a zip or a list of files/uploads, one report
line per drive, every file not used named with the reason, trip folders with OBD/ and PEMS/."""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from palstm_core import simulate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = pc.data.SAMPLE_DIR / "campaign"
REAL = ROOT.parent / "shared" / "real-logs"


def _upload(path: Path, name: str | None = None) -> io.BytesIO:
    buf = io.BytesIO(path.read_bytes())
    buf.name = name or path.name
    return buf


def _zip(folder: Path, target: Path, top: str = "campaign") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, f"{top}/{p.relative_to(folder).as_posix()}")
    return target


def _same_campaign(a: pc.Campaign, b: pc.Campaign):
    assert a.names == b.names
    for x, y in zip(a, b):
        assert x.name == y.name and x.time_column == y.time_column
        pd.testing.assert_frame_equal(x.frame, y.frame)


def test_sample_campaign_is_six_simulated_drives_of_one_car():
    camp = pc.load_sample_campaign()
    assert len(camp) == 6 and camp.simulated and "simulated" in camp.label
    assert camp.names[0] == "trip01_urban" and {"NOx", "CO2", "speed", "rpm"} <= set(
        camp.common_columns)
    assert all(ds.simulated and 600 <= len(ds) <= 900 for ds in camp)
    assert sum(p.stat().st_size for p in SAMPLE.glob("*.csv")) < 1_000_000
    lines = camp.report[2:]
    assert len(lines) == 6 and all(ln.startswith(n) for ln, n in zip(lines, camp.names))
    assert "730 rows, 12.2 min at 1 Hz" in lines[0]
    # different seeds and routes: the motorway drive is faster than the urban one
    assert camp["trip02_motorway"].frame["speed"].max() > 100 > camp["trip01_urban"].frame[
        "speed"].max()


def test_folder_zip_and_list_of_files_give_the_same_campaign(tmp_path):
    folder = pc.load_drives(SAMPLE)
    zipped = pc.load_drives(_zip(SAMPLE, tmp_path / "campaign.zip"))
    files = pc.load_drives(sorted(SAMPLE.glob("*.csv")))
    uploads = pc.load_drives([_upload(p) for p in sorted(SAMPLE.glob("*.csv"))])
    zip_upload = pc.load_drives([_upload(tmp_path / "campaign.zip")])
    for other in (zipped, files, uploads, zip_upload):
        _same_campaign(folder, other)
        assert other.skipped == {}
    assert len(folder) == 6


def test_short_drive_stray_file_and_junk_are_reported_not_fatal(tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "c")
    trip = pd.read_csv(SAMPLE / "trip01_urban.csv")
    trip.iloc[:40].to_csv(tmp_path / "c" / "trip07_short.csv", index=False)
    trip[["time [s]", "speed [km/h]", "altitude [m]"]].to_csv(tmp_path / "c" / "gps_track.csv",
                                                              index=False)
    trip.drop(columns=["NOx [mg/s]"]).to_csv(tmp_path / "c" / "trip08_no_nox.csv", index=False)
    (tmp_path / "c" / "notes.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    (tmp_path / "c" / "logger.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "c" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    seen = []
    camp = pc.load_drives(tmp_path / "c", progress=lambda f, m: seen.append((f, m)))
    assert camp.names == ["trip01_urban", "trip02_motorway", "trip03_rural", "trip04_urban",
                          "trip05_motorway", "trip06_rural", "trip08_no_nox"]
    assert "40 usable row" in camp.skipped["trip07_short"]
    assert "columns most drives share" in camp.skipped["gps_track"]
    assert "binary" in camp.skipped["logger"]
    assert "'.pdf' is not a data file type" in camp.skipped["notes.pdf"]
    assert "system file" in camp.skipped[".DS_Store"]
    line = next(ln for ln in camp.report if ln.startswith("trip08_no_nox:"))
    assert "missing 'NOx'" in line
    assert "NOx" not in camp.common_columns and "CO2" in camp.common_columns
    for name in camp.skipped:                                      # every skip is a report line
        assert any(ln.startswith(f"Not used: {name}:") for ln in camp.report)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) == 11
    assert "Drive 1 of 10" in seen[0][1]


def test_no_usable_drive_is_a_data_error_listing_each_reason(tmp_path):
    (tmp_path / "a.csv").write_text("time,x\n0,1\n1,2\n")
    (tmp_path / "b.txt").write_bytes(b"")
    with pytest.raises(pc.DataError) as err:
        pc.load_drives(tmp_path)
    msg = str(err.value)
    assert "- a:" in msg and "- b:" in msg and "empty" in msg
    with pytest.raises(pc.DataError, match="does not exist"):
        pc.load_drives(tmp_path / "nowhere")


def test_zip_paths_are_never_trusted(tmp_path):
    good = (SAMPLE / "trip01_urban.csv").read_bytes()
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("trips/trip01.csv", good)
        zf.writestr("../../outside.csv", good)
        zf.writestr("/etc/abs.csv", good)
        zf.writestr("trips/inner.zip", b"PK\x03\x04" + b"\x00" * 40)
    camp = pc.load_drives(tmp_path / "evil.zip")
    assert camp.names == ["trip01"]
    assert "unsafe path" in camp.skipped["../../outside.csv"]
    assert "unsafe path" in camp.skipped["/etc/abs.csv"]
    assert "a zip inside the campaign" in camp.skipped["trips/inner.zip"]
    assert not (tmp_path.parent / "outside.csv").exists()


def _trip_folder(root: Path, name: str, frame: pd.DataFrame, start: str) -> None:
    """A trip as two loggers write it: OBD/ in two files, PEMS/ in one, ISO date-times."""
    stamps = (pd.Timestamp(start) + pd.to_timedelta(frame["time [s]"], unit="s")).dt.strftime(
        "%Y-%m-%d %H:%M:%S")
    obd_cols = [c for c in frame.columns if c.split(" [")[0] in simulate.OBD_COLUMNS]
    pems_cols = [c for c in frame.columns if c.split(" [")[0] in simulate.PEMS_COLUMNS]
    obd = pd.concat([stamps.rename("Time"), frame[obd_cols]], axis=1)
    pems = pd.concat([stamps.rename("Time"), frame[pems_cols]], axis=1)
    (root / name / "OBD").mkdir(parents=True)
    (root / name / "PEMS").mkdir()
    obd.iloc[:400].to_csv(root / name / "OBD" / "CSVLog_1.csv", index=False)
    obd.iloc[400:].to_csv(root / name / "OBD" / "CSVLog_2.csv", index=False)
    pems.to_csv(root / name / "PEMS" / "parSYNC_Data.csv", index=False)


def test_trip_folders_with_obd_and_pems_are_joined_and_merged(tmp_path):
    for i, trip in enumerate(["trip01_urban", "trip02_motorway"]):
        _trip_folder(tmp_path / "camp", f"Car A ({trip})", pd.read_csv(SAMPLE / f"{trip}.csv"),
                     f"2024-05-1{i + 4} 09:12:00")
    (tmp_path / "camp" / "Car A (trip01_urban)" / "notes.txt").write_text("driver: K.\n")
    camp = pc.load_drives(tmp_path / "camp")
    assert camp.names == ["Car A (trip01_urban)", "Car A (trip02_motorway)"]
    ds = camp["Car A (trip01_urban)"]
    assert {"NOx", "CO2", "speed", "rpm"} <= set(ds.columns)
    assert ds.alignment["lag_s"] in (4, 5)                     # the simulated analyzer delay
    assert any("Joined 2 files of one logger" in ln for ln in ds.report)
    assert "next to the OBD/PEMS folders" in camp.skipped["Car A (trip01_urban)/notes.txt"]
    # the same trips uploaded as files whose names keep their folders (a folder upload)
    ups = [_upload(p, p.relative_to(tmp_path / "camp").as_posix())
           for p in sorted((tmp_path / "camp").rglob("*.csv"))]
    again = pc.load_drives(ups)
    _same_campaign(camp, again)


def test_other_formats_in_a_campaign(tmp_path):
    (tmp_path / "c").mkdir()
    a = pc.load_csv(SAMPLE / "trip01_urban.csv")
    a.frame.to_parquet(tmp_path / "c" / "trip01.parquet", index=False)
    shutil.copy(SAMPLE / "trip03_rural.csv", tmp_path / "c" / "trip03.csv")
    camp = pc.load_drives(tmp_path / "c")
    assert camp.names == ["trip01", "trip03"]
    pd.testing.assert_frame_equal(camp["trip01"].frame, a.frame)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-logs/ is not here")
def test_real_logs_folder_loads_both_trips():
    camp = pc.load_drives(REAL)
    # nothing silently left out: the README and anything not loaded carries a reason
    assert "'.md' is not a data file type" in camp.skipped["README.md"]
    assert any(n.startswith("processed/") for n in camp.names)       # the authors' merged files
    # the Toyota trip folder holds two recordings 5.6 h apart: two parts (see test_whole.py)
    trips = ["Mazda 3 2016 (July 2019)", "Toyota Corolla 2019 (August 2019) part 1",
             "Toyota Corolla 2019 (August 2019) part 2"]
    assert all(t in camp.names for t in trips), {t: camp.skipped.get(t) for t in trips}
    for trip in trips:
        ds = camp[trip]
        assert "CO2" in ds.columns and any("speed" in c.lower() for c in ds.columns)
        assert len(ds) > 1000
