"""``TrainConfig`` (what to train and how) and the errors ``train()`` raises."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from ..checks import flag, real_number, whole_number
from ..data import DataError
from ..models import MODELS
from ..i18n import _

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
    raise DataError(_("Unknown device {device!r}. Use 'auto' (a GPU when there is one), "
                       "'cpu', 'cuda' or 'cuda:N' for the N-th GPU.",
                       device=device))


LOSSES = {"huber": "Huber loss (robust to rare spikes; the default)",
          "mse": "mean squared error"}
ATTENTIONS = {"luong": "Luong dot-product attention, score = d_kᵀ h_j (the default)",
              "bahdanau": "Bahdanau additive attention, score = vᵀ tanh(W d_{k-1} + U h_j)"}
SCHEDULES = {"cosine": "cosine decay per batch to 2 % of lr at the last epoch (the default)",
             "none": "constant learning rate"}


def _choice(name: str, value, options: dict[str, str]) -> str:
    """``value`` if it is one of ``options`` (case and spaces ignored), else DataError."""
    if isinstance(value, str) and value.strip().lower() in options:
        return value.strip().lower()
    listed = "; ".join(f"'{k}' = {v}" for k, v in options.items())
    raise DataError(_("Unknown {name} {value!r}. Choose one of: {listed}.", name=name,
                       value=value, listed=listed))


@dataclass
class TrainConfig:
    model: str = "pa_lstm"
    hidden_size: int = 32
    epochs: int = 25
    batch_size: int = 128
    lr: float = 3e-3
    seed: int = 0
    device: str = "auto"          # "auto" (CUDA when present), "cpu", "cuda", "cuda:1"
    patience: int = 6             # epochs without validation improvement before stopping
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    amp: bool = True              # bf16 autocast on CUDA; ignored on CPU
    loss: str = "huber"           # training loss: "huber" or "mse" (validation stays MSE)
    huber_delta: float = 0.1      # Huber's switch from squared to linear, in scaled target units
    lr_schedule: str = "cosine"   # "cosine": per batch down to 2 % of lr at the last epoch; "none"
    cpu_threads: int = 0          # torch threads on CPU; 0 = auto (see loop.cpu_threads)
    attention: str = "luong"      # seq2seq decoder attention: "luong" (dot product), "bahdanau"
    teacher_forcing: float = 0.5  # seq2seq: chance a decoder step is fed the true previous
                                  # target in epoch 1, falling linearly to 0 at the last epoch

    # settings that change how fast a run trains, never what it learns: not in the run key
    NOT_IN_KEY = ("device", "cpu_threads")
    # settings only some models read: left out of ``to_dict`` (and so of the run key and the
    # cached run.json) for the others, whose runs read and are keyed as before
    MODEL_SETTINGS = {"attention": ("seq2seq",), "teacher_forcing": ("seq2seq",)}

    def __post_init__(self):
        """Check every setting (DataError in plain words); whole-number floats become ints."""
        if not isinstance(self.model, str) or self.model not in MODELS:
            raise DataError(_("Unknown model {model!r}. Choose one of: {join}.",
                               model=self.model, join=', '.join(MODELS)))
        for name in ("hidden_size", "epochs", "batch_size", "patience"):
            setattr(self, name, whole_number(name, getattr(self, name), minimum=1))
        self.seed = whole_number("seed", self.seed, minimum=0, maximum=2**32 - 1)
        self.lr = real_number("The learning rate (lr)", self.lr, positive=True, example="0.001")
        self.weight_decay = real_number("weight_decay", self.weight_decay, minimum=0.0)
        self.grad_clip = real_number("grad_clip (0 = off)", self.grad_clip, minimum=0.0)
        self.device = check_device(self.device)
        self.loss = _choice("loss", self.loss, LOSSES)
        self.huber_delta = real_number("huber_delta", self.huber_delta, positive=True,
                                       example="0.1")
        self.lr_schedule = _choice("lr_schedule", self.lr_schedule, SCHEDULES)
        self.cpu_threads = whole_number("cpu_threads (0 = auto)", self.cpu_threads, minimum=0,
                                        maximum=1024)
        self.amp = flag("amp", self.amp)
        self.attention = _choice("attention", self.attention, ATTENTIONS)
        self.teacher_forcing = real_number("teacher_forcing (0 = off, 1 = always)",
                                           self.teacher_forcing, minimum=0.0)
        if self.teacher_forcing > 1:
            raise DataError(_("teacher_forcing is a share of decoder steps between 0 and "
                               "1, not {teacher_forcing:g}; e.g. 0.5.",
                               teacher_forcing=self.teacher_forcing))

    def to_dict(self) -> dict:
        d = asdict(self)
        for name, models in self.MODEL_SETTINGS.items():
            if self.model not in models:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        # runs saved before these settings existed were trained with MSE and a constant lr
        d = {"loss": "mse", "lr_schedule": "none", **d}
        return cls(**{k: v for k, v in d.items() if k in names})
