"""Training: ``TrainConfig`` → ``train()`` → ``TrainedRun`` (predict, explain, cache).

The drive stays on the device as one (T, F) tensor; a batch of windows is gathered by indexing
rows ``start + arange(lookback)``, so no (N, lookback, F) window tensor is ever materialised.
Adam on MSE, early stopping on the validation loss with the best weights restored.

Multi-GPU / multi-process: when ``torch.distributed`` is initialised with more than one process
(``torchrun --nproc_per_node=N -m palstm_core train …``), ``train()`` wraps the model in
DistributedDataParallel. Every rank draws the same shuffled order of training windows; each
global batch of ``batch_size`` windows is split across the ranks (rank r takes every N-th window,
DistributedSampler semantics) and each rank's loss is scaled so that DDP's gradient average
equals the gradient of the mean loss over the whole global batch — the same step a single
process takes. Only rank 0 writes the cache and reports progress.
"""
from __future__ import annotations

import copy
import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .data import DataError, Dataset
from .grouping import SensorGrouping, suggest_groups
from .metrics import regression_metrics
from .models import MODELS, Forecaster
from .windows import (Scaler, Windows, WindowSpec, input_columns, input_groups, make_windows,
                      split_rows)

Progress = Callable[[float, str], None]


class TrainingCancelled(Exception):
    """Raised by ``train()`` when its ``cancel`` event was set; nothing is cached."""


class TrainingError(RuntimeError):
    """Training could not produce a usable model (e.g. the loss became NaN)."""


