"""Parquet, Excel (.xlsx) and ASAM MDF4 files of a drive load to the same Dataset as its CSV,
and damaged, encrypted or empty ones are a plain DataError (``pc.load_file``)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc


@pytest.fixture(scope="module")
def urban():
    return pc.load_sample("urban")


def _mdf(path, frame: pd.DataFrame, units: dict, groups: list[list[str]], times: list):
    from asammdf import MDF, Signal

    mdf = MDF(version="4.10")
    for cols, t in zip(groups, times):
        mdf.append([Signal(frame[c].to_numpy(float)[:len(t)] if len(t) <= len(frame) else
                           np.interp(t, frame["time"], frame[c]), t, name=c,
                           unit=units.get(c, "")) for c in cols])
    mdf.save(path, overwrite=True)
    mdf.close()
    return path


def _same(ds: pc.Dataset, ref: pc.Dataset):
    assert ds.time_column == ref.time_column == "time"
    assert list(ds.frame.columns) == list(ref.frame.columns)
    np.testing.assert_allclose(ds.frame.to_numpy(float), ref.frame.to_numpy(float),
                               rtol=1e-12, atol=0)


def test_parquet_xlsx_mdf4_load_to_the_csv_frame(urban, tmp_path):
    f = urban.frame
    f.to_parquet(tmp_path / "urban.parquet", engine="pyarrow", index=False)
    f.to_excel(tmp_path / "urban.xlsx", index=False, engine="openpyxl")
    _mdf(tmp_path / "urban.mf4", f, urban.units, [urban.columns], [f["time"].to_numpy(float)])
    for name, how in (("urban.parquet", "pyarrow"), ("urban.xlsx", "openpyxl"),
                      ("urban.mf4", "asammdf")):
        ds = pc.load_file(tmp_path / name)
        _same(ds, urban)
        assert how in ds.report[0] and name in ds.report[0]
    mf4 = pc.load_file(tmp_path / "urban.mf4")
    assert mf4.units["speed"] == "km/h" and mf4.units["NOx"] == "mg/s"     # units from the MDF


def test_uploads_and_csv_go_through_load_file(urban, tmp_path):
    buf = io.BytesIO()
    urban.frame.to_parquet(buf, index=False)
    up = io.BytesIO(buf.getvalue())
    up.name = "drive 3.parquet"
    _same(pc.load_file(up), urban)
    csv = pc.load_file(pc.data.SAMPLE_DIR / "urban.csv")          # CSV: straight to load_csv
    _same(csv, urban)
    assert csv.report == pc.load_csv(pc.data.SAMPLE_DIR / "urban.csv").report


def test_excel_with_metadata_rows_units_row_and_two_sheets(tmp_path):
    t = pd.date_range("2024-05-14 09:12:00", periods=120, freq="s")
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"Timestamp": t, "CO2": rng.uniform(0.5, 9.0, 120),
                         "Vehicle speed": rng.uniform(0, 90, 120)})
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame([["Logger: Sensors Inc."], ["Test 7"]]).to_excel(
            xw, sheet_name="Data", index=False, header=False)
        pd.DataFrame([["", "g/s", "km/h"]], columns=data.columns).to_excel(
            xw, sheet_name="Data", startrow=2, index=False)
        data.to_excel(xw, sheet_name="Data", startrow=4, index=False, header=False)
        data.head(5).to_excel(xw, sheet_name="Notes", index=False)
    ds = pc.load_file(path)
    assert ds.time_kind == "datetime" and len(ds) == 120
    np.testing.assert_allclose(ds.frame["CO2"], data["CO2"], rtol=1e-12)
    assert ds.units["CO2"] == "g/s"
    assert "'Notes'" in ds.report[0]                       # the sheet not read is named


def test_mdf4_with_two_rates_is_put_on_the_faster_group(urban, tmp_path):
    f = urban.frame.iloc[:600]
    fast = np.arange(0, 599.01, 0.1)
    _mdf(tmp_path / "two.mf4", f, urban.units, [["NOx", "CO2"], ["speed"]],
         [f["time"].to_numpy(float), fast])
    ds = pc.load_file(tmp_path / "two.mf4")
    assert len(ds) == len(fast)
    assert "10 Hz" in ds.report[0] and "interpolated" in ds.report[0]
    np.testing.assert_allclose(ds.frame["NOx"].iloc[::10].to_numpy(), f["NOx"].to_numpy()[:600],
                               rtol=1e-9)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx", ".mf4"])
def test_damaged_empty_or_encrypted_files_are_a_plain_data_error(urban, tmp_path, suffix):
    good = tmp_path / f"good{suffix}"
    f = urban.frame.iloc[:200]
    if suffix == ".parquet":
        f.to_parquet(good, index=False)
    elif suffix == ".xlsx":
        f.to_excel(good, index=False)
    else:
        _mdf(good, f, urban.units, [urban.columns], [f["time"].to_numpy(float)])
    data = good.read_bytes()
    cases = {"cut": data[:len(data) // 2], "empty": b"", "junk": data[:8] + b"\x00\xff" * 300}
    if suffix == ".xlsx":
        cases["encrypted"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    for case, body in cases.items():
        path = tmp_path / f"{case}{suffix}"
        path.write_bytes(body)
        with pytest.raises(pc.DataError) as err:
            pc.load_file(path)
        assert path.name in str(err.value), (case, str(err.value))
    if suffix == ".xlsx":
        with pytest.raises(pc.DataError, match="password"):
            pc.load_file(tmp_path / "encrypted.xlsx")


def test_a_zip_is_not_one_drive(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "drives.zip", "w") as zf:
        zf.writestr("a.csv", "time,x\n0,1\n")
    with pytest.raises(pc.DataError, match="campaign"):
        pc.load_file(tmp_path / "drives.zip")
