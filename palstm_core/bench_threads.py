"""Train-step speed with busy processes beside it (issue 15), a row of ``python -m palstm_core
bench``: PA-LSTM's recurrence runs many small kernels, each ending in an OpenMP barrier, which
collapses when other processes share the cores (docs/benchmarks.md, "CPU threads under
contention")."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import torch

from .bench_timing import group_layout, side_by_side, train_step
from .models import MODELS
from .training import TrainConfig
from .training.loop import cpu_threads


def bench_contention(device: torch.device, *, hogs: int = 2, repeats: int = 7, batch: int = 128,
                     lookback: int = 30, groups: int = 4, hidden: int = 32) -> dict:
    """PA-LSTM train step with ``hogs`` busy processes beside it ÷ the step without them, at the
    thread count training uses by default (``TrainConfig.cpu_threads`` = 0, decided once the
    hogs run). The hogs are killed afterwards, whatever happens."""
    torch.manual_seed(0)
    layout = group_layout(groups)
    model = MODELS["pa_lstm"](groups=layout, lookback=lookback, hidden_size=hidden).to(device)
    x = torch.randn(batch, lookback, sum(map(len, layout)), device=device)
    step = train_step(model.train(), x, torch.randn(batch, device=device), amp=True)
    with cpu_threads(TrainConfig(), device):
        idle_threads = torch.get_num_threads()
        idle = side_by_side({"step": step}, repeats, device=device)["step"]
    procs = []
    try:
        for _ in range(hogs):
            procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        time.sleep(1.0)                                 # the hogs are running
        with cpu_threads(TrainConfig(), device):
            busy_threads = torch.get_num_threads()
            busy = side_by_side({"step": step}, repeats, device=device)["step"]
    finally:
        for p in procs:
            p.kill()
            p.wait(5)
    return {"hogs": hogs, "idle_ms": 1000 * idle, "busy_ms": 1000 * busy, "ratio": busy / idle,
            "idle_threads": idle_threads, "busy_threads": busy_threads,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
            "hogs_left": sum(p.poll() is None for p in procs)}
