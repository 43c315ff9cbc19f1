"""Local executor: independent runs as concurrent single-thread processes.

Two 1-thread runs side by side beat one 2-thread run on a small CPU, and one thread per run is
also what keeps CPU runs bit-for-bit reproducible.

Workers are forked from a fork server (``forkserver.py``; where the platform has one, else
spawned) that imported ganbench, torch and torch-fidelity once: a spawned worker spent about 2.5 s
of a 2-core machine importing them before its first run, each. ``ganbench run`` starts the server
before its own imports (``prepare()`` starts it for other callers). The server is a fresh
interpreter that never ran anything, so the workers inherit none of the main process's threads,
locks, signal handlers or CUDA state.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

import torch

from ganbench import progress
from ganbench.executors import forkserver
from ganbench.planner import Finish, Plan, Settings, Task, failure_record


def _die_with_main(main: int) -> None:
    """End this worker when the main process ends, even by SIGKILL, so that a killed suite never leaves
    workers behind (its runs resume from their checkpoints).

    A spawned worker's parent is the main process, and the kernel's parent-death signal covers it. A
    forked worker's parent is the fork server, which outlives the main process for as long as any
    worker holds its pipe open, and the pool's queues stay open in the workers too: so a thread here
    waits on the main process itself (a pidfd, which no reused PID can fool, where there is one) and
    kills this worker when it is gone. A main process already gone by now is caught by the same wait."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the thread below still covers it
        pass
    threading.Thread(target=_kill_self_when_gone, args=(main,), name="ganbench-main-watch", daemon=True).start()


def _kill_self_when_gone(main: int) -> None:
    try:
        handle = os.pidfd_open(main)
    except ProcessLookupError:  # gone already
        pass
    except (AttributeError, OSError):  # no pidfd (not Linux, or a kernel before 5.3): ask once a second
        while _alive(main):
            time.sleep(1.0)
    else:
        select.select([handle], [], [])  # readable once the process has exited
    os.kill(os.getpid(), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # PermissionError: another user's process took the PID
        return False
    return True


def _init_worker(counter: Any, gpus: Any, main: int) -> None:
    # The main process decides when to stop: a terminal's Ctrl-C reaches the whole process group, and a
    # worker interrupted mid-write would break the pool instead of being stopped cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_main(main)
    torch.set_num_threads(1)
    progress.claim_position(counter)
    if torch.cuda.is_available():  # workers take the GPUs in turn: worker i trains on GPU i mod count
        with gpus.get_lock():
            index = gpus.value
            gpus.value += 1
        torch.cuda.set_device(index % torch.cuda.device_count())


class LocalExecutor:
    """``workers`` processes on this machine, sharing the store; each run writes its own record."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def prepare(self) -> None:
        """Start the fork server now, so that its imports overlap the caller's checks and planning
        (nothing to do for one worker, which runs in this process, or where there is no fork server)."""
        if self.workers > 1:
            forkserver.start()

    def run(self, plan: Plan, finish: Finish) -> None:
        if self.workers <= 1 or len(plan.tasks) <= 1:
            for task in plan.tasks:
                finish(task.run_id, run_task(task, plan.settings))
        else:
            self._run_pool(plan, finish)

    def _run_pool(self, plan: Plan, finish: Finish) -> None:
        ctx = forkserver.context()
        counter, gpus = ctx.Value("i", 0), ctx.Value("i", 0)
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(counter, gpus, os.getpid()))
        try:
            futures: dict[Future[dict[str, Any]], Task] = {
                pool.submit(run_task, task, plan.settings): task for task in plan.tasks
            }
            for future in as_completed(futures):
                task = futures[future]
                try:
                    record = future.result()
                except Exception as exc:  # the worker process itself died (e.g. killed, out of memory)
                    record = failure_record(task, f"worker process failed: {type(exc).__name__}: {exc}")
                    plan.settings.store.write(record)
                finish(task.run_id, record)
        except BaseException:
            # Stopped: no new run starts, and the running ones end now (their last checkpoints stay).
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=10)
            raise
        pool.shutdown(wait=True)


def run_task(task: Task, settings: Settings) -> dict[str, Any]:
    """One task, in whichever process runs it: trained under its claim, its record written to the store.

    ``execute`` (torch-fidelity, torchvision: a second or more) is imported here, by the processes that
    run: the fork server preloads it for its workers, and the planning process does without it."""
    from ganbench.execute import execute

    return execute(task.spec, settings.data_root, str(settings.store_root), settings.checkpoint_every,
                   settings.bars, settings.force, expected_id=task.run_id)
