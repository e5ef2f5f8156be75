"""A trained model's own attention maps beyond ``run.explain``: every head of the transformer,
the decoder-step × encoder-step attention of seq2seq, for chosen windows of a drive.

    m = model_maps(run, ds, windows=[0, 10])      # {} for models without such maps
    m["layer 2"]      transformer: (n, heads, L, L)  query step × key step, rows sum to 1
    m["decoder"]      seq2seq: (n, steps, L)         decoder step × encoder step, rows sum to 1

The windows are those of ``run.predict(ds, part)`` (one per origin; row i = window i).
``run.explain`` keeps one (n, L) temporal map per window (the transformer's last layer, newest
query, mean over heads; seq2seq's decoder map averaged over the steps).
"""
from __future__ import annotations

import numpy as np
import torch


def model_maps(run, ds, windows=None, part: str = "all") -> dict[str, np.ndarray]:
    """The model's ``attention_maps`` for the ``windows`` (row numbers; None = all) of the
    ``part`` windows of ``ds``; {} when the model has none."""
    model = run.model
    if not hasattr(model, "attention_maps"):
        return {}
    x_all = run.inputs(ds, part).x
    idx = np.arange(len(x_all)) if windows is None else np.atleast_1d(np.asarray(windows, int))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: dict[str, list[np.ndarray]] = {}
    try:
        for i in range(0, len(idx), 512):
            x = torch.as_tensor(np.ascontiguousarray(x_all[idx[i:i + 512]]), device=device)
            for name, v in model.attention_maps(x).items():
                out.setdefault(name, []).append(v.float().cpu().numpy())
    finally:
        model.train(was_training)
    return {k: np.concatenate(v) for k, v in out.items()}
