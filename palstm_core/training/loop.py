"""The training loop: batches gathered on the device, epochs, early stopping, DDP sharding.

The drive stays on the device as one (T, F) tensor; a batch of windows is gathered by indexing
rows ``start + arange(lookback)``, so no (N, lookback, F) window tensor is ever materialised.
Adam on the training loss (``config.loss``: Huber with ``huber_delta`` in scaled target units by
default, or MSE) plus the model's own regulariser where it has one (``ModelOutput.penalty``, e.g.
PA-LSTM's attention entropy; the history's losses leave it out), a per-batch cosine
learning-rate decay to 2 % of ``lr`` (``config.lr_schedule``), early stopping on the validation
MSE with the best weights restored. The validation loss and the history's ``val_loss`` are
always MSE, whatever the training loss, so runs stay comparable.

CPU threads: the DA-RNN recurrence (and PA-LSTM's before issue 20, whose branches are now fused
LSTMs) runs ~30 small kernels per time step, each ending
in an OpenMP barrier. On a machine whose cores are shared with other processes, a second torch
thread waits at every barrier for a core the OS gave to someone else: measured 11-21x slower
than one thread (docs/benchmarks.md). With passive waiting (``OMP_WAIT_POLICY=PASSIVE``, which the
package sets before torch loads) one thread is faster even on an idle 2-core machine (urban sample
PA-LSTM before issue 20: 46 s with 1 thread, 76 s with 2). ``cpu_threads(config)`` therefore gives
DA-RNN one thread, and the other models (PA-LSTM included) one thread when the machine is busy
(1-minute load average >= 1) and torch's own count otherwise.

Multi-GPU / multi-process: when ``torch.distributed`` is initialised with more than one process
(``torchrun --nproc_per_node=N -m palstm_core train …``), the model is wrapped in
DistributedDataParallel. Every rank draws the same shuffled order of training windows; each
global batch of ``batch_size`` windows is split across the ranks (rank r takes every N-th window,
DistributedSampler semantics) and each rank's loss is scaled so that DDP's gradient average
equals the gradient of the mean loss over the whole global batch — the same step a single
process takes. A model's penalty on a statistic of the batch (PA-LSTM's mean α) reads the
global batch through ``Forecaster.batch_sum``, which the loop sets to a summing all_reduce.

Campaigns under torchrun (``shard``): each rank holds only its share of the drives. Training
windows then carry a global number (``shard`` = their numbers, and the count over all ranks);
every rank shuffles the global numbers with the same generator, takes from each global batch the
windows it holds, and weights its loss the same way, so the steps are those of one process over
all drives. Validation sums are all-reduced instead of taken from rank 0.

Multi-step forecasts (``WindowSpec.steps`` = S > 1): a batch's targets are (B, S). The training
objective is the weighted geometric mean G = Π_k L_k^{w_k} of the per-step mean losses L_k, with
w_1 = 1/2 and w_k = 1/(2(S-1)) for the later steps (``geometric_mean``, ``step_weights``):
minimising it minimises Σ_k w_k log L_k, whose gradient Σ_k w_k ∇L_k / L_k weights each step by
its own error (scale-free per step; Kendall, Gal & Cipolla 2018 at the optimal σ_k, no extra
parameters), and step 1 counts as much as all later steps together. Early stopping keeps the
epoch with the lowest same mean of the per-step validation MSEs (the history's
``val_objective``); the history's ``train_loss`` and ``val_loss`` stay the plain means over
all windows and steps. S = 1 trains and stops exactly as before. Why (urban sample, NOx from
the sensors, ``WindowSpec(30, 1, steps=10)``, ``TrainConfig`` defaults, PA-LSTM, seeds 0/1/2,
one CPU thread; the ``steps=1`` runs: test R² 0.989 / 0.986 / 0.978; linear's best step −0.37):
  plain mean (before)       step 1 0.956 / 0.897 / 0.964, worst step −4.03 / 0.43 / 0.22
  geometric mean (w = 1/S)  step 1 0.977 / 0.956 / 0.965, worst step −0.67 / 0.39 / 0.47
  ... and the epoch kept by step 1's validation MSE: no gain (seed 2: step 1 0.961)
  power mean q = −1         step 1 0.901 / 0.952 / 0.962, worst step  0.53 / 0.43 / 0.47
  w_1 = 0.3                 step 1 0.985 / 0.979 / 0.966, worst step  0.51 / 0.44 / 0.49
  w_1 = 1/2 (kept)          step 1 0.991 / 0.983 / 0.978, worst step  0.40 / 0.09 / 0.24
With equal weights step 1 falls 0.01-0.06 short of the one-step run (probably because steps
2-4, which the analyzers' transport delay makes the easiest, set the shared encoder); w_1 = 1/2 is the
only setting tried that keeps step 1 within 0.01 of it on all three seeds, at the price of the
middle steps (R² over all rows 0.745 / 0.564 / 0.665 against 0.319 / 0.780 / 0.814 for the
geometric mean); every step stays above linear and persistence (docs/benchmarks.md). Seed 0 of
lstm / gru (mean R², step 1): plain 0.766, 0.924 / 0.785, 0.959; geometric 0.836, 0.971 /
0.781, 0.976; w_1 = 1/2 0.781, 0.917 / 0.756, 0.975.
The final PA-LSTM (with its entropy penalty on α), w_1 = 1/2: step 1 0.986 / 0.974 / 0.983
against one-step runs of 0.984 / 0.987 / 0.976, worst step 0.26 / −0.10 / −0.03 (linear at those
steps −0.85 / −0.57 / −0.85).
Teacher-forced models (seq2seq) get the true targets in training (``model(x, y)``) and
``set_epoch`` before each epoch.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from ..models import Forecaster
from ..windows import Windows
from .config import Progress, TrainConfig, TrainingCancelled, TrainingError
from .device import autocast, dist_info
from ..i18n import _


# Divergence: a validation loss this many times the best so far (and above this many times the
# variance of the scaled target) stops training; a test R² below ``MIN_R2`` with an RMSE above
# ``MAX_SCALED_RMSE`` training-target standard deviations is refused (see ``check_scores``).
DIVERGED = 1e3
MIN_R2 = -10.0
MAX_SCALED_RMSE = 3.0


def check_scores(metrics: dict, target_std: float, config: TrainConfig) -> None:
    """TrainingError when the test scores show a diverged model: R² < ``MIN_R2`` (the error
    variance is over 11× the test target's variance, far below a constant guess at R² = 0 and
    the persistence baseline) *and* RMSE > ``MAX_SCALED_RMSE`` × the target's standard deviation
    on the training part (so a quiet test span with a tiny variance alone does not trigger it)."""
    r2, rmse = metrics.get("r2", math.nan), metrics.get("rmse", math.nan)
    if not math.isfinite(rmse):                   # no scored rows: nothing to judge
        return
    scaled = rmse / target_std if target_std > 0 else math.inf
    if not (r2 < MIN_R2 and scaled > MAX_SCALED_RMSE):
        return
    raise TrainingError(
        _("Training diverged: on the test span R² is {r2:.3g} and the typical error is "
           "{scaled:.3g}× the spread of the target, far worse than a constant guess. The "
           "run was not cached. Try a smaller learning rate (now {lr:g}, e.g. {value:g}), "
           "or check the data for extreme values.", r2=r2, scaled=scaled,
           lr=config.lr, value=config.lr / 10))


# the smallest per-step loss the geometric mean takes the log of (a step fitted exactly)
TINY = 1e-12
# the share of step 1 in the multi-step objective; the other S - 1 steps share the rest
STEP1_WEIGHT = 0.5


def step_weights(n_steps: int, device=None) -> torch.Tensor:
    """Weights w_k of the S > 1 steps in ``geometric_mean``: 1/2 for step 1 and
    1 / (2 (S - 1)) for each later step (they sum to 1)."""
    w = torch.full((n_steps,), (1 - STEP1_WEIGHT) / (n_steps - 1), dtype=torch.float64,
                   device=device)
    w[0] = STEP1_WEIGHT
    return w


def geometric_mean(losses: torch.Tensor) -> torch.Tensor:
    """Π_k L_k^{w_k} = exp(Σ_k w_k log L_k) of the per-step losses ``losses`` (S,), with the
    ``step_weights``: the multi-step training objective and early-stopping criterion (module
    docstring)."""
    w = step_weights(len(losses), losses.device).to(losses.dtype)
    return torch.exp((w * torch.log(losses.clamp_min(TINY))).sum())


def best_epoch(history: list[dict]) -> int:
    """The epoch whose weights ``fit`` kept: the lowest ``val_objective`` (multi-step runs),
    else the lowest ``val_loss``."""
    return int(np.argmin([h.get("val_objective", h["val_loss"]) for h in history])) + 1


class DeviceDrive:
    """A scaled drive on the device; batches of windows are gathered by index."""

    def __init__(self, w: Windows, device: torch.device):
        self.x = torch.as_tensor(w.x, device=device)                    # (T, F)
        self.y = torch.as_tensor(w.y, device=device)                    # (T,)
        self.offsets = torch.arange(w.lookback, device=device)          # (L,)
        self.target_row = w.target_row
        self.n_steps = w.steps
        self.step_offsets = torch.arange(w.steps, device=device)       # (S,)

    def batch(self, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (B, L, F) and targets (B,), or (B, S) for a multi-step forecast."""
        if self.n_steps > 1:
            rows = self.target_row(starts)[:, None] + self.step_offsets
            return self.x[starts[:, None] + self.offsets], self.y[rows]
        return self.x[starts[:, None] + self.offsets], self.y[self.target_row(starts)]

    def batches(self, starts: torch.Tensor, size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for i in range(0, len(starts), size):
            yield self.batch(starts[i:i + size])


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled(_("Training was cancelled."))


# the 1-minute load average at or above which the machine counts as shared (one thread is used)
BUSY_LOAD = 1.0


def busy() -> bool:
    """True when other processes use the CPU now: the 1-minute load average is at least
    ``BUSY_LOAD``, or another process is runnable at this instant (/proc/loadavg, Linux)."""
    try:
        if os.getloadavg()[0] >= BUSY_LOAD:
            return True
        with open("/proc/loadavg", encoding="ascii") as fh:
            running = int(fh.read().split()[3].split("/")[0])
        return running > 1                          # this process is one of them
    except (OSError, AttributeError, ValueError, IndexError):
        return True                                 # cannot tell: one thread is the safe choice


# models whose recurrence is many small kernels per step (attention_encoder.py): one thread
# (PA-LSTM runs its branches as fused LSTMs since issue 20 and follows the rule of the others)
SMALL_KERNEL_MODELS = ("da_rnn",)


def auto_threads(model: str = "") -> int:
    """Torch CPU threads for training when ``cpu_threads`` is 0: 1 for the small-kernel
    recurrences and on a busy machine (spinning threads collapse them), else torch's own."""
    return 1 if model in SMALL_KERNEL_MODELS or busy() else torch.get_num_threads()


@contextlib.contextmanager
def cpu_threads(config: TrainConfig, device: torch.device):
    """Run the body with ``config.cpu_threads`` torch threads on CPU (0 = ``auto_threads()``);
    the previous count is restored afterwards. Nothing changes on a GPU."""
    if device.type != "cpu":
        yield None
        return
    before = torch.get_num_threads()
    torch.set_num_threads(config.cpu_threads or auto_threads(config.model))
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def fit(model: Forecaster, w: Windows, parts: dict[str, np.ndarray], config: TrainConfig,
        device: torch.device, progress: Progress | None = None,
        cancel: threading.Event | None = None,
        on_epoch: Callable[[dict], None] | None = None,
        shard: tuple[np.ndarray, int] | None = None, info: dict | None = None) -> list[dict]:
    """Fit ``model`` (already on ``device``) on the ``parts["train"]`` windows of ``w``, with
    early stopping on ``parts["val"]``; returns the per-epoch history. ``shard`` = (global
    number of each local training window, training windows over all ranks) when each rank
    holds its own drives. ``info`` (a dict) gets ``threads``: the torch CPU threads training
    used (None on a GPU). An exception raised by ``on_epoch`` (e.g. ``optuna.TrialPruned``)
    stops training and propagates unchanged."""
    loop = _Loop(model, w, parts, config, device, progress, cancel, on_epoch)
    if shard is not None:
        loop.shard(*shard)
    with cpu_threads(config, device) as threads:
        if info is not None:
            info["threads"] = threads
        try:
            if model.closed_form:
                loop.closed_form()
            else:
                loop.epochs()
        finally:
            model.batch_sum = None                  # the trained model is one process's again
    return loop.history


def _ranks_sum(t: torch.Tensor, share: float) -> torch.Tensor:
    """``t`` summed over the DDP ranks, with gradients; ``share`` 0 leaves out a rank whose
    windows are a zero-weighted placeholder in this batch."""
    from torch.distributed.nn.functional import all_reduce      # all_reduce with gradients
    return all_reduce(t * share)


class _Loop:
    """State of one fit: the drive on the device, window starts per part, the (DDP) net."""

    def __init__(self, model: Forecaster, w: Windows, parts: dict[str, np.ndarray],
                 config: TrainConfig, device: torch.device, progress: Progress | None,
                 cancel: threading.Event | None, on_epoch: Callable[[dict], None] | None):
        self.world, self.rank = dist_info()
        self.model, self.config, self.device = model, config, device
        self.progress, self.cancel, self.on_epoch = progress, cancel, on_epoch
        self.drive = DeviceDrive(w, device)
        self.starts = {p: torch.as_tensor(v, device=device) for p, v in parts.items()}
        self.amp = config.amp and device.type == "cuda"
        self.net = model
        if self.world > 1 and not model.closed_form:
            self.net = DistributedDataParallel(
                model, device_ids=[device] if device.type == "cuda" else None)
        self.history: list[dict] = []
        self.first_loss: float | None = None
        self.schedule = None
        self.local_of: torch.Tensor | None = None       # global window number -> local index
        self.spare: torch.Tensor | None = None          # a window for zero-weighted steps
        self.n_train = len(self.starts["train"])

    def shard(self, ids: np.ndarray, n_train: int) -> None:
        """This rank holds the training windows numbered ``ids`` of ``n_train`` in all."""
        if self.model.closed_form:
            raise TrainingError(_("{model} is fitted in closed form and cannot be trained "
                                   "on drives spread over several processes; run it in one "
                                   "process, or choose a neural model.",
                                   model=self.config.model))
        self.local_of = torch.full((n_train,), -1, dtype=torch.long, device=self.device)
        self.local_of[torch.as_tensor(ids, device=self.device)] = torch.arange(
            len(ids), device=self.device)
        self.n_train = n_train
        every = torch.cat(list(self.starts.values()))
        self.spare = every[:1]

    def evaluate(self, part: str) -> float:
        """The MSE over all windows and steps of ``part`` (the history's ``val_loss``)."""
        return self.scores(part)[0]

    def scores(self, part: str) -> tuple[float, float]:
        """(MSE over all windows and steps of ``part``, early-stopping criterion). One step:
        the MSE twice. S > 1 steps: the criterion is the geometric mean of the S per-step
        MSEs (``geometric_mean``), the validation twin of the multi-step training loss."""
        model, device, n_steps = self.model, self.device, self.drive.n_steps
        model.eval()
        total = 0.0
        sums = torch.zeros(n_steps, dtype=torch.float64, device=device)   # per-step sums
        with torch.no_grad(), autocast(device, self.amp):
            for xb, yb in self.drive.batches(self.starts[part], 4096):
                err = (model(xb).y.float() - yb) ** 2
                total += float(err.sum())
                if n_steps > 1:
                    sums += err.sum(0).double()
        count = len(self.starts[part])
        if self.local_of is not None:               # each rank holds its own drives
            t = torch.cat([torch.tensor([total, count], dtype=torch.float64, device=device),
                           sums])
            torch.distributed.all_reduce(t)
            total, count, sums = float(t[0]), float(t[1]), t[2:]
        elif self.world > 1:                        # every rank takes rank 0's decision
            t = torch.cat([torch.tensor([total], dtype=torch.float64, device=device), sums])
            torch.distributed.broadcast(t, 0)
            total, sums = float(t[0]), t[1:]
        mse = total / (count * n_steps)
        return mse, (float(geometric_mean(sums / count)) if n_steps > 1 else mse)

    def _record(self, entry: dict) -> None:
        self.history.append(entry)
        if self.on_epoch:
            self.on_epoch(entry)

    def closed_form(self) -> None:
        t0 = time.perf_counter()
        drive, starts = self.drive, self.starts
        self.model.fit_closed_form(drive.batches(starts["train"], 4096),
                                   list(drive.batches(starts["val"], 4096)))
        self._record({"epoch": 1, "train_loss": self.evaluate("train"),
                      "val_loss": self.evaluate("val"), "seconds": time.perf_counter() - t0})
        if self.progress:
            self.progress(1.0, _("{model}: fitted in closed form", model=self.config.model))

    def epochs(self) -> None:
        """Adam epochs with early stopping; the best weights (by validation loss) are restored."""
        config, model = self.config, self.model
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        gen = torch.Generator(device="cpu").manual_seed(config.seed)
        n_train = self.n_train
        self.schedule = None
        if config.lr_schedule == "cosine":
            steps = config.epochs * math.ceil(n_train / config.batch_size)
            self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
                opt, T_max=steps, eta_min=0.02 * config.lr)
        best = (float("inf"), None, 0)
        best_val = float("inf")                     # the lowest MSE so far (divergence check)
        for epoch in range(1, config.epochs + 1):
            t0 = time.perf_counter()
            total = self._epoch(epoch, opt, gen)
            val, crit = self.scores("val")
            entry = {"epoch": epoch, "train_loss": total / n_train, "val_loss": val,
                     "seconds": time.perf_counter() - t0, "lr": opt.param_groups[0]["lr"]}
            if self.drive.n_steps > 1:
                entry["val_objective"] = crit
            self._record(entry)
            if self.progress:
                self.progress(epoch / config.epochs,
                              _("epoch {epoch}/{epochs}: train {value:.4f}, val {val:.4f}",
                                 epoch=epoch, epochs=config.epochs, value=total / n_train,
                                 val=val))
            self._check_divergence(val, best_val, epoch)
            best_val = min(best_val, val)
            if crit < best[0]:
                best = (crit, copy.deepcopy(model.state_dict()), epoch)
            elif epoch - best[2] >= config.patience:
                break
        model.load_state_dict(best[1])

    def _check_divergence(self, val: float, best: float, epoch: int) -> None:
        """TrainingError when the validation loss is not finite, or has grown more than
        ``DIVERGED`` times over the best so far (the untrained model's first batch counts as one)
        and above ``DIVERGED`` itself, in scaled units (a constant guess scores about 1)."""
        reference = min(best, self.first_loss if self.first_loss is not None else math.inf)
        if math.isfinite(val) and not (val > DIVERGED * reference and val > DIVERGED):
            return
        raise TrainingError(
            _("Training diverged: in epoch {epoch} the validation loss became {val:.3g} "
               "(best so far: {reference:.3g}; a constant guess scores about 1). Nothing "
               "was saved. Try a smaller learning rate (now {lr:g}, e.g. {value:g}).",
               epoch=epoch, val=val, reference=reference, lr=self.config.lr,
               value=self.config.lr / 10))

    def _epoch(self, epoch: int, opt: torch.optim.Optimizer, gen: torch.Generator) -> float:
        """One pass over the shuffled training windows; returns the summed training loss."""
        config = self.config
        n_train = self.n_train
        n_batches = math.ceil(n_train / config.batch_size)
        self.model.train()
        order = torch.randperm(n_train, generator=gen).to(self.device)
        if self.model.teacher_forced:
            self.model.set_epoch(epoch, config.epochs)
        if self.local_of is None:
            order = self.starts["train"][order]
        total = 0.0
        for b in range(n_batches):
            _check(self.cancel)
            batch = order[b * config.batch_size:(b + 1) * config.batch_size]
            if self.local_of is not None:           # the windows of this batch held here
                local = self.local_of[batch]
                mine = self.starts["train"][local[local >= 0]]
            elif self.world > 1:
                mine = batch[self.rank::self.world]
            else:
                mine = batch
            total += self._step(mine, len(batch), epoch, opt) * len(batch)
            if self.progress:
                self.progress(((epoch - 1) + (b + 1) / n_batches) / config.epochs,
                              _("epoch {epoch}/{epochs}", epoch=epoch, epochs=config.epochs))
        return total

    def _step(self, mine: torch.Tensor, n_global: int, epoch: int,
              opt: torch.optim.Optimizer) -> float:
        """One optimiser step on a global batch of ``n_global`` windows, of which this rank
        holds ``mine``; returns the global batch's mean loss."""
        world, drive = self.world, self.drive
        per = n_global * drive.n_steps              # loss terms of the global batch
        if world > 1:
            # a rank without windows in this batch still joins the gradient average, with a
            # zero-weighted copy of one window
            weight = world / per if len(mine) else 0.0
            spare = self.spare if self.spare is not None else self.starts["train"][:1]
            xb, yb = drive.batch(mine if len(mine) else spare)
        else:
            weight = 1.0 / per
            xb, yb = drive.batch(mine)
        if world > 1:                               # a batch statistic sums over the ranks;
            self.model.batch_sum = partial(_ranks_sum, share=1.0 if len(mine) else 0.0)
        with autocast(self.device, self.amp):
            out = self.net(xb, yb) if self.model.teacher_forced else self.net(xb)
            if drive.n_steps > 1:
                sums = self._loss_sum(out.y.float(), yb, per_step=True)     # (S,)
                loss, sq = self._multi_step_loss(sums, n_global, weight * per)
            else:
                sq = self._loss_sum(out.y.float(), yb)
                loss = sq * weight
            if out.penalty is not None:             # the model's regulariser, weighted by
                # this rank's share of the global batch × world: DDP's average counts it once
                loss = loss + out.penalty.float() * (len(mine) * world / n_global)
        if world > 1 and drive.n_steps == 1:
            batch_sum = (sq.detach() if weight else sq.detach() * 0).reshape(1).double()
            torch.distributed.all_reduce(batch_sum)
            batch_loss = float(batch_sum) / per
        else:
            batch_loss = float(sq.detach()) / per
        if self.first_loss is None:
            self.first_loss = batch_loss            # the untrained model: divergence reference
        if not math.isfinite(batch_loss):
            raise TrainingError(
                _("Training diverged: the loss became {batch_loss} in epoch {epoch}. Try "
                   "a smaller learning rate, or check the data for extreme values.",
                   batch_loss=batch_loss, epoch=epoch))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        opt.step()
        if self.schedule is not None:
            self.schedule.step()
        return batch_loss

    def _loss_sum(self, pred: torch.Tensor, y: torch.Tensor,
                  per_step: bool = False) -> torch.Tensor:
        """Summed training loss of a batch (Huber or squared error, per ``config.loss``); with
        ``per_step`` the sums of each step, shape (S,), for (B, S) forecasts."""
        if per_step:
            if self.config.loss == "huber":
                return torch.nn.functional.huber_loss(
                    pred, y, reduction="none", delta=self.config.huber_delta).sum(0)
            return ((pred - y) ** 2).sum(0)
        if self.config.loss == "huber":
            return torch.nn.functional.huber_loss(pred, y, reduction="sum",
                                                  delta=self.config.huber_delta)
        return torch.sum((pred - y) ** 2)

    def _multi_step_loss(self, sums: torch.Tensor, n_global: int,
                         share: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss to back-propagate, the global batch's summed loss) of a multi-step batch whose
        per-step loss sums on this rank are ``sums`` (S,); ``share`` is this rank's gradient
        factor (1 in one process, the world size under DDP, 0 for a rank without windows).

        The objective is the weighted geometric mean G = Π_k L_k^{w_k} of the global batch's
        per-step mean losses L_k (``geometric_mean``). Its gradient is G Σ_k w_k ∇L_k / L_k,
        which this returns as share · G Σ_k w_k s_k / S_k with G and the global sums S_k
        detached: each rank's own sums s_k carry the gradient, and DDP's average over ranks
        adds them up to ∇G. In one process the value is G itself."""
        local = sums.detach()
        if self.world > 1:
            local = (local if share else local * 0).double()
            torch.distributed.all_reduce(local)
        global_sums = local.float()
        g = geometric_mean(global_sums / n_global)
        w = step_weights(len(sums), sums.device).float()
        loss = share * g * (w * sums / global_sums.clamp_min(TINY)).sum()
        return loss, global_sums.sum()
