"""Held-out vehicle benchmark: how far a fleet model misses a vehicle it never saw (trip CO2
total), and how much calibrating it on the first 2 / 5 / 10 minutes of that vehicle's drive helps.

    python -m palstm_core.fleet_bench [--out docs/benchmarks.md] [--skip-real]

Simulated fleet (``simulate_fleet``, 5 cars of 1.0–3.0 l and 1100–2300 kg, 3 routes each): the
SUV (2.5 l, 1900 kg) is held out; the fleet runs are trained on the other 4 cars' 12 drives
(time split 70/15/15 inside each), without and with the vehicle covariates (engine displacement,
mass); each is calibrated on the first N minutes of the SUV's 22-minute drive and scored on the
rest. Real logs (``../shared/real-logs/processed/``, the trips of ``leaderboard_real``): one
vehicle is held out, the fleet run is trained on the other's trips, and calibrated on the first
N minutes of the held-out vehicle's first trip. With one training vehicle a covariate is
constant in training, so "fleet + covariates" has nothing to learn from there (n/a).

Inputs (both): PA-LSTM, hidden 16, 20 epochs, lookback 20, horizon 0 (the current second), CO2
mass rate from speed, acceleration and rpm (+ engine load on the simulated fleet, slope on the
real logs); no fuel rate or air flow, from which CO2 follows directly. Calibration:
``CalibrationSettings()`` defaults. "this drive only": the same model trained on the same N
minutes alone. Trip-total error = (predicted − measured) / measured of the grams over the test
rows (``pc.trip_results``); every column of one row is scored on the same rows.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .cache import ModelCache
from .data import Campaign, Dataset
from .grouping import SensorGrouping
from .leaderboard import write_block
from .leaderboard_real import trips
from .simulate_fleet import fleet_grouping, load_fleet
from .training import TrainConfig, train
from .training.calibrate import CalibrationSettings, calibrate
from .windows import WindowSpec

MINUTES = (2, 5, 10)
CONFIG = TrainConfig(model="pa_lstm", hidden_size=16, epochs=20, device="cpu")
WINDOW = WindowSpec(lookback=20, horizon=0)
REAL_GROUPS = {"engine": ["rpm"], "motion": ["speed", "accel", "slope"]}
START, END = "<!-- fleet:start -->", "<!-- fleet:end -->"
SEEDS_START, SEEDS_END = "<!-- fleet-seeds:start -->", "<!-- fleet-seeds:end -->"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def held_out_rows(fleets: dict[str, object], drive: Dataset, cache=None) -> list[dict]:
    """One row per minutes N (and N = 0: the fleet runs on the whole drive): trip error % and
    R² of each fleet run, its calibration and the drive-only run, on the rows after N min."""
    rows = []
    for minutes in MINUTES:
        row = {"minutes": minutes}
        for label, run in fleets.items():
            t0 = time.perf_counter()
            cal = calibrate(run, drive, minutes, cache=cache)
            c = cal.comparison.set_index("model")
            row[label] = (c.loc["fleet", "error_pct"], c.loc["fleet", "r2"])
            row[f"calibrated {label}"] = (c.loc["calibrated", "error_pct"],
                                          c.loc["calibrated", "r2"])
            row["this drive only"] = (c.loc["this drive only", "error_pct"],
                                      c.loc["this drive only", "r2"])
            row["test min"] = cal.rows["test"] / 60.0
            _log(f"{drive.name} {label} {minutes} min: {c['error_pct'].round(2).tolist()} "
                 f"({time.perf_counter() - t0:.0f} s)")
        rows.append(row)
    return rows


def _sim_fleets(cache=None, seed: int = 0) -> tuple[dict[str, object], Dataset]:
    """The two simulated fleet runs (without, with covariates; training seed ``seed``) and the
    SUV's long drive."""
    camp = load_fleet()
    train_camp = Campaign({n: d for n, d in camp.drives.items() if not n.startswith("suv_")},
                          name="simulated fleet without the SUV")
    fleets = {}
    for label, cov in (("fleet", False), ("fleet + covariates", True)):
        t0 = time.perf_counter()
        fleets[label] = train(train_camp, "CO2", fleet_grouping(cov), WINDOW,
                              replace(CONFIG, seed=seed), cache=cache)
        _log(f"simulated {label}, seed {seed}: trained in {time.perf_counter() - t0:.0f} s")
    return fleets, camp["suv_long"]


