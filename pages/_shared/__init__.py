"""Streamlit-side helpers shared by app.py and the pages, re-exported here so a page says
``from pages import _shared as ui`` and ``ui.dataset()``. One concern per module:

    session   what a declared session key is (lifetimes PAGE / SESSION / DATA), the bounded memo
    keys      every session key of the app, declared once by owner; enter_page, forget_data
    settings  environment settings, UI and demo defaults, the model cache
    state     accessors of the data, the problem and the runs; set_problem; the memo
    nav       steps, start_page, step indicator, need_data / need_runs
    jobs      the one background-job runner and its poller (Train and Learn), torch's threads
    figures   figures only the dashboard draws (Learn's, the maps Learn and Results share)
    forecast_ui  Results' multi-step sections (fan, error by step, the model's own maps)
    explore_ui  Results' what-if, sensitivity, report and link sections
    lang      the session's language, the sidebar switch, translated page links and labels

A page starts with ``ui.start_page(ui.keys.<Its namespace>)`` and reads and writes session state
only through the declared keys (``K = ui.keys.Results; K.res_time.get()``, ``key=K.res_time``).

This lives in a sub-folder of ``pages/`` on purpose: Streamlit makes a page of every ``*.py``
file directly in ``pages/`` (a leading "_" does not hide it), but ignores sub-folders. Nothing
here computes anything; computation is in ``palstm_core``.
"""
from . import explore_ui, keys
from .jobs import Job, TrainingJob, TuneJob, background, limit_threads, train_threads, watch
from .keys import forget_data
from .lang import (LANG_KEY, device_label, first_upper, fmt, headers, init_language,
                   language_switch, localized, page_setup)
from .nav import (PAGE, STEPS, collect_job, current_step, data_badge, need_data, need_runs,
                  start_page, step_indicator)
from .session import Memo
from .settings import DEMO, cache, demo_settings, ui_defaults
from .state import (add_run, adopt_cached_runs, base_dataset, campaign, dataset,
                    default_clean_channels, delete_run, deletion, fingerprint, first_step, fits,
                    grouping, load_campaign_into_session,
                    load_into_session, load_sample_into_session, memo, merge_into_session,
                    on_campaign, open_cached, parse_upload, part_map_frame, predict_and_explain,
                    relevance_agreement, runs, set_campaign, set_dataset, set_problem,
                    set_test_drives, show_in_results, split_sample, start_job, target, test_drives, train_data,
                    trip_results,
                    use_cleaned, window_map, window_spec)

__all__ = [
    "LANG_KEY", "device_label", "first_upper", "fmt", "headers", "init_language",
    "language_switch", "localized", "page_setup",
    "DEMO", "Job", "Memo", "PAGE", "STEPS", "TrainingJob", "TuneJob", "add_run",
    "adopt_cached_runs", "background",
    "base_dataset", "cache", "campaign", "collect_job", "current_step", "data_badge", "dataset",
    "default_clean_channels", "delete_run", "deletion", "demo_settings", "explore_ui",
    "fingerprint", "first_step", "fits",
    "forget_data", "grouping", "keys", "limit_threads", "load_campaign_into_session",
    "load_into_session", "load_sample_into_session", "memo", "merge_into_session", "need_data",
    "need_runs", "on_campaign", "open_cached", "parse_upload", "part_map_frame",
    "predict_and_explain", "relevance_agreement", "runs", "set_campaign", "set_dataset", "set_problem",
    "set_test_drives", "show_in_results", "split_sample", "start_job", "start_page",
    "step_indicator", "target", "test_drives", "train_data", "train_threads", "trip_results",
    "ui_defaults",
    "use_cleaned", "watch", "window_map", "window_spec",
]
