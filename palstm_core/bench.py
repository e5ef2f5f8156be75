"""``python -m palstm_core bench``: speed and scale of the core, measured side by side.

Everything in the table is measured in the same process and run (the 1M-row load in a child
process, so that its peak RSS is that of loading alone); warm-up calls are excluded and every
time is the median of several repeats.

This module also holds ``NaiveInputAttentionEncoder``: the PA-LSTM branch encoder written the
straightforward way (a Python loop over groups inside a Python loop over time, plain autograd).
It exists only as the reference the fast encoder is compared with (speed here, values and
gradients in tests/test_bench.py).
"""
from __future__ import annotations

import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from .bench_campaign import (bench_campaign, bench_campaign_wallclock,  # noqa: F401
                             bench_planted_sources, campaign_rows)
from .bench_threads import bench_contention
from .bench_timing import group_layout, side_by_side, train_step
from .cache import ModelCache
from .data import load_sample
from .explain import attribute, deletion_curve
from .models import MODELS
from .models.attention_encoder import ParallelInputAttentionEncoder
from .training import TrainConfig, train
from .training.device import resolve_device
from .windows import WindowSpec, window_view


# ---------------------------------------------------------------------------- naive reference
class NaiveInputAttentionEncoder(nn.Module):
    """Same parameters and function as ``ParallelInputAttentionEncoder``, computed naively.

    Parameter names and shapes are those of the fast encoder, so ``load_state_dict`` moves
    weights between them. Padded slots of the fast layout are simply not used here.
    """

    def __init__(self, groups: Sequence[Sequence[int]], lookback: int, hidden_size: int,
                 attention_size: int | None = None):
        super().__init__()
        fast = ParallelInputAttentionEncoder(groups, lookback, hidden_size, attention_size)
        self.groups = [list(map(int, g)) for g in groups]
        self.H = hidden_size
        for name, p in fast.named_parameters():
            self.register_parameter(name, nn.Parameter(p.detach().clone()))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, L, F = x.shape
        H = self.H
        states_g, alpha_g = [], []
        for g, cols in enumerate(self.groups):
            K = len(cols)
            xs = x[:, :, cols].transpose(1, 2)                               # (B, K, L)
            series = xs @ self.U_att[g] + self.b_att[g, 0, :K]               # (B, K, A)
            h = x.new_zeros(B, H)
            c = x.new_zeros(B, H)
            hs, als = [], []
            for t in range(L):
                att = torch.cat([h, c], 1) @ self.W_att[g]                   # (B, A)
                e = torch.tanh(att[:, None, :] + series) @ self.v_att[g]     # (B, K)
                alpha = torch.softmax(e, dim=1)
                gates = (alpha * x[:, t, cols]) @ self.W_ih[g, :K] + h @ self.W_hh[g] + self.b[g, 0]
                i = torch.sigmoid(gates[:, :H])
                f = torch.sigmoid(gates[:, H:2 * H])
                gg = torch.tanh(gates[:, 2 * H:3 * H])
                o = torch.sigmoid(gates[:, 3 * H:])
                c = f * c + i * gg
                h = o * torch.tanh(c)
                hs.append(h)
                als.append(alpha)
            states_g.append(torch.stack(hs, 1))                              # (B, L, H)
            alpha_g.append(torch.stack(als, 1))                              # (B, L, K)
        alpha = x.new_empty(B, L, F)
        for cols, a in zip(self.groups, alpha_g):
            alpha = alpha.index_copy(2, torch.tensor(cols, device=x.device), a)
        return torch.stack(states_g, 2), alpha                               # (B, L, G, H), (B, L, F)


def naive_copy(model: nn.Module) -> nn.Module:
    """A copy of a DA-RNN model (the grouped encoder's user) whose encoder is the naive
    reference (same weights)."""
    naive = copy.deepcopy(model)
    enc = model.encoder
    groups = [enc.index[g, :int(enc.mask[g].sum())].tolist() for g in range(enc.G)]
    ref = NaiveInputAttentionEncoder(groups, enc.L, enc.H, enc.A)
    ref.load_state_dict(enc.state_dict())
    p = next(model.parameters())
    naive.encoder = ref.to(device=p.device, dtype=p.dtype)
    return naive


