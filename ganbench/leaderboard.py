"""Records -> leaderboard tables: one row per run, and one row per entry aggregated over seeds.

The CSV columns are a versioned schema (docs/csv-schema.md). Every row carries the protocol that
produced it, so numbers from different budgets, sample counts or extractors never share a row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ganbench import plugins, verdicts
from ganbench import stats as seedstats
from ganbench.metrics.stability import run_stability
from ganbench.runspec import RunSpec
from ganbench.specs import Column, MetricSpec
from ganbench.store import atomic_write_text

# 9: structure_fid, mode_score as a metric, verdicts; 8: lock; 7: cpu_capability, device_name;
# 6: conditioning; 5: plot_* columns, metric table columns
SCHEMA_VERSION = 9
SPEC_COLUMNS = ["architecture", "loss", "regularizer", "conditioning", "recipe", "optimizer", "seed",
                "generator_steps", "batch_size", "d_steps_per_g_step", "resolution", "channels", "latent_dim",
                "lr_generator", "lr_discriminator", "beta1", "beta2", "fid_samples", "mode_samples", "device",
                "compute_dtype", "compile", "budget_seconds", "eval_points", "curve_fid_samples"]
STABILITY_COLUMNS = ["final_best_ratio", "fid_tail_slope", "fid_volatility", "loss_oscillation"]
# How the metrics were computed (from each record's metric_protocol).
METRIC_PROTOCOL_COLUMNS = ["metrics_version", "reference_split", "kid_subset_size", "prc_neighbourhood",
                           "dc_neighbourhood"]
TIMING_COLUMNS = ["wall_seconds", "train_seconds", "curve_seconds", "eval_seconds", "images_per_second"]
# Columns that must agree for runs to be aggregated into one summary row.
PROTOCOL_COLUMNS = ["suite", "dataset", "dataset_source", "dataset_sha256", "generator_steps", "batch_size",
                    "d_steps_per_g_step", "resolution", "channels", "latent_dim", "lr_generator",
                    "lr_discriminator", "beta1", "beta2", "fid_samples", "mode_samples", "feature_extractor", "device",
                    "compute_dtype", "compile", "budget_seconds", "eval_points", "curve_fid_samples",
                    "ganbench_version", "metrics_version", "reference_split", "kid_subset_size", "prc_neighbourhood",
                    "dc_neighbourhood", "machine"]
# What the report draws for each run, as space-separated numbers, so that a runs table alone (merged
# from several machines, say) rebuilds the report's curves: column -> (record field, key).
PLOT_COLUMNS = {"plot_step": ("curves", "step"), "plot_d_loss": ("curves", "d_loss"),
                "plot_g_loss": ("curves", "g_loss"), "plot_g_penalty": ("curves", "g_penalty"),
                "plot_fid_step": ("fid_curve", "step"),
                "plot_fid": ("fid_curve", "fid"), "plot_frequency": ("spectrum", "frequency"),
                "plot_rapsd_fake": ("spectrum", "fake"), "plot_rapsd_real": ("spectrum", "real")}
PLUGIN_COLUMNS = ["architecture_plugin", "loss_plugin", "regularizer_plugin", "dataset_plugin", "conditioning_plugin"]
ENTRY_COLUMNS = ["architecture", "loss", "regularizer", "conditioning", "recipe", "optimizer"]
# Records written before a RunSpec field existed ran with its default.
SPEC_DEFAULTS = {f.name: f.default for f in fields(RunSpec) if f.default is not MISSING}
ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0  # fixed, so the same runs always give the same rank intervals


def metric_table(metrics: Sequence[MetricSpec] | None = None) -> Sequence[MetricSpec]:
    """The metric table; ``None``: the metrics of every loaded plugin."""
    return plugins.load().metric_table() if metrics is None else metrics


def metric_columns(metrics: Sequence[MetricSpec] | None = None) -> list[Column]:
    """The metric table's columns in order; ``None``: the metrics of every loaded plugin."""
    return [col for metric in metric_table(metrics) for col in metric.columns]


def rank_columns(metrics: Sequence[MetricSpec] | None = None) -> list[Column]:
    """The columns a table may rank on, in priority order: it ranks on the first that some run measured."""
    return sorted((col for col in metric_columns(metrics) if col.rank > 0 and col.lower_is_better is not None),
                  key=lambda col: col.rank)


