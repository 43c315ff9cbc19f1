"""Per-run training stability, from the curves every record carries (so old records can be rescored).

- ``final_best_ratio`` = FID_final / min_t FID_t along the cheap-FID curve: 1 when the final weights
  are the best seen, above 1 when training got worse late (the run is still reported at its final
  weights; this says how much a best-checkpoint report would have flattered it).
- ``fid_tail_slope``: least-squares slope of the curve FID over its second half (the last
  ceil(k/2) + 1 points), per 1,000 generator steps; < 0 still improving, > 0 degrading.
- ``fid_volatility``: excess path length of the curve, (sum_t |F_t+1 - F_t| - |F_end - F_start|) / mean F;
  0 for a monotone curve, large when FID goes up and down.
- ``loss_oscillation``: standard deviation of the step-to-step changes of the windowed discriminator
  loss over the second half of training, in that loss's own units (compare within one loss).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def _tail(values: Sequence[float], min_points: int) -> list[float]:
    return list(values[len(values) - max(min_points, math.ceil(len(values) / 2) + 1):]) if values else []


def excess_path(values: Sequence[float]) -> float:
    """(total variation - |net change|) / mean: how much the curve goes back and forth."""
    if len(values) < 3:
        return 0.0 if len(values) else math.nan
    steps = np.abs(np.diff(values)).sum()
    return float((steps - abs(values[-1] - values[0])) / np.mean(values))


def run_stability(record: dict[str, Any]) -> dict[str, float]:
    """The per-run stability columns of one record (NaN where its curves are too short)."""
    out = dict.fromkeys(("final_best_ratio", "fid_tail_slope", "fid_volatility", "loss_oscillation"), math.nan)
    curve = record.get("fid_curve") or {}
    steps, fids = list(curve.get("step", [])), list(curve.get("fid", []))
    if fids and all(math.isfinite(f) for f in fids):
        out["final_best_ratio"] = fids[-1] / min(fids) if min(fids) > 0 else math.nan
        out["fid_volatility"] = excess_path(fids)
        tail_steps, tail_fids = _tail(steps, 2), _tail(fids, 2)
        if len(tail_fids) >= 2:
            out["fid_tail_slope"] = float(np.polyfit(np.array(tail_steps) / 1000.0, tail_fids, 1)[0])
    d_loss = _tail((record.get("curves") or {}).get("d_loss", []), 3)
    if len(d_loss) >= 3 and all(math.isfinite(v) for v in d_loss):
        out["loss_oscillation"] = float(np.std(np.diff(d_loss), ddof=1))
    return out
