"""``TrainConfig`` (what to train and how) and the errors ``train()`` raises."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from ..checks import flag, real_number, whole_number
from ..data import DataError
from ..models import MODELS

Progress = Callable[[float, str], None]


class TrainingCancelled(Exception):
    """Raised by ``train()`` when its ``cancel`` event was set; nothing is cached."""


class TrainingError(RuntimeError):
    """Training could not produce a usable model (e.g. the loss became NaN)."""


def check_device(device) -> str:
    """``device`` if it names a device this package can use ("auto", "cpu", "cuda", "cuda:N"),
    else DataError. Whether that device is present is checked when training starts."""
    if isinstance(device, str) and re.fullmatch(r"auto|cpu|cuda(:\d+)?", device.strip()):
        return device.strip()
    raise DataError(f"Unknown device {device!r}. Use 'auto' (a GPU when there is one), 'cpu', "
                    "'cuda' or 'cuda:N' for the N-th GPU.")


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
        """Check every setting (DataError in plain words); whole-number floats become ints."""
        if not isinstance(self.model, str) or self.model not in MODELS:
            raise DataError(f"Unknown model {self.model!r}. Choose one of: {', '.join(MODELS)}.")
        for name in ("hidden_size", "epochs", "batch_size", "patience"):
            setattr(self, name, whole_number(name, getattr(self, name), minimum=1))
        self.seed = whole_number("seed", self.seed, minimum=0, maximum=2**32 - 1)
        self.lr = real_number("The learning rate (lr)", self.lr, positive=True, example="0.001")
        self.weight_decay = real_number("weight_decay", self.weight_decay, minimum=0.0)
        self.grad_clip = real_number("grad_clip (0 = off)", self.grad_clip, minimum=0.0)
        self.device = check_device(self.device)
        self.amp = flag("amp", self.amp)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})
