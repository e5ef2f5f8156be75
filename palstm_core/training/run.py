"""``TrainedRun`` (a trained model and what it was trained on), the model factory and the run key."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..data import DataError, Dataset
from ..explain.attention import Attention
from ..grouping import SensorGrouping
from ..models import MODELS, Forecaster
from ..windows import Scaler, Windows, WindowSpec, input_groups, make_windows
from .config import TrainConfig
from .loop import DeviceDrive


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that determines a trained model; part of every cache key."""
    here = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for p in sorted([*here.glob("models/*.py"), *here.glob("training/*.py"), here / "windows.py"]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def run_key(ds: Dataset, target: str, grouping: SensorGrouping, window: WindowSpec,
            config: TrainConfig) -> str:
    cfg = config.to_dict()
    cfg.pop("device")                       # same run whichever device trained it
    payload = repr((ds.fingerprint(), target, grouping.to_dict(), window.to_dict(), sorted(cfg.items()),
                    code_version()))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def build_model(config: TrainConfig, groups: dict[str, list[str]], columns: list[str],
                target: str, window: WindowSpec) -> Forecaster:
    index = {c: i for i, c in enumerate(columns)}
    return MODELS[config.model](
        groups=[[index[c] for c in cols] for cols in groups.values()],
        lookback=window.lookback, hidden_size=config.hidden_size,
        target_index=index[target] if window.target_history else None)


@dataclass
class TrainedRun:
    """A trained model with everything needed to use it again.

    metrics  {"rmse", "mae", "mape", "r2"} on the held-out (last) part of the training drive
    history  per-epoch {"epoch", "train_loss", "val_loss", "seconds"}
    """

    model: Forecaster
    target: str
    grouping: SensorGrouping
    window: WindowSpec
    config: TrainConfig
    scaler: Scaler
    columns: list[str]
    metrics: dict[str, float]
    history: list[dict]
    key: str
    data_name: str = "data"
    data_fingerprint: str = ""
    simulated: bool = False
    target_unit: str = ""
    created: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    path: Path | None = None
    from_cache: bool = False

    @property
    def groups(self) -> dict[str, list[str]]:
        """Input groups as the model sees them (sensor groups + target history if used)."""
        return input_groups(self.grouping, self.target, self.window)

    def _windows(self, ds: Dataset, part: str) -> tuple[Windows, np.ndarray, list[str]]:
        w = make_windows(ds, self.columns, self.target, self.window, self.scaler, need_target=False)
        starts = w.part(part, len(ds), self.window)
        return w, starts, self._input_report(ds, w, starts, part)

    def _input_report(self, ds: Dataset, w: Windows, starts: np.ndarray, part: str) -> list[str]:
        """Report lines on windows skipped for missing inputs; DataError when none is left."""
        every = np.arange(len(ds) - w.lookback - w.horizon + 1)
        possible = len(Windows(w.x, w.y, every, w.lookback, w.horizon).part(part, len(ds), self.window))
        dropped = possible - len(starts)
        if dropped == 0:
            return []
        finite = np.isfinite(w.x)
        empty = [c for c, ok in zip(self.columns, finite.any(axis=0)) if not ok]
        gaps = {c: int(n) for c, n in zip(self.columns, (~finite).sum(axis=0)) if n}
        where = ", ".join(f"'{c}' ({n} of {len(ds)} rows)" for c, n in gaps.items())
        if len(starts) == 0:
            if empty:
                raise DataError(f"{ds.label}: the input column(s) {', '.join(map(repr, empty))} "
                                "have no usable values (all missing), so none of the "
                                f"{possible} windows can be predicted. Load a drive that records "
                                "them, or train a model without them.")
            raise DataError(f"{ds.label}: every one of the {possible} windows has a missing "
                            f"input value (missing: {where}). Fill the gaps or use a shorter "
                            "lookback.")
        return [f"{dropped} of {possible} windows were skipped because an input value is "
                f"missing (missing: {where}); their rows have no prediction."]

    @torch.no_grad()
    def _forward(self, ds: Dataset, part: str, batch_size: int = 2048):
        w, starts, report = self._windows(ds, part)
        device = next(self.model.parameters()).device
        drive = DeviceDrive(w, device)
        self.model.eval()
        outs = {"y": [], "feature": [], "temporal": [], "group": [], "relevance": []}
        for xb, _ in drive.batches(torch.as_tensor(starts, device=device), batch_size):
            out = self.model(xb)
            for k in outs:
                v = getattr(out, k)
                if v is not None:
                    outs[k].append(v.float().cpu().numpy())
        rows = w.target_row(starts)
        cat = {k: (np.concatenate(v) if v else None) for k, v in outs.items()}
        if cat["y"] is None:
            cat["y"] = np.zeros(0)
        return ds.times[rows], w.y[rows], cat, report

    def predict(self, ds: Dataset, part: str = "all") -> pd.DataFrame:
        """One row per window, in time order: time, actual (NaN without target), predicted.

        ``part`` = "all" (default), "train", "val" or "test" (chronological split of ``ds``).
        Windows with a missing input value are skipped; ``result.attrs["report"]`` (a list of
        str, empty when nothing was skipped) says how many and which columns had gaps. When no
        window is left (e.g. an input column is all missing) a ``DataError`` names the columns.
        """
        times, y, out, report = self._forward(ds, part)
        frame = pd.DataFrame({
            "time": times,
            "actual": self.scaler.inverse(y.astype(float)),
            "predicted": self.scaler.inverse(out["y"].astype(float)),
        })
        frame.attrs["report"] = report
        return frame

    def explain(self, ds: Dataset, part: str = "all") -> Attention:
        """Attention of every window of ``ds`` (row i matches ``predict(ds)`` row i)."""
        times, _, out, _ = self._forward(ds, part)
        return Attention(times=times, feature=out["feature"], temporal=out["temporal"],
                         group=out["group"], features=list(self.columns),
                         groups=self._attention_groups(), relevance=out["relevance"])

    def _attention_groups(self) -> dict[str, list[str]]:
        groups = self.groups
        if self.model.has_group_weights or not self.model.has_feature_attention:
            return groups
        # attention normalised over all sensors together (DA-RNN): one group "all sensors"
        names = [[self.columns[i] for i in g] for g in self.model.attention_groups]
        history = f"{self.target} history"
        return {("all sensors" if self.target not in cols else history): cols for cols in names}

    def summary(self) -> dict:
        return {"key": self.key, "model": self.config.model, "data": self.data_name,
                "target": self.target, "simulated": self.simulated, "created": self.created,
                **{k: round(v, 4) for k, v in self.metrics.items()}}