# ---------------------------------------------------------------------------- parts
def bench_models(device: torch.device, *, batch: int = 128, lookback: int = 30, groups: int = 4,
                 hidden: int = 32, repeats: int = 15, amp: bool = True, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    layout = group_layout(groups)
    F = sum(map(len, layout))
    fast = MODELS["pa_lstm"](groups=layout, lookback=lookback, hidden_size=hidden).to(device)
    # the fast grouped input-attention encoder (attention_encoder.py) is DA-RNN's since issue 20;
    # its naive reference is timed against DA-RNN with the fast encoder (same weights)
    da_rnn = MODELS["da_rnn"](groups=layout, lookback=lookback, hidden_size=hidden).to(device)
    naive = naive_copy(da_rnn)
    # the `lstm` baseline: nn.LSTM (cuDNN on GPU) over all F features, hidden G x H, linear head
    lstm = MODELS["lstm"](groups=layout, lookback=lookback, hidden_size=groups * hidden).to(device)
    x = torch.randn(batch, lookback, F, device=device)
    y = torch.randn(batch, device=device)
    for m in (fast, da_rnn, naive, lstm):
        m.train()
    steps = {name: train_step(m, x, y, amp) for name, m in
             (("pa_lstm", fast), ("da_rnn", da_rnn), ("naive", naive), ("lstm", lstm))}
    t = side_by_side(steps, repeats, device=device,
                     repeats_for={"naive": max(3, repeats // 3), "da_rnn": max(3, repeats // 3)})
    # inference: windows per second, eval mode, batches of 2048 windows as predict() uses
    xb = torch.randn(2048, lookback, F, device=device)
    for m in (fast, lstm):
        m.eval()

    def infer(m):
        def f():
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16,
                                                 enabled=amp and device.type == "cuda"):
                m(xb)
        return f
    ti = side_by_side({"pa_lstm": infer(fast), "lstm": infer(lstm)}, max(3, repeats // 3),
                      warmup=1, device=device)
    return {
        "config": {"batch": batch, "lookback": lookback, "groups": [len(g) for g in layout],
                   "hidden": hidden, "lstm_hidden": groups * hidden, "amp": amp and device.type == "cuda"},
        "step_ms": {k: 1000 * v for k, v in t.items()},
        "fast_over_lstm": t["pa_lstm"] / t["lstm"],
        "naive_over_fast": t["naive"] / t["da_rnn"],
        "infer_windows_per_s": {k: 2048 / v for k, v in ti.items()},
    }


def bench_cached_attention(device: torch.device, repeats: int = 7, epochs: int = 1) -> dict:
    """Re-open a cached PA-LSTM run from disk and compute the attention of one window."""
    ds = load_sample("urban")
    window = WindowSpec(lookback=30)
    with tempfile.TemporaryDirectory() as tmp:
        cache = ModelCache(tmp)
        run = train(ds.slice(0, 3000), "NOx", window=window,
                    config=TrainConfig(model="pa_lstm", epochs=epochs, device=str(device)), cache=cache)
        one = ds.slice(1000, 1000 + window.lookback + window.horizon)

        def reopen_and_explain():
            r = cache.load(run.key, device=str(device))
            att = r.explain(one)
            assert att.feature.shape[0] == 1

        t = side_by_side({"reopen": reopen_and_explain}, repeats, warmup=1, device=device)
    return {"reopen_explain_ms": 1000 * t["reopen"]}


def bench_explain(device: torch.device, quick: bool = False, epochs: int = 2) -> dict:
    """Integrated gradients (Captum, 50 steps) of one window and the deletion curve of the
    relevance map over the whole urban test span, PA-LSTM (lookback 30, default hidden size),
    timed side by side (the weights' quality does not change the cost)."""
    ds = load_sample("urban")
    run = train(ds, "NOx", window=WindowSpec(lookback=30),
                config=TrainConfig(model="pa_lstm", epochs=epochs, device=str(device)))
    rel = run.explain(ds, part="test").relevance
    n = len(rel)
    t = side_by_side({"ig": lambda: attribute(run, ds, windows=[n // 2], part="test", n_steps=50),
                      "deletion": lambda: deletion_curve(run, ds, rel, part="test")},
                     repeats=5 if quick else 9, warmup=1, device=device,
                     repeats_for={"deletion": 1 if quick else 3})
    return {"ig_one_window_s": t["ig"], "deletion_test_span_s": t["deletion"], "windows": n,
            "lookback": 30, "features": len(run.columns)}


_LOAD_CHILD = r"""
import json, resource, sys, time
import numpy as np
import palstm_core as pc
def status_kb(key):
    try:
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None
def peak_kb():
    # VmHWM: peak RSS of this process image. ru_maxrss is the fallback; on Linux it carries the
    # parent's high-water mark over fork + exec, so it can overstate a child's own peak.
    return status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
base = status_kb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
base_peak = peak_kb()
t0 = time.perf_counter()
ds = pc.load_csv(sys.argv[1])
dt = time.perf_counter() - t0
peak = peak_kb()
numeric = ds.frame.select_dtypes("number")
print(json.dumps({"seconds": dt, "rows": len(ds), "columns": ds.frame.shape[1],
                  "numeric_columns": numeric.shape[1], "peak_rss_kb": peak, "base_rss_kb": base,
                  "base_peak_kb": base_peak,
                  "frame_bytes": int(ds.frame.memory_usage(index=True, deep=True).sum())}))
"""


def make_big_csv(path: Path, rows: int, cols: int, seed: int = 0) -> Path:
    """A drive-like CSV: a time column (0.1 s steps) and ``cols - 1`` smooth positive sensor
    channels written as a real export writes float64 values: full precision (the shortest repr
    that reads back exactly, up to 17 significant digits; about 520 bytes a row at 30 columns),
    written in chunks."""
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".part")
    names = ["time_s"] + [f"sensor_{i:02d}" for i in range(1, cols)]
    chunk = 200_000
    level = rng.uniform(20, 80, size=cols - 1)
    with open(tmp, "w", newline="") as fh:
        fh.write(",".join(names) + "\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            walk = level + np.cumsum(rng.normal(scale=0.05, size=(n, cols - 1)), axis=0)
            walk = np.clip(walk, 10.0, 99.0)
            level = walk[-1]
            frame = pd.DataFrame(walk, columns=names[1:])
            frame.insert(0, "time_s", np.arange(start, start + n) * 0.1)
            frame.to_csv(fh, header=False, index=False)       # float_format=None: repr precision
    os.replace(tmp, path)
    return path


def bench_load(rows: int = 1_000_000, cols: int = 30, timeout: float = 600,
               csv_dir: str | None = None) -> dict:
    """Load a generated rows x cols CSV in a child process: seconds and the child's peak RSS
    (VmHWM, i.e. ru_maxrss of the child's own process image)."""
    folder = Path(csv_dir or tempfile.gettempdir())
    path = folder / f"palstm_bench_{rows}x{cols}_v3.csv"
    gen = 0.0
    if not path.exists():
        t0 = time.perf_counter()
        make_big_csv(path, rows, cols)
        gen = time.perf_counter() - t0
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    try:
        res = subprocess.run([sys.executable, "-c", _LOAD_CHILD, str(path)], capture_output=True,
                             text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"rows": rows, "cols": cols, "error": f"did not finish in {timeout:.0f} s",
                "csv_mb": path.stat().st_size / 2**20}
    if res.returncode != 0:
        return {"rows": rows, "cols": cols, "error": res.stderr.strip().splitlines()[-1:],
                "csv_mb": path.stat().st_size / 2**20}
    out = json.loads(res.stdout.strip().splitlines()[-1])
    f32 = out["rows"] * out["numeric_columns"] * 4
    kb = 1024
    out.update({
        "cols": cols, "csv_mb": path.stat().st_size / 2**20, "generate_seconds": gen,
        "float32_mb": f32 / 2**20,
        "peak_rss_mb": out["peak_rss_kb"] * kb / 2**20,
        "load_rss_mb": (out["peak_rss_kb"] - out["base_rss_kb"]) * kb / 2**20,
        "frame_mb": out["frame_bytes"] / 2**20,
    })
    # ru_maxrss is a high-water mark: if loading never rose above the peak reached while
    # importing, the "loading" figure is only an upper bound
    out["load_below_import_peak"] = out["peak_rss_kb"] <= out["base_peak_kb"]
    out["peak_over_f32"] = out["peak_rss_mb"] / out["float32_mb"]
    out["load_over_f32"] = out["load_rss_mb"] / out["float32_mb"]
    return out


def check_windows_are_views() -> dict:
    """Windows are strided views of the drive; a training batch is gathered by index."""
    x = np.zeros((1000, 5), np.float32)
    v = window_view(x, 30)
    return {"windows_are_views": bool(np.shares_memory(v, x)) and v.base is not None}


# ---------------------------------------------------------------------------- entry point
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def run_bench(device: str = "auto", quick: bool = False, load_rows: int | None = None,
              skip_load: bool = False, log: Callable[[str], None] = print) -> dict:
    dev = resolve_device(device)
    res: dict = {"device": str(dev), "quick": quick, "machine": machine()}
    log(f"bench on {dev} ({'quick' if quick else 'full'}); {res['machine']['cpu']}, "
        f"{res['machine']['cores']} cores, torch {torch.__version__}")
    t0 = time.perf_counter()
    log("train steps (pa_lstm, naive reference, nn.LSTM) ...")
    res["models"] = bench_models(dev, repeats=5 if quick else 15)
    log(f"  {time.perf_counter() - t0:.0f} s; re-open a cached run + attention of one window ...")
    res["cached"] = bench_cached_attention(dev, repeats=3 if quick else 7)
    res["windows"] = check_windows_are_views()
    if dev.type == "cpu":
        log(f"  {time.perf_counter() - t0:.0f} s; pa_lstm train step beside 2 busy processes ...")
        res["contention"] = bench_contention(dev, repeats=3 if quick else 7)
    log(f"  {time.perf_counter() - t0:.0f} s; one training epoch on 30 simulated drives x 3,600 "
        "rows vs the single urban drive ...")
    res["campaign"] = bench_campaign(dev, repeats=1 if quick else 3)
    log(f"  {time.perf_counter() - t0:.0f} s; wall-clock to a trained PA-LSTM and LSTM on a "
        + ("small simulated campaign (quick) ..." if quick else "60k-row simulated campaign ..."))
    res["campaign_wallclock"] = (bench_campaign_wallclock(dev, 3, 1200, config={"epochs": 2})
                                 if quick else bench_campaign_wallclock(dev))
    log(f"  {time.perf_counter() - t0:.0f} s; explanations: IG of one window, deletion curve of "
        "the urban test span ...")
    res["explain"] = bench_explain(dev, quick=quick)
    if not skip_load:
        rows = load_rows or (100_000 if quick else 1_000_000)
        log(f"  {time.perf_counter() - t0:.0f} s; load a generated {rows:,}-row x 30-column CSV "
            "in a child process ...")
        res["load"] = bench_load(rows)
    log(f"  {time.perf_counter() - t0:.0f} s in all")
    return res


def format_table(res: dict) -> str:
    m = res["models"]
    c = m["config"]
    s = m["step_ms"]
    dev = res["device"]
    target = 2.0 if dev.startswith("cuda") else 3.0
    lines = [
        f"device: {dev}   machine: {res['machine']['cpu']}, {res['machine']['cores']} cores, "
        f"torch {res['machine']['torch']} ({res['machine']['torch_threads']} threads)",
        f"train step: batch {c['batch']}, lookback {c['lookback']}, groups {c['groups']}, "
        f"hidden {c['hidden']} per group (nn.LSTM hidden {c['lstm_hidden']}), "
        f"bf16 autocast {'on' if c['amp'] else 'off'}; medians, warm-up excluded",
        "",
        f"| {'measure':70s} | {'value':>12s} | target |",
        f"|{'-' * 72}|{'-' * 14}|--------|",
    ]

    def row(name, value, tgt=""):
        lines.append(f"| {name:70s} | {value:>12s} | {tgt:6s} |")

    row("train step pa_lstm (as shipped)", f"{s['pa_lstm']:.1f} ms")
    if "da_rnn" in s:
        row("train step da_rnn (fast grouped encoder)", f"{s['da_rnn']:.1f} ms")
    row("train step naive reference DA-RNN encoder", f"{s['naive']:.1f} ms")
    row(f"train step nn.LSTM (hidden {c['lstm_hidden']})", f"{s['lstm']:.1f} ms")
    ok = m["fast_over_lstm"] <= target
    row("ratio pa_lstm / nn.LSTM", f"{m['fast_over_lstm']:.2f}x", f"≤{target:g} {'ok' if ok else 'NO'}")
    ok = m["naive_over_fast"] >= 5
    row("ratio naive / da_rnn (fast encoder)", f"{m['naive_over_fast']:.2f}x", f"≥5 {'ok' if ok else 'NO'}")
    w = m["infer_windows_per_s"]
    row("inference pa_lstm (windows/s, batch 2048)", f"{w['pa_lstm']:,.0f}")
    row("inference nn.LSTM (windows/s, batch 2048)", f"{w['lstm']:,.0f}")
    row("re-open cached run + attention of one window", f"{res['cached']['reopen_explain_ms']:.0f} ms")
    row("windows are views of the drive", "yes" if res["windows"]["windows_are_views"] else "NO")
    cn = res.get("contention")
    if cn:
        row(f"train step pa_lstm, {cn['idle_threads']} thread(s), no extra load", f"{cn['idle_ms']:.1f} ms")
        row(f"train step pa_lstm beside {cn['hogs']} busy processes ({cn['busy_threads']} thr.)",
            f"{cn['busy_ms']:.1f} ms")
        ok = cn["ratio"] <= 3
        row("ratio busy / no extra load", f"{cn['ratio']:.2f}x", f"≤3 {'ok' if ok else 'NO'}")
    for r in campaign_rows(res):
        row(*r)
    ex = res.get("explain")
    if ex:
        ok = ex["ig_one_window_s"] < 0.5
        row("integrated gradients, 50 steps, one window", f"{ex['ig_one_window_s']:.2f} s",
            f"<0.5 s {'ok' if ok else 'NO'}")
        ok = ex["deletion_test_span_s"] < 20
        row(f"deletion curve, urban test span ({ex['windows']} windows)",
            f"{ex['deletion_test_span_s']:.1f} s", f"<20 s {'ok' if ok else 'NO'}")
    ld = res.get("load")
    if ld:
        label = f"{ld['rows']:,} x {ld['cols']} CSV ({ld['csv_mb']:.0f} MB)"
        if "error" in ld:
            row(f"load {label}", "failed", "")
            lines.append(f"  load error: {ld['error']}")
        else:
            ok = ld["seconds"] < 10
            row(f"load {label}", f"{ld['seconds']:.1f} s", f"<10 s {'ok' if ok else 'NO'}")
            row("peak RSS of the loading process", f"{ld['peak_rss_mb']:.0f} MB")
            bound = " (≤)" if ld.get("load_below_import_peak") else ""
            row("  of which loading (above post-import baseline)", f"{ld['load_rss_mb']:.0f} MB{bound}")
            if bound:
                lines.append("  (≤: loading stayed below the peak reached while importing torch/pandas, "
                             "so this is an upper bound)")
            row("float32 size of the data", f"{ld['float32_mb']:.0f} MB")
            ok = ld["load_over_f32"] < 3
            row("ratio loading RSS / float32 data", f"{ld['load_over_f32']:.2f}x", f"<3 {'ok' if ok else 'NO'}")
            row("ratio whole-process peak RSS / float32 data", f"{ld['peak_over_f32']:.2f}x")
            row("resulting DataFrame in memory", f"{ld['frame_mb']:.0f} MB")
    return "\n".join(lines)