def headline(values: dict[str, float], metrics: Sequence[MetricSpec] | None = None) -> str:
    """A finished run's main numbers, for its progress line: each ``headline`` column it measured."""
    shown = [f"{col.label} {col.format(values[col.name])}" for col in metric_columns(metrics)
             if col.headline and col.name in values and not math.isnan(values[col.name])]
    return ", ".join(shown)


def derived(values: dict[str, Any], proto: dict[str, Any],
            metrics: Sequence[MetricSpec] | None = None) -> dict[str, float]:
    """The values of the table's derived metrics for one run (``values``: its other metrics' values)."""
    out: dict[str, float] = {}
    for metric in metric_table(metrics):
        if metric.derive is not None:
            got = metric.derive(values, proto)
            out.update({col.name: float(got.get(col.name, math.nan)) for col in metric.columns})
    return out


def encode_series(values: Sequence[float] | None) -> str:
    """Numbers as one CSV cell: space-separated, 6 significant digits ("" for none)."""
    return " ".join(format(float(v), ".6g") for v in values or [])


def decode_series(cell: object) -> list[float]:
    """The numbers of one ``encode_series`` cell (an empty or missing cell gives [])."""
    if not isinstance(cell, str) or not cell.strip():
        return []
    return [float(v) for v in cell.split()]


def _n_modes(record: dict[str, Any]) -> float:
    """The number of known modes the record's mode metrics count against (NaN if none)."""
    return float(record.get("metric_protocol", {}).get("n_modes", math.nan))


def machine_of(device: str, cpu_capability: str, device_name: str) -> str:
    """The machine type of a run recorded before run ids named it (``machine.machine_type``'s form,
    without the CUDA version, which such records lack); "" where the record does not say."""
    if str(device).startswith("cuda"):
        return f"cuda {device_name}" if isinstance(device_name, str) and device_name else ""
    return f"cpu {cpu_capability}" if isinstance(cpu_capability, str) and cpu_capability else ""


def with_machine(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with its ``machine`` column, derived for tables from before schema 8."""
    if "machine" in runs and runs["machine"].notna().all():
        return runs
    derived = [machine_of(*(row.get(c, "") for c in ("device", "cpu_capability", "device_name")))
               for _, row in runs.iterrows()]
    given = runs["machine"] if "machine" in runs else pd.Series([None] * len(runs), index=runs.index)
    return runs.assign(machine=[g if isinstance(g, str) and g else d for g, d in zip(given, derived, strict=True)])


def runs_table(records: list[dict[str, Any]], baseline: str | None = None,
               metrics: Sequence[MetricSpec] | None = None) -> pd.DataFrame:
    """One row per run. ``baseline`` is the suite's baseline entry (``architecture/loss/regularizer``),
    which the summary's difference columns compare against; records do not carry it. ``metrics``:
    the metric table whose columns the rows carry (default: every loaded plugin's)."""
    metrics = metric_table(metrics)  # loaded once, not once per record by ``derived``
    columns = [col.name for col in metric_columns(metrics)]
    rows = []
    for rec in records:
        spec, ctx, scores = rec["spec"], rec.get("context", {}), rec.get("metrics", {})
        row: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "suite": spec["suite"],
                               "dataset": spec["dataset"], "entry": rec["entry"]}
        row.update({col: spec.get(col, SPEC_DEFAULTS.get(col)) for col in SPEC_COLUMNS})
        row.update(status=rec["status"], reason=rec.get("reason", ""), steps_done=rec.get("steps_done"),
                   discriminator_steps=rec.get("discriminator_steps"), images_seen=rec.get("images_seen"),
                   reference_samples=rec.get("reference_samples"),
                   feature_extractor=ctx.get("feature_extractor"), dataset_source=rec.get("dataset_source"),
                   dataset_sha256=ctx.get("dataset_sha256"))
        row.update({col: scores.get(col, math.nan) for col in columns})
        proto = rec.get("metric_protocol", {})
        row.update(derived(row, proto, metrics))
        row["n_modes"] = _n_modes(rec)
        row.update(run_stability(rec))
        row.update({col: proto.get(col) for col in METRIC_PROTOCOL_COLUMNS})
        row.update(final_d_loss=rec.get("final_d_loss"), final_g_loss=rec.get("final_g_loss"),
                   final_g_penalty=rec.get("final_g_penalty"),
                   curve_fid_final=rec.get("curve_fid_final"), curve_fid_best=rec.get("curve_fid_best"),
                   curve_fid_best_step=rec.get("curve_fid_best_step"))
        for factor in ("architecture", "loss", "regularizer", "dataset", "conditioning"):
            row[f"{factor}_plugin"] = ctx.get(f"{factor}_plugin")
        row["training_networks"] = ";".join(rec.get("training_networks", []))
        row.update(ganbench_version=ctx.get("ganbench"), torch_version=ctx.get("torch"),
                   lock=rec.get("versions", {}).get("lock", ""), run_id=rec["run_id"])  # no lock before schema 8
        numerics = rec.get("numerics", {})  # records before 0.5.0's schema 7 do not say
        row.update(cpu_capability=numerics.get("cpu_capability", ""), device_name=numerics.get("device_name", ""))
        row["machine"] = ctx.get("machine") or machine_of(spec.get("device", "cpu"), row["cpu_capability"],
                                                          row["device_name"])
        row.update({col: rec.get(col) for col in TIMING_COLUMNS})
        row.update({col: encode_series(rec.get(field, {}).get(key)) for col, (field, key) in PLOT_COLUMNS.items()})
        row["baseline"] = baseline
        rows.append(row)
    return pd.DataFrame(rows)


def _ci95(values: pd.Series) -> float:
    """Half-width of the two-sided 95% t-interval of the mean over seeds."""
    n = int(values.count())
    if n < 2:
        return math.nan
    return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))


