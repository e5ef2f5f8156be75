"""Settings from the environment: UI defaults, the demo's settings and the model cache."""
from __future__ import annotations

import os

import streamlit as st

import palstm_core as pc

# Demo: a PA-LSTM small enough to train in well under a minute on a laptop CPU.
DEMO = dict(sample="urban", target="NOx", lookback=20, horizon=1,
            config=dict(model="pa_lstm", hidden_size=16, epochs=12, batch_size=256, lr=3e-3))


def demo_settings() -> dict:
    """The demo's settings; $PALSTM_UI_DEFAULTS shrinks them too (tests train in seconds)."""
    demo = {**DEMO, "config": dict(DEMO["config"])}
    if os.environ.get("PALSTM_UI_DEFAULTS"):
        d = ui_defaults()
        demo["lookback"] = int(d["lookback"])
        demo["config"].update(hidden_size=int(d["hidden_size"]), epochs=int(d["epochs"]))
    return demo


def ui_defaults() -> dict:
    """Default training widgets: ``pc.TrainConfig``'s defaults (the CLI's too), the default
    window, and the Tune option's budget. $PALSTM_UI_DEFAULTS="hidden_size=8,epochs=1,lookback=10"
    overrides them (the tests use it to train in seconds)."""
    c, w = pc.TrainConfig(), pc.WindowSpec()
    d = {"hidden_size": c.hidden_size, "epochs": c.epochs, "batch_size": c.batch_size,
         "lr": c.lr, "patience": c.patience, "lookback": w.lookback, "horizon": w.horizon,
         "steps": w.steps, "tune_trials": 20, "tune_seconds": 600}
    for item in os.environ.get("PALSTM_UI_DEFAULTS", "").split(","):
        if "=" in item:
            k, v = (s.strip() for s in item.split("=", 1))
            if k in d:
                d[k] = type(d[k])(float(v)) if isinstance(d[k], int) else float(v)
    return d


@st.cache_resource
def _cache(root: str) -> pc.ModelCache:
    return pc.ModelCache(root)


def cache() -> pc.ModelCache:
    """The model cache shared by all sessions ($PALSTM_CACHE_DIR, default .palstm_cache);
    a cache path that is a file stops the page with its message."""
    try:
        return _cache(os.environ.get("PALSTM_CACHE_DIR") or pc.DEFAULT_CACHE_DIR)
    except pc.DataError as exc:
        st.error(str(exc))
        st.stop()
