"""On-disk cache of trained runs: one directory per run key.

    <root>/<key>/weights.safetensors    model weights (no pickle)
    <root>/<key>/run.json               config, grouping, window, scaler, columns, metrics,
                                        metrics per drive, history, timings, data name and
                                        fingerprint, training report, the interval
                                        calibration (validation residuals) and the test
                                        part's interval metrics (absent in older runs: they
                                        still open, see ``TrainedRun.interval_calibration``)

A run is written into a temporary directory beside the others and renamed into place, so a
reader never sees half a run and two processes writing the same key cannot corrupt it (the
second rename loses to a loadable copy and its own copy is discarded). An unreadable entry
(damaged files, or weights that no longer fit the model) is skipped with a warning, trained
again and replaced.

A cache folder that cannot be written (read-only, no rights, disk full) never loses a trained
run: ``save`` falls back to a temporary folder, says so in ``cache.report`` and a warning, and
keeps reading the original folder too. A cache path that is a file is a ``DataError``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .data import DataError
from .grouping import SensorGrouping
from .intervals import Calibration
from .training.config import TrainConfig, check_device
from .training.device import resolve_device
from .training.run import TrainedRun, build_model
from .windows import Scaler, WindowSpec, input_groups
from .i18n import _

DEFAULT_DIR = ".palstm_cache"
FORMAT = 1
REQUIRED = {"key", "target", "grouping", "window", "config", "scaler", "columns", "metrics",
            "history", "data_name", "data_fingerprint", "simulated", "created"}


class ModelCache:
    """``ModelCache(dir)``; the directory defaults to $PALSTM_CACHE_DIR or ./.palstm_cache."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root or os.environ.get("PALSTM_CACHE_DIR") or DEFAULT_DIR)
        self.fallback: Path | None = None   # a temporary folder once ``root`` cannot be written
        self.report: list[str] = []         # what went wrong with ``root`` and where runs went
        if self.root.exists() and not self.root.is_dir():
            raise DataError(_("The model cache folder '{root}' is a file, not a folder. "
                               "Choose another folder (--cache-dir or $PALSTM_CACHE_DIR).",
                               root=self.root))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._fall_back(exc)

    def _fall_back(self, exc: OSError) -> Path:
        """Switch writing to a temporary folder (once) and say so; returns it."""
        if self.fallback is None:
            self.fallback = Path(tempfile.mkdtemp(prefix="palstm_cache-"))
            line = (f"The model cache folder '{self.root}' cannot be written "
                    f"({type(exc).__name__}: {exc.strerror or exc}); trained runs are kept in "
                    f"the temporary folder '{self.fallback}' instead, which is not kept after a "
                    "restart. Make the folder writable or choose another one.")
            self.report.append(line)
            warnings.warn(line, RuntimeWarning, stacklevel=3)
        return self.fallback

    def _roots(self) -> list[Path]:
        return [self.root] + ([self.fallback] if self.fallback else [])

    def path(self, key: str) -> Path:
        """Folder of run ``key`` (in the fallback folder when only that one has it)."""
        if not isinstance(key, str) or not key or not key.isascii() or not key.isalnum():
            raise DataError(_("'{key}' is not a run key: a key has only letters and "
                               "digits, e.g. 3f9c0a1b2d4e5f60. `python -m palstm_core "
                               "list` shows the cached runs.",
                               key=key))
        found = [r / key for r in self._roots() if (r / key / "run.json").is_file()]
        return found[-1] if found else self._roots()[-1] / key

    def __contains__(self, key: str) -> bool:
        return (self.path(key) / "run.json").is_file()

    # ------------------------------------------------------------------ write
    def save(self, run: TrainedRun) -> Path:
        """Write ``run`` atomically; returns its directory and sets ``run.path``. When the cache
        folder cannot be written, the run goes to a temporary folder (see ``report``)."""
        if self.fallback is None:
            try:
                return self._save_in(self.root, run)
            except OSError as exc:
                self._fall_back(exc)
        return self._save_in(self.fallback, run)

    def _save_in(self, root: Path, run: TrainedRun) -> Path:
        meta = {
            "format": FORMAT, "key": run.key, "target": run.target,
            "grouping": run.grouping.to_dict(), "window": run.window.to_dict(),
            "config": run.config.to_dict(), "scaler": run.scaler.to_dict(),
            "columns": run.columns, "metrics": run.metrics, "history": run.history,
            "timings": run.timings, "data_name": run.data_name,
            "data_fingerprint": run.data_fingerprint, "simulated": run.simulated,
            "target_unit": run.target_unit, "created": run.created,
            "metrics_by_drive": run.metrics_by_drive, "report": run.report,
            "metrics_by_step": {str(k): v for k, v in run.metrics_by_step.items()},
            "calibration": run.calibration.to_dict() if run.calibration is not None else None,
            "intervals": run.intervals,
        }
        self.path(run.key)                                      # checks the key
        final = root / run.key
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{run.key}-", dir=root))
        try:
            weights = {k: v.detach().float().cpu().contiguous() for k, v in run.model.state_dict().items()}
            save_file(weights, str(tmp / "weights.safetensors"))
            with open(tmp / "run.json", "w", encoding="utf-8") as fh:
                fh.write(json.dumps(meta, indent=1, allow_nan=True))
                fh.flush()
                os.fsync(fh.fileno())
            for __ in range(5):
                try:
                    os.rename(tmp, final)                       # atomic: all or nothing
                    break
                except OSError:
                    if not final.exists():
                        raise                                   # a real failure (disk, rights)
                    if self._readable(final):
                        break                                   # lost a race to a good copy
                    # A damaged entry is in the way: move it aside atomically, then retry.
                    trash = root / f".trash-{run.key}-{uuid.uuid4().hex[:8]}"
                    try:
                        os.rename(final, trash)
                    except OSError:
                        pass                                    # another writer moved it
                    shutil.rmtree(trash, ignore_errors=True)
            else:
                raise OSError(f"could not store cached run {run.key}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        run.path = final
        return final

    @staticmethod
    def _readable(folder: Path) -> bool:
        """True when ``folder`` holds an entry that loads (its weights fit its model)."""
        try:
            _read(folder, torch.device("cpu"))
            return True
        except Exception:  # noqa: BLE001 - any damage means "not readable"
            return False

    # ------------------------------------------------------------------ read
    def load(self, key: str, device: str = "auto") -> TrainedRun | None:
        """The cached ``TrainedRun`` for ``key``, or None (missing or unreadable: warns)."""
        folder = self.path(key)
        if not (folder / "run.json").is_file():
            return None
        dev = resolve_device(check_device(device))            # a bad device is the caller's
        try:
            return _read(folder, dev)
        except Exception as exc:  # noqa: BLE001 - any damage means: retrain, never crash
            warnings.warn(f"Cached run {key} is unreadable ({type(exc).__name__}: {exc}); "
                          "it will be trained again.", RuntimeWarning, stacklevel=2)
            return None

    def list(self) -> list[dict]:
        """Summaries of all readable cached runs, newest first; a metric that is missing or not
        a number is None. An entry that cannot be read is skipped with a warning."""
        out = []
        for root in self._roots():
            try:
                folders = list(root.iterdir())
            except OSError:
                continue
            for folder in folders:
                if folder.name.startswith(".") or not (folder / "run.json").is_file():
                    continue
                try:
                    out.append(_summary(folder))
                except Exception as exc:  # noqa: BLE001 - e.g. RecursionError: skip, never crash
                    warnings.warn(f"Cached run {folder.name} is unreadable "
                                  f"({type(exc).__name__}); it is left out of the list.",
                                  RuntimeWarning, stacklevel=2)
        return sorted(out, key=lambda r: str(r["created"]), reverse=True)

    def attach(self, key: str, name: str, data: dict) -> Path:
        """Write ``data`` as the JSON file ``name`` (e.g. "tune.json") beside the run.json of
        cached run ``key`` (atomically: a temporary file renamed into place); returns its path."""
        if not re.fullmatch(r"[a-z0-9_]+\.json", name) or name == "run.json":
            raise DataError(_("'{name}' cannot be stored beside a run: use a name like "
                               "tune.json.", name=name))
        folder = self.path(key)
        if not (folder / "run.json").is_file():
            raise DataError(_("No cached run '{key}' to attach {name} to.", key=key, name=name))
        tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(data, indent=1, allow_nan=True, default=str), encoding="utf-8")
        os.replace(tmp, folder / name)
        return folder / name

    def attachment(self, key: str, name: str) -> dict | None:
        """The JSON file ``name`` stored beside run ``key`` by ``attach``, or None."""
        path = self.path(key) / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def delete(self, key: str) -> bool:
        folder = self.path(key)
        if not folder.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()



