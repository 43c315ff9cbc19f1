"""`ganbench report`: one self-contained static HTML page per suite, from runs tables (and the store).

Everything the plots need is in the runs table (schema 5's ``plot_*`` columns), so a merged runs
table alone rebuilds them; the sample grids come from the run store when it has them. The page loads
nothing from the network: images sit beside it, the sorting script and the styles are inline. All
text that plugins can set (names, reasons, sources) goes through Jinja2's autoescape.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from ganbench import integrity, plugins
from ganbench.leaderboard import PLOT_COLUMNS, answers, encode_series, metric_columns, summary_table, summary_view
from ganbench.report import plots
from ganbench.specs import MetricSpec
from ganbench.store import RunStore, atomic_write_bytes, atomic_write_text
from ganbench.suites import suite_note

TEMPLATE = "page.html.j2"
# Shown in the protocol box: (label, runs-table column).
PROTOCOL = (("generator steps", "generator_steps"), ("batch size", "batch_size"), ("seeds", "seed"),
            ("optimizer", "optimizer"), ("latent dim", "latent_dim"), ("samples scored", "fid_samples"),
            ("reference samples", "reference_samples"), ("mode samples", "mode_samples"),
            ("feature extractor", "feature_extractor"), ("metrics version", "metrics_version"),
            ("device", "device"), ("machine", "machine"), ("precision", "compute_dtype"),
            ("ganbench", "ganbench_version"), ("torch", "torch_version"), ("lock", "lock"),
            ("dataset source", "dataset_source"), ("dataset sha256", "dataset_sha256"))


@dataclass
class Seed:
    seed: int
    status: str
    reason: str
    image: str = ""  # file name beside the page; "" when the store has no grid for it


@dataclass
class Entry:
    entry: str
    anchor: str
    rank: str
    verdict: str
    seeds: list[Seed] = field(default_factory=list)
    spectrum: str = ""
    curves: str = ""


@dataclass
class Suite:
    title: str
    anchor: str
    answer: str
    note: str  # the suite's own note on what its table can and cannot show
    header: list[str]
    entry_column: int
    rows: list[dict[str, Any]]  # cells: [(text, sort value, style)], compared, entry anchor
    protocol: list[tuple[str, str]]
    tradeoff: str
    tradeoff_title: str
    real_image: str
    entries: list[Entry]
    missing_grids: int


def _text(value: object) -> str:
    """A cell as text: whole floats without ".0" (pandas reads integer columns with gaps as floats)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _values(runs: pd.DataFrame, *columns: str) -> str:
    """The distinct values of these columns, in natural order ("-" if none)."""
    found = {_text(v) for column in columns if column in runs for v in runs[column].dropna() if str(v) != ""}
    return ", ".join(sorted(found, key=lambda v: (len(v), v))) or "-"


def _sort_value(text: str, best: float | None = None) -> str:
    """A number to sort a cell by (its first number; ranks "1-8" by the low end; with ``best``, the
    distance to it, so that blur sorts nearest the real data first, as `leaderboard show` does);
    else the text."""
    head = text.split(" ")[0].split("-")[0] if text[:1].isdigit() else text.split(" ")[0]
    try:
        value = float(head.replace("+", ""))
    except ValueError:
        return "" if text in ("-", "lost") else text.lower()
    if best is not None:
        value = abs(value - best)
    return repr(value) if math.isfinite(value) else ""


class _Writer:
    """Writes images beside the page under short numbered names (never names from plugins)."""

    def __init__(self, out: Path) -> None:
        self.out, self.count = out, 0

    def image(self, data: bytes | None, stem: str) -> str:
        if data is None:
            return ""
        self.count += 1
        name = f"img/{stem}-{self.count:03d}.png"
        atomic_write_bytes(self.out / name, data)
        return name


def _with_plots(runs: pd.DataFrame, store: RunStore | None) -> pd.DataFrame:
    """Plot columns a runs table lacks (written before schema 5) filled from the store's records."""
    runs = runs.copy()
    for column in PLOT_COLUMNS:
        if column not in runs:
            runs[column] = ""
        runs[column] = runs[column].fillna("").astype(str)
    if store is None:
        return runs
    for i, run in runs.iterrows():
        if all(run[c] for c in PLOT_COLUMNS) or not store.record_path(str(run["run_id"])).is_file():
            continue
        try:
            record = integrity.read_record(store.record_path(str(run["run_id"])))
        except integrity.Damaged as exc:  # the report draws without it; `ganbench run` recomputes it
            print(f"ganbench: warning: {exc}", file=sys.stderr)
            continue
        for column, (where, key) in PLOT_COLUMNS.items():
            if not run[column]:
                runs.loc[i, column] = encode_series(record.get(where, {}).get(key))
    return runs


