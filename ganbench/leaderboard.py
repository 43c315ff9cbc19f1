"""Records -> leaderboard tables: one row per run, and one row per entry aggregated over seeds.

The CSV columns are a versioned schema (docs/csv-schema.md). Every row carries the protocol that
produced it, so numbers from different budgets, sample counts or extractors never share a row.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from ganbench.metrics.stability import run_stability
from ganbench.runspec import RunSpec
from ganbench.store import atomic_write_text

SCHEMA_VERSION = 2
SPEC_COLUMNS = ["architecture", "loss", "regularizer", "recipe", "optimizer", "seed", "generator_steps", "batch_size",
                "d_steps_per_g_step", "resolution", "channels", "latent_dim", "lr_generator",
                "lr_discriminator", "beta1", "beta2", "fid_samples", "mode_samples", "device", "compute_dtype",
                "budget_seconds", "eval_points", "curve_fid_samples"]
METRIC_COLUMNS = ["fid", "kid", "kid_std", "precision", "recall", "density", "coverage", "blur_score", "noise_score",
                  "log_spectral_distance", "laplacian_ratio", "modes_covered", "mode_kl", "high_quality"]
STABILITY_COLUMNS = ["final_best_ratio", "fid_tail_slope", "fid_volatility", "loss_oscillation"]
# How the metrics were computed (from each record's metric_protocol).
METRIC_PROTOCOL_COLUMNS = ["metrics_version", "reference_split", "kid_subset_size", "prc_neighbourhood",
                           "dc_neighbourhood"]
TIMING_COLUMNS = ["wall_seconds", "train_seconds", "eval_seconds", "images_per_second"]
# Columns that must agree for runs to be aggregated into one summary row.
PROTOCOL_COLUMNS = ["suite", "dataset", "dataset_source", "dataset_sha256", "generator_steps", "batch_size",
                    "d_steps_per_g_step", "resolution", "channels", "latent_dim", "lr_generator",
                    "lr_discriminator", "beta1", "beta2", "fid_samples", "mode_samples", "feature_extractor", "device",
                    "compute_dtype", "budget_seconds", "eval_points", "curve_fid_samples", "ganbench_version",
                    "metrics_version", "reference_split", "kid_subset_size", "prc_neighbourhood", "dc_neighbourhood"]
ENTRY_COLUMNS = ["architecture", "loss", "regularizer", "recipe", "optimizer"]
# Records written before a RunSpec field existed ran with its default.
SPEC_DEFAULTS = {f.name: f.default for f in fields(RunSpec) if f.default is not MISSING}


def runs_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for rec in records:
        spec, ctx, metrics = rec["spec"], rec.get("context", {}), rec.get("metrics", {})
        row: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "suite": spec["suite"],
                               "dataset": spec["dataset"], "entry": rec["entry"]}
        row.update({col: spec.get(col, SPEC_DEFAULTS.get(col)) for col in SPEC_COLUMNS})
        row.update(status=rec["status"], reason=rec.get("reason", ""), steps_done=rec.get("steps_done"),
                   discriminator_steps=rec.get("discriminator_steps"), images_seen=rec.get("images_seen"),
                   reference_samples=rec.get("reference_samples"),
                   feature_extractor=ctx.get("feature_extractor"), dataset_source=rec.get("dataset_source"),
                   dataset_sha256=ctx.get("dataset_sha256"))
        row.update({col: metrics.get(col, math.nan) for col in METRIC_COLUMNS})
        row.update(run_stability(rec))
        proto = rec.get("metric_protocol", {})
        row.update({col: proto.get(col) for col in METRIC_PROTOCOL_COLUMNS})
        row.update(final_d_loss=rec.get("final_d_loss"), final_g_loss=rec.get("final_g_loss"),
                   curve_fid_final=rec.get("curve_fid_final"), curve_fid_best=rec.get("curve_fid_best"),
                   curve_fid_best_step=rec.get("curve_fid_best_step"))
        for factor in ("architecture", "loss", "regularizer", "dataset"):
            row[f"{factor}_plugin"] = ctx.get(f"{factor}_plugin")
        row.update(ganbench_version=ctx.get("ganbench"), torch_version=ctx.get("torch"), run_id=rec["run_id"])
        row.update({col: rec.get(col) for col in TIMING_COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows)


def _ci95(values: pd.Series) -> float:
    """Half-width of the two-sided 95% t-interval of the mean over seeds."""
    n = int(values.count())
    if n < 2:
        return math.nan
    return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per entry and protocol. Means are over completed seeds; failed and diverged seeds are
    counted beside them, never dropped. Stability = spread of FID over seeds (std, CV)."""
    rows = []
    keys = ENTRY_COLUMNS + PROTOCOL_COLUMNS
    for key, group in runs.groupby(keys, sort=False, dropna=False):
        done = group[group["status"] == "completed"]
        fid = done["fid"]
        row: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "entry": group["entry"].iloc[0]}
        row.update(dict(zip(keys, key, strict=True)))
        row.update(seeds=";".join(str(s) for s in group["seed"]), n_seeds=len(group), n_completed=len(done),
                   n_diverged=int((group["status"] == "diverged").sum()),
                   n_failed=int((group["status"] == "failed").sum()),
                   n_skipped=int((group["status"] == "skipped").sum()))
        row.update(fid_mean=fid.mean(), fid_std=fid.std(ddof=1), fid_ci95=_ci95(fid),
                   fid_min=fid.min(), fid_max=fid.max(), fid_iqr=fid.quantile(0.75) - fid.quantile(0.25))
        for col in METRIC_COLUMNS[1:] + STABILITY_COLUMNS:
            if col != "kid_std":
                row[f"{col}_mean"] = done[col].mean()
        row["blur_score_std"] = done["blur_score"].std(ddof=1)
        row["stability_fid_cv"] = row["fid_std"] / row["fid_mean"] if row["fid_mean"] else math.nan
        row["diverged_fraction"] = row["n_diverged"] / row["n_seeds"]
        row["skip_reason"] = "; ".join(sorted(set(group.loc[group["status"] == "skipped", "reason"])))
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary.insert(1, "rank", 0)
    summary.insert(2, "rank_by", "")
    for _, group in summary.groupby(["suite", "dataset"], sort=False):
        # FID ranks image entries; point data has no FID, so more modes covered ranks higher.
        by_fid = bool(group["fid_mean"].notna().any()) or not bool(group["modes_covered_mean"].notna().any())
        column = "fid_mean" if by_fid else "modes_covered_mean"
        summary.loc[group.index, "rank"] = group[column].rank(method="min", ascending=by_fid,
                                                              na_option="bottom").astype(int)
        summary.loc[group.index, "rank_by"] = column.removesuffix("_mean")
    # Among equal ranks, the better secondary score first (high-quality share for points).
    secondary = summary["high_quality_mean"].fillna(0) * -1
    return (summary.assign(_secondary=secondary)
            .sort_values(["rank", "_secondary", "entry"], kind="stable")
            .drop(columns="_secondary").reset_index(drop=True))


