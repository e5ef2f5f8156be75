"""The one io layer (``data/source.py``: ``read``, ``kind``, ``head``; ``pc.load_file``): one
byte reader for every format, the size limit only where the UI passes it, an upload read once.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from palstm_core.data import source

ROOT = Path(__file__).resolve().parent.parent


class CountingUpload(io.BytesIO):
    """A browser upload (Streamlit's UploadedFile is a BytesIO) that counts how often its bytes
    are read."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        return super().read(*args)

    def getvalue(self):
        self.reads += 1
        return super().getvalue()


@pytest.fixture(scope="module")
def urban():
    return pc.load_sample("urban")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, engine="pyarrow", index=False)
    return buf.getvalue()


def test_kind_is_one_table_of_magic_bytes_then_the_suffix():
    assert source.kind(b"PAR1\x15\x04", "drive.bin") == "parquet"
    assert source.kind(b"MDF     4.10", "log.dat") == "mdf"
    assert source.kind(b"PK\x03\x04", "trip.xlsx") == "excel"
    assert source.kind(b"PK\x03\x04", "campaign.zip") == "zip"
    assert source.kind(b"\xd0\xcf\x11\xe0", "locked.xlsx") == "excel"   # encrypted workbook
    assert source.kind(b"\x1f\x8b\x08", "drive.csv.gz") == "binary"
    assert source.kind(b"time,speed", "drive.parquet") == "parquet"    # damaged: the suffix
    assert source.kind(b"time,speed", "drive.csv") == "csv"


def test_load_csv_points_a_parquet_at_load_file(urban):
    up = io.BytesIO(_parquet_bytes(urban.frame))
    up.name = "drive.csv"                          # a Parquet file saved with a .csv name
    with pytest.raises(pc.DataError, match="Parquet file.*load_file"):
        pc.load_csv(up)
    up.seek(0)
    assert len(pc.load_file(up)) == len(urban)     # the one entry point reads it


def test_the_limit_applies_only_where_it_is_passed(urban, tmp_path, monkeypatch):
    """A Parquet file over the (here: small) browser limit loads from Python and as a campaign;
    with the limit passed, as the Data page does, it is refused with a clear message."""
    path = tmp_path / "drive.parquet"
    path.write_bytes(_parquet_bytes(urban.frame))
    small = path.stat().st_size // 2
    monkeypatch.setattr(source, "MAX_BYTES", small)
    monkeypatch.setattr(pc.data, "MAX_BYTES", small)
    assert len(pc.load_file(path)) == len(urban)
    assert len(pc.load_drives([path])["drive"]) == len(urban)
    with pytest.raises(pc.DataError, match=r"'drive.parquet' is 0 MB; the limit is 0 MB for "
                                           r"uploads\. Load it from Python"):
        pc.load_file(path, max_bytes=small)
    up = CountingUpload(path.read_bytes(), "drive.parquet")
    with pytest.raises(pc.DataError, match="drive.parquet.*limit is 0 MB for uploads"):
        pc.load_file(up, max_bytes=small)
    with pytest.raises(pc.DataError, match="limit is 0 MB for uploads"):
        pc.load_drives([CountingUpload(path.read_bytes(), "drive.parquet")], max_bytes=small)


def test_the_csv_text_of_a_big_table_has_no_limit_outside_the_ui(urban, tmp_path,
                                                                   monkeypatch):
    """The CSV text a Parquet table becomes was capped at the browser limit everywhere."""
    path = tmp_path / "drive.parquet"
    path.write_bytes(_parquet_bytes(urban.frame))
    monkeypatch.setattr(source, "MAX_BYTES", 1000)
    assert len(pc.load_file(path)) == len(urban)
    with pytest.raises(pc.DataError, match="as text"):
        pc.load_file(path, max_bytes=path.stat().st_size + 1)     # the file fits, its text not


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_an_upload_is_read_once(urban, fmt):
    frame = urban.frame.iloc[:300]
    if fmt == "csv":
        data = frame.to_csv(index=False).encode()
    elif fmt == "parquet":
        data = _parquet_bytes(frame)
    else:
        buf = io.BytesIO()
        frame.to_excel(buf, index=False, engine="openpyxl")
        data = buf.getvalue()
    up = CountingUpload(data, f"drive.{fmt}")
    ds = pc.load_file(up, max_bytes=pc.MAX_BYTES)
    assert len(ds) == 300
    assert up.reads == 1
    camp_up = CountingUpload(data, f"drive.{fmt}")
    assert len(pc.load_drives([camp_up])["drive"]) == 300
    assert camp_up.reads == 1


def test_text_uploads_and_bytes_read_alike(urban):
    text = urban.frame.iloc[:200].to_csv(index=False)
    a = pc.load_file(io.StringIO(text), name="a.csv")
    b = pc.load_file(text.encode(), name="a.csv")
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert source.read(io.StringIO("x,y\n")) == b"x,y\n"
    with pytest.raises(pc.DataError, match="does not exist"):
        source.read(Path("no such drive.parquet"))
    with pytest.raises(pc.DataError, match="does not exist"):
        pc.load_file(Path("no such drive.parquet"))


# ---------------------------------------------------------------------------- a 300 MB Parquet
BIG = pytest.mark.skipif(os.environ.get("PALSTM_BIG_TESTS") != "1",
                         reason="writes and loads a 300 MB Parquet file (set PALSTM_BIG_TESTS=1)")


def _big_parquet(path: Path, mb: int = 300) -> int:
    """A long 10 Hz drive of 30 full-precision channels, ``mb`` MB as Parquet; its row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols, rows = 30, mb * 2**20 // (30 * 8)
    rng = np.random.default_rng(7)
    t = np.arange(rows) / 10.0
    names = ["speed [km/h]", "rpm [1/min]", "NOx [mg/s]"] + [f"ch{i:02d} [V]"
                                                           for i in range(cols - 3)]
    arrays = [pa.array(t)] + [pa.array(rng.normal(50, 10, rows)) for _ in names]
    pq.write_table(pa.table(arrays, names=["time [s]"] + names), path, compression="snappy")
    return rows


@BIG
def test_a_300_mb_parquet_loads_from_python_and_the_cli(tmp_path):
    folder = tmp_path / "campaign"
    folder.mkdir()
    path = folder / "long drive.parquet"
    rows = _big_parquet(path)
    assert path.stat().st_size > 300 * 10**6 > pc.MAX_BYTES
    ds = pc.load_file(path)
    assert len(ds) == rows and len(ds.columns) == 30
    del ds
    with pytest.raises(pc.DataError, match="limit is 200 MB for uploads"):
        pc.load_file(path, max_bytes=pc.MAX_BYTES)
    res = subprocess.run([sys.executable, "-m", "palstm_core", "train", "--drives", str(folder),
                          "--target", "NOx", "--model", "linear", "--epochs", "1",
                          "--lookback", "2", "--batch-size", "65536", "--no-cache"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"long drive: {rows} rows" in res.stdout
