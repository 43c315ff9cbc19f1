"""Leaderboard CSVs as data: read a runs or summary table, compare two summaries, merge runs tables.

A runs table is the record of truth: summaries are recomputed from it (a merge recomputes the
statistics over all seeds), never averaged from other summaries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from scipy import stats

from ganbench.leaderboard import PROTOCOL_COLUMNS, metric_columns, summary_table, with_machine
from ganbench.specs import MetricSpec

# Columns that identify one run across tables.
RUN_KEY = ["suite", "dataset", "entry", "seed"]
# Protocol columns a recipe sets for its own entry: they agree within an entry, not across a table.
RECIPE_COLUMNS = {"optimizer", "lr_generator", "lr_discriminator", "beta1", "beta2", "d_steps_per_g_step"}
# What each kind of table must have for ganbench to read it.
REQUIRED = {"runs": ["suite", "dataset", "entry", "architecture", "loss", "regularizer", "seed", "status", "run_id"],
            "summary": ["suite", "dataset", "entry", "rank", "rank_low", "rank_high", "rank_value", "n_seeds",
                        "n_completed"]}


class TableError(Exception):
    """A file that is not a leaderboard table, or tables that cannot be combined."""


def read_table(path: Path) -> pd.DataFrame:
    """A runs or summary CSV; a one-line error naming the file otherwise."""
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise TableError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TableError(f"{path}: not a CSV file ({str(exc).splitlines()[0]})") from None
    if path.is_dir():
        raise TableError(f"{path}: a folder, not a leaderboard CSV")
    if not {"schema_version", "entry", "suite", "dataset"} <= set(table.columns):
        raise TableError(f"{path}: not a ganbench leaderboard table (no schema_version/entry/suite/dataset columns)")
    kind = "runs" if is_runs(table) else "summary"
    missing = [c for c in REQUIRED[kind] if c not in table.columns]
    if missing:
        raise TableError(f"{path}: a {kind} table without the column(s) {', '.join(missing)}")
    if table.empty:
        raise TableError(f"{path}: a {kind} table with no rows")
    for column in [c for c in metric_columns() if c.name in table.columns]:
        values = table[column.name]
        if not pd.api.types.is_numeric_dtype(values) and pd.to_numeric(values, errors="coerce").isna().gt(
                values.isna()).any():
            raise TableError(f"{path}: column {column.name} has values that are not numbers")
    return table


def is_runs(table: pd.DataFrame) -> bool:
    """A runs table (one row per run) rather than a summary."""
    return "status" in table.columns and "rank" not in table.columns


def as_summary(table: pd.DataFrame, metrics: Sequence[MetricSpec] | None = None) -> pd.DataFrame:
    """A summary as is; a runs table summarised (ranks, tiers, intervals, differences)."""
    return summary_table(table, metrics=metrics) if is_runs(table) else table


def find_tables(what: str, directory: Path) -> list[Path]:
    """``what`` is a CSV path, or a suite name whose ``<suite>-<dataset>-summary.csv`` (else its runs
    tables, to be summarised) are in ``directory``."""
    path = Path(what)
    if path.is_dir():
        raise TableError(f"{path}: a folder; give a suite name (its tables in --dir) or a CSV file")
    if path.suffix == ".csv" or path.is_file():
        if not path.is_file():
            raise TableError(f"{path}: no such file")
        return [path]
    found = sorted(directory.glob(f"{what}-*-summary.csv")) or sorted(directory.glob(f"{what}-*-runs.csv"))
    if not found:
        known = sorted({p.name.split("-")[0] for p in directory.glob("*-*.csv")})
        raise TableError(f"no table for suite {what!r} in {directory}/ "
                         f"(suites there: {', '.join(known) or 'none'})")
    return found


def cells(values: pd.Series) -> pd.Series:
    """A column's values as text, a whole number as one whatever its dtype, and every empty cell as "":
    a column with blank cells (skipped runs) reads as floats, and its 3.0 is the 3 of a table without
    blanks; a blank read from a CSV is NaN where a run just made has None."""
    def text(value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return values.map(text)


# An entry's identity across tables: its data, components and recipe. Its printed name is not: a
# suite whose baseline is the dcgan recipe prints it "dcgan (dcgan/...)", one without that recipe
# "dcgan/...". Entries left unmatched are then matched on COMPONENTS alone where that is unambiguous.
COMPONENTS = ["dataset", "architecture", "loss", "regularizer", "conditioning"]
IDENTITY = [*COMPONENTS, "recipe"]


def _identities(table: pd.DataFrame, columns: list[str]) -> pd.Series:
    parts = [cells(table[c].astype(object).fillna("")) if c in table.columns else pd.Series("", index=table.index)
             for c in columns]
    return pd.Series(["|".join(row) for row in zip(*parts, strict=True)], index=table.index)


def _match(old: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``old`` and ``new`` indexed so that the same entry has the same index in both."""
    factored = {"architecture", "loss", "regularizer"} <= set(old.columns) & set(new.columns)
    identity = IDENTITY if factored else ["dataset", "entry"]  # a table without its factors: by name
    old_id, new_id = _identities(old, identity), _identities(new, identity)
    for table, ids in ((old, old_id), (new, new_id)):
        twice = ids[ids.duplicated()]
        if len(twice):
            entry = table.loc[twice.index[0], "entry"]
            raise TableError(f"entry {entry} appears twice in one table (different protocols): compare one protocol")
    if not factored:
        return old.set_index(old_id), new.set_index(new_id)
    old_c, new_c = _identities(old, COMPONENTS), _identities(new, COMPONENTS)
    lone_old = old_c[~old_id.isin(new_id)]
    lone_new = new_c[~new_id.isin(old_id)]
    renamed = {i: old_id.loc[lone_old[lone_old == components].index[0]] for i, components in lone_new.items()
               if (lone_new == components).sum() == 1 and (lone_old == components).sum() == 1}
    matched = pd.Index([renamed.get(i, identity) for i, identity in new_id.items()])
    return old.set_index(old_id), new.set_index(matched)


