from __future__ import annotations

import math
from typing import Any

import pytest

from ganbench.leaderboard import format_summary, runs_table, summary_table


def record(entry: str, seed: int, status: str, fid: float | None) -> dict[str, Any]:
    arch, loss, reg = entry.split("/")
    spec = {"suite": "s", "dataset": "fashion-mnist", "architecture": arch, "loss": loss, "regularizer": reg,
            "seed": seed, "generator_steps": 10, "batch_size": 4, "d_steps_per_g_step": 1, "resolution": 28,
            "channels": 1, "latent_dim": 8, "lr_generator": 1e-3, "lr_discriminator": 1e-3, "beta1": 0.5,
            "beta2": 0.999, "fid_samples": 100, "device": "cpu"}
    metrics = {} if fid is None else {"fid": fid, "kid": 0.01, "kid_std": 0.001, "precision": 0.5,
                                      "recall": 0.4, "blur_score": -0.1}
    return {"run_id": f"{entry}-{seed}", "entry": entry, "spec": spec, "status": status,
            "reason": "" if status == "completed" else "non-finite generator loss at generator step 3",
            "metrics": metrics, "context": {"ganbench": "0.1.0", "feature_extractor": "fe@1",
                                            "dataset_sha256": "abc"}, "dataset_source": "bundled"}


def test_diverged_seeds_are_counted_not_dropped() -> None:
    records = [record("a/l/r", 0, "completed", 10.0), record("a/l/r", 1, "completed", 14.0),
               record("a/l/r", 2, "diverged", None),
               record("b/l/r", 0, "completed", 8.0), record("b/l/r", 1, "completed", 9.0),
               record("b/l/r", 2, "completed", 10.0)]
    runs = runs_table(records)
    assert len(runs) == 6 and math.isnan(runs.loc[2, "fid"]) and runs.loc[2, "status"] == "diverged"
    summary = summary_table(runs).set_index("entry")
    a, b = summary.loc["a/l/r"], summary.loc["b/l/r"]
    assert (a["n_seeds"], a["n_completed"], a["n_diverged"]) == (3, 2, 1)
    assert a["diverged_fraction"] == pytest.approx(1 / 3)
    assert a["fid_mean"] == 12.0 and a["fid_std"] == pytest.approx(math.sqrt(8))
    # t(0.975, 1) * s / sqrt(2) for a, t(0.975, 2) * 1 / sqrt(3) for b
    assert a["fid_ci95"] == pytest.approx(12.706205 * math.sqrt(8) / math.sqrt(2), rel=1e-5)
    assert b["fid_ci95"] == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    assert b["stability_fid_cv"] == pytest.approx(1 / 9)
    assert (b["rank"], a["rank"]) == (1, 2)
    assert "2/3" in format_summary(summary_table(runs))


def test_different_protocols_never_share_a_row() -> None:
    first = record("a/l/r", 0, "completed", 10.0)
    other = record("a/l/r", 1, "completed", 20.0)
    other["spec"]["fid_samples"] = 5000
    summary = summary_table(runs_table([first, other]))
    assert len(summary) == 2 and set(summary["n_seeds"]) == {1}


def test_entry_with_no_completed_seed_ranks_last() -> None:
    records = [record("a/l/r", 0, "failed", None), record("b/l/r", 0, "completed", 50.0)]
    summary = summary_table(runs_table(records))
    assert list(summary["entry"]) == ["b/l/r", "a/l/r"]
    assert math.isnan(summary.loc[1, "fid_mean"]) and summary.loc[1, "n_failed"] == 1