def _with_derived(runs: pd.DataFrame, metrics: Sequence[MetricSpec] | None) -> pd.DataFrame:
    """``runs`` with the derived metrics' columns a table written before they existed lacks, derived
    from each row (its ``n_modes`` stands for the protocol)."""
    names = [col.name for metric in metric_table(metrics) if metric.derive is not None for col in metric.columns]
    if all(name in runs for name in names) or runs.empty:
        return runs
    records = [{str(k): v for k, v in row.items()} for row in runs.to_dict("records")]
    rows = [derived(row, row, metrics) for row in records]
    return runs.assign(**{name: [row[name] for row in rows] for name in names if name not in runs})


def seed_values(group: pd.DataFrame, column: str, lower_is_better: bool) -> np.ndarray:
    """An entry's seeds as ``stats`` wants them: the metric of each completed run, a lost (diverged or
    failed) run at the worst value (±inf); skipped runs are not seeds, and a completed run that did
    not measure the metric is left out."""
    runnable = group[group["status"] != "skipped"]
    lost = runnable["status"] != "completed"
    return runnable[column].astype(float).where(~lost, seedstats.worst(lower_is_better)).dropna().to_numpy(float)


def summary_table(runs: pd.DataFrame, baseline: str | None = None,
                  metrics: Sequence[MetricSpec] | None = None) -> pd.DataFrame:
    """One row per entry and protocol. Means are over completed seeds; failed and diverged seeds are
    counted beside them, never dropped. Stability = spread of FID over seeds (std, CV).

    Ranks, tiers, rank intervals and differences to ``baseline`` (the suite's baseline entry; by
    default the runs' ``baseline`` column) are computed among the rows of one suite and dataset by
    ``_compare``; docs/csv-schema.md defines each column. ``metrics``: the metric table (default:
    every loaded plugin's); a metric column the runs lack is empty.
    """
    metrics = metric_table(metrics)  # loaded once, not once per row by ``_with_derived``
    columns = [col for col in metric_columns(metrics) if col.aggregate]
    runs = _with_derived(runs, metrics)
    runs = runs.assign(**{col.name: math.nan for col in columns if col.name not in runs})
    # Runs tables written before a spec column existed ran with its default.
    # An empty cell read from a CSV is NaN, the same cell of a run just made is "": one entry, not two
    # (a re-run seed joined to a table's other seeds split its entry into two rows).
    runs = runs.assign(**{c: runs[c].astype(object).where(runs[c].notna(), "") for c in ENTRY_COLUMNS if c in runs})
    runs = with_machine(runs).assign(
        **{col: SPEC_DEFAULTS[col] for col in SPEC_COLUMNS if col not in runs and col in SPEC_DEFAULTS})
    rows, groups = [], []
    keys = ENTRY_COLUMNS + PROTOCOL_COLUMNS
    for key, group in runs.groupby(keys, sort=False, dropna=False):
        done = group[group["status"] == "completed"]
        row: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "entry": group["entry"].iloc[0]}
        row.update(dict(zip(keys, key, strict=True)))
        row.update(seeds=";".join(str(s) for s in group["seed"]), n_seeds=len(group), n_completed=len(done),
                   n_diverged=int((group["status"] == "diverged").sum()),
                   n_failed=int((group["status"] == "failed").sum()),
                   n_skipped=int((group["status"] == "skipped").sum()))
        for col in columns:
            values = done[col.name]
            if col.stability:  # the spread of this metric over seeds is the entry's stability
                row.update({f"{col.name}_mean": values.mean(), f"{col.name}_std": values.std(ddof=1),
                            f"{col.name}_ci95": _ci95(values), f"{col.name}_min": values.min(),
                            f"{col.name}_max": values.max(),
                            f"{col.name}_iqr": values.quantile(0.75) - values.quantile(0.25)})
        for name in [*(col.name for col in columns if not col.stability), *STABILITY_COLUMNS]:
            row[f"{name}_mean"] = done[name].mean()
        for col in columns:
            if col.spread and not col.stability:
                row[f"{col.name}_std"] = done[col.name].std(ddof=1)
        for col in columns:
            if col.stability:
                mean = row[f"{col.name}_mean"]
                row[f"stability_{col.name}_cv"] = row[f"{col.name}_std"] / mean if mean else math.nan
        row["diverged_fraction"] = row["n_diverged"] / row["n_seeds"]
        row["skip_reason"] = "; ".join(sorted(set(group.loc[group["status"] == "skipped", "reason"])))
        for factor in PLUGIN_COLUMNS:  # provenance: distribution==version(#code hash) of each factor
            row[factor] = "; ".join(sorted(set(group[factor].dropna().astype(str)))) if factor in group else ""
        named = group["baseline"].dropna() if "baseline" in group else pd.Series([], dtype=object)
        row["baseline"] = baseline if baseline is not None else (named.iloc[0] if len(named) else None)
        rows.append(row)
        groups.append(group)
    ranking = rank_columns(metrics)
    summary = _compare(pd.DataFrame(rows), groups, {col.delta: col.name for col in columns if col.delta}, ranking,
                       columns)
    # Among equal ranks, the better value of the next ranking column some run measured first.
    secondary = pd.Series(0.0, index=summary.index)
    for _, block in summary.groupby(["suite", "dataset"], sort=False):
        names = [col.name for col in ranking]
        by = str(block["rank_by"].iloc[0])
        after = ranking[names.index(by) + 1:] if by in names else []
        later = [col for col in after if block[f"{col.name}_mean"].notna().any()]
        if later:
            sign = 1.0 if later[0].lower_is_better else -1.0
            secondary[block.index] = (block[f"{later[0].name}_mean"] * sign).fillna(math.inf)
    return (summary.assign(_secondary=secondary)
            .sort_values(["rank", "_secondary", "entry"], kind="stable")
            .drop(columns="_secondary").reset_index(drop=True))


