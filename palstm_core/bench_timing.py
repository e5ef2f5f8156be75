"""Timing helpers of ``python -m palstm_core bench`` (``bench`` and ``bench_threads`` use them):
interleaved median timings, one train step as ``train()`` does it, and a sensor-group layout."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import nn


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def side_by_side(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 2,
                 device: torch.device = torch.device("cpu"),
                 repeats_for: dict[str, int] | None = None) -> dict[str, float]:
    """Median seconds per call of each function, calls interleaved round-robin (so machine load
    affects all alike); ``warmup`` calls of each are run first and not counted."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    _sync(device)
    times: dict[str, list[float]] = {k: [] for k in fns}
    limit = {k: (repeats_for or {}).get(k, repeats) for k in fns}
    for r in range(max(limit.values())):
        for k, fn in fns.items():
            if r >= limit[k]:
                continue
            t0 = time.perf_counter()
            fn()
            _sync(device)
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, amp: bool) -> Callable[[], None]:
    """One step exactly as train() does it: autocast (CUDA), MSE, backward, clip, Adam."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    dev = x.device

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp and dev.type == "cuda"):
            loss = torch.mean((model(x).y.float() - y) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return step


def group_layout(n_groups: int) -> list[list[int]]:
    """Uneven groups of 4-6 features (4 groups: 4, 5, 6, 5 = 20 features)."""
    sizes = [(4, 5, 6, 5)[g % 4] for g in range(n_groups)]
    out, c = [], 0
    for s in sizes:
        out.append(list(range(c, c + s)))
        c += s
    return out
