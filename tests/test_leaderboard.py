from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
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


def test_a_lone_survivor_ranks_below_a_stable_entry() -> None:
    # a: one great seed, two diverged -> median over all seeds is a lost seed (inf).
    records = [record("a/l/r", 0, "completed", 5.0), record("a/l/r", 1, "diverged", None),
               record("a/l/r", 2, "failed", None),
               record("b/l/r", 0, "completed", 20.0), record("b/l/r", 1, "completed", 21.0),
               record("b/l/r", 2, "completed", 22.0)]
    summary = summary_table(runs_table(records)).set_index("entry")
    a, b = summary.loc["a/l/r"], summary.loc["b/l/r"]
    assert (b["rank"], a["rank"]) == (1, 2) and set(summary["rank_by"]) == {"fid"}
    assert a["rank_value"] == math.inf and b["rank_value"] == 21.0
    assert a["fid_mean"] == 5.0  # the display mean stays over completed seeds
    # a's resampled median is 5 when at least two of its three draws are seed 0: 3·(1/3)²·(2/3) + (1/3)³
    # = 7/27 of resamples, more than the 2.5% tail, so both intervals are 1-2.
    assert (a["rank_low"], a["rank_high"], b["rank_low"], b["rank_high"]) == (1, 2, 1, 2)
    # One completed seed cannot be tested, but a lost more seeds than the leader: tier 2.
    assert (b["tier"], a["tier"]) == (1, 2) and (bool(b["tied_with_best"]), bool(a["tied_with_best"])) == (True, False)
    assert "lost" in format_summary(summary_table(runs_table(records)))


def test_differences_to_the_baseline_with_welch_and_holm() -> None:
    fids = {"base/l/r": [2.0, 4.0, 6.0, 8.0], "a/l/r": [1.0, 2.0, 3.0], "c/l/r": [12.0, 13.0, 14.0],
            "one/l/r": [3.0]}
    records = [record(entry, seed, "completed", fid) for entry, values in fids.items()
               for seed, fid in enumerate(values)]
    summary = summary_table(runs_table(records, baseline="base/l/r")).set_index("entry")
    a, c = summary.loc["a/l/r"], summary.loc["c/l/r"]
    # As in test_stats: a - base = -3 ± 2.7562849·sqrt(2), df = 216/53, p = 0.0999129;
    # c - base = +8, same se and df, t = 8/sqrt(2) = 5.6568542, p = 0.0045488.
    assert a["delta_fid"] == -3.0 and a["delta_fid_df"] == pytest.approx(216 / 53)
    assert (a["delta_fid_low"], a["delta_fid_high"]) == pytest.approx((-6.8979755, 0.8979755), abs=1e-7)
    assert (a["delta_fid_p"], c["delta_fid_p"]) == pytest.approx((0.0999129, 0.0045488), abs=1e-7)
    # Holm over the two defined tests: c·2 = 0.0090977; a: max(0.0999129·1, 0.0090977).
    assert (a["delta_fid_p_holm"], c["delta_fid_p_holm"]) == pytest.approx((0.0999129, 0.0090977), abs=1e-7)
    # blur is -0.1 in every run: no spread, an exact zero difference.
    assert (a["delta_blur"], a["delta_blur_p"]) == (0.0, 1.0)
    # Undefined for the baseline itself and for an entry with one completed seed.
    assert math.isnan(summary.loc["base/l/r", "delta_fid"]) and math.isnan(summary.loc["one/l/r", "delta_fid_p"])
    assert (summary["baseline"] == "base/l/r").all()
    # The argument names the baseline when the runs do not (a runs CSV of schema 2).
    again = summary_table(runs_table(records).drop(columns="baseline"), baseline="base/l/r").set_index("entry")
    assert again.loc["c/l/r", "delta_fid"] == 8.0
    assert "+8.00 [+4.10, +11.90]*" in format_summary(summary_table(runs_table(records, baseline="base/l/r")))


def test_tiers_and_rank_intervals_in_the_summary() -> None:
    fids = {"lead/l/r": [10.0, 10.5, 11.0], "near/l/r": [10.2, 10.8, 11.1], "far/l/r": [20.0, 20.5, 21.0]}
    records = [record(entry, seed, "completed", fid) for entry, values in fids.items()
               for seed, fid in enumerate(values)]
    records.append(record("skip/l/r", 0, "skipped", None))
    summary = summary_table(runs_table(records)).set_index("entry")
    assert list(summary["tier"].iloc[:3]) == [1, 1, 2] and pd.isna(summary.loc["skip/l/r", "tier"])
    assert list(summary["rank_low"].iloc[:3]) == [1, 1, 3] and list(summary["rank_high"].iloc[:3]) == [2, 2, 3]
    assert summary.loc["skip/l/r", ["rank", "rank_low", "rank_high"]].isna().all()  # listed last, no rank
    text = format_summary(summary.reset_index())
    assert "rank range" in text and "rank 95%" not in text and "1-2" in text and "3-3" in text


def point_record(entry: str, seed: int, modes: float, quality: float) -> dict[str, Any]:
    rec = record(entry, seed, "completed", None)
    rec["spec"]["dataset"] = "grid-25"
    rec["metrics"] = {"modes_covered": modes, "high_quality": quality, "mode_kl": 0.5}
    rec["metric_protocol"] = {"modes": "grid-25: 25 modes, high quality = within 3 std of a centre", "n_modes": 25}
    return rec


def test_point_runs_carry_modes_and_rank_on_the_mode_score() -> None:
    # smear: all modes, few good samples: sqrt(1 · 0.04) = 0.2; tight: sqrt(16/25 · 0.25) = 0.4.
    records = [point_record("smear/l/r", s, 25.0, 4.0) for s in range(2)]
    records += [point_record("tight/l/r", s, 16.0, 25.0) for s in range(2)]
    runs = runs_table(records)
    assert (runs["n_modes"] == 25).all() and list(runs["mode_score"]) == pytest.approx([0.2, 0.2, 0.4, 0.4])
    summary = summary_table(runs)
    assert list(summary["entry"]) == ["tight/l/r", "smear/l/r"] and set(summary["rank_by"]) == {"mode_score"}
    assert "score" in format_summary(summary) and "FID" not in format_summary(summary)


def test_grid_25_smeared_r1_does_not_win() -> None:
    # The grid-25 runs of the schema-2 leaderboard (commit 913d6f4), kept as test data: R1 covered the
    # most modes there with 5% high-quality samples. Schema-2 CSVs predate the n_modes, recipe and
    # optimizer columns; grid-25 has 25 modes.
    runs = pd.read_csv(Path(__file__).parent / "data" / "grid-25-runs-v2.csv")
    summary = summary_table(runs.assign(n_modes=25), baseline="mlp/non-saturating/none").set_index("entry")
    r1 = summary.loc["mlp/non-saturating/r1"]
    assert set(summary["rank_by"]) == {"mode_score"}
    assert r1["modes_covered_mean"] == summary["modes_covered_mean"].max()  # most modes ...
    assert r1["rank"] > 5  # ... but 5% high-quality samples
    assert summary["rank"].idxmin() == "mlp/non-saturating/ema"