def _compare(summary: pd.DataFrame, groups: list[pd.DataFrame], deltas: dict[str, str],
             ranking: list[Column], columns: list[Column]) -> pd.DataFrame:
    """Rank, tier, rank interval and differences to the baseline among the rows of each suite and
    dataset (``groups[i]`` holds the runs of ``summary`` row i; ``deltas``: column prefix -> metric;
    ``ranking``: the columns it may rank on, in priority order)."""
    added: dict[str, Any] = {"rank": 0, "rank_by": "", "rank_value": math.nan, "rank_low": 0, "rank_high": 0,
                             "tier": 0, "tied_with_best": False}
    for offset, (column, value) in enumerate(added.items(), start=1):
        summary.insert(offset, column, value)
    for prefix in deltas:
        for suffix in ("", "_low", "_high", "_df", "_p", "_p_holm"):
            summary[prefix + suffix] = math.nan
    summary = summary.assign(baseline_ratio=math.nan, baseline_p_holm=math.nan, compared="", verdict="")
    # By suite and dataset, not the whole protocol: skipped runs have no extractor or data hash.
    for _, block in summary.groupby(["suite", "dataset"], sort=False):
        rows = list(block.index)
        measured = [col for col in ranking if block[f"{col.name}_mean"].notna().any()] or ranking[:1]
        column, lower = measured[0].name, bool(measured[0].lower_is_better)
        seeds = [seed_values(groups[i], column, lower) for i in rows]
        low, high = seedstats.bootstrap_rank_interval(seeds, lower, BOOTSTRAP_RESAMPLES, seed=BOOTSTRAP_SEED)
        tier = seedstats.tiers(seeds, lower, ALPHA)
        summary.loc[rows, "rank_by"] = column
        summary.loc[rows, "rank_value"] = [seedstats.rank_statistic(s) for s in seeds]
        summary.loc[rows, "rank"] = seedstats.ranks(summary.loc[rows, "rank_value"].to_numpy(float), lower)
        summary.loc[rows, "rank_low"], summary.loc[rows, "rank_high"] = low, high
        summary.loc[rows, "tier"], summary.loc[rows, "tied_with_best"] = tier, tier == 1
        base = [i for i in rows if summary.loc[i, "entry"] == summary.loc[i, "baseline"]]
        if base:
            _deltas(summary, groups, [i for i in rows if i != base[0]], base[0], deltas)
            _against_baseline(summary, rows, seeds, rows.index(base[0]), lower, columns)
    # Tier 0 means "no tier" (nothing ran): an empty cell, not a number. Likewise an entry with no
    # runnable seed (all skipped) has no rank: it is listed last, but "27 / 27-27" would look certain.
    summary["tier"] = summary["tier"].astype("Int64").mask(summary["tier"] == 0)
    unranked = summary["rank_value"].isna()
    for column in ("rank", "rank_low", "rank_high"):
        summary[column] = summary[column].astype("Int64").mask(unranked)
    return summary


