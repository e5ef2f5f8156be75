"""Campaign data kept whole: drives split at long clock gaps (no window crosses one), and a
column constant in one drive kept when it varies across the campaign (issue 26)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from palstm_core.data.whole import constant_columns, parent_name, split_at_gaps

ROOT = Path(__file__).resolve().parent.parent
TOYOTA = ROOT.parent / "shared" / "real-logs" / "Toyota Corolla 2019 (August 2019)"


def _drive(times, **cols) -> pc.Dataset:
    frame = pd.DataFrame({"time": np.asarray(times, float), **cols})
    return pc.Dataset(frame, "time", ["loaded"], {"time": "s"}, name="trip 7")


def test_split_at_gaps_cuts_where_the_clock_jumps():
    t = np.r_[np.arange(100.0), 100.0 + 3.0 + np.arange(50.0), 2e4 + np.arange(80.0)]
    ds = _drive(t, speed=np.linspace(0, 50, t.size))
    parts = split_at_gaps(ds)                      # 3 s is a few steps: no cut there
    assert [p.name for p in parts] == ["trip 7 part 1", "trip 7 part 2"]
    assert [len(p) for p in parts] == [150, 80]
    assert "ends before a gap of 5.5 h" in parts[0].report[-1]
    assert "starts after a gap of 5.5 h" in parts[1].report[-1]
    assert parts[1].frame["speed"].iloc[0] == ds.frame["speed"].iloc[150]
    assert parent_name(parts[1].name) == "trip 7" and parent_name("trip 7") == "trip 7"
    assert split_at_gaps(_drive(np.arange(20.0), speed=np.ones(20)))[0].name == "trip 7"


def test_constant_columns_kept_where_they_vary_across_the_campaign():
    a = _drive(np.arange(40.0), phi=np.full(40, 1.0), baro=np.full(40, 101.0),
               rpm=np.linspace(800, 3000, 40))
    b = _drive(np.arange(40.0), phi=np.linspace(0.9, 1.1, 40), baro=np.full(40, 101.0),
               rpm=np.linspace(800, 3000, 40))
    b.name = "trip 8"
    drives, report = constant_columns({"trip 7": a, "trip 8": b})
    assert "phi" in drives["trip 7"].columns and "phi" in drives["trip 8"].columns
    assert "baro" not in drives["trip 7"].columns and "baro" not in drives["trip 8"].columns
    assert any("'phi' (1 throughout)" in ln for ln in drives["trip 7"].report)
    assert any("'baro'" in ln and "every drive" in ln for ln in drives["trip 8"].report)
    assert any("Kept column(s) constant in 1 drive(s)" in ln for ln in report)


@pytest.mark.skipif(not TOYOTA.is_dir(), reason="../shared/real-logs is not here")
def test_toyota_folder_two_recordings_two_parts_columns_kept():
    camp = pc.load_drives(TOYOTA)
    name = TOYOTA.name
    assert camp.names == [f"{name} part 1", f"{name} part 2"]
    for ds in camp:
        assert np.diff(ds.times).max() <= 5 * np.median(np.diff(ds.times))
    first, second = camp
    assert any("gap of 5.6 h" in ln for ln in first.report + second.report)
    # constant in the second recording, varying in the first: kept in both parts
    for col in ("Barometric pressure", "Fuel/Air commanded equivalence ratio"):
        assert col in first.columns and col in second.columns
        assert np.unique(second.frame[col].dropna()).size == 1
    assert any("Barometric pressure" in ln and "Kept" in ln for ln in second.report)
    # the drive table shows the split and the kept columns
    table = camp.table().set_index("drive")
    assert "gap of 5.6 h" in table.loc[f"{name} part 2", "report"]
    assert "Kept column(s)" in table.loc[f"{name} part 2", "report"]


@pytest.mark.skipif(not TOYOTA.is_dir(), reason="../shared/real-logs is not here")
def test_data_page_drive_table_shows_the_parts(app, monkeypatch):
    """The Data page's drive table: the Toyota folder's two parts, each with its gap and the
    columns kept (the folder stands in for the sample campaign's button)."""
    camp = pc.load_drives(TOYOTA)
    monkeypatch.setattr(pc, "load_sample_campaign", lambda progress=None: camp)
    at = app.run()
    at.switch_page("pages/1_Data.py").run()
    at.button(key="load_campaign_sample").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "test drive" in d.value.columns)
    assert list(table["drive"]) == camp.names
    report = table.set_index("drive")["report"]
    assert "gap of 5.6 h" in report[f"{TOYOTA.name} part 1"]
    assert "gap of 5.6 h" in report[f"{TOYOTA.name} part 2"]
    assert "Kept column(s) constant" in report[f"{TOYOTA.name} part 2"]


def test_load_drives_keeps_a_column_one_file_logs_as_constant(tmp_path):
    """Like the Ford trips' Phi = 1.0: a channel constant in one file stays in that drive (it
    varies in the other), a channel constant with one value in every file is dropped."""
    from palstm_core.simulate import _with_units, simulate_drive
    for i, name in enumerate(("trip1", "trip2")):
        frame = simulate_drive(seed=40 + i, phases=[("urban", 2)]).round(3)
        frame["lambda"] = 1.0 if name == "trip2" else frame["lambda"]
        frame["humidity"] = 55.0                             # constant in both
        _with_units(frame).to_csv(tmp_path / f"{name}.csv", index=False)
    camp = pc.load_drives(tmp_path)
    assert "lambda" in camp["trip2"].columns and camp["trip2"].frame["lambda"].eq(1.0).all()
    assert "humidity" not in camp["trip1"].columns and "humidity" not in camp["trip2"].columns
    assert camp["trip2"].units["lambda"] == "-"
    assert any("'lambda' (1 throughout)" in ln for ln in camp["trip2"].report)
    assert "lambda" in camp.common_columns
