"""Real PEMS logs: CO2 rate [g/s] at the current second from OBD channels, PA-LSTM (and other
models of this package) vs the authors' XGBoost recipe, on the same rows.

    python -m palstm_core.leaderboard --real-logs [--models pa_lstm lstm] [--steps N] [--out -]

Data: the processed exports in ``../shared/real-logs/processed/`` (read with pandas so the unit-
qualified column names stay distinct). A trip is the rows between gaps of more than 10 minutes.
Per trip: chronological split 70 / 15 / 15 %, test = the last 15 % of the trip (rows with a
complete 30-s window). Models of this package: ``TrainConfig`` defaults, lookback 30, horizon 0
(the current second), groups engine = {rpm, MAF, MAP, fuel rate, Phi, intake temp} and motion =
{speed, acceleration, slope}. XGBoost (the authors' recipe): inputs at t, t-1, t-2, trained on
every row before the test part, 400 rounds, eta 0.05, depth 6, subsample 0.8, one thread;
(a) engine speed, acceleration, slope; (b) all 9 OBD channels.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .data import DataError, Dataset
from .grouping import SensorGrouping
from .training import TrainConfig, train
from .windows import WindowSpec

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT.parent / "shared" / "real-logs" / "processed"
START, END = "<!-- real-logs:start -->", "<!-- real-logs:end -->"
RENAME = {"Engine Speed [rpm]": "rpm", "Vehicle Speed [km.h-1]": "speed",
          "Acceleration [m.s-2]": "accel", "Mass Air Flow Rate [g.s-1]": "MAF",
          "Intake Manifold Absolute Pressure [kpa]": "MAP", "Intake Air Temperature [c]":
          "intake_temp", "Fuel Rate [l.h-1]": "fuel_rate", "Phi": "phi", "Slope [%]": "slope",
          "CO2 Rate [g.s-1]": "CO2"}
OBD = ["rpm", "speed", "accel", "MAF", "MAP", "intake_temp", "fuel_rate", "phi", "slope"]
GROUPS = {"engine": ["rpm", "MAF", "MAP", "fuel_rate", "phi", "intake_temp"],
          "motion": ["speed", "accel", "slope"]}
LOOKBACK, SPLIT, GAP_S = 30, (0.7, 0.15, 0.15), 600


def trips(folder: Path = LOGS):
    """(name, frame) per trip of each processed export."""
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise DataError("No processed exports in ../shared/real-logs/processed/.")
    for f in files:
        d = pd.read_csv(f)
        t = pd.to_datetime(d["DateTime"])
        d = d[list(RENAME)].rename(columns=RENAME)
        d.insert(0, "time", (t - t.iloc[0]).dt.total_seconds().to_numpy())
        cut = np.flatnonzero(np.diff(d["time"].to_numpy()) > GAP_S) + 1
        for i, rows in enumerate(np.split(np.arange(len(d)), cut)):
            yield f"{f.stem} trip {i + 1}", d.iloc[rows].reset_index(drop=True)


def xgb_mae(frame: pd.DataFrame, test_start: int, cols: list[str], test_rows: np.ndarray) -> float:
    import xgboost as xgb
    x = pd.concat([frame[cols].shift(k).add_suffix(f"_l{k}") for k in range(3)], axis=1)
    y = frame["CO2"]
    fit_rows = np.arange(2, test_start)
    params = {"eta": 0.05, "max_depth": 6, "subsample": 0.8, "nthread": 1, "seed": 0,
              "objective": "reg:squarederror"}
    m = xgb.train(params, xgb.DMatrix(x.iloc[fit_rows].to_numpy(), y.iloc[fit_rows].to_numpy()),
                  num_boost_round=400)
    p = m.predict(xgb.DMatrix(x.iloc[test_rows].to_numpy()))
    return float(np.mean(np.abs(p - y.iloc[test_rows].to_numpy())))


def train_trip(ds: Dataset, model: str, seed: int = 0, steps: int = 1):
    """The real-logs recipe, shared by every table of the trips: CO2 of the current second from
    ``GROUPS``, lookback ``LOOKBACK``, split ``SPLIT`` in time, ``steps`` forecast steps, CPU."""
    return train(ds, "CO2", SensorGrouping(GROUPS),
                 WindowSpec(lookback=LOOKBACK, horizon=0, split=SPLIT, steps=steps),
                 TrainConfig(model=model, seed=seed, device="cpu"))


def evaluate_trip(name: str, frame: pd.DataFrame, models: list[str], seed: int = 0) -> dict:
    n = len(frame)
    test_start = int(round(n * (SPLIT[0] + SPLIT[1])))
    test_rows = np.arange(max(test_start, LOOKBACK - 1), n)
    row = {"trip": name, "rows": n, "test_rows": len(test_rows),
           "xgb (rpm, accel, slope; 2 lags)": xgb_mae(frame, test_start, ["rpm", "accel", "slope"], test_rows),
           "xgb (all 9 OBD; 2 lags)": xgb_mae(frame, test_start, OBD, test_rows)}
    ds = Dataset(frame=frame, time_column="time", name=name)
    for model in models:
        t0 = time.perf_counter()
        run = train_trip(ds, model, seed)
        test = run.predict(ds, part="test")
        if len(test) != len(test_rows):
            raise DataError(f"{name}: {model} scored {len(test)} rows, XGBoost {len(test_rows)}.")
        row[model] = float(np.mean(np.abs(test["actual"] - test["predicted"])))
        row[f"{model} s"] = time.perf_counter() - t0
        print(f"{name}: {model} MAE {row[model]:.4f} g/s ({row[f'{model} s']:.0f} s)",
              file=sys.stderr, flush=True)
    return row


def table(rows: list[dict], models: list[str]) -> str:
    cols = models + ["xgb (rpm, accel, slope; 2 lags)", "xgb (all 9 OBD; 2 lags)"]
    lines = ["| trip | test rows | " + " | ".join(f"{c} MAE (g/s)" for c in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for r in rows:
        best = min(r[c] for c in cols)
        cells = [f"**{r[c]:.4f}**" if r[c] == best else f"{r[c]:.4f}" for c in cols]
        lines.append(f"| {r['trip']} | {r['test_rows']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evaluate_trip_steps(name: str, frame: pd.DataFrame, models: list[str], seed: int,
                        steps: int) -> dict:
    """Forecasts of the current second and the ``steps`` - 1 after it from each window
    (``WindowSpec(steps=steps)``): per model the test MAE over all (window, step) rows, of step 1
    and of the last step. XGBoost's recipe forecasts one value and is left out."""
    ds = Dataset(frame=frame, time_column="time", name=name)
    row: dict = {"trip": name, "rows": len(frame)}
    for model in models:
        t0 = time.perf_counter()
        run = train_trip(ds, model, seed, steps)
        test = run.predict(ds, part="test")
        err = (test["actual"] - test["predicted"]).abs()
        row["test_windows"] = int(test["origin"].nunique())
        row[model] = (float(err.mean()), float(err[test["step"] == 1].mean()),
                      float(err[test["step"] == steps].mean()))
        row[f"{model} s"] = time.perf_counter() - t0
        print(f"{name}: {model} MAE {row[model][0]:.4f} g/s over {steps} steps "
              f"({row[f'{model} s']:.0f} s)", file=sys.stderr, flush=True)
    return row


