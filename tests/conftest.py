"""Shared fixtures for the dashboard tests (AppTest and the real-browser test).

Tiny models only: the tests share two CPU cores. PALSTM_UI_DEFAULTS makes the pages' training
widgets (and the demo) default to a model that trains in about a second.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TINY = "hidden_size=8,epochs=1,lookback=8,batch_size=1024"


@pytest.fixture
def one_torch_thread(monkeypatch):
    """One torch thread for the test (tiny recurrent models train several times faster on one
    thread on a shared CPU), as the app's job runner sets it; restored afterwards."""
    import torch
    monkeypatch.setenv("PALSTM_TORCH_THREADS", "1")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def ui_env(tmp_path, monkeypatch, one_torch_thread):
    """A fresh model cache and tiny training defaults for one test; one torch thread."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("PALSTM_CACHE_DIR", str(cache))
    monkeypatch.setenv("PALSTM_UI_DEFAULTS", TINY)
    yield cache


@pytest.fixture(scope="session")
def small_ds():
    """First 600 rows of the (simulated) urban sample."""
    import palstm_core as pc
    return pc.load_sample("urban").slice(0, 600)


@pytest.fixture
def app(ui_env):
    """An AppTest of the home page (app.py + pages/), not yet run."""
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def wait_for_job(at, timeout: float = 120.0):
    """Wait until the background training job in ``at``'s session is done, then rerun."""
    job = at.session_state["job"]
    end = time.time() + timeout
    while not job.done and time.time() < end:
        time.sleep(0.1)
    assert job.done, f"training did not finish in {timeout} s ({job.message})"
    return at.run()
