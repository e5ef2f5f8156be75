"""``TrainedRun`` (a trained model and what it was trained on), the model factory and the run key."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..data import Dataset
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

    def _windows(self, ds: Dataset, part: str) -> tuple[Windows, np.ndarray]:
        w = make_windows(ds, self.columns, self.target, self.window, self.scaler, need_target=False)
        return w, w.part(part, len(ds), self.window)

    @torch.no_grad()
    def _forward(self, ds: Dataset, part: str, batch_size: int = 2048):
        w, starts = self._windows(ds, part)
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
        return ds.times[rows], w.y[rows], cat

    def predict(self, ds: Dataset, part: str = "all") -> pd.DataFrame:
        """One row per window, in time order: time, actual (NaN without target), predicted.

        ``part`` = "all" (default), "train", "val" or "test" (chronological split of ``ds``).
        """
        times, y, out = self._forward(ds, part)
        return pd.DataFrame({
            "time": times,
            "actual": self.scaler.inverse(y.astype(float)),
            "predicted": self.scaler.inverse(out["y"].astype(float)),
        })

    def explain(self, ds: Dataset, part: str = "all") -> Attention:
        """Attention of every window of ``ds`` (row i matches ``predict(ds)`` row i)."""
        times, _, out = self._forward(ds, part)
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
