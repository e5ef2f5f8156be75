"""PA-LSTM Explorer core: data loading, sensor grouping, windows, models, training, cache,
attention. No UI code lives here (the Streamlit pages call this package).

    import palstm_core as pc
    ds  = pc.load_sample("urban")
    g   = pc.suggest_groups(ds, target="NOx")
    run = pc.train(ds, target="NOx", grouping=g, window=pc.WindowSpec(lookback=30),
                   config=pc.TrainConfig(model="pa_lstm"), cache=pc.ModelCache())
    run.metrics, run.predict(ds), run.explain(ds)
"""
import os

# libgomp reads its wait policy once, when torch first loads it: waiting threads sleep instead of
# spinning, which keeps the many per-step barriers of the recurrences cheap when other processes
# share the cores (measured in docs/benchmarks.md). A value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import explain, i18n  # noqa: E402
from .cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from .cache import ModelCache
from .data import (MAX_BYTES, SAMPLES, SPLIT_SAMPLE, Campaign, DataError, Dataset, add_vehicles, clean,
                   concat_drives, load_csv, load_drives, load_file, load_sample,
                   load_sample_campaign, merge_drives, resample)
from .data import SUFFIXES as FILE_SUFFIXES
from .early_warning import EarlyWarning, early_warning, warning_tradeoff
from .evaluation import DriveCheck, drive_check, leaderboard_table, score_runs
from .explain import Attention, Attribution, attribute
from .explore import Edit, Sensitivity, WhatIf, error_by_value, sensitivity, what_if
from .grouping import SensorGrouping, lagged_correlation, suggest_groups
from .intervals import Calibration as IntervalCalibration   # pc.Calibration: a vehicle's
from .intervals import (coverage_sentence, coverage_verdict, error_shift, interval_metrics,
                        interval_table)
from .metrics import (at_step, exceedance_counts, highest_actual_time, regression_metrics,
                      step_for_lead, step_metrics)
from .models import MODELS
from .report import report_html, write_report
from .training import (TrainConfig, TrainedRun, TrainingCancelled, TrainingError, check_device,
                       close_distributed, device_name, init_distributed, natural_key, train)
from .training.calibrate import Calibration, CalibrationSettings, calibrate
from .trips import trip_results
from .tune import TuneResult, tune
from .windows import WindowSpec, window_steps

# The public names: pages, the CLI and notebooks use these (plus the modules ``plots``,
# ``teach`` and ``bench``); everything else is internal and may change.
__all__ = [
    "Attention", "Attribution", "Calibration", "CalibrationSettings", "Campaign",
    "DEFAULT_CACHE_DIR", "DataError", "Dataset", "DriveCheck", "EarlyWarning", "Edit",
    "FILE_SUFFIXES", "IntervalCalibration", "MAX_BYTES", "MODELS", "ModelCache", "SAMPLES",
    "SPLIT_SAMPLE", "Sensitivity", "SensorGrouping", "TrainConfig", "TrainedRun",
    "TrainingCancelled", "TrainingError", "TuneResult", "WhatIf", "WindowSpec", "add_vehicles",
    "at_step", "attribute", "calibrate", "check_device", "clean", "close_distributed",
    "concat_drives", "coverage_sentence", "coverage_verdict", "device_name", "drive_check",
    "early_warning", "error_by_value", "error_shift", "exceedance_counts", "explain",
    "highest_actual_time", "i18n", "init_distributed", "interval_metrics", "interval_table",
    "lagged_correlation", "leaderboard_table", "load_csv", "load_drives", "load_file",
    "load_sample", "load_sample_campaign", "merge_drives", "natural_key", "regression_metrics",
    "resample", "score_runs", "sensitivity", "step_for_lead", "step_metrics", "suggest_groups",
    "train", "trip_results", "tune", "warning_tradeoff", "what_if", "window_steps",
]
__all__ += ["report_html", "write_report"]                                    # report.py
