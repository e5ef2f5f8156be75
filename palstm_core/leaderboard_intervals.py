"""How sure the predictions are: coverage and width of the 90 % split-conformal interval per
model, on data the calibration never saw, and the 5-s early warning on the urban sample.

    python -m palstm_core.leaderboard_intervals [--models linear lstm pa_lstm gru] [--out -]

Cases (seed 0, ``TrainConfig`` defaults, calibration ``method="auto"`` from each run's own
validation part, as ``train`` stores it in ``run.intervals``):

* *urban*: the urban sample (simulated), NOx from the sensors, default window, test = its last
  15 %;
* *real logs*: each trip of ``../shared/real-logs/processed/`` (``leaderboard_real``: CO2 rate
  from 9 OBD channels, lookback 30, horizon 0, split 70 / 15 / 15 %), test = the trip's last 15 %;
* *campaign*: the sample campaign (six simulated drives of one car), NOx, the drive
  ``trip06_rural`` held out whole as the test part; the calibration comes from the validation
  spans (15 % / 85 %) of the other five drives, so the test is a shift to another drive;
* *warning*: the urban sample with 5-step forecasts (``WindowSpec(steps=5)``), threshold = the
  90th percentile of NOx over the test part (the Results page's default), lead 5 steps (5 s at 1 Hz), alarm probability 0.5.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .data import Dataset, load_sample, load_sample_campaign

from .early_warning import early_warning
from .grouping import suggest_groups
from .intervals import TRIM
from .leaderboard import DEFAULT_OUT, write_block
from .leaderboard_real import train_trip, trips
from .training import TrainConfig, device_name, train
from .windows import WindowSpec

START, END = "<!-- intervals:start -->", "<!-- intervals:end -->"
MODELS = ["linear", "lstm", "pa_lstm", "gru"]
HELD_OUT = "trip06_rural"


def _row(case: str, model: str, run, seconds: float) -> dict:
    iv = run.intervals
    return {"case": case, "model": model, "method": iv.get("method"),
            "calibration_windows": iv.get("calibration_windows"), **iv.get("overall", {}),
            "by_drive": iv.get("by_drive", {}), "seconds": seconds,
            "mae": run.metrics["mae"]}


def _timed(fn):
    t0 = time.perf_counter()
    run = fn()
    return run, time.perf_counter() - t0


def urban(model: str, seed: int) -> dict:
    ds = load_sample("urban")
    run, s = _timed(lambda: train(ds, "NOx", suggest_groups(ds, "NOx"), WindowSpec(),
                                  TrainConfig(model=model, seed=seed)))
    return _row("urban sample, last 15 %", model, run, s)


def real_logs(model: str, seed: int) -> list[dict]:
    out = []
    for name, frame in trips():
        ds = Dataset(frame=frame, time_column="time", name=name)
        run, s = _timed(lambda: train_trip(ds, model, seed))
        out.append(_row(f"real logs: {name}, last 15 %", model, run, s))
    return out


def campaign(model: str, seed: int) -> dict:
    camp = load_sample_campaign()
    run, s = _timed(lambda: train(camp, "NOx", None, WindowSpec(test_drives=[HELD_OUT]),
                                  TrainConfig(model=model, seed=seed)))
    return _row(f"campaign: {HELD_OUT} held out", model, run, s)


def warning(model: str, seed: int) -> dict:
    ds = load_sample("urban")
    run, s = _timed(lambda: train(ds, "NOx", suggest_groups(ds, "NOx"), WindowSpec(steps=5),
                                  TrainConfig(model=model, seed=seed)))
    test = run.predict(ds, part="test")
    thr = float(np.nanpercentile(test["actual"], 90))
    w = early_warning(run, ds, thr, lead=5, probability=0.5, predictions=test)
    return {"case": "warning", "model": model, "threshold": thr, "lead_s": w.lead_s,
            **w.total, "coverage_5step": run.intervals["overall"]["coverage"],
            "tradeoff": w.tradeoff().to_dict("records"), "seconds": s}


CASES = {"urban": urban, "real": real_logs, "campaign": campaign, "warning": warning}


def _cell(r: dict) -> str:
    return f"{r['coverage']:.3f} / {r['width']:.3g}"


def table(results: list[dict]) -> str:
    rows = [r for r in results if r["case"] != "warning"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    cases = list(dict.fromkeys(r["case"] for r in rows))
    lines = ["| test part | " + " | ".join(f"{m}: coverage / width" for m in models) + " |",
             "|---|" + "---|" * len(models)]
    for c in cases:
        got = {r["model"]: r for r in rows if r["case"] == c}
        lines.append(f"| {c} | " + " | ".join(
            _cell(got[m]) + f" ({got[m]['method']})" if m in got else "–" for m in models) + " |")
    return "\n".join(lines)


def warning_table(results: list[dict]) -> str:
    rows = [r for r in results if r["case"] == "warning"]
    lines = ["| model | crossings | hits | misses | false alarms | mean warning time (s) | "
             "90 % coverage, all 5 steps |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['crossings']} | {r['hits']} | {r['misses']} | "
              f"{r['false_alarms']} | {r['mean_warning_s']:.1f} | {r['coverage_5step']:.3f} |"
              for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m palstm_core.leaderboard_intervals",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-results", help="append each result (JSON lines) to this file")
    p.add_argument("--load-results", nargs="+", default=[], help="JSON-lines files from before")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--note", default="")
    args = p.parse_args(argv)
    results = [json.loads(ln) for f in args.load_results for ln in Path(f).read_text().splitlines()
               if ln.strip()]
    for case in ([] if args.load_results else args.cases):
        for model in args.models:
            got = CASES[case](model, args.seed)
            for r in got if isinstance(got, list) else [got]:
                results.append(r)
                print(json.dumps({k: v for k, v in r.items() if k != "tradeoff"}),
                      file=sys.stderr, flush=True)
                if args.save_results:
                    with open(args.save_results, "a") as fh:
                        fh.write(json.dumps(r) + "\n")
    text = (f"## How sure the predictions are: 90 % intervals (issue 23)\n\n"
            f"{__doc__.split(chr(10), 3)[3]}\nCells: coverage of the 90 % interval on the test "
            "part / its mean width (target units: NOx mg/s, CO2 g/s), and the method the "
            f"\"auto\" choice took (the cross-fitted Winkler score, its top {TRIM * 100:g} % "
            f"trimmed). Seed {args.seed}, {device_name('auto')}."
            + (f" {args.note}" if args.note else "") + f"\n\n{table(results)}\n\n"
            f"Early warning, urban sample, lead 5 s:\n\n{warning_table(results)}\n")
    print(text)
    if args.out != "-":
        write_block(Path(args.out), START, END, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
