"""The ``report`` and ``calibrate`` commands of the command line (``python -m palstm_core``)."""
from __future__ import annotations

from . import (SAMPLES, CalibrationSettings, DataError, add_vehicles, calibrate,
               highest_actual_time, load_drives, load_file, write_report)
from .cli_common import (_add_data_args, _cache_notes, _cached_run, _campaign, _dataset,
                         _progress_bar)


def _report_data(args, run):
    """The drive to report on and the fingerprint of the data its leaderboard is of: --csv,
    --sample, a drive of --drives (--drive, else the run's first test drive, else the first),
    or the run's own sample drive."""
    if args.drives and (args.csv or args.sample):
        raise DataError("Give either --drives (a campaign) or --csv / --sample (one drive), "
                        "not both.")
    if args.drives:
        camp = load_drives(args.drives)
        name = args.drive or next((d for d in run.window.test_drives if d in camp), camp.names[0])
        if name not in camp:
            raise DataError(f"--drive '{name}' is not a drive of {camp.label}; its drives: "
                            f"{', '.join(camp.names)}.")
        return camp[name], camp.fingerprint()
    if not args.csv and not args.sample:
        sample = run.data_name.removeprefix("sample: ")
        if sample not in SAMPLES:
            raise DataError(f"Run {run.key} was trained on {run.data_name}; give that data with "
                            "--csv FILE or --drives FOLDER.")
        args.sample = sample
    ds = _dataset(args)
    return ds, ds.fingerprint()


def cmd_report(args) -> int:
    """One self-contained HTML report of a cached run (``pc.write_report``)."""
    cache, run = _cached_run(args)
    ds, fingerprint = _report_data(args, run)
    times = args.time
    if not times:
        pred = run.predict(ds, part="test")
        peak = highest_actual_time(pred[pred["step"] == 1] if "step" in pred else pred)
        times = [] if peak is None else [float(peak)]
    out = write_report(run, ds, args.out, times=times, cache=cache, fingerprint=fingerprint)
    print(f"report of run {run.key} ({run.config.model}) on {ds.label}, window(s) at "
          f"{', '.join(f'{t:g}' for t in times) or 'none'} -> {out}")
    return 0


def _add_report_parser(sub) -> None:
    p = sub.add_parser("report", help="write one self-contained HTML report of a cached run "
                       "(opens without a network)")
    _add_data_args(p)
    p.set_defaults(sample=None)                     # default: the run's own sample drive
    p.add_argument("--drives", metavar="DIR_OR_ZIP", help="the campaign the run was trained on")
    p.add_argument("--drive", help="the drive of --drives to report on (default: the run's "
                   "first test drive)")
    p.add_argument("--run", required=True, help="run key (see `list`)")
    p.add_argument("--time", type=float, nargs="+", metavar="T",
                   help="prediction times whose windows' maps are shown (default: the highest "
                   "actual value of the test span)")
    p.add_argument("--out", default="report.html", help="the HTML file to write")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_report)


def _new_drive(args):
    """The drive to calibrate on: --csv (vehicle covariates from --vehicles), or --drive of the
    campaign --drives."""
    if bool(args.csv) == bool(args.drives):
        raise DataError("Give the new vehicle's drive: --csv FILE, or --drives FOLDER_OR_ZIP with "
                        "--drive NAME.")
    if args.csv:
        ds = load_file(args.csv, time_column=args.time_column)
        return add_vehicles(ds, args.vehicles) if args.vehicles else ds
    camp = _campaign(args, 1, 0)
    if args.drive not in camp:
        raise DataError(f"No drive '{args.drive}' in {camp.label}; its drives: "
                        f"{', '.join(camp.names[:12])}.")
    return camp[args.drive]


def cmd_calibrate(args) -> int:
    """Fine-tune a cached fleet run on the first minutes of a new drive; print the comparison."""
    cache, run = _cached_run(args)
    ds = _new_drive(args)
    settings = CalibrationSettings(epochs=args.epochs, lr=args.lr, seed=args.seed)
    print(f"fleet run {run.key} ({run.config.model}, {run.data_name}); new drive: {ds.label}; "
          f"calibration: first {args.minutes:g} min, test: the rest")
    with _progress_bar("calibrate") as progress:
        cal = calibrate(run, ds, args.minutes, settings=settings, cache=cache, device=args.device,
                        progress=progress)
    print(cal.table().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for line in cal.report:
        print(f"  {line}")
    _cache_notes(cache)
    print(("loaded from cache: " if cal.from_cache else "") +
          f"calibrated run {cal.key} (parent {cal.parent}) in {cache.root}")
    return 0


def _add_calibrate_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="fine-tune a cached fleet run on the first minutes of a "
                       "new vehicle's drive; compare fleet, calibrated and drive-only on the rest")
    p.add_argument("--run", required=True, help="key of the fleet run (see `list`)")
    p.add_argument("--csv", help="the new vehicle's drive (one file)")
    p.add_argument("--vehicles", help="vehicle table (CSV) with this drive's covariates")
    p.add_argument("--drives", metavar="DIR_OR_ZIP", help="a campaign holding the new drive")
    p.add_argument("--drive", help="name of the new drive in --drives")
    p.add_argument("--time-column", help="name of the time column (default: detected)")
    p.add_argument("--minutes", type=float, default=5.0,
                   help="minutes at the start of the drive to calibrate on (default 5)")
    d = CalibrationSettings()
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--lr", type=float, help="learning rate (default: a third of the fleet run's)")
    p.add_argument("--seed", type=int, help="seed (default: the fleet run's)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--cache-dir", help="run cache folder (default: $PALSTM_CACHE_DIR or .palstm_cache)")
    p.set_defaults(func=cmd_calibrate)
