"""The fork server that the local executor's workers are forked from.

Light on purpose (no torch, no ganbench modules that import it): ``ganbench run`` starts the server
before it imports anything heavy itself, so that the server's imports (torch, torch-fidelity,
torchvision: about 4 s on a 2-core CPU) run on one core while the main process's run on the other.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from multiprocessing.context import BaseContext


def pool_size(workers: int | None, device: str, runs_per_gpu: int, gpus: int) -> int:
    """The local pool's size: ``--workers`` where given; else on CPU one per core, at most 8, and on
    CUDA ``--runs-per-gpu`` per GPU."""
    if workers is not None:
        return workers
    if device == "cpu":
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    return runs_per_gpu * gpus


# Imported by the fork server before it forks any worker: the pool, and what its runs import (the
# main process plans without ``execute``, so the server is where the workers get it).
PRELOAD = ["ganbench.executors.local", "ganbench.execute"]


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


def stop() -> None:
    """End the fork server this process started, if any. For a command that stops before its workers
    ran (bad input): the server would go on importing for seconds, holding the command's stdout and
    stderr open, so a pipe or a caller reading them would wait for it. Forked workers do not depend
    on it: each ends with the main process."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)  # CPython's one ForkServer (private, since 3.4)
    pid = getattr(server, "_forkserver_pid", None)
    if server is None or pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # it ignores only SIGINT, and closing its pipe waits for its imports
    server._stop()  # closes its pipe and reaps it
