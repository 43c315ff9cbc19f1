"""`ganbench run`: its options, and the fork server started before anything heavy is imported.

The work is in ``run_suite.py``, whose imports (torch, the catalog, pandas) take about 3 s on a
2-core CPU, and the fork server's (those, and torch-fidelity and torchvision for scoring) about
3.5 s. Started first, the server imports on one core while this process imports on the other; this
process, which plans and dispatches but never scores, does without torch-fidelity and torchvision
(docs/performance.md, "Start-up").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ganbench.executors import forkserver

MATRICES = ("ofat", "full")  # ganbench.suites.MATRICES, which imports torch (tests/test_cli_startup.py)


@click.command()
@click.option("--all", "run_all", is_flag=True, help="Every entry of the suite's expansion.")
@click.option("--suite", default="quick", show_default=True, help="A registered suite (`ganbench list suites`).")
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
@click.option("--runs-per-gpu", type=click.IntRange(min=1), default=1, show_default=True,
              help="On CUDA: runs trained at once on each GPU, in separate processes, for small models that "
                   "leave a GPU idle (measure with `ganbench bench --concurrent N`).")
@click.option("--executor", "executor_name", default="local", show_default=True,
              help="What runs the runs: local processes, or ray (a Ray cluster; `ganbench list executors`).")
@click.option("--address", help="The cluster to connect to, for executors that take one, e.g. --executor ray "
                                "--address 10.0.0.5:6379 [default: the executor's own, e.g. $RAY_ADDRESS].")
@click.option("--matrix", type=click.Choice(MATRICES), default="ofat", show_default=True,
              help="One factor at a time around the baseline, or every combination.")
@click.option("--arch", "architectures", multiple=True, help="Only these architectures (repeatable).")
@click.option("--loss", "losses", multiple=True, help="Only these losses (repeatable).")
@click.option("--reg", "regularizers", multiple=True,
              help="Only these regularizers (repeatable); a stack such as r1+ema runs the baseline with it.")
@click.option("--dataset", help="Run the suite on this dataset instead of its own.")
@click.option("--seeds", help="Comma-separated seeds instead of the suite's, e.g. 0,1,2.")
@click.option("--precision", "compute_dtype", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="bf16 autocasts forward passes (losses stay fp32); part of the protocol.")
@click.option("--compile", "compiled", is_flag=True,
              help="torch.compile G and D (off by default until measured on your hardware; part of the run id).")
@click.option("--budget-seconds", type=click.FloatRange(min=0), default=None,
              help="Wall-clock cap on each run's training, for equal-compute comparisons (not reproducible).")
@click.option("--checkpoint-every", type=click.IntRange(min=0), default=0,
              help="Checkpoint every N generator steps [default: 0 = about ten times a run].")
@click.option("--extractor", "feature_extractor", default=None,
              help="Score in this feature space instead of the dataset's (`ganbench extractor list`).")
@click.option("--force", is_flag=True, help="Re-run runs already in the store.")
@click.option("--no-plugins", is_flag=True, help="Built-in components only.")
def run(**options: Any) -> None:
    """Train and score every entry of a suite on its fixed seeds."""
    if not (options["run_all"] or options["architectures"] or options["losses"] or options["regularizers"]):
        raise click.UsageError("say what to run: --all runs every entry of the suite; --arch/--loss/--reg "
                               "run a part of it")
    if options["no_plugins"]:
        os.environ["GANBENCH_LOAD_PLUGINS"] = ""  # worker processes read the same allowlist
    if _forks_workers(options):
        forkserver.start()  # after the environment is set: the server and its workers inherit it
    try:
        from ganbench.cli.run_suite import run_suite

        run_suite(**options)
    except BaseException:  # bad input, a stop, every run failed: a server still importing would hold stdout open
        forkserver.stop()
        raise


def _forks_workers(options: dict[str, Any]) -> bool:
    """Whether the local executor will fork workers, as far as can be told before torch is imported:
    the GPUs are not counted yet, so CUDA is taken as one GPU (``prepare()`` starts the server for
    more), and ``auto`` as the CPU (on a GPU machine the pool may still be one run, in this process)."""
    if options["executor_name"] != "local":
        return False
    device = "cuda" if options["device"] == "cuda" else "cpu"
    return forkserver.pool_size(options["workers"], device, options["runs_per_gpu"], gpus=1) > 1
