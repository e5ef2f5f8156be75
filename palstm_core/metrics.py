"""Regression metrics in the target's own units."""
from __future__ import annotations

import numpy as np


def regression_metrics(actual, predicted) -> dict[str, float]:
    """RMSE, MAE, MAPE (%) and R² over the rows where both values are finite.

    MAPE divides by max(|actual|, 1 % of mean |actual|) so that near-zero emissions (idle, fuel
    cut) do not blow it up.
    """
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    a, p = a[ok], p[ok]
    if a.size == 0:
        return {"rmse": float("nan"), "mae": float("nan"), "mape": float("nan"), "r2": float("nan")}
    err = p - a
    floor = max(0.01 * float(np.mean(np.abs(a))), 1e-12)
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "mape": float(100 * np.mean(np.abs(err) / np.maximum(np.abs(a), floor))),
        "r2": float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
    }