def mixed_protocols(summary: pd.DataFrame) -> list[str]:
    """Protocol columns that split an entry into several summary rows (runs of one entry made under
    different protocols: another ganbench version, say); [] when every entry has one row."""
    key = ["suite", "dataset", "entry"]
    twice = summary[summary.duplicated(subset=key, keep=False)]
    return [c for c in PROTOCOL_COLUMNS if c in twice.columns and len(twice) and
            twice.groupby(key)[c].agg(lambda v: cells(v).nunique()).max() > 1]


@dataclass
class Diff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # one line per entry and what moved
    protocol: list[str] = field(default_factory=list)  # protocol columns that differ (not a movement)
    machines: str = ""  # the machine types compared: each number's rounding comes from its own

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.moved)


def _interval(row: pd.Series, column: str) -> tuple[float, float]:
    """95% t-interval of a metric's mean over completed seeds (the summary's mean, std and count)."""
    mean, std, n = row.get(f"{column}_mean"), row.get(f"{column}_std"), row.get("n_completed")
    if mean is None or pd.isna(mean):
        return math.nan, math.nan
    if std is None or pd.isna(std) or not n or n < 2:
        return float(mean), float(mean)
    half = float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n))
    return float(mean) - half, float(mean) + half


def _disjoint(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return not any(math.isnan(v) for v in (*a, *b)) and (a[1] < b[0] or b[1] < a[0])


def diff(old: pd.DataFrame, new: pd.DataFrame, metrics: Sequence[MetricSpec] | None = None) -> Diff:
    """What changed from ``old`` to ``new`` (summaries): entries added or removed; entries whose rank
    interval, or the 95% interval of a headline metric (those the tables print as mean ± std), no
    longer overlaps the old one; entries that lost or regained seeds. Protocol columns that differ are
    listed apart: they explain a change, they are not one."""
    out = Diff()
    old_types, new_types = (", ".join(sorted(machine_types(t))) or "not recorded" for t in (old, new))
    out.machines = f"{old_types} in both" if old_types == new_types else f"{old_types} -> {new_types}"
    # Entries are matched by what they are (IDENTITY), not by suite or printed name; each is shown
    # under its name in the new table (the old one's where it was removed).
    old_rows, new_rows = _match(old, new)
    old_keys, new_keys = set(old_rows.index), set(new_rows.index)

    def label(row: pd.Series) -> str:
        return f"{row['suite']} / {row['dataset']} / {row['entry']}"

    out.added = [label(row) for k, row in new_rows.iterrows() if k not in old_keys]
    out.removed = [label(row) for k, row in old_rows.iterrows() if k not in new_keys]
    headline = [col for col in metric_columns(metrics) if col.spread]
    for k in new_rows.index:
        if k not in old_keys:
            continue
        a, b = old_rows.loc[k], new_rows.loc[k]
        what = []
        ran = all(int(row.get("n_seeds", 0) or 0) > int(row.get("n_skipped", 0) or 0) for row in (a, b))
        if ran and _disjoint((a["rank_low"], a["rank_high"]), (b["rank_low"], b["rank_high"])):
            what.append(f"rank {a['rank']} [{a['rank_low']}-{a['rank_high']}] -> {b['rank']} "
                        f"[{b['rank_low']}-{b['rank_high']}]")
        for col in headline:
            before, after = _interval(a, col.name), _interval(b, col.name)
            if _disjoint(before, after):
                what.append(f"{col.label} {col.format(a[f'{col.name}_mean'])} -> {col.format(b[f'{col.name}_mean'])}")
        lost = [(n, int(a.get(n, 0) or 0), int(b.get(n, 0) or 0)) for n in ("n_diverged", "n_failed")]
        what += [f"{n[2:]} seeds {x} -> {y}" for n, x, y in lost if x != y]
        if what:
            out.moved.append(f"{b['entry']}: " + "; ".join(what))
    shared = [c for c in PROTOCOL_COLUMNS if c in old.columns and c in new.columns]
    for name in shared:
        was, now = set(cells(old[name].dropna())), set(cells(new[name].dropna()))
        if was != now:
            out.protocol.append(f"{name}: {', '.join(sorted(was))} -> {', '.join(sorted(now))}")
    return out


def merge(tables: Sequence[tuple[Path, pd.DataFrame]]) -> pd.DataFrame:
    """One runs table from several (machines, say). Refuses runs of different protocols (naming the
    columns that differ) and two different results for one run; the same run twice is kept once."""
    for path, table in tables:
        if not is_runs(table):
            raise TableError(f"{path}: a summary table; merge runs tables (<suite>-<dataset>-runs.csv)")
    runs = with_machine(pd.concat([t.assign(_file=str(p)) for p, t in tables], ignore_index=True))
    ran = runs[runs["status"] != "skipped"]  # skipped runs have no extractor or data hash
    types = {m: sorted(set(runs.loc[runs["machine"] == m, "_file"])) for m in runs["machine"].unique() if m}
    if len(types) > 1:
        detail = "; ".join(f"{m}: {', '.join(files)}" for m, files in sorted(types.items()))
        raise TableError(f"a table holds one machine type, and these are {len(types)} ({detail}): their numbers "
                         "differ in rounding; merge each type apart")
    columns = [c for c in PROTOCOL_COLUMNS if c in runs.columns]
    # Table-wide settings agree across all runs; a recipe's own optimiser settings within its entry.
    differing = [c for c in columns if c not in RECIPE_COLUMNS and cells(ran[c]).nunique() > 1]
    differing += [c for c in columns if c in RECIPE_COLUMNS and len(ran) and
                  ran.groupby("entry")[c].agg(lambda v: cells(v).nunique()).max() > 1]
    if differing:
        detail = "; ".join(f"{c}: {', '.join(sorted(cells(ran[c]).unique()))}" for c in differing)
        raise TableError(f"different protocols cannot share a table ({detail})")
    # The same run in two files is kept once; the same seed with another result (another machine,
    # another status) is refused: a table has one result per seed.
    result = [*RUN_KEY, "run_id", "status", *[c.name for c in metric_columns() if c.name in runs.columns]]
    runs = runs.drop_duplicates(subset=result).reset_index(drop=True)
    twice = runs[runs.duplicated(subset=RUN_KEY, keep=False)]
    if len(twice):
        first = twice.iloc[0]
        files = ", ".join(sorted(set(twice[(twice["entry"] == first["entry"]) & (twice["seed"] == first["seed"])]
                                     ["_file"])))
        raise TableError(f"{first['entry']} seed {first['seed']} has different results in {files}: "
                         f"keep one of them")
    return runs.drop(columns="_file")


def table_paths(out: Path, suite: str, dataset: str) -> tuple[Path, Path]:
    """Where ``ganbench run`` writes a suite's runs and summary tables."""
    return out / f"{suite}-{dataset}-runs.csv", out / f"{suite}-{dataset}-summary.csv"


def machine_types(table: pd.DataFrame) -> set[str]:
    """The machine types and precisions of a runs table's rows (``AVX2``, ``cuda ..., bf16``); a row
    that does not say (a table from before schema 7) has none."""
    runs = with_machine(table)
    dtypes = runs["compute_dtype"] if "compute_dtype" in runs else pd.Series("fp32", index=runs.index)
    return {_type_name(m, d) for m, d in zip(runs["machine"], dtypes.fillna("fp32"), strict=True) if m}


def _type_name(machine: str, dtype: str) -> str:
    return machine + ("" if dtype == "fp32" else f", {dtype}")


def machine_slug(machine_type: str) -> str:
    """A machine type as part of a file name: ``cpu AVX512`` -> ``avx512``, a GPU's -> ``cuda-nvidia-...``."""
    return re.sub(r"[^a-z0-9]+", "-", machine_type.lower().removeprefix("cpu ")).strip("-")


def table_for(new: pd.DataFrame, path: Path) -> tuple[Path, str]:
    """Where the runs ``new`` (one machine type) go: the table at ``path`` when it is absent or of
    their type, else ``<suite>-<dataset>-<type>-runs.csv`` beside it. A table holds one machine type:
    numbers from two types differ in their rounding, and a seed of one must not replace the other's.
    Returns the path and a message for the user ("" when it is ``path``)."""
    kinds = machine_types(new)
    if len(kinds) != 1 or not path.exists():
        return path, ""
    (kind,) = kinds
    there = machine_types(read_table(path))
    if not there or there == kinds:
        return path, ""
    beside = path.with_name(f"{path.name.removesuffix('-runs.csv')}-{machine_slug(kind)}-runs.csv")
    return beside, f"{path} holds runs of {', '.join(sorted(there))}; this run's ({kind}) go to their own table, " \
                   f"{beside.name}"


def check_writable_table(path: Path) -> None:
    """Before any training: an existing runs table must be readable, since the new rows join it."""
    if path.exists():
        table = read_table(path)
        if not is_runs(table):
            raise TableError(f"{path}: a summary table where the runs table belongs; move it away")


def upgraded(runs: pd.DataFrame) -> pd.DataFrame:
    """A schema 7 runs table as schema 8: 8 only added ``lock`` (empty: such runs named no lock) and
    ``machine`` (read from ``cpu_capability`` and ``device_name``). Other schemas as they are."""
    if set(runs["schema_version"].astype(str)) != {"7"} or not is_runs(runs):
        return runs
    return with_machine(runs).assign(schema_version=8, lock=runs.get("lock", ""))


def union(new: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, str]:
    """``new`` plus the rows of the runs table at ``path`` that it does not replace, so that running a
    subset of a suite never removes rows from its table. A run in both keeps its new row (the same run
    id, or the same entry and seed). An existing table of another protocol (another budget, another
    ganbench) cannot share the table: it is kept beside it as ``<name>.previous.csv`` and said so.
    Returns the table and a message for the user ("" when there is nothing to say)."""
    if not path.exists():
        return new, ""
    old = upgraded(read_table(path))
    if set(old["schema_version"].astype(str)) != set(new["schema_version"].astype(str)):
        previous = path.with_name(path.name.removesuffix(".csv") + ".previous.csv")
        path.replace(previous)
        return new, (f"{path} has CSV schema {', '.join(sorted(set(old['schema_version'].astype(str))))}, this run "
                     f"writes schema {new['schema_version'].iloc[0]}; the old table is kept as {previous}")
    replaced = old["run_id"].isin(new["run_id"]) | old.set_index(RUN_KEY).index.isin(new.set_index(RUN_KEY).index)
    kept = old[~replaced]
    if kept.empty:
        return new, ""
    try:
        merged = merge([(path, kept), (Path("this run"), new)])
    except TableError as exc:
        previous = path.with_name(path.name.removesuffix(".csv") + ".previous.csv")
        path.replace(previous)
        return new, (f"{path} held runs of another protocol ({exc}); it is kept as {previous}, and the table now "
                     f"holds this run's {len(new)} rows")
    order = list(new.columns) + [c for c in merged.columns if c not in new.columns]
    return merged[order], f"{path}: {len(kept)} earlier rows kept beside this run's {len(new)}"
