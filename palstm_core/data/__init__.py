"""Reading and preparing drives (CSV -> ``Dataset``), one concern per module:

dataset   ``Dataset``, ``DataError``, ``MIN_ROWS``, ``SAMPLE_DIR``
source    the one byte reader (``read``), ``kind`` (magic bytes), size limits, encodings, binary/HTML detection
sniff     delimiter, header, units row, decimal comma
parse     chunked or whole-file parse, numeric columns
timecol   find and convert the time column
load      ``load_file`` (any format), ``load_csv`` (source -> sniff -> parse -> timecol) and ``load_sample``
resample  ``resample`` and the grid helpers
channels  the one vocabulary of channel names (sensor families, gases, speed, engine drivers)
merge     ``merge_drives`` (PEMS + OBD on one clock, analyzer delay), ``concat_drives``
clock     date-time text, Excel serial dates, epoch numbers to seconds
rows      rows that are not measurements (calibration, repeated headers, restarts, DST)
clean     ``clean`` (PEMS spikes and drift)
formats   Parquet, xlsx and MDF4 readers (tables as CSV text for ``load_csv``)
campaign  ``Campaign``, ``load_drives`` (folder, zip or list of files), ``load_sample_campaign``
vehicles  ``add_vehicles``: static vehicle covariates (vehicles.csv) as constant input columns
"""
from .campaign import Campaign, load_drives, load_sample_campaign
from .clean import clean
from .dataset import MIN_ROWS, SAMPLE_DIR, DataError, Dataset
from .load import SAMPLES, SPLIT_SAMPLE, load_csv, load_file, load_sample
from .merge import concat_drives, merge_drives
from .resample import resample
from .source import MAX_BYTES, SUFFIXES, PathOrFile
from .vehicles import add_vehicles

__all__ = ["add_vehicles", "Campaign", "DataError", "Dataset", "MAX_BYTES", "MIN_ROWS", "PathOrFile", "SAMPLE_DIR", "SAMPLES", "SPLIT_SAMPLE",
           "SUFFIXES",
           "clean", "concat_drives", "load_csv", "load_drives", "load_file", "load_sample",
           "load_sample_campaign", "merge_drives", "resample"]
