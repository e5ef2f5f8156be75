"""PA-LSTM Explorer core: data loading, sensor grouping, windows, models, training, cache,
attention. No UI code lives here (the Streamlit pages call this package).

    import palstm_core as pc
    ds  = pc.load_sample("urban")
    g   = pc.suggest_groups(ds, target="NOx")
    run = pc.train(ds, target="NOx", grouping=g, window=pc.WindowSpec(lookback=30),
                   config=pc.TrainConfig(model="pa_lstm"), cache=pc.ModelCache())
    run.metrics, run.predict(ds), run.explain(ds)
"""
from . import explain
from .cache import ModelCache
from .data import (MAX_BYTES, Campaign, DataError, Dataset, clean, load_csv, load_drives,
                   load_file, load_sample, load_sample_campaign, merge_drives, resample)
from .explain import Attention, Attribution, attribute
from .grouping import SensorGrouping, suggest_groups
from .metrics import regression_metrics
from .models import MODELS
from .training import (TrainConfig, TrainedRun, TrainingCancelled, TrainingError, device_name,
                       train)
from .windows import WindowSpec

__all__ = [
    "Attention", "Attribution", "Campaign", "DataError", "Dataset", "MAX_BYTES", "MODELS",
    "ModelCache", "SensorGrouping", "TrainConfig", "TrainedRun", "TrainingCancelled",
    "TrainingError", "WindowSpec", "attribute", "clean", "device_name", "explain", "load_csv",
    "load_drives", "load_file", "load_sample", "load_sample_campaign", "merge_drives",
    "regression_metrics", "resample", "suggest_groups", "train",
]
