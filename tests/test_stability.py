"""Per-run stability from the curves a record carries, and per-entry spread over seeds."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ganbench.leaderboard import runs_table, summary_table
from ganbench.metrics.stability import excess_path, run_stability


def record(fids: list[float], d_loss: list[float], seed: int = 0, fid: float = 10.0) -> dict[str, Any]:
    spec = {"suite": "s", "dataset": "fashion-mnist", "architecture": "a", "loss": "l", "regularizer": "r",
            "seed": seed, "generator_steps": 300, "batch_size": 4, "fid_samples": 100, "device": "cpu"}
    return {"run_id": f"r{seed}", "entry": "a/l/r", "spec": spec, "status": "completed", "metrics": {"fid": fid},
            "fid_curve": {"step": [100 * (i + 1) for i in range(len(fids))], "fid": fids},
            "curves": {"step": list(range(len(d_loss))), "d_loss": d_loss}, "context": {}}


def test_monotone_improving_run() -> None:
    out = run_stability(record([30.0, 20.0, 10.0], [1.0, 1.0, 1.0, 1.0]))
    assert out["final_best_ratio"] == 1.0
    assert out["fid_volatility"] == 0.0
    assert out["fid_tail_slope"] == pytest.approx(-100.0)  # last two points: -10 FID per 100 steps
    assert out["loss_oscillation"] == 0.0


def test_run_that_got_worse_late_and_oscillates() -> None:
    out = run_stability(record([30.0, 10.0, 25.0, 15.0], [1.0, 0.2, 1.4, 0.1, 1.5, 0.3]))
    assert out["final_best_ratio"] == pytest.approx(1.5)
    # path 20 + 15 + 10 = 45, net change 15, mean 20: (45 - 15) / 20
    assert out["fid_volatility"] == pytest.approx(1.5)
    assert out["loss_oscillation"] > 1.0


def test_short_or_missing_curves_give_nan_not_errors() -> None:
    out = run_stability({"status": "diverged"})
    assert all(math.isnan(v) for v in out.values())
    assert math.isnan(excess_path([]))


def test_summary_reports_iqr_and_mean_stability() -> None:
    records = [record([20.0, 10.0], [1.0] * 4, seed=s, fid=f) for s, f in enumerate([10.0, 12.0, 20.0, 30.0])]
    summary = summary_table(runs_table(records)).iloc[0]
    assert summary["fid_iqr"] == pytest.approx(22.5 - 11.5)  # pandas' linear quantiles of 10, 12, 20, 30
    assert summary["final_best_ratio_mean"] == 1.0