def _against_baseline(summary: pd.DataFrame, rows: list[int], seeds: list[np.ndarray], base: int, lower: bool,
                      columns: list[Column]) -> None:
    """Effect size, better/worse/indistinguishable on the ranking metric, and verdicts, per entry
    against the baseline (``rows[base]``)."""
    values = summary.loc[rows, "rank_value"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        summary.loc[rows, "baseline_ratio"] = values / values[base]
    diff, p = verdicts.compare_ranking(seeds, base)
    summary.loc[rows, "baseline_p_holm"] = p
    lost = verdicts.lost_shares(summary.loc[rows])
    for j, i in enumerate(rows):
        if j == base:
            summary.loc[i, "compared"] = "baseline"
        elif not math.isnan(float(values[j])):
            summary.loc[i, "compared"] = verdicts.compared(p[j], diff[j], lower, lost[i], lost[rows[base]])
            row = {str(k): v for k, v in summary.loc[i].items()}
            summary.loc[i, "verdict"] = "; ".join(verdicts.verdicts(row, lost[i] > lost[rows[base]], columns))


def _deltas(summary: pd.DataFrame, groups: list[pd.DataFrame], rows: list[int], base: int,
            deltas: dict[str, str]) -> None:
    """entry - baseline over completed seeds (Welch), Holm-adjusted over the entries of one table."""
    for prefix, metric in deltas.items():
        base_values = seed_values(groups[base], metric, True)
        tests = [seedstats.welch(seed_values(groups[i], metric, True), base_values) for i in rows]
        for suffix, field in (("", "diff"), ("_low", "low"), ("_high", "high"), ("_df", "df"), ("_p", "p")):
            summary.loc[rows, prefix + suffix] = [getattr(t, field) for t in tests]
        summary.loc[rows, f"{prefix}_p_holm"] = seedstats.holm(np.array([t.p for t in tests]))


def write_tables(records: list[dict[str, Any]], out: Path, baseline: str | None = None,
                 metrics: Sequence[MetricSpec] | None = None) -> tuple[Path, Path, pd.DataFrame]:
    """Write the runs and summary CSVs; ``baseline`` is the suite's baseline entry (see ``runs_table``)."""
    runs = runs_table(records, baseline, metrics)
    summary = summary_table(runs, metrics=metrics)
    return (*write_frames(runs, summary, out), summary)


def write_frames(runs: pd.DataFrame, summary: pd.DataFrame, out: Path, stem: str = "") -> tuple[Path, Path]:
    """``out/<stem>-runs.csv`` and ``-summary.csv``, each written atomically; the stem is
    ``<suite>-<dataset>`` unless given (a table of another machine type beside it)."""
    stem = stem or f"{runs['suite'].iloc[0]}-{runs['dataset'].iloc[0]}"
    paths = out / f"{stem}-runs.csv", out / f"{stem}-summary.csv"
    for path, table in zip(paths, (runs, summary), strict=True):
        atomic_write_text(path, table.to_csv(index=False, float_format="%.6g", lineterminator="\n"))
    return paths


def _ranked(summary: pd.DataFrame, metrics: Sequence[MetricSpec] | None) -> tuple[str, int]:
    """The header and decimals of ``rank_value``."""
    by = {col.name: col for col in rank_columns(metrics)}
    if summary["rank_by"].nunique() == 1 and summary["rank_by"].iloc[0] in by:
        col = by[summary["rank_by"].iloc[0]]
        return col.rank_label or col.label, col.digits
    return "ranked on", 3


def _delta_cell(row: pd.Series, prefix: str, digits: int) -> str:
    """Difference to the baseline with its 95% interval; * = significant after Holm."""
    if row["entry"] == row["baseline"]:
        return "baseline"
    if prefix not in row or pd.isna(row[prefix]):
        return "-"
    star = "*" if row[f"{prefix}_p_holm"] < ALPHA else ""
    return f"{row[prefix]:+.{digits}f} [{row[f'{prefix}_low']:+.{digits}f}, {row[f'{prefix}_high']:+.{digits}f}]{star}"


def summary_view(summary: pd.DataFrame, metrics: Sequence[MetricSpec] | None = None) -> pd.DataFrame:
    """The summary as the printed tables show it, one string per cell: rank, tier, rank interval,
    entry, seeds, the ranking statistic, then each metric column of the table (mean, ± std where it
    declares a spread, and its difference to the baseline where it declares one), then stability.
    Columns no entry has (FID and sharpness on point data) are left out."""
    label, digits = _ranked(summary, metrics)

    def ranked(value: float) -> str:
        # ±inf: most seeds were lost, so the median is a lost seed.
        return "-" if math.isnan(value) else "lost" if math.isinf(value) else f"{value:.{digits}f}"

    ratio = summary["baseline_ratio"] if "baseline_ratio" in summary else pd.Series(math.nan, index=summary.index)
    view = pd.DataFrame({
        "rank": summary["rank"].map(lambda r: "-" if pd.isna(r) else str(int(r))),
        "rank range": ["-" if pd.isna(lo) else f"{int(lo)}-{int(hi)}"
                       for lo, hi in zip(summary["rank_low"], summary["rank_high"], strict=True)],
        "entry": summary["entry"],
        "seeds ok": [f"{c}/{n}" for c, n in zip(summary["n_completed"], summary["n_seeds"], strict=True)],
        label: summary["rank_value"].map(ranked),
        "× baseline": ratio.map(lambda v: "-" if pd.isna(v) or math.isinf(v) else f"{v:.2f}"),
        "vs baseline": summary["compared"].fillna("").replace("", "-") if "compared" in summary else "-",
    })
    for col in metric_columns(metrics):
        if not col.aggregate or f"{col.name}_mean" not in summary:
            continue
        means = summary[f"{col.name}_mean"]
        stds = summary[f"{col.name}_std"] if col.spread and f"{col.name}_std" in summary else None
        view[col.label] = [col.format(m) if stds is None or col.format(m) == "-" or pd.isna(stds.iloc[i])
                           else f"{col.format(m)} ± {abs(stds.iloc[i]):.{col.digits}f}" for i, m in enumerate(means)]
        if col.delta and col.delta in summary and summary[col.delta].notna().any():
            view[f"Δ{col.label} [95% CI]"] = [_delta_cell(row, col.delta, col.digits)
                                            for _, row in summary.iterrows()]
        if col.stability and f"stability_{col.name}_cv" in summary:
            view[f"{col.label} CV"] = summary[f"stability_{col.name}_cv"].map(
                lambda v: "-" if pd.isna(v) else f"{v:.3f}")
    view["final/best"] = summary["final_best_ratio_mean"].map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
    if "verdict" in summary:
        view["verdict"] = summary["verdict"].fillna("").replace("", "-")
    keep = [c for c in view.columns if c in ("rank", "entry") or not (view[c].isin(["-", "baseline"])).all()]
    return view.loc[:, keep]


def answers(summary: pd.DataFrame, metrics: Sequence[MetricSpec] | None = None) -> list[str]:
    """The one-sentence answer of each suite and dataset in the summary (``verdicts.answer``)."""
    columns = metric_columns(metrics)
    return [verdicts.answer(block, columns) for _, block in summary.groupby(["suite", "dataset"], sort=False)]


def format_summary(summary: pd.DataFrame, metrics: Sequence[MetricSpec] | None = None) -> str:
    """The summary as a fixed-width text table for the terminal and the README, after its answer."""
    return "\n".join([*answers(summary, metrics), "", summary_view(summary, metrics).to_string(index=False)])
