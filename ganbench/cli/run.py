"""`ganbench run`: expand a suite, run what is not done yet, write the leaderboard CSVs."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from ganbench import plugins
from ganbench.executors.local import default_workers, run_specs
from ganbench.leaderboard import format_summary, write_tables
from ganbench.suites import expand, load_suite, load_suite_file
from ganbench.training.seeding import resolve_device


@click.command()
@click.option("--all", "run_all", is_flag=True, help="Every registered architecture, loss and regularizer.")
@click.option("--suite", default="quick", show_default=True, help="A built-in suite name.")
@click.option("--suite-file", type=click.Path(dir_okay=False, path_type=Path), help="Your own suite TOML.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboards"),
              show_default=True, help="Folder for the leaderboard CSVs.")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), default=Path(".ganbench/runs"),
              show_default=True, help="Folder for run records and sample grids.")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with full datasets (default: $GANBENCH_DATA, then system packages, then bundled).")
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Concurrent single-thread runs on CPU [default: one per core].")
@click.option("--force", is_flag=True, help="Re-run runs already in the store.")
@click.option("--no-plugins", is_flag=True, help="Built-in components only.")
def run(run_all: bool, suite: str, suite_file: Path | None, out: Path, store: Path, data_root: Path | None,
        device: str, workers: int | None, force: bool, no_plugins: bool) -> None:
    """Train and score every entry of a suite on its fixed seeds."""
    if not run_all:
        raise click.UsageError("say what to run: --all runs every registered entry of the suite")
    if no_plugins:
        os.environ["GANBENCH_LOAD_PLUGINS"] = ""  # worker processes read the same allowlist
    try:
        torch_device = resolve_device(device)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    chosen = load_suite_file(suite_file) if suite_file else load_suite(suite)
    catalog = plugins.load()
    for problem in catalog.problems:
        click.echo(f"ganbench: warning: {problem}", err=True)
    specs = expand(chosen, catalog, torch_device.type)
    if workers is None:
        workers = default_workers() if torch_device.type == "cpu" else 1
    total = len(specs)
    click.echo(f"suite {chosen.name}: {total} runs ({total // len(chosen.seeds)} entries x "
               f"{len(chosen.seeds)} seeds) on {torch_device}, {workers} worker(s)", err=True)
    done = 0
    started = time.perf_counter()

    def progress(record: dict[str, Any], reused: bool) -> None:
        nonlocal done
        done += 1
        fid = record.get("metrics", {}).get("fid")
        what = f"fid {fid:.2f}" if fid is not None else record.get("reason", "")
        how = "reused" if reused else f"{record.get('wall_seconds', 0):.0f} s"
        elapsed = time.perf_counter() - started
        click.echo(f"[{done}/{total}] {record['entry']} seed {record['spec']['seed']}: "
                   f"{record['status']}, {what} ({how}; {elapsed:.0f} s elapsed)", err=True)
        sys.stderr.flush()

    records = run_specs(specs, str(data_root) if data_root else None, store, workers, force, progress)
    runs_path, summary_path, summary = write_tables(records, out)
    click.echo(format_summary(summary))
    click.echo(f"wrote {runs_path} and {summary_path} ({time.perf_counter() - started:.0f} s)", err=True)