def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _summary(folder: Path) -> dict:
    """One line of ``ModelCache.list`` from ``folder``'s run.json (raises when damaged)."""
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    metrics = meta["metrics"]
    return {"key": str(meta["key"]), "model": str(meta["config"]["model"]),
            "data": str(meta["data_name"]), "target": str(meta["target"]),
            "simulated": bool(meta["simulated"]), "created": str(meta["created"]),
            "data_fingerprint": str(meta["data_fingerprint"]),
            **{k: _number(metrics.get(k)) for k in ("rmse", "mae", "mape", "r2")},
            **_interval_summary(meta.get("intervals"))}


def _interval_summary(intervals) -> dict:
    """coverage and width of the stored test-part interval (None for older runs)."""
    overall = intervals.get("overall", {}) if isinstance(intervals, dict) else {}
    overall = overall if isinstance(overall, dict) else {}
    return {"interval_level": _number(intervals.get("level")) if overall else None,
            "coverage": _number(overall.get("coverage")), "width": _number(overall.get("width"))}


def _read(folder: Path, device: torch.device) -> TrainedRun:
    """The run stored in ``folder`` on ``device``; raises when anything is damaged or the
    weights do not fit the model its settings build."""
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or not REQUIRED <= set(meta):
        raise ValueError("run.json lacks " + ", ".join(sorted(REQUIRED - set(meta)))
                         if isinstance(meta, dict) else "run.json is not an object")
    config = TrainConfig.from_dict(meta["config"])
    window = WindowSpec.from_dict(meta["window"])
    grouping = SensorGrouping(meta["grouping"])
    model = build_model(config, input_groups(grouping, meta["target"], window),
                        meta["columns"], meta["target"], window)
    model.load_state_dict(load_file(str(folder / "weights.safetensors")))
    model.to(device).eval()
    return TrainedRun(
        model=model, target=meta["target"], grouping=grouping, window=window,
        config=config, scaler=Scaler.from_dict(meta["scaler"]), columns=meta["columns"],
        metrics=meta["metrics"], history=meta["history"], key=meta["key"],
        data_name=meta["data_name"], data_fingerprint=meta["data_fingerprint"],
        simulated=meta["simulated"], target_unit=meta.get("target_unit", ""),
        created=meta["created"], timings=meta.get("timings", {}),
        metrics_by_drive=meta.get("metrics_by_drive", {}), report=meta.get("report", []),
        calibration=(Calibration.from_dict(meta["calibration"]) if meta.get("calibration")
                     else None), intervals=meta.get("intervals") or {},
        metrics_by_step=({int(k): v for k, v in meta.get("metrics_by_step", {}).items()}
                         or ({1: meta["metrics"]} if window.steps == 1 else {})),
        path=folder, from_cache=True)
