"""Streamlit-side helpers shared by app.py and the pages, re-exported here so a page says
``from pages import _shared as ui`` and ``ui.dataset()``. One concern per module:

    settings  environment settings, UI and demo defaults, the model cache
    state     session-state keys and accessors, the bounded per-session memo
    nav       steps, step indicator, need_data / need_runs
    jobs      the one background-job runner (Train and Learn) and torch's thread count
    figures   figures only the Learn page draws
    lang      the session's language, the sidebar switch, translated page links

This lives in a sub-folder of ``pages/`` on purpose: Streamlit makes a page of every ``*.py``
file directly in ``pages/`` (a leading "_" does not hide it), but ignores sub-folders. Nothing
here computes anything; computation is in ``palstm_core``.
"""
from .jobs import Job, TrainingJob, TuneJob, limit_threads, train_threads
from .lang import LANG_KEY, device_label, first_upper, fmt, headers, init_language, localized, language_switch, page_setup
from .nav import (PAGE, STEPS, collect_job, current_step, data_badge, keep_widget_state,
                  need_data, need_runs, step_indicator)
from .settings import DEMO, cache, demo_settings, ui_defaults
from .state import (Memo, add_run, base_dataset, campaign, dataset, default_clean_channels,
                    deletion, fingerprint, fits, grouping, load_campaign_into_session,
                    load_into_session, load_sample_into_session, memo, merge_into_session,
                    on_campaign, open_cached, parse_upload, part_map_frame, predict_and_explain,
                    runs, set_campaign, set_dataset, split_sample, test_drives, train_data,
                    use_cleaned, window_map, window_spec)

__all__ = [
    "LANG_KEY", "device_label", "first_upper", "fmt", "headers", "init_language", "localized", "language_switch", "page_setup",
    "DEMO", "Job", "Memo", "PAGE", "STEPS", "TrainingJob", "TuneJob", "add_run", "base_dataset",
    "cache", "campaign", "fingerprint", "load_campaign_into_session", "on_campaign",
    "set_campaign", "test_drives", "train_data",
    "collect_job", "current_step", "data_badge", "dataset", "default_clean_channels",
    "demo_settings", "deletion", "fits", "grouping", "keep_widget_state", "limit_threads",
    "load_into_session", "load_sample_into_session", "memo", "merge_into_session", "need_data",
    "need_runs", "open_cached", "parse_upload", "predict_and_explain", "runs", "set_dataset",
    "split_sample", "step_indicator", "train_threads", "ui_defaults", "use_cleaned",
    "window_map", "window_spec", "part_map_frame",
]
