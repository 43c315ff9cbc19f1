"""`ganbench bench`: training throughput of every registered component on this machine."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import click
import torch

from ganbench.execute import catalog, dataset_splits, incompatible
from ganbench.runspec import RunSpec
from ganbench.suites import expand, load_suite
from ganbench.training.seeding import resolve_device
from ganbench.training.trainer import train

WARMUP_STEPS = 2


def images_per_second(spec: RunSpec, data_root: str | None) -> float:
    """Real images seen per training second over ``spec.generator_steps`` steps, after a short warm-up
    (the first steps pay for one-off allocations)."""
    device = torch.device(spec.device)
    data = dataset_splits(spec.dataset, data_root, spec.resolution, spec.channels).train
    train(dataclasses.replace(spec, generator_steps=WARMUP_STEPS), catalog(), data, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    result = train(spec, catalog(), data, device)
    if device.type == "cuda":
        torch.cuda.synchronize()  # the step loop never syncs: the last steps may still be queued
    return result.images_seen / max(result.train_seconds, 1e-9)


def _worker(spec: RunSpec, data_root: str | None) -> float:
    if spec.device == "cpu":
        torch.set_num_threads(1)
    return images_per_second(spec, data_root)


def concurrent_images_per_second(spec: RunSpec, data_root: str | None, runs: int) -> float:
    """Aggregate images/s of ``runs`` copies of ``spec`` trained at once in separate processes (on one
    GPU they share the device; on a CPU each takes one core)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=runs, mp_context=ctx) as pool:
        return sum(pool.map(_worker, [spec] * runs, [data_root] * runs))


@click.command()
@click.option("--suite", default="quick", show_default=True,
              help="Suite whose entries, shape and batch are measured (`ganbench list suites`).")
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--steps", type=click.IntRange(min=1), default=10, show_default=True,
              help="Generator steps timed per entry (after a 2-step warm-up).")
@click.option("--concurrent", type=click.IntRange(min=1), default=1, show_default=True,
              help="Also time the baseline as N runs at once (processes sharing the device) and report "
                   "aggregate images/s.")
@click.option("--compile", "compiled", is_flag=True, help="torch.compile G and D (compilation is not timed).")
@click.option("--no-plugins", is_flag=True, help="Built-in components only.")
def bench(suite: str, device: str, steps: int, concurrent: int, compiled: bool, no_plugins: bool) -> None:
    """Images/s of each entry of a suite (one factor at a time and its recipes) on this machine.

    Training only, at the suite's resolution, batch and critic steps; on a CPU on one thread, as
    `ganbench run` runs each worker. Plugin authors: this is what your component costs."""
    if no_plugins:
        os.environ["GANBENCH_LOAD_PLUGINS"] = ""  # the concurrent processes read the same allowlist
    try:
        torch_device = resolve_device(device)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    cat = catalog()
    chosen = load_suite(suite, cat)
    specs = [dataclasses.replace(spec, generator_steps=steps, eval_points=0, budget_seconds=0.0, compile=compiled)
             for spec in expand(chosen, cat, str(torch_device)) if spec.seed == chosen.seeds[0]]
    if torch_device.type == "cpu":
        torch.set_num_threads(1)
    click.echo(f"ganbench bench: suite {chosen.name}, {len(specs)} entries, {steps} steps each, "
               f"batch {specs[0].batch_size}, on {torch_device}"
               + (" (1 thread)" if torch_device.type == "cpu" else ""), err=True)
    if incompatible(specs[0]) is None:
        # Untimed: the first entry timed in a process ran up to 15% slow even after its warm-up steps
        # (one-off allocations, kernel choices), and it is the baseline every row is divided by.
        images_per_second(specs[0], None)
    rows: list[dict[str, Any]] = []
    for spec in specs:
        why_not = incompatible(spec)
        speed = None if why_not else images_per_second(spec, None)
        rows.append({"entry": spec.entry, "d_steps": spec.d_steps_per_g_step, "speed": speed, "why_not": why_not})
    base = rows[0]["speed"] or 1.0
    width = max(len(row["entry"]) for row in rows)
    click.echo(f"{'entry':<{width}}  {'critic steps':>12}  {'images/s':>9}  {'vs baseline':>11}")
    for row in rows:
        if row["speed"] is None:
            click.echo(f"{row['entry']:<{width}}  {row['d_steps']:>12}  {'skipped':>9}  {row['why_not']}")
        else:
            click.echo(f"{row['entry']:<{width}}  {row['d_steps']:>12}  {row['speed']:>9.0f}  "
                       f"{row['speed'] / base:>10.2f}x")
    if concurrent > 1:
        together = concurrent_images_per_second(specs[0], None, concurrent)
        click.echo(f"\n{specs[0].entry}: {concurrent} runs at once: {together:.0f} images/s in all, "
                   f"{together / base:.2f}x one run alone")
