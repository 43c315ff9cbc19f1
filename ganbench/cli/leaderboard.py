"""`ganbench leaderboard show | diff | merge`: the CSVs treated as data."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from ganbench import formats, plugins
from ganbench.leaderboard import metric_columns, rank_columns, summary_table, write_frames
from ganbench.tablefiles import TableError, as_summary, diff, find_tables, merge, mixed_protocols, read_table

# Summary columns that are not a metric's but have a better direction (False: higher is better).
HIGHER_IS_BETTER = {"n_completed": False}
DIRECTORY = click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
                         default=Path("leaderboards"), show_default=True, help="Where suite names are looked up.")


@click.group("leaderboard")
def leaderboard() -> None:
    """Show, compare and merge leaderboard CSVs."""


def _sorted(summary: pd.DataFrame, column: str | None) -> pd.DataFrame:
    """By ``column`` (a summary column, or a metric column name for its mean), best first where the
    metric says which way is better (nearest its ideal value where it has one); ascending otherwise."""
    if column is None:
        return summary
    name = column if column in summary.columns else f"{column}_mean"
    if name not in summary.columns:
        raise click.BadParameter(f"no column {column!r} in the summary (for instance: rank, fid_mean, "
                                 f"blur_score_mean, stability_fid_cv)", param_hint="--sort")
    col = {c.name: c for c in metric_columns()}.get(name.removesuffix("_mean"))
    if col is not None and col.best is not None:
        ideal = col.best
        return summary.sort_values(name, key=lambda v: (v - ideal).abs(), kind="stable", na_position="last")
    ranked = {c.name: c.lower_is_better for c in rank_columns()}
    lower = ranked.get(str(summary["rank_by"].iloc[0])) if name == "rank_value" else \
        HIGHER_IS_BETTER.get(name, col.lower_is_better if col is not None else None)
    return summary.sort_values(name, ascending=lower is not False, kind="stable", na_position="last")


@leaderboard.command("show")
@click.argument("what", default="quick")
@DIRECTORY
@click.option("--sort", "sort_by", help="Sort by this column (e.g. fid_mean, blur_score_mean) [default: rank].")
@click.option("--format", "fmt", type=click.Choice(list(formats.FORMATS)), default="table", show_default=True)
def show(what: str, directory: Path, sort_by: str | None, fmt: str) -> None:
    """Print a leaderboard: WHAT is a suite name (its tables in --dir) or a runs/summary CSV."""
    metrics = plugins.load().metric_table()
    output = formats.get(fmt)
    colour = fmt == "table" and sys.stdout.isatty()
    for index, path in enumerate(find_tables(what, directory)):
        summary = _sorted(as_summary(read_table(path), metrics), sort_by)
        mixed = mixed_protocols(summary)
        if mixed:  # each row is right, but the reader should know why an entry appears twice
            click.echo(f"ganbench: warning: {path}: entries appear once per protocol (differing: "
                       f"{', '.join(mixed)}); `leaderboard merge` refuses such tables", err=True)
        if fmt in ("table", "markdown") and len(find_tables(what, directory)) > 1:
            click.echo(("\n" if index else "") + f"{path.name}:")
        click.echo(output.render(summary, metrics, colour))


@leaderboard.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
def diff_command(old: Path, new: Path) -> None:
    """What moved from OLD to NEW (summary or runs CSVs); exit 1 when anything did."""
    metrics = plugins.load().metric_table()
    change = diff(as_summary(read_table(old), metrics), as_summary(read_table(new), metrics), metrics)
    click.echo(f"machines  {change.machines}")
    for line in change.protocol:
        click.echo(f"protocol  {line}")
    for entry in change.added:
        click.echo(f"added     {entry}")
    for entry in change.removed:
        click.echo(f"removed   {entry}")
    for line in change.moved:
        click.echo(f"moved     {line}")
    if not change.changed:
        click.echo("no entry moved beyond its intervals")
    sys.exit(1 if change.changed else 0)


@leaderboard.command("merge")
@click.argument("tables", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the merged runs and summary CSVs.")
def merge_command(tables: tuple[Path, ...], out: Path) -> None:
    """Combine runs CSVs (from several machines, say) and recompute the summary over all seeds."""
    runs = merge([(path, read_table(path)) for path in tables])
    suites = runs[["suite", "dataset"]].drop_duplicates()
    if len(suites) > 1:
        raise TableError("the tables hold different suites or datasets: "
                         + ", ".join(f"{s}/{d}" for s, d in suites.itertuples(index=False)))
    runs_path, summary_path = write_frames(runs, summary_table(runs), out)
    click.echo(f"merged {len(runs)} runs from {len(tables)} table(s) into {runs_path} and {summary_path}", err=True)
