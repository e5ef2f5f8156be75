"""Command line: ``python -m palstm_core train|predict|list|bench|explain|report --help``."""
from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import (MODELS, Campaign, DataError, ModelCache, SensorGrouping, TrainConfig,
               TrainingError, WindowSpec, check_device, close_distributed, coverage_sentence,
               error_shift, explain, init_distributed, interval_metrics, regression_metrics,
               suggest_groups, train, tune)
from .bench import format_table, run_bench
from .cli_common import (_add_data_args, _cache_notes, _cached_run, _campaign, _dataset,
                         _progress_bar)
from .cli_tools import _add_calibrate_parser, _add_report_parser


class _UsageError(Exception):
    """A command line argparse refused (unknown option or choice, not a number)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one plain line (``main`` returns 2)."""

    def error(self, message: str):
        raise _UsageError(f"{message} (see `{self.prog} --help`)")


def _groups(text: str) -> SensorGrouping:
    try:
        groups = json.loads(text)
    except ValueError as exc:
        raise DataError(f"--groups is not valid JSON ({exc.msg} at character {exc.pos}). Write it "
                        'like \'{"engine": ["rpm", "load"], "motion": ["speed"]}\'.') from None
    return SensorGrouping(groups)


def _print_metrics(rows: list[tuple[str, dict]]) -> None:
    w = max([14] + [len(label) for label, _ in rows])
    print(f"{'':{w}s} {'RMSE':>10s} {'MAE':>10s} {'MAPE %':>9s} {'R²':>8s}")
    for label, m in rows:
        print(f"{label:{w}s} {m['rmse']:10.4g} {m['mae']:10.4g} {m['mape']:9.1f} {m['r2']:8.3f}")


def cmd_train(args) -> int:
    world, rank = init_distributed(check_device(args.device))
    try:
        if rank != 0:                               # only rank 0 prints
            sys.stdout = io.StringIO()
        return _train(args, world, rank)
    finally:
        if world > 1:
            close_distributed()
            if rank != 0:
                sys.stdout = sys.__stdout__


def _train(args, world: int, rank: int = 0) -> int:
    if args.drives and args.csv:
        raise DataError("Give either --drives (a campaign) or --csv (one drive), not both.")
    if (args.test_drives or args.val_drives) and not args.drives:
        raise DataError("--test-drives and --val-drives choose drives of a campaign; load one "
                        "with --drives FOLDER_OR_ZIP.")
    ds = _campaign(args, world, rank) if args.drives else _dataset(args)
    grouping = _groups(args.groups) if args.groups else None
    window = WindowSpec(lookback=args.lookback, horizon=args.horizon,
                        target_history=args.target_history,
                        test_drives=tuple(args.test_drives or ()),
                        val_drives=tuple(args.val_drives or ()), steps=args.steps)
    config = TrainConfig(model=args.model, hidden_size=args.hidden_size, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                         device=args.device, attention=args.attention,
                         teacher_forcing=args.teacher_forcing)
    cache = None if args.no_cache else ModelCache(args.cache_dir)
    size = "" if isinstance(ds, Campaign) else f", {len(ds)} rows"
    print(f"data: {ds.label}{size}; target: {args.target}; model: {args.model}"
          + (f"; data-parallel over {world} processes" if world > 1 else ""))
    if grouping is None and not isinstance(ds, Campaign):
        grouping = suggest_groups(ds, args.target)
    for name, cols in (grouping.groups.items() if grouping else ()):
        print(f"  group {name}: {', '.join(cols)}")
    with _progress_bar(args.model, disable=rank != 0) as progress:
        run = train(ds, args.target, grouping, window, config, cache=cache, progress=progress)
    how = "loaded from cache" if run.from_cache else \
        f"trained in {run.timings['train_seconds']:.1f} s, {run.timings['epochs']} epochs " \
        f"(best {run.timings['best_epoch']}) on {run.timings['device']}"
    print(f"{MODELS[args.model].description}\n{how}")
    if isinstance(ds, Campaign):
        for name, cols in (run.grouping.groups.items() if grouping is None else ()):
            print(f"  group {name}: {', '.join(cols)}")
        for line in run.report:
            print(f"  {line}")
        _print_metrics(list(run.metrics_by_drive.items()))
    if window.steps > 1:
        print(f"test metrics per forecast step (step k predicts t+{window.horizon}+k-1):")
        _print_metrics([(f"step {k}", m) for k, m in run.metrics_by_step.items()])
    _report_run(run, cache)
    return 0


