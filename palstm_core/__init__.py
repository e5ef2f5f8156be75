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

from . import explain  # noqa: E402
from .cache import ModelCache
from .data import (MAX_BYTES, Campaign, DataError, Dataset, clean, concat_drives, load_csv,
                   load_drives, load_file, load_sample, load_sample_campaign, merge_drives,
                   resample)
from .explain import Attention, Attribution, attribute
from .grouping import SensorGrouping, suggest_groups
from .metrics import regression_metrics
from .models import MODELS
from .training import (TrainConfig, TrainedRun, TrainingCancelled, TrainingError, device_name,
                       train)
from .tune import TuneResult, tune
from .windows import WindowSpec

__all__ = [
    "Attention", "Attribution", "Campaign", "DataError", "Dataset", "MAX_BYTES", "MODELS",
    "ModelCache", "SensorGrouping", "TrainConfig", "TrainedRun", "TrainingCancelled",
    "TrainingError", "TuneResult", "WindowSpec", "attribute", "clean", "concat_drives",
    "device_name", "explain", "load_csv", "load_drives", "load_file", "load_sample",
    "load_sample_campaign", "merge_drives", "regression_metrics", "resample", "suggest_groups",
    "train", "tune",
]
