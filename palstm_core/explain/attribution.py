"""Attribution maps (which sensor, when) for any trained model, computed with Captum.

    attr = attribute(run, ds, method="integrated_gradients", windows=None, part="all")
    attr.values        (n, L, F) attribution of every input cell x^k_t of every window
    attr.delta         (n,) IG convergence delta per window (None for the other methods)
    attr.to_frame()    long table: time, lag, feature, value

Methods (Captum; the map is in the units of the *scaled* target, i.e. target standard
deviations of the training part):

  integrated_gradients  Sundararajan et al. 2017. (x − x') ⊙ ∫ ∂f/∂x(x' + a(x − x')) da,
                        Riemann/Gauss-Legendre with ``n_steps`` (default 50). Completeness:
                        Σ cells = f(x) − f(x') − delta.
  occlusion             Zeiler & Fergus 2014: f(x) − f(x with one cell set to the baseline),
                        a (1, 1) window over (lookback, features), stride 1.
  feature_ablation      the same single-cell removal through Captum's FeatureAblation with one
                        mask id per cell (equal to occlusion up to rounding; kept because it is
                        what Captum users know).
  saliency              Simonyan et al. 2014: |∂f/∂x| at the window itself (no baseline).

Baseline x' = the training mean of every input, which is 0 in the scaled space the model sees
(the scaler is fitted on the training part only).

The windows are those of ``run.predict(ds, part)`` (row i = predict row i); ``windows`` picks
rows of that. The model stays in eval mode (no dropout). On CUDA the cuDNN RNN kernels refuse
a backward pass in eval mode, so cuDNN is switched off during attribution. Models whose output
does not depend on the inputs (persistence without the target's history: it predicts the
training mean) get an all-zero map and a ``note`` saying why, rather than an error, so a
side-by-side view of all runs needs no special case.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..models.base import first_step
from .attention import long_table
from ..i18n import _

METHODS = ("integrated_gradients", "occlusion", "feature_ablation", "saliency")
BASELINE = "training mean (0 in the scaled inputs; the scaler is fitted on the training part)"


@dataclass
class Attribution:
    """Attribution of every input cell of ``n`` windows (row i = ``run.predict(ds, part)`` row
    ``windows[i]``).

    values    (n, L, F) float attribution (scaled-target units); last step = newest input
    times     (n,) time each window predicts
    features  the F input column names
    method    one of ``METHODS``
    baseline  what "removed" means (the training mean), "" for saliency
    delta     (n,) IG convergence delta, f(x) − f(x') − Σ values; None for other methods
    windows   (n,) row numbers within the part's windows
    drives    (n,) drive of each window for a campaign, else None
    note      a plain sentence when the map is degenerate (e.g. a model that ignores its
              inputs), else ""
    seconds   wall time of the computation
    """

    values: np.ndarray
    times: np.ndarray
    features: list[str]
    method: str
    baseline: str
    delta: np.ndarray | None = None
    windows: np.ndarray | None = None
    note: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    drives: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)

    @property
    def lookback(self) -> int:
        return self.values.shape[1]

    def to_frame(self) -> pd.DataFrame:
        """Long format (``long_table``), one row per (window, step, feature); ``lag`` = steps
        back from the newest input (0 = newest); a campaign's also has the drive."""
        return long_table(self.times, self.values, self.features, self.drives)


def _no_cudnn(device: torch.device):
    """cuDNN's RNN backward only works in train mode; switch cuDNN off instead (eval stays on,
    so dropout stays off). Nothing to do on CPU."""
    if device.type == "cuda":
        return torch.backends.cudnn.flags(enabled=False)
    return contextlib.nullcontext()


def attribute(run, ds, method: str = "integrated_gradients", windows=None, part: str = "all",
              batch_size: int = 256, n_steps: int = 50) -> Attribution:
    """Attribution map (n, L, F) of ``run``'s prediction for the ``part`` windows of ``ds`` (a
    Dataset or a Campaign: ``run.inputs``).

    ``windows``: None (all windows of the part) or row numbers within them. ``batch_size``:
    windows per Captum call; IG evaluates ``n_steps`` points per window in chunks of
    ``batch_size`` (Captum's ``internal_batch_size``), occlusion/ablation evaluate
    ``max(1, batch_size // n)`` perturbations per forward pass of ``n`` windows.
    """
    from captum.attr import FeatureAblation, IntegratedGradients, Occlusion, Saliency

    if method not in METHODS:
        raise ValueError(_("Unknown attribution method '{method}'. Choose one of: {join}.",
                            method=method, join=', '.join(METHODS)))
    t0 = time.perf_counter()
    inp = run.inputs(ds, part)
    x_all = inp.x
    idx = np.arange(len(x_all)) if windows is None else np.atleast_1d(np.asarray(windows, int))
    if len(idx) and (idx.min() < 0 or idx.max() >= len(x_all)):
        raise IndexError(f"window index out of range: the {part!r} part has {len(x_all)} windows")
    model = run.model
    device = next(model.parameters()).device
    n, L, F = len(idx), run.window.lookback, len(run.columns)
    values = np.zeros((n, L, F), dtype=np.float32)
    delta = np.zeros(n, dtype=np.float32) if method == "integrated_gradients" else None
    result = Attribution(values, np.asarray(inp.times)[idx], list(run.columns), method,
                         "" if method == "saliency" else BASELINE, delta, idx,
                         drives=None if inp.drives is None else inp.drives[idx])
    if n == 0:
        return result

    def f(x: torch.Tensor) -> torch.Tensor:
        return first_step(model(x).y).float()

    was_training = model.training
    model.eval()
    try:
        with _no_cudnn(device), torch.enable_grad():
            probe = torch.as_tensor(np.ascontiguousarray(x_all[idx[:1]]), device=device)
            if not f(probe.requires_grad_(True)).requires_grad:
                result.note = (f"{run.config.model} does not use its inputs here (it predicts a "
                               "constant), so every cell's attribution is 0.")
                result.seconds = time.perf_counter() - t0
                return result
            cells = torch.arange(L * F, device=device).view(1, L, F)
            for i in range(0, n, batch_size):
                x = torch.as_tensor(np.ascontiguousarray(x_all[idx[i:i + batch_size]]),
                                    device=device)
                b = len(x)
                base = torch.zeros_like(x)
                per_eval = max(1, batch_size // b)
                if method == "integrated_gradients":
                    a, d = IntegratedGradients(f).attribute(
                        x, baselines=base, n_steps=n_steps, internal_batch_size=batch_size,
                        return_convergence_delta=True)
                    delta[i:i + b] = d.detach().float().cpu().numpy()
                elif method == "occlusion":
                    a = Occlusion(f).attribute(x, sliding_window_shapes=(1, 1), strides=(1, 1),
                                               baselines=0.0, perturbations_per_eval=per_eval)
                elif method == "feature_ablation":
                    a = FeatureAblation(f).attribute(x, baselines=0.0,
                                                     feature_mask=cells.expand(b, L, F),
                                                     perturbations_per_eval=per_eval)
                else:
                    a = Saliency(f).attribute(x.requires_grad_(True), abs=True)
                values[i:i + b] = a.detach().float().cpu().numpy()
    finally:
        model.train(was_training)
    result.seconds = time.perf_counter() - t0
    return result
