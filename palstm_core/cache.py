"""On-disk cache of trained runs: one directory per run key.

    <root>/<key>/weights.safetensors    model weights (no pickle)
    <root>/<key>/run.json               config, grouping, window, scaler, columns, metrics,
                                        history, timings, data name and fingerprint

A run is written into a temporary directory beside the others and renamed into place, so a
reader never sees half a run and two processes writing the same key cannot corrupt it (the
second rename loses and its copy is discarded). An unreadable entry is skipped with a warning
and its run is trained again.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

from safetensors.torch import load_file, save_file

from .grouping import SensorGrouping
from .training.config import TrainConfig
from .training.device import resolve_device
from .training.run import TrainedRun, build_model
from .windows import Scaler, WindowSpec, input_groups

DEFAULT_DIR = ".palstm_cache"
FORMAT = 1
REQUIRED = {"key", "target", "grouping", "window", "config", "scaler", "columns", "metrics",
            "history", "data_name", "data_fingerprint", "simulated", "created"}


class ModelCache:
    """``ModelCache(dir)``; the directory defaults to $PALSTM_CACHE_DIR or ./.palstm_cache."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root or os.environ.get("PALSTM_CACHE_DIR") or DEFAULT_DIR)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if not key or not all(ch.isalnum() for ch in key):
            raise ValueError(f"not a run key: {key!r}")
        return self.root / key

    def __contains__(self, key: str) -> bool:
        return (self.path(key) / "run.json").is_file()

    # ------------------------------------------------------------------ write
    def save(self, run: TrainedRun) -> Path:
        """Write ``run`` atomically; returns its directory and sets ``run.path``."""
        meta = {
            "format": FORMAT, "key": run.key, "target": run.target,
            "grouping": run.grouping.to_dict(), "window": run.window.to_dict(),
            "config": run.config.to_dict(), "scaler": run.scaler.to_dict(),
            "columns": run.columns, "metrics": run.metrics, "history": run.history,
            "timings": run.timings, "data_name": run.data_name,
            "data_fingerprint": run.data_fingerprint, "simulated": run.simulated,
            "target_unit": run.target_unit, "created": run.created,
        }
        final = self.path(run.key)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{run.key}-", dir=self.root))
        try:
            weights = {k: v.detach().float().cpu().contiguous() for k, v in run.model.state_dict().items()}
            save_file(weights, str(tmp / "weights.safetensors"))
            with open(tmp / "run.json", "w", encoding="utf-8") as fh:
                fh.write(json.dumps(meta, indent=1, allow_nan=True))
                fh.flush()
                os.fsync(fh.fileno())
            for _ in range(5):
                try:
                    os.rename(tmp, final)                       # atomic: all or nothing
                    break
                except OSError:
                    if not final.exists():
                        raise                                   # a real failure (disk, rights)
                    if self._readable(final):
                        break                                   # lost a race to a good copy
                    # A damaged entry is in the way: move it aside atomically, then retry.
                    trash = self.root / f".trash-{run.key}-{uuid.uuid4().hex[:8]}"
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
        """True when ``folder`` holds a complete entry (JSON parses, weights load)."""
        try:
            meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or not REQUIRED <= set(meta):
                return False
            load_file(str(folder / "weights.safetensors"))
            return True
        except Exception:  # noqa: BLE001 - any damage means "not readable"
            return False

    # ------------------------------------------------------------------ read
    def load(self, key: str, device: str = "auto") -> TrainedRun | None:
        """The cached ``TrainedRun`` for ``key``, or None (missing or unreadable: warns)."""
        folder = self.path(key)
        if not (folder / "run.json").is_file():
            return None
        try:
            meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            config = TrainConfig.from_dict(meta["config"])
            window = WindowSpec.from_dict(meta["window"])
            grouping = SensorGrouping(meta["grouping"])
            model = build_model(config, input_groups(grouping, meta["target"], window),
                                meta["columns"], meta["target"], window)
            state = load_file(str(folder / "weights.safetensors"))
            model.load_state_dict(state)
            model.to(resolve_device(device)).eval()
            return TrainedRun(
                model=model, target=meta["target"], grouping=grouping, window=window,
                config=config, scaler=Scaler.from_dict(meta["scaler"]), columns=meta["columns"],
                metrics=meta["metrics"], history=meta["history"], key=meta["key"],
                data_name=meta["data_name"], data_fingerprint=meta["data_fingerprint"],
                simulated=meta["simulated"], target_unit=meta.get("target_unit", ""),
                created=meta["created"], timings=meta.get("timings", {}), path=folder,
                from_cache=True)
        except Exception as exc:  # noqa: BLE001 - any damage means: retrain, never crash
            warnings.warn(f"Cached run {key} is unreadable ({type(exc).__name__}: {exc}); "
                          "it will be trained again.", RuntimeWarning, stacklevel=2)
            return None

    def list(self) -> list[dict]:
        """Summaries of all readable cached runs, newest first."""
        out = []
        try:
            folders = list(self.root.iterdir())
        except OSError:
            return []
        for folder in folders:
            try:
                if folder.name.startswith(".") or not (folder / "run.json").is_file():
                    continue
                meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
                out.append({"key": meta["key"], "model": meta["config"]["model"],
                            "data": meta["data_name"], "target": meta["target"],
                            "simulated": meta["simulated"], "created": meta["created"],
                            "data_fingerprint": meta["data_fingerprint"],
                            **{k: meta["metrics"].get(k) for k in ("rmse", "mae", "mape", "r2")}})
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
        return sorted(out, key=lambda r: str(r["created"]), reverse=True)

    def delete(self, key: str) -> bool:
        folder = self.path(key)
        if not folder.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()

