"""``TrainConfig`` (what to train and how) and the errors ``train()`` raises."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from ..data import DataError
from ..models import MODELS

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
