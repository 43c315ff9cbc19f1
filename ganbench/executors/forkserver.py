"""The fork server that the local executor's workers are forked from.

Light on purpose (no torch, no ganbench modules that import it): ``ganbench run`` starts the server
before it imports anything heavy itself, so that the server's imports (torch, torch-fidelity,
torchvision: about 4 s on a 2-core CPU) run on one core while the main process's run on the other.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import BaseContext


def default_workers() -> int:
    """The local pool's size on CPU unless ``--workers`` says otherwise: one per core, at most 8."""
    return max(1, min(len(os.sched_getaffinity(0)), 8))


# Imported by the fork server before it forks any worker.
PRELOAD = ["ganbench.executors.local"]


def context() -> BaseContext:
    """The fork server's context where the platform has one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def start() -> None:
    """Start the fork server now (once per process; nothing to do where there is none). It inherits
    this process's environment as it is now, so a caller sets the workers' variables first."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