def table_steps(rows: list[dict], models: list[str], steps: int) -> str:
    head = " | ".join(f"{m} MAE (g/s): all steps / step 1 / step {steps}" for m in models)
    lines = [f"| trip | test windows | {head} |", "|---|---|" + "---|" * len(models)]
    for r in rows:
        cells = [" / ".join(f"{v:.4f}" for v in r[m]) for m in models]
        lines.append(f"| {r['trip']} | {r['test_windows']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def block(models: list[str], seeds: list[int], steps: int = 1) -> tuple[str, str, str]:
    """(text, start marker, end marker) of the real-logs block of docs/benchmarks.md (the table
    is printed as well); ``leaderboard.write_block`` puts it in the file."""
    if steps > 1:
        rows = [evaluate_trip_steps(name, frame, models, seeds[0], steps)
                for name, frame in trips()]
        body = table_steps(rows, models, steps)
        text = (f"## Real PEMS logs, {steps}-step forecasts: CO2 rate [g/s] from OBD channels"
                f"\n\nThe set-up of the real-logs table above, with `WindowSpec(steps={steps})`: "
                f"each window forecasts the current second and the {steps - 1} after it (XGBoost's "
                f"one-value recipe has no column here).\n\nSeed {seeds[0]}. Generated by `python -m "
                f"palstm_core.leaderboard --real-logs --steps {steps}`.\n\n{body}\n")
        start, end = (m.replace("real-logs:", f"real-logs-steps-{steps}:") for m in (START, END))
    else:
        rows = [evaluate_trip(name, frame, models, seeds[0]) for name, frame in trips()]
        body = table(rows, models)
        text = (f"## Real PEMS logs: CO2 rate [g/s] from OBD channels\n\n"
                f"{__doc__.split(chr(10), 3)[3]}\nSeed {seeds[0]}. Generated by `python -m "
                f"palstm_core.leaderboard --real-logs`.\n\n{body}\n")
        start, end = START, END
    print(body)
    return text, start, end
