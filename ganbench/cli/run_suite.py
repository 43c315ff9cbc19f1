"""`ganbench run`'s work: expand a suite, run what is not done yet, write the leaderboard CSVs.

Imported by ``run.py`` once the fork server has started (its imports take seconds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import math
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import click

from ganbench import plugins, stacking
from ganbench.errors import USER_ERRORS
from ganbench.executors.local import LocalExecutor
from ganbench.leaderboard import format_summary, headline, runs_table, summary_table, write_frames
from ganbench.metrics import registry
from ganbench.metrics.registry import check_available
from ganbench.planner import Executor, ExecutorUnavailable, Interrupted, Settings, drive, plan
from ganbench.progress import suite_bar
from ganbench.runcontext import dataset_splits, feature_extractor, scored_in_trained_space
from ganbench.runspec import RunSpec
from ganbench.specs import ExecutorOptions
from ganbench.suites import Suite, expand, load_suite, load_suite_file, select
from ganbench.tablefiles import check_writable_table, table_for, table_paths, union
from ganbench.training.seeding import resolve_device


def refuse_trained_spaces(specs: list[RunSpec], data_root: str | None) -> None:
    """Stop before anything runs if an entry would be scored in a network its training optimised against."""
    for spec in specs:
        extractor = feature_extractor(spec, dataset_splits(spec.dataset, data_root, spec.resolution, spec.channels))
        refused = scored_in_trained_space(spec, extractor)
        if refused is not None:
            raise click.ClickException(refused)


class InvalidInput(click.ClickException):
    """A setting that cannot run, found before any training: one line, exit code 2."""

    exit_code = 2


@contextlib.contextmanager
def invalid_input() -> Iterator[None]:
    try:
        yield
    except click.UsageError:
        raise
    except click.ClickException as exc:
        raise InvalidInput(exc.message) from None
    except USER_ERRORS as exc:
        raise InvalidInput(str(exc)) from None


def check_sample_counts(specs: list[RunSpec], data_root: str | None) -> None:
    """Fakes are compared with as many real images: a count above the reference split would compare
    2,000 fakes with fewer reals without a word, so it stops the suite before anything runs."""
    for spec in specs[:1]:  # every spec of a suite has the same dataset and counts
        data = dataset_splits(spec.dataset, data_root, spec.resolution, spec.channels)
        if not data.kind.has_features:
            continue
        available = int(data.reference.shape[0])
        for name in ("fid_samples", "curve_fid_samples") if spec.eval_points else ("fid_samples",):
            if getattr(spec, name) > available:
                raise click.ClickException(f"evaluation.{name} = {getattr(spec, name)} is more than the "
                                           f"{available} reference images of {spec.dataset} ({data.source})")


def check_writable(folder: Path, option: str) -> None:
    """A folder that cannot be written would only fail after all the training."""
    existing = folder
    while not existing.exists() and existing != existing.parent:  # it is created when first written
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".ganbench-probe-"):
            pass
    except OSError as exc:
        raise click.BadParameter(f"{folder} is not a writable folder ({exc.strerror or exc})",
                                 param_hint=option) from None


def choose_executor(catalog: plugins.Catalog, name: str, options: ExecutorOptions) -> Executor:
    """The ``--executor``, built, with ``--address`` and the modules it needs checked first."""
    try:
        spec = catalog.spec("executors", name)
    except plugins.UnknownComponent as exc:
        raise click.BadParameter(str(exc), param_hint="--executor") from None
    if options.address is not None and not spec.takes_address:
        raise click.BadParameter(f"executor {name} takes no cluster address", param_hint="--address")
    for module in spec.imports:
        if importlib.util.find_spec(module) is None:
            hint = f"; {spec.install}" if spec.install else ""
            raise click.BadParameter(f"executor {name} needs the Python module {module!r}, which is not "
                                     f"installed{hint}", param_hint="--executor")
    try:
        return cast(Executor, spec.factory(options))
    except ExecutorUnavailable as exc:
        raise click.BadParameter(str(exc), param_hint="--address" if options.address else "--executor") from None


def _parse_seeds(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers",
                                 param_hint="--seeds") from None
    if any(v < 0 for v in values) or len(set(values)) != len(values):
        raise click.BadParameter("seeds must be distinct non-negative integers", param_hint="--seeds")
    return values


def run_suite(run_all: bool, suite: str, suite_file: Path | None, out: Path, store: Path, data_root: Path | None,
        device: str, workers: int | None, runs_per_gpu: int, executor_name: str, address: str | None,
        matrix: str, architectures: tuple[str, ...],
        losses: tuple[str, ...], regularizers: tuple[str, ...], dataset: str | None, seeds: str | None,
        compute_dtype: str, compiled: bool, budget_seconds: float | None, checkpoint_every: int,
        feature_extractor: str | None, force: bool, no_plugins: bool) -> None:
    """``ganbench run`` once its options are checked (``run.py``)."""
    try:
        torch_device = resolve_device(device)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with invalid_input():  # every check before training: one line, exit code 2
        catalog = plugins.load()
        for problem in catalog.problems:
            click.echo(f"ganbench: warning: {problem}", err=True)
        executor = choose_executor(catalog, executor_name, ExecutorOptions(torch_device.type, workers, runs_per_gpu,
                                                                             address))
        if isinstance(executor, LocalExecutor):
            executor.prepare()  # the workers' interpreter starts importing while the suite is checked and planned
        chosen = load_suite_file(suite_file) if suite_file else load_suite(suite, catalog)
        if dataset:
            chosen = dataclasses.replace(chosen, dataset=dataset)
        if seeds is not None:  # --seeds "" is a mistake, not "the suite's seeds"
            chosen = dataclasses.replace(chosen, seeds=_parse_seeds(seeds))
        if budget_seconds is not None:
            if not math.isfinite(budget_seconds):
                raise click.BadParameter(f"{budget_seconds} is not a finite number of seconds",
                                         param_hint="--budget-seconds")
            chosen = dataclasses.replace(chosen, budget={**chosen.budget, "budget_seconds": budget_seconds})
        if feature_extractor is not None:
            chosen = dataclasses.replace(chosen, evaluation={**chosen.evaluation,
                                                             "feature_extractor": feature_extractor})
        if chosen.evaluation.get("feature_extractor"):
            name = chosen.evaluation["feature_extractor"]
            check_available(name)  # a missing weights file fails here, not in every run
            if chosen.channels and not registry.accepts(name, chosen.channels):
                raise click.UsageError(f"feature extractor {name!r} cannot read {chosen.channels}-channel images")
        # A stack named with --reg is an entry of its own (the baseline with that stack), not only a filter.
        named_stacks = [name for name in regularizers if stacking.is_stack(name) and name not in chosen.stacks]
        for name in named_stacks:
            try:
                catalog.get("regularizers", name)
            except plugins.UnknownComponent as exc:
                raise click.UsageError(f"--reg {name}: {exc}") from None
        if named_stacks:
            chosen = dataclasses.replace(chosen, stacks=(*chosen.stacks, *named_stacks))
        expanded = expand(chosen, catalog, torch_device.type, matrix, compute_dtype)
        if compiled:
            expanded = [dataclasses.replace(spec, compile=True) for spec in expanded]
        baseline = expanded[0].entry  # the suite's baseline comes first, marked with its recipe if it is one
        specs = select(expanded, catalog, architectures, losses, regularizers)
        if not specs:
            raise click.UsageError("the filters leave no run: --matrix ofat varies one factor at a time around "
                                   f"the baseline (of those the suite's vary lists: {', '.join(chosen.vary) or 'none'}"
                                   "), so filters on two factors keep only the baseline's; --matrix full runs every "
                                   "combination of every registered component")
        refuse_trained_spaces(specs, str(data_root) if data_root else None)
        check_sample_counts(specs, str(data_root) if data_root else None)
        for folder, option in ((out, "--out"), (store, "--store")):
            check_writable(folder, option)
        check_writable_table(table_paths(out, chosen.name, chosen.dataset)[0])  # its rows join the new ones
    total = len(specs)
    how = f"{executor.workers} worker(s)" if isinstance(executor, LocalExecutor) else f"executor {executor_name}"
    click.echo(f"suite {chosen.name}: {total} runs ({total // len(chosen.seeds)} entries x "
               f"{len(chosen.seeds)} seeds) on {torch_device}, {how}", err=True)
    absent = chosen.absent(catalog)
    if absent:  # a plugin the suite names as optional: say its entry is missing, never drop it silently
        click.echo(f"suite {chosen.name}: not installed, so no entry: {', '.join(absent)} (optional components)",
                   err=True)
    done = 0
    started = time.perf_counter()
    table = catalog.metric_table()

    bars = sys.stderr.isatty()
    bar = suite_bar(bars, total, f"suite {chosen.name}")

    def progress(record: dict[str, Any], reused: bool) -> None:
        nonlocal done
        done += 1
        metrics = record.get("metrics", {})
        what = headline(metrics, table) if metrics else record.get("reason", "")
        how = "reused" if reused else f"{record.get('wall_seconds', 0):.0f} s"
        elapsed = time.perf_counter() - started
        line = (f"[{done}/{total}] {record['entry']} seed {record['spec']['seed']}: "
                f"{record['status']}, {what} ({how}; {elapsed:.0f} s elapsed)")
        if bar is None:
            click.echo(line, err=True)
            sys.stderr.flush()
        else:
            bar.write(line, file=sys.stderr)
            bar.update(1)

    stopped: Interrupted | None = None
    try:
        settings = Settings(str(data_root) if data_root else None, store, force, checkpoint_every, bars)
        parallel = not isinstance(executor, LocalExecutor) or executor.workers > 1
        records = drive(plan(specs, settings, order=parallel), executor, progress)
    except ExecutorUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    except Interrupted as interrupted:  # Ctrl-C or SIGTERM: the workers are stopped; keep what finished
        stopped, records = interrupted, interrupted.records
    finally:
        if bar is not None:
            bar.close()
    if stopped is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the tables' write short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if records:
            _write(records, baseline, out, chosen, started)
        click.echo(f"ganbench: stopped by {stopped.signal_name} after {len(records)} of {total} runs; the tables "
                   f"hold those, and the runs cut short resume from their checkpoints when you run the same "
                   f"command again", err=True)
        raise SystemExit(130 if stopped.signal_name == "SIGINT" else 143)
    _write(records, baseline, out, chosen, started)
    attempted = [r for r in records if r["status"] != "skipped"]
    if attempted and all(r["status"] == "failed" for r in attempted):
        reasons = sorted({str(r.get("reason", "")).splitlines()[0] for r in attempted if r.get("reason")})
        click.echo(f"Error: every run failed ({len(attempted)}); first reason: {reasons[0] if reasons else '-'}",
                   err=True)
        raise SystemExit(1)


def _write(records: list[dict[str, Any]], baseline: str, out: Path, chosen: Suite, started: float) -> None:
    """The runs and summary tables: this call's records joined to the table's earlier rows."""
    runs = runs_table(records, baseline)
    path, note = table_for(runs, table_paths(out, chosen.name, chosen.dataset)[0])
    if note:
        click.echo(f"ganbench: {note}", err=True)
    runs, note = union(runs, path)
    if note:
        click.echo(f"ganbench: {note}", err=True)
    summary = summary_table(runs)
    runs_path, summary_path = write_frames(runs, summary, out, path.name.removesuffix("-runs.csv"))
    click.echo(format_summary(summary))
    click.echo(f"wrote {runs_path} and {summary_path} ({time.perf_counter() - started:.0f} s)", err=True)