def _report_run(run, cache, where: str = "") -> None:
    """Test metrics, cache notes and where the run was cached."""
    _print_metrics([(f"test ({run.target_unit})" if run.target_unit else "test", run.metrics)])
    _cache_notes(cache)
    if run.path:
        print(f"cached run {run.key} in {run.path}{where}")


def cmd_tune(args) -> int:
    ds = _dataset(args)
    grouping = _groups(args.groups) if args.groups else suggest_groups(ds, args.target)
    window = WindowSpec(lookback=args.lookback, horizon=args.horizon)
    config = TrainConfig(model=args.model, seed=args.seed, device=args.device)
    cache = None if args.no_cache else ModelCache(args.cache_dir)
    print(f"data: {ds.label}, {len(ds)} rows; target: {args.target}; model: {args.model}; "
          f"up to {args.trials} trials in {args.timeout:g} s, chosen on the validation part")
    with _progress_bar("tune") as progress:
        res = tune(ds, args.target, grouping, window, config, n_trials=args.trials,
                   timeout_s=args.timeout, cache=cache, progress=progress, seed=args.seed,
                   search_lookback=not args.fixed_lookback)
    _print_trials(res)
    run = res.run
    print(f"best validation loss {res.best_val_loss:.4g} (MSE, scaled units; the defaults: "
          f"{res.base_val_loss:.4g}) after {len(res.trials)} trial(s) in {res.seconds:.0f} s, "
          f"stopped by {res.stopped_by}")
    print("best settings: " + (", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in res.best_params.items()) or "the defaults"))
    _report_run(run, cache, " (search history: tune.json beside it)")
    return 0


def _print_trials(res) -> None:
    names = sorted({k for t in res.trials for k in t} - {"number", "state", "val_loss", "seconds",
                                                         "epochs", "note"})
    print(f"{'trial':>5s} {'state':9s} {'val loss':>9s} {'epochs':>6s} {'s':>6s}  "
          + "  ".join(names))
    for t in res.trials:
        vals = "  ".join(f"{t.get(n):.3g}" if isinstance(t.get(n), float) else str(t.get(n))
                         for n in names)
        print(f"{t['number']:5d} {t['state']:9s} {t['val_loss']:9.4g} {t['epochs'] or 0:6d} "
              f"{t['seconds']:6.0f}  {vals}  {t['note']}")


def cmd_predict(args) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise DataError(f"--out '{out}' is a folder; give a file name, e.g. {out / 'predictions.csv'}.")
    _, run = _cached_run(args)
    ds = _dataset(args)
    pred = run.predict(ds, interval=args.interval)
    for line in pred.attrs.get("report", []):
        print(f"note: {line}", file=sys.stderr)
    if not out.parent.exists():
        out.parent.mkdir(parents=True)
        print(f"created folder {out.parent}")
    pred.to_csv(out, index=False)
    print(f"{len(pred)} predictions of {run.target} from run {run.key} ({run.config.model}) "
          f"on {ds.label} -> {out}")
    if pred["actual"].notna().any():
        _print_metrics([("this drive", regression_metrics(pred["actual"], pred["predicted"]))])
        if args.interval is not None:
            m = interval_metrics(pred, args.interval)
            errors = error_shift(pred, run.calibration) if run.calibration else None
            print(coverage_sentence(m["coverage"], args.interval, m["n"], errors) +
                  f" Mean width {m['width']:.4g} {run.target_unit}.".rstrip())
    return 0


def cmd_list(args) -> int:
    runs = ModelCache(args.cache_dir).list()
    if not runs:
        print("no cached runs")
    for r in runs:
        r2 = "–" if r["r2"] is None else f"{r['r2']:.3f}"
        print(f"{r['key']}  {r['model']:14s} {r['target']:8s} R² {r2:>6s}  "
              f"{r['data']}  {r['created']}")
    return 0


def cmd_bench(args) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    res = run_bench(check_device(args.device), quick=args.quick, load_rows=args.load_rows,
                    skip_load=args.skip_load, log=lambda m: print(m, file=sys.stderr))
    print(format_table(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


def cmd_explain(args) -> int:
    """Maps (long CSV) and scores (JSON) of a cached run on a drive; tqdm over the windows."""
    _, run = _cached_run(args)
    if args.method not in explain.available_maps(run) or args.method == "feature":
        raise DataError(f"{run.config.model} has no '{args.method}' map. Choose one of: "
                        f"{', '.join(n for n in explain.available_maps(run) if n != 'feature')}.")
    ds = _dataset(args)
    pred = run.predict(ds, part=args.part)
    times = pred["time"].to_numpy()
    if len(times) == 0:
        raise DataError(f"The {args.part} part of {ds.label} has no complete window.")
    chunks = np.array_split(np.arange(len(times)), max(1, len(times) // 64))
    values = np.concatenate([explain.part_maps(run, ds, args.method, args.part, windows=c)
                             for c in tqdm(chunks, desc=f"{args.method} map", unit="batch")])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{run.key[:8]}_{args.method}_{args.part}"
    explain.map_frame(times, values, run.columns).to_csv(f"{stem}_map.csv", index=False)
    scores = {"run": run.key, "model": run.config.model, "method": args.method,
              "part": args.part, "data": ds.label, "n_windows": int(len(times))}
    if pred["actual"].notna().any():
        with tqdm(total=1, desc="deletion curve", unit="curve") as bar:
            curve = explain.deletion_curve(run, ds, values, part=args.part)
            bar.update(1)
        scores["deletion"] = {"area": curve.area, "area_random": curve.area_random,
                              "beats_random": curve.beats_random, "summary": curve.summary,
                              **curve.to_frame().to_dict(orient="list")}
        print(curve.summary)
    else:
        scores["deletion"] = None                   # no target: nothing to score against
    scores["planted"] = None                        # only data from simulate.planted_signal
    Path(f"{stem}_scores.json").write_text(json.dumps(scores, indent=1))
    print(f"{len(values)} windows × {values.shape[1]} steps × {values.shape[2]} inputs -> "
          f"{stem}_map.csv, {stem}_scores.json")
    return 0


def _add_tune_parser(sub) -> None:
    p = sub.add_parser("tune", help="search training settings (Optuna), chosen on the validation "
                       "part; caches the best run with its search history")
    _add_data_args(p)
    p.add_argument("--target", default="NOx", help="column to predict (default NOx)")
    p.add_argument("--model", default="pa_lstm", choices=list(MODELS))
    p.add_argument("--groups", help="sensor groups as JSON (default: suggested)")
    p.add_argument("--lookback", type=int, default=30, help="starting lookback (default 30)")
    p.add_argument("--fixed-lookback", action="store_true", help="do not search the lookback")
    p.add_argument("--horizon", type=int, default=1)
    p.add_argument("--trials", type=int, default=20, help="most trials (default 20)")
    p.add_argument("--timeout", type=float, default=600,
                   help="time budget for the whole search in seconds (default 600)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--no-cache", action="store_true", help="write nothing to the cache")
    p.set_defaults(func=cmd_tune)


def _add_forecast_args(p: argparse.ArgumentParser) -> None:
    """``train``'s multi-step and seq2seq options."""
    d = TrainConfig()
    p.add_argument("--steps", type=int, default=1,
                   help="forecast steps per window: t+horizon … t+horizon+steps-1 (default 1)")
    p.add_argument("--attention", default=d.attention, choices=["luong", "bahdanau"],
                   help="seq2seq decoder attention: luong (dot product) or bahdanau (additive)")
    p.add_argument("--teacher-forcing", type=float, default=d.teacher_forcing,
                   help="seq2seq: share of decoder steps fed the true previous target in epoch "
                   f"1, decaying to 0 at the last epoch (default {d.teacher_forcing})")


def _add_predict_parser(sub) -> None:
    p = sub.add_parser("predict", help="predict a drive with a cached run, write a CSV")
    _add_data_args(p)
    p.add_argument("--run", required=True, help="run key (see `list`)")
    p.add_argument("--out", default="predictions.csv")
    p.add_argument("--device", default="auto")
    p.add_argument("--interval", type=float, metavar="LEVEL",
                   help="also write lower and upper of the LEVEL prediction interval (e.g. 0.9), "
                        "calibrated on the validation part of the run's training data")
    p.set_defaults(func=cmd_predict)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m palstm_core",
                                     description="PA-LSTM Explorer: train and use emission models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train (or load from the cache) a model and print test metrics")
    _add_data_args(p)
    p.add_argument("--drives", metavar="DIR_OR_ZIP",
                   help="a campaign: a folder or zip of drives (one file or OBD/PEMS trip folder "
                   "per drive); under torchrun each process reads only its share")
    p.add_argument("--test-drives", nargs="+", metavar="NAME",
                   help="drives held out for testing (e.g. the road drives); default: the last "
                   "part of every drive")
    p.add_argument("--val-drives", nargs="+", metavar="NAME",
                   help="drives held out for validation; default: a part of every drive")
    p.add_argument("--target", default="NOx", help="column to predict (default NOx)")
    p.add_argument("--model", default="pa_lstm", choices=list(MODELS))
    p.add_argument("--groups", help='sensor groups as JSON, e.g. \'{"engine": ["rpm", "load"]}\' '
                   "(default: suggested from the column names)")
    p.add_argument("--lookback", type=int, default=30)
    p.add_argument("--horizon", type=int, default=1)
    p.add_argument("--target-history", action="store_true",
                   help="also use the target's past values as an input")
    _add_forecast_args(p)
    d = TrainConfig()
    p.add_argument("--hidden-size", type=int, default=d.hidden_size)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--no-cache", action="store_true", help="always train, write nothing")
    p.set_defaults(func=cmd_train)

    _add_tune_parser(sub)
    _add_report_parser(sub)
    _add_calibrate_parser(sub)

    _add_predict_parser(sub)

    p = sub.add_parser("list", help="list cached runs")
    p.add_argument("--cache-dir")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("bench", help="speed and memory benchmark, measured side by side; prints a table")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats and a 100,000-row CSV instead of 1,000,000 rows")
    p.add_argument("--load-rows", type=int, help="rows of the generated CSV for the load test")
    p.add_argument("--skip-load", action="store_true", help="leave out the large-CSV load test")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--json", help="also write all results to this JSON file")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("explain", help="write a cached run's which-sensor-when map (long CSV) "
                       "and its deletion score vs random (JSON)")
    _add_data_args(p)
    p.add_argument("--run", required=True, help="run key (see `list`)")
    p.add_argument("--method", default="relevance",
                   choices=["relevance", "integrated_gradients", "occlusion"],
                   help="relevance (attention models) or an attribution method (any model)")
    p.add_argument("--part", default="test", choices=["test", "all"])
    p.add_argument("--out", default="explain", help="output folder (created)")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_explain)

    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (_UsageError, DataError, TrainingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:                      # e.g. --out not writable
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