@dataclass
class TrainConfig:
    model: str = "pa_lstm"
    hidden_size: int = 32
    epochs: int = 40
    batch_size: int = 128
    lr: float = 3e-3
    seed: int = 0
    device: str = "auto"          # "auto" (CUDA when present), "cpu", "cuda", "cuda:1"
    patience: int = 6             # epochs without validation improvement before stopping
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    amp: bool = True              # bf16 autocast on CUDA; ignored on CPU

    def __post_init__(self):
        if self.model not in MODELS:
            raise DataError(f"Unknown model '{self.model}'. Choose one of: {', '.join(MODELS)}.")
        for name in ("hidden_size", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise DataError(f"{name} must be at least 1.")
        if not self.lr > 0:
            raise DataError("The learning rate must be positive (e.g. 0.001).")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def dist_info() -> tuple[int, int]:
    """(world size, rank) of an initialised torch.distributed group, else (1, 0)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def resolve_device(device: str = "auto") -> torch.device:
    world, _ = dist_info()
    if world > 1 and device in ("auto", "cuda") and torch.cuda.is_available():
        import os
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DataError("A GPU (CUDA) was requested but none is available; use device 'cpu'.")
    return dev


def device_name(device: str = "auto") -> str:
    dev = resolve_device(device)
    if dev.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(dev)}"
    return f"CPU ({torch.get_num_threads()} threads)"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that determines a trained model; part of every cache key."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted([*here.glob("models/*.py"), here / "train.py", here / "windows.py"]):
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


# ---------------------------------------------------------------------------- batching
class DeviceDrive:
    """A scaled drive on the device; batches of windows are gathered by index."""

    def __init__(self, w: Windows, device: torch.device):
        self.x = torch.as_tensor(w.x, device=device)                    # (T, F)
        self.y = torch.as_tensor(w.y, device=device)                    # (T,)
        self.offsets = torch.arange(w.lookback, device=device)          # (L,)
        self.target_row = w.target_row

    def batch(self, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[starts[:, None] + self.offsets], self.y[self.target_row(starts)]

    def batches(self, starts: torch.Tensor, size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for i in range(0, len(starts), size):
            yield self.batch(starts[i:i + size])


def _autocast(device: torch.device, enabled: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16,
                          enabled=enabled and device.type == "cuda")


# ---------------------------------------------------------------------------- TrainedRun
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

    def explain(self, ds: Dataset, part: str = "all"):
        """Attention of every window of ``ds`` (row i matches ``predict(ds)`` row i)."""
        from .explain import Attention
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


# ---------------------------------------------------------------------------- train()
def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled("Training was cancelled.")


def train(ds: Dataset, target: str, grouping: SensorGrouping | None = None,
          window: WindowSpec | None = None, config: TrainConfig | None = None,
          cache=None, progress: Progress | None = None,
          cancel: threading.Event | None = None,
          on_epoch: Callable[[dict], None] | None = None) -> TrainedRun:
    """Train ``config.model`` to predict ``target`` of ``ds`` from the grouped sensors.

    Splits ``ds`` chronologically (``window.split``), fits the scaler on the training rows only,
    trains with early stopping, evaluates on the last (test) part, and caches the run when
    ``cache`` (a ``ModelCache``) is given; an identical earlier run is returned from the cache
    without training. ``progress(fraction, message)`` is called as training goes;
    ``on_epoch(entry)`` gets each history entry; setting ``cancel`` stops with
    ``TrainingCancelled``.
    """
    t_start = time.perf_counter()
    world, rank = dist_info()
    if rank != 0:                                   # only rank 0 reports and writes the cache
        progress = on_epoch = None
    grouping = grouping or suggest_groups(ds, target)
    window = window or WindowSpec()
    config = config or TrainConfig()
    grouping.validate(ds, target)
    key = run_key(ds, target, grouping, window, config)
    if cache is not None:
        cached = cache.load(key, device=config.device)
        if cached is not None:
            if progress:
                progress(1.0, "Loaded from cache")
            return cached

    columns = input_columns(grouping, target, window)
    val_start, test_start = split_rows(len(ds), window)
    scaler = Scaler.fit(ds.frame[columns + [target]].iloc[:val_start].to_numpy(dtype=float))
    w = make_windows(ds, columns, target, window, scaler, need_target=True)
    parts = {p: w.part(p, len(ds), window) for p in ("train", "val", "test")}
    for p, need in (("train", 8), ("val", 1), ("test", 1)):
        if len(parts[p]) < need:
            raise DataError(f"{ds.label}: only {len(parts[p])} complete window(s) in the {p} part "
                            f"(lookback {window.lookback}, horizon {window.horizon}). Use a longer "
                            "recording, a shorter lookback, or fill the missing values.")

    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    model = build_model(config, input_groups(grouping, target, window), columns, target,
                        window).to(device)
    drive = DeviceDrive(w, device)
    starts = {p: torch.as_tensor(v, device=device) for p, v in parts.items()}
    amp = config.amp and device.type == "cuda"
    net = model
    if world > 1 and not model.closed_form:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    history: list[dict] = []

    def evaluate(part: str) -> float:
        model.eval()
        total = 0.0
        with torch.no_grad(), _autocast(device, amp):
            for xb, yb in drive.batches(starts[part], 4096):
                total += float(((model(xb).y.float() - yb) ** 2).sum())
        if world > 1:                               # every rank takes rank 0's decision
            t = torch.tensor([total], dtype=torch.float64, device=device)
            torch.distributed.broadcast(t, 0)
            total = float(t)
        return total / len(starts[part])

    if model.closed_form:
        t0 = time.perf_counter()
        model.fit_closed_form(drive.batches(starts["train"], 4096), list(drive.batches(starts["val"], 4096)))
        history.append({"epoch": 1, "train_loss": evaluate("train"), "val_loss": evaluate("val"),
                        "seconds": time.perf_counter() - t0})
        if on_epoch:
            on_epoch(history[-1])
        if progress:
            progress(1.0, f"{config.model}: fitted in closed form")
    else:
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        gen = torch.Generator(device="cpu").manual_seed(config.seed)
        n_train = len(starts["train"])
        n_batches = math.ceil(n_train / config.batch_size)
        best = (float("inf"), None, 0)
        for epoch in range(1, config.epochs + 1):
            t0 = time.perf_counter()
            model.train()
            order = starts["train"][torch.randperm(n_train, generator=gen).to(device)]
            total = 0.0
            for b in range(n_batches):
                _check(cancel)
                batch = order[b * config.batch_size:(b + 1) * config.batch_size]
                n_global = len(batch)
                if world > 1:
                    shard = batch[rank::world]
                    # a rank without windows in a short last batch still joins the gradient
                    # average, with a zero-weighted copy of one window
                    weight = world / n_global if len(shard) else 0.0
                    xb, yb = drive.batch(shard if len(shard) else batch[:1])
                else:
                    weight = 1.0 / n_global
                    xb, yb = drive.batch(batch)
                with _autocast(device, amp):
                    sq = torch.sum((net(xb).y.float() - yb) ** 2)
                    loss = sq * weight
                if world > 1:
                    batch_sum = (sq.detach() if weight else sq.detach() * 0).reshape(1).double()
                    torch.distributed.all_reduce(batch_sum)
                    batch_loss = float(batch_sum) / n_global
                else:
                    batch_loss = float(sq.detach()) / n_global
                if not math.isfinite(batch_loss):
                    raise TrainingError(
                        f"Training diverged: the loss became {batch_loss} in epoch {epoch}. "
                        "Try a smaller learning rate, or check the data for extreme values.")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                opt.step()
                total += batch_loss * n_global
                if progress:
                    progress(((epoch - 1) + (b + 1) / n_batches) / config.epochs,
                             f"epoch {epoch}/{config.epochs}")
            val = evaluate("val")
            history.append({"epoch": epoch, "train_loss": total / n_train, "val_loss": val,
                            "seconds": time.perf_counter() - t0})
            if on_epoch:
                on_epoch(history[-1])
            if progress:
                progress(epoch / config.epochs,
                         f"epoch {epoch}/{config.epochs}: train {total / n_train:.4f}, val {val:.4f}")
            if val < best[0]:
                best = (val, copy.deepcopy(model.state_dict()), epoch)
            elif epoch - best[2] >= config.patience:
                break
        model.load_state_dict(best[1])
    train_seconds = time.perf_counter() - t_start

    run = TrainedRun(model=model, target=target, grouping=grouping, window=window, config=config,
                     scaler=scaler, columns=columns, metrics={}, history=history, key=key,
                     data_name=ds.name, data_fingerprint=ds.fingerprint(), simulated=ds.simulated,
                     target_unit=ds.units.get(target, ""),
                     created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    test = run.predict(ds, part="test")
    run.metrics = regression_metrics(test["actual"], test["predicted"])
    run.timings = {"train_seconds": train_seconds, "epochs": len(history),
                   "best_epoch": int(np.argmin([h["val_loss"] for h in history])) + 1,
                   "device": device_name(str(device))}
    if cache is not None and rank == 0:
        cache.save(run)
    return run
