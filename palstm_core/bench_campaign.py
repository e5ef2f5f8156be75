"""Campaign rows of ``python -m palstm_core bench``: one epoch on a simulated campaign vs one
drive, wall-clock to a trained model on a 60k-row campaign, and planted-source recovery
(``bench`` uses them; this module does not import ``bench``)."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from . import simulate
from .data import Campaign, Dataset, load_sample
from .explain import attribute
from .grouping import SensorGrouping
from .training import TrainConfig, train
from .training.loop import auto_threads
from .windows import WindowSpec


def _sim_campaign(n_drives: int, rows: int):
    """``n_drives`` simulated drives of ``rows`` rows each (urban/rural/motorway mixes, one seed
    each), as a Campaign."""
    kinds = ["urban", "rural", "motorway"]
    drives = {}
    for i in range(n_drives):
        plan = [(kinds[(i + j) % 3], rows // 180 + 1) for j in range(3)]
        frame = simulate.simulate_drive(phases=plan, seed=100 + i).iloc[:rows].reset_index(drop=True)
        drives[f"sim{i + 1:02d}"] = Dataset(frame, "time", name=f"sim{i + 1:02d}", simulated=True)
    return Campaign(drives, name=f"{n_drives} simulated drives")


def bench_campaign(device: torch.device, n_drives: int = 30, rows: int = 3600,
                   repeats: int = 2) -> dict:
    """Seconds per training window of one epoch (forward, backward, Adam, validation pass) on a
    campaign of ``n_drives`` × ``rows`` vs the single-drive urban sample (3,600 rows); the two
    are trained alternately, the median of ``repeats`` each. Same model and settings."""
    camp = _sim_campaign(n_drives, rows)
    single = load_sample("urban")
    cfg = TrainConfig(model="pa_lstm", hidden_size=32, epochs=1, batch_size=128,
                      device=str(device))
    spec = WindowSpec(30, 1)
    per: dict[str, list[float]] = {"campaign": [], "single": []}
    n_windows = {}
    for _ in range(repeats):
        for name, data in (("single", single), ("campaign", camp)):
            run = train(data, "NOx", window=spec, config=cfg)
            n_windows[name] = len(run.predict(data, part="train"))
            per[name].append(run.history[0]["seconds"] / n_windows[name])
    out = {name: float(np.median(v)) for name, v in per.items()}
    return {"drives": n_drives, "rows": rows, "windows": n_windows,
            "us_per_window": {k: v * 1e6 for k, v in out.items()},
            "campaign_over_single": out["campaign"] / out["single"]}


# the 8 OBD channels of the wall-clock campaign (CO2 from OBD, as the McGill campaign of issue 20)
OBD_GROUPS = {"engine": ["rpm", "load", "throttle", "MAF", "fuel_rate", "lambda"],
              "motion": ["speed", "accel"]}


def _xgb_lags_mae(camp, target: str, cols: list[str], test: str, lookback: int) -> float:
    """XGBoost on lags 0..2 of ``cols`` (400 rounds, eta 0.05, depth 6, one thread), trained on
    every drive but ``test`` and scored on the rows of ``test`` that the window models score."""
    import xgboost as xgb

    def rows(frame):
        x = pd.concat([frame[cols].shift(k).add_suffix(f"_l{k}") for k in range(3)], axis=1)
        return x.iloc[2:], frame[target].iloc[2:]
    fit = [rows(d.frame) for n, d in camp.drives.items() if n != test]
    x_fit = pd.concat([a for a, _ in fit]).to_numpy()
    y_fit = pd.concat([b for _, b in fit]).to_numpy()
    x_te, y_te = rows(camp.drives[test].frame)
    x_te, y_te = x_te.iloc[lookback - 3:], y_te.iloc[lookback - 3:]     # complete windows only
    params = {"eta": 0.05, "max_depth": 6, "subsample": 0.8, "nthread": 1, "seed": 0,
              "objective": "reg:squarederror"}
    m = xgb.train(params, xgb.DMatrix(x_fit, y_fit), num_boost_round=400)
    return float(np.mean(np.abs(m.predict(xgb.DMatrix(x_te.to_numpy())) - y_te.to_numpy())))


def bench_campaign_wallclock(device: torch.device, n_drives: int = 8, rows: int = 7500,
                             models: Sequence[str] = ("pa_lstm", "lstm"),
                             config: dict | None = None, xgb: bool = True,
                             log: Callable[[str], None] | None = None) -> dict:
    """Wall-clock to a trained model (``train()`` with ``TrainConfig`` defaults, early stopping
    included) on a simulated campaign of ``n_drives`` × ``rows`` rows (8 × 7,500 = 60k rows at
    1 Hz, the size of the McGill campaign of issue 20): CO2 from the 8 OBD channels of
    ``OBD_GROUPS``, lookback 30, horizon 0, the last drive held out whole. Returns seconds,
    epochs and held-out MAE per model, the PA-LSTM ÷ LSTM time ratio, and an XGBoost on lags
    0..2 of the same channels scored on the same rows."""
    camp = _sim_campaign(n_drives, rows)
    keep = ["time", "CO2"] + [c for cols in OBD_GROUPS.values() for c in cols]
    camp = Campaign({n: Dataset(d.frame[keep], "time", name=n, simulated=True)
                     for n, d in camp.drives.items()}, name=camp.name)
    test = list(camp.drives)[-1]
    spec = WindowSpec(lookback=30, horizon=0, test_drives=[test])
    # "auto" threads chosen once for both: auto_threads() reads the load average, which the
    # first model's training raises (measured: PA-LSTM first got 2 threads, the LSTM after it 1)
    config = {"cpu_threads": auto_threads("pa_lstm") if device.type == "cpu" else 0,
              **(config or {})}
    out: dict = {"drives": n_drives, "rows": rows, "test_drive": test, "models": {},
                 "threads": config["cpu_threads"] or None}
    for name in models:
        t0, c0 = time.perf_counter(), time.process_time()
        run = train(camp, "CO2", SensorGrouping(OBD_GROUPS), spec,
                    TrainConfig(model=name, device=str(device), **config))
        out["models"][name] = {"seconds": time.perf_counter() - t0,
                               "cpu_seconds": time.process_time() - c0,
                               "device": run.timings.get("device"),
                               "epochs": len(run.history), "best_epoch": run.timings["best_epoch"],
                               "mae": run.metrics["mae"], "r2": run.metrics["r2"]}
        if log:
            log(f"  {name}: {out['models'][name]}")
    if "pa_lstm" in out["models"] and "lstm" in out["models"]:
        pa, ls = out["models"]["pa_lstm"], out["models"]["lstm"]
        out["pa_over_lstm"] = pa["seconds"] / ls["seconds"]
        # CPU seconds of the process: the same ratio on a machine shared with other work
        out["pa_over_lstm_cpu"] = pa["cpu_seconds"] / ls["cpu_seconds"]
    if xgb:
        out["xgb_lags_0_2_mae"] = _xgb_lags_mae(camp, "CO2", keep[2:], test, 30)
    return out


def bench_planted_sources(case: str = "two groups", seeds: Sequence[int] = range(10),
                          model: str = "pa_lstm", epochs: int = 8, hidden: int = 16,
                          lookback: int = 20, n_rows: int = 3000, ig: bool = False) -> dict:
    """"Which sensor when" on ``simulate.planted_sources`` data: per seed, train ``model`` and
    check whether the planted (sensor, lag) cells are the top-n cells (n = number of sources)
    of the test-span mean relevance map (and of the mean |IG| map when ``ig``)."""
    from .explain.agreement import top_cells
    per = []
    for seed in seeds:
        ds, grouping, info = simulate.planted_sources(case, n_rows=n_rows, seed=seed)
        run = train(ds, "target", grouping, WindowSpec(lookback=lookback, horizon=0),
                    TrainConfig(model=model, hidden_size=hidden, epochs=epochs, seed=seed,
                                device="cpu"))
        want = set(info["sources"])
        row = {"seed": seed, "r2": run.metrics["r2"]}
        att = run.explain(ds, part="test")
        if att.relevance is not None:
            top = top_cells(att.relevance.mean(0), att.features, len(want))
            row["relevance_top"], row["relevance_hit"] = top, set(top) == want
        if ig:
            values = attribute(run, ds, "integrated_gradients", part="test", n_steps=20).values
            top = top_cells(np.abs(values).mean(0), att.features, len(want))
            row["ig_top"], row["ig_hit"] = top, set(top) == want
        per.append(row)
    hits = {m: sum(r[f"{m}_hit"] for r in per) for m in ("relevance", "ig") if f"{m}_hit" in per[0]}
    return {"case": case, "model": model, "seeds": len(per), "hits": hits, "per_seed": per}


def campaign_rows(res: dict) -> list[tuple[str, str, str]]:
    """The (measure, value, target) rows of ``bench.format_table`` for the campaign results."""
    out = []
    cp = res.get("campaign")
    if cp:
        us = cp["us_per_window"]
        out.append(("epoch per window, single urban drive", f"{us['single']:.0f} µs", ""))
        out.append((f"epoch per window, {cp['drives']} drives x {cp['rows']:,} rows",
                    f"{us['campaign']:.0f} µs", ""))
        ok = cp["campaign_over_single"] <= 1.3
        out.append(("ratio campaign / single drive (per window)",
                    f"{cp['campaign_over_single']:.2f}x", f"≤1.3 {'ok' if ok else 'NO'}"))
    cw = res.get("campaign_wallclock")
    if cw and "pa_over_lstm" in cw:
        n = cw["drives"] * cw["rows"]
        rows = f"{n // 1000}k-row campaign" if n >= 1000 else f"{n}-row campaign"
        ms = cw["models"]
        out.append((f"wall-clock to trained PA-LSTM, {rows}", f"{ms['pa_lstm']['seconds']:.0f} s", ""))
        out.append((f"wall-clock to trained LSTM, {rows}", f"{ms['lstm']['seconds']:.0f} s", ""))
        ok = cw["pa_over_lstm"] <= 3
        threads = f", {cw['threads']} CPU thread(s) each" if cw.get("threads") else ""
        out.append((f"PA-LSTM ÷ LSTM wall-clock to trained model, {rows}, defaults{threads}",
                    f"{cw['pa_over_lstm']:.2f}x", f"≤3 {'ok' if ok else 'NO'}"))
        mae = f"{ms['pa_lstm']['mae']:.3f} / {ms['lstm']['mae']:.3f}"
        if "xgb_lags_0_2_mae" in cw:
            mae += f" / {cw['xgb_lags_0_2_mae']:.3f}"
        out.append(("  held-out drive MAE PA-LSTM / LSTM / XGBoost lags 0..2", mae, ""))
    return out
