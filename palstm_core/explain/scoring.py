"""The one deletion scorer: a model's predictions on windows with some input cells removed
(replaced by the training mean, which is 0 in the scaled inputs). ``deletion_curve`` and
``faithfulness`` differ only in which cells they remove."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..models.base import first_step

# keep(i, x) -> (M, b, L, F) bool tensor: the cells kept in each of the M masked copies of the
# windows x = rows[i:i + b] (True = kept)
KeepMasks = Callable[[int, torch.Tensor], torch.Tensor]


def removed_predictions(model, x_all: np.ndarray, rows: np.ndarray, keep: KeepMasks,
                        n_masks: int, chunk: int) -> np.ndarray:
    """(n_masks, len(rows)) scaled predictions of ``model`` for the windows ``x_all[rows]``
    with the cells ``keep`` does not keep set to 0 (the training mean) — of the first forecast
    step for a multi-step model; ``chunk`` windows at a time, all their masked copies in one forward pass. The model is put in eval mode (and
    back)."""
    n, (L, F) = len(rows), x_all.shape[1:]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    preds = np.empty((n_masks, n), dtype=np.float32)
    try:
        with torch.no_grad():
            for i in range(0, n, chunk):
                x = torch.as_tensor(np.ascontiguousarray(x_all[rows[i:i + chunk]]),
                                    device=device)                          # (b, L, F)
                b = len(x)
                batch = x[None] * keep(i, x)                                # (M, b, L, F)
                preds[:, i:i + b] = first_step(model(batch.reshape(-1, L, F)).y).float().view(
                    n_masks, b).cpu().numpy()
    finally:
        model.train(was_training)
    return preds