def simulated(cache=None) -> tuple[list[dict], list[str]]:
    fleets, drive = _sim_fleets(cache)
    return held_out_rows(fleets, drive, cache), list(fleets)


def seeds_table(seeds: list[int], cache=None) -> str:
    """Trip-total error on the rest of the SUV's drive after 5 minutes, per training seed."""
    lines = ["| seed | fleet | calibrated fleet (5 min) | fleet + covariates | calibrated fleet + "
             "covariates (5 min) |", "|---|---|---|---|---|"]
    for seed in seeds:
        fleets, drive = _sim_fleets(cache, seed)
        cells = []
        for run in fleets.values():
            c = calibrate(run, drive, 5, cache=cache, settings=CalibrationSettings(
                compare=False)).comparison["error_pct"]
            cells += [f"{c.iloc[0]:+.1f} %", f"{c.iloc[1]:+.1f} %"]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _real_drives() -> dict[str, Dataset]:
    out = {}
    for name, frame in trips():
        units = {"CO2": "g/s", "speed": "km/h", "accel": "m/s2", "rpm": "1/min", "slope": "%"}
        out[name] = Dataset(frame=frame, time_column="time", units=units, name=name)
    return out


def real(cache=None) -> dict[str, tuple[list[dict], list[str]]]:
    drives = _real_drives()
    vehicles = sorted({n.split(" trip ")[0] for n in drives})
    out = {}
    for held in vehicles:
        others = Campaign({n: d for n, d in drives.items() if not n.startswith(held)},
                          name=f"real logs without {held}")
        t0 = time.perf_counter()
        run = train(others, "CO2", SensorGrouping(REAL_GROUPS), WINDOW, CONFIG, cache=cache)
        _log(f"real, {held} held out: fleet trained in {time.perf_counter() - t0:.0f} s")
        out[held] = (held_out_rows({"fleet": run}, drives[f"{held} trip 1"], cache), ["fleet"])
    return out


def table(rows: list[dict], labels: list[str]) -> str:
    cols = labels + [f"calibrated {lb}" for lb in labels] + ["this drive only"]
    lines = ["| calibration minutes | test part (min) | " + " | ".join(cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            err, r2 = r.get(c, (np.nan, np.nan))
            cells.append(f"{err:+.1f} % (R² {r2:.2f})" if np.isfinite(err) else "n/a")
        lines.append(f"| {r['minutes']} | {r['test min']:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(sim, real_rows, load: str) -> str:
    body = [f"## Held-out vehicle: trip CO2 total, fleet vs calibrated\n\n"
            f"{__doc__.split(chr(10), 3)[3]}\nEach cell: trip-total error of CO2 on the test part "
            f"(R² per second). Seed 0; 1-minute load average at the start: {load}. Generated by "
            "`python -m palstm_core.fleet_bench`.\n",
            "### Simulated fleet, SUV held out\n", table(*sim) + "\n"]
    for held, (rows, labels) in (real_rows or {}).items():
        body += [f"### Real logs, {held} held out (fleet + covariates: n/a, one training "
                 "vehicle)\n", table(rows, labels) + "\n"]
    return "\n".join(body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m palstm_core.fleet_bench")
    p.add_argument("--out", default="-", help="markdown file to update (between the fleet "
                   "markers), or - for stdout")
    p.add_argument("--skip-real", action="store_true", help="leave out the real logs")
    p.add_argument("--seeds", type=int, nargs="+",
                   help="only the simulated 5-minute calibration for these training seeds")
    p.add_argument("--cache-dir", help="run cache (default: none)")
    args = p.parse_args(argv)
    cache = ModelCache(args.cache_dir) if args.cache_dir else None
    load = f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    if args.seeds:
        text = (f"#### Simulated fleet, SUV held out: trip-total error after 5 minutes, per "
                f"training seed\n\n{seeds_table(args.seeds, cache)}\n\n1-minute load average "
                f"at the start: {load}. `python -m palstm_core.fleet_bench --seeds "
                f"{' '.join(map(str, args.seeds))}`.\n")
        markers = (SEEDS_START, SEEDS_END)
    else:
        text = render(simulated(cache), None if args.skip_real else real(cache), load)
        markers = (START, END)
    print(text)
    if args.out != "-":
        write_block(Path(args.out), *markers, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