def write_tables(records: list[dict[str, Any]], out: Path) -> tuple[Path, Path, pd.DataFrame]:
    runs = runs_table(records)
    summary = summary_table(runs)
    suite, dataset = runs["suite"].iloc[0], runs["dataset"].iloc[0]
    runs_path = out / f"{suite}-{dataset}-runs.csv"
    summary_path = out / f"{suite}-{dataset}-summary.csv"
    atomic_write_text(runs_path, runs.to_csv(index=False, float_format="%.6g", lineterminator="\n"))
    atomic_write_text(summary_path, summary.to_csv(index=False, float_format="%.6g", lineterminator="\n"))
    return runs_path, summary_path, summary


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as a fixed-width text table for the terminal and the README."""
    def pm(mean: float, std: float, digits: int) -> str:
        if math.isnan(mean):
            return "-"
        return f"{mean:.{digits}f} ± {std:.{digits}f}" if not math.isnan(std) else f"{mean:.{digits}f}"

    def num(values: pd.Series, spec: str) -> pd.Series:
        return values.map(lambda v: "-" if math.isnan(v) else format(v, spec))

    view = pd.DataFrame({
        "rank": summary["rank"],
        "entry": summary["entry"],
        "seeds ok": [f"{c}/{n}" for c, n in zip(summary["n_completed"], summary["n_seeds"], strict=True)],
        "FID": [pm(m, s, 2) for m, s in zip(summary["fid_mean"], summary["fid_std"], strict=True)],
        "FID CV": num(summary["stability_fid_cv"], ".3f"),
        "KID": num(summary["kid_mean"], ".4f"),
        "precision": num(summary["precision_mean"], ".3f"),
        "recall": num(summary["recall_mean"], ".3f"),
        "density": num(summary["density_mean"], ".3f"),
        "coverage": num(summary["coverage_mean"], ".3f"),
        "blur": [pm(m, s, 2) for m, s in zip(summary["blur_score_mean"], summary["blur_score_std"], strict=True)],
        "noise": num(summary["noise_score_mean"], "+.2f"),
        "final/best": num(summary["final_best_ratio_mean"], ".2f"),
    })
    if summary["modes_covered_mean"].notna().any():  # datasets with known modes
        view["modes"] = num(summary["modes_covered_mean"], ".1f")
        view["mode KL"] = num(summary["mode_kl_mean"], ".2f")
    if summary["high_quality_mean"].notna().any():  # 2-D mixtures
        view["high quality %"] = num(summary["high_quality_mean"], ".1f")
    # Columns no entry has (FID and sharpness on point data) would only print dashes.
    return view.loc[:, [c for c in view.columns if c in ("rank", "entry") or not (view[c] == "-").all()]] \
        .to_string(index=False)
