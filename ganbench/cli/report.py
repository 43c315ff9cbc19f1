"""`ganbench report`: a static HTML page with the leaderboard, samples, spectra and curves."""

from __future__ import annotations

from pathlib import Path

import click

from ganbench import plugins
from ganbench.tablefiles import TableError, find_tables, is_runs, read_table


@click.command()
@click.argument("what", nargs=-1)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("report"), show_default=True,
              help="Folder for index.html and its images.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboards"),
              show_default=True, help="Where suite names are looked up.")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=Path(".ganbench/runs"),
              show_default=True, help="Run store with the sample grids (without one, the page has no samples).")
def report(what: tuple[str, ...], out: Path, directory: Path, store: Path) -> None:
    """Write a self-contained HTML report for WHAT: suite names (their runs tables in --dir) or runs CSVs
    [default: quick]."""
    paths = [path for item in (what or ("quick",)) for path in _runs_tables(item, directory)]
    tables = []
    for path in paths:
        table = read_table(path)
        if not is_runs(table):
            raise TableError(f"{path}: a summary table; the report needs runs tables (<suite>-<dataset>-runs.csv)")
        tables.append(table)
    from ganbench.report.page import build  # matplotlib and Jinja2 load only for this command

    page = build(tables, out, store if store.is_dir() else None, plugins.load().metric_table())
    click.echo(f"wrote {page} ({len(tables)} table(s); open it in a browser)", err=True)


def _runs_tables(what: str, directory: Path) -> list[Path]:
    found = find_tables(what, directory)
    return [p.with_name(p.name.replace("-summary.csv", "-runs.csv")) if p.name.endswith("-summary.csv") else p
            for p in found]