def _shade(ratio: float) -> str:
    """A cell background whose strength grows with |log2(ratio)|: red above the baseline's value,
    green below (for a lower-is-better ranking metric), full at 4x either way."""
    if not isinstance(ratio, float) or not math.isfinite(ratio) or ratio <= 0:
        return ""
    strength = min(1.0, abs(math.log2(ratio)) / 2.0)
    rgb = "198, 40, 40" if ratio > 1 else "46, 125, 50"
    return f"background: rgba({rgb}, {0.08 + 0.5 * strength:.2f})"


def _suite(runs: pd.DataFrame, store: RunStore | None, writer: _Writer, metrics: Sequence[MetricSpec],
           catalog: plugins.Catalog, index: int) -> Suite:
    runs = _with_plots(runs, store)
    summary = summary_table(runs, metrics=metrics)
    view = summary_view(summary, metrics)
    suite, dataset = str(runs["suite"].iloc[0]), str(runs["dataset"].iloc[0])
    anchors = {entry: f"s{index}-e{i}" for i, entry in enumerate(summary["entry"])}
    ideal = {col.label: col.best for col in metric_columns(metrics) if col.best is not None}
    lower = {col.name: col.lower_is_better for col in metric_columns(metrics)}.get(str(summary["rank_by"].iloc[0]))
    rows = []
    for (_, cells), (_, row) in zip(view.iterrows(), summary.iterrows(), strict=True):
        ratio = float(row["baseline_ratio"]) if "baseline_ratio" in row else math.nan
        shade = _shade(ratio if lower is not False or not ratio else 1 / ratio)
        rows.append({"cells": [(str(v), _sort_value(str(v), ideal.get(str(label))),
                                shade if label == "× baseline" else "") for label, v in cells.items()],
                     "compared": str(row.get("compared", "") or ""), "anchor": anchors[row["entry"]]})
    ran = runs[runs["status"] != "skipped"]
    sha = ran["dataset_sha256"].dropna()
    real_png = store.real_grid_path(str(sha.iloc[0])) if store is not None and len(sha) else None
    real_image = writer.image(plots.thumbnail(real_png.read_bytes()), "real") \
        if real_png is not None and real_png.is_file() else ""
    entries, missing = [], 0
    for _, row in summary.iterrows():
        group = runs[runs["entry"] == row["entry"]].sort_values("seed")
        rank = "-" if pd.isna(row["rank"]) else str(int(row["rank"]))  # an all-skipped entry has none
        verdict = "baseline" if row.get("compared") == "baseline" else str(row.get("verdict", "") or "")
        item = Entry(str(row["entry"]), anchors[row["entry"]], rank, verdict)
        for _, run in group.iterrows():
            seed = Seed(int(run["seed"]), str(run["status"]), "" if pd.isna(run["reason"]) else str(run["reason"]))
            grid = store.grid_path(str(run["run_id"])) if store is not None else None
            if grid is not None and grid.is_file():
                seed.image = writer.image(plots.thumbnail(grid.read_bytes()), "samples")
            elif run["status"] == "completed":
                missing += 1
            item.seeds.append(seed)
        item.spectrum = writer.image(plots.spectrum(group), "spectrum")
        item.curves = writer.image(plots.curves(group), "curves")
        entries.append(item)
    protocol = [(label, _values(ran if len(ran) else runs, column)) for label, column in PROTOCOL]
    protocol.append(("plugins", _values(runs, "architecture_plugin", "loss_plugin", "regularizer_plugin",
                                        "dataset_plugin")))
    protocol.insert(0, ("entries, runs", f"{len(summary)}, {len(runs)} ({(runs['status'] == 'completed').sum()} "
                                         f"completed)"))
    drawn = plots.tradeoff(summary, metric_columns(metrics))
    return Suite(f"{suite} · {dataset}", f"s{index}", " ".join(answers(summary, metrics)),
                 suite_note(suite, catalog), list(view.columns),
                 list(view.columns).index("entry"), rows, [(k, v) for k, v in protocol if v != "-"],
                 writer.image(drawn[0] if drawn else None, "tradeoff"), drawn[1] if drawn else "",
                 real_image, entries, missing)


def build(tables: Sequence[pd.DataFrame], out: Path, store: Path | None,
          metrics: Sequence[MetricSpec] | None = None) -> Path:
    """Write ``out/index.html`` (and its images under ``out/img``) for these runs tables; return the page."""
    out.mkdir(parents=True, exist_ok=True)
    for old in (out / "img").glob("*.png"):  # a rebuilt report holds only its own pictures
        old.unlink()
    writer = _Writer(out)
    run_store = RunStore(store) if store is not None and store.is_dir() else None
    catalog = plugins.load()  # once per report: the suites' notes and, by default, the metric table
    table = catalog.metric_table() if metrics is None else metrics
    suites = [_suite(runs, run_store, writer, table, catalog, i) for i, runs in enumerate(tables)]
    env = jinja2.Environment(loader=jinja2.PackageLoader("ganbench.report", "."), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    page = env.get_template(TEMPLATE).render(suites=suites, store=str(store) if store else "",
                                              has_store=run_store is not None)
    atomic_write_text(out / "index.html", page)
    return out / "index.html"

