"""Local executor: independent runs as concurrent single-thread processes.

Two 1-thread runs side by side beat one 2-thread run on a small CPU, and one thread per run is
also what keeps CPU runs bit-for-bit reproducible.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import torch

from ganbench import progress
from ganbench.execute import context, execute
from ganbench.executors.cost import longest_first
from ganbench.runspec import RunSpec, run_id
from ganbench.store import RunStore

OnRecord = Callable[[dict[str, Any], bool], None]


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped the suite: ``records`` are the runs that finished (reused ones too),
    in ``specs`` order; the runs cut short keep their checkpoints and resume on the next call."""

    def __init__(self, signal_name: str, records: list[dict[str, Any]]) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.records = records


class _Stop(BaseException):
    """Raised in the main process by the SIGTERM handler (SIGINT raises KeyboardInterrupt)."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop()


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends this worker SIGKILL when the main process dies, even by SIGKILL, so a
    killed suite never leaves workers behind (its runs resume from their checkpoints). A main process
    that died while this worker was still starting (importing torch) is caught by the parent check."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the main process's handlers still stop the workers
        pass
    if os.getppid() != parent:
        os._exit(1)


def _init_worker(counter: Any, gpus: Any, parent: int) -> None:
    # The main process decides when to stop: a terminal's Ctrl-C reaches the whole process group, and a
    # worker interrupted mid-write would break the pool instead of being stopped cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    torch.set_num_threads(1)
    progress.claim_position(counter)
    if torch.cuda.is_available():  # workers take the GPUs in turn: worker i trains on GPU i mod count
        with gpus.get_lock():
            index = gpus.value
            gpus.value += 1
        torch.cuda.set_device(index % torch.cuda.device_count())


def run_specs(specs: list[RunSpec], data_root: str | None, store_root: Path, workers: int,
              force: bool = False, on_record: OnRecord | None = None,
              checkpoint_every: int = 0, bars: bool = False) -> list[dict[str, Any]]:
    """Run every spec not already finished in the store; return all records in ``specs`` order.

    ``on_record(record, reused)`` is called as each record becomes available.
    """
    store = RunStore(store_root)
    ids = [run_id(spec, context(spec, data_root)) for spec in specs]
    records: dict[str, dict[str, Any]] = {}
    pending: dict[str, RunSpec] = {}  # run id -> spec; a spec listed twice runs once
    for rid, spec in zip(ids, specs, strict=True):
        if force:
            store.checkpoint_path(rid).unlink(missing_ok=True)  # --force starts over
        found = None if force else store.lookup(rid)
        if found is not None:
            records[rid] = found
            if on_record:
                on_record(found, True)
        else:
            pending.setdefault(rid, spec)

    def finish(rid: str, record: dict[str, Any]) -> None:
        reused = bool(record.pop("reused", False))  # another process on this store finished it first
        records[rid] = record
        if on_record:
            on_record(record, reused)

    if workers > 1:  # longest first, so that the workers finish together (see executors/cost.py)
        order = longest_first(list(pending.values()), data_root)
        by_spec = {id(spec): rid for rid, spec in pending.items()}
        pending = {by_spec[id(spec)]: spec for spec in order}
    previous = signal.signal(signal.SIGTERM, _raise_stop) if _main_thread() else None
    try:
        if workers <= 1 or len(pending) <= 1:
            for rid, spec in pending.items():
                finish(rid, execute(spec, data_root, str(store_root), checkpoint_every, bars, force))
        else:
            _run_pool(pending, data_root, store_root, workers, checkpoint_every, bars, store, finish, force)
    except (KeyboardInterrupt, _Stop) as stop:
        name = "SIGINT" if isinstance(stop, KeyboardInterrupt) else "SIGTERM"
        raise Interrupted(name, [records[rid] for rid in ids if rid in records]) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return [records[rid] for rid in ids]


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()  # signal handlers live there only


def _run_pool(pending: dict[str, RunSpec], data_root: str | None, store_root: Path, workers: int,
              checkpoint_every: int, bars: bool, store: RunStore,
              finish: Callable[[str, dict[str, Any]], None], force: bool) -> None:
    ctx = multiprocessing.get_context("spawn")
    counter, gpus = ctx.Value("i", 0), ctx.Value("i", 0)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(counter, gpus, os.getpid()))
    try:
        futures: dict[Future[dict[str, Any]], tuple[str, RunSpec]] = {
            pool.submit(execute, spec, data_root, str(store_root), checkpoint_every, bars, force): (rid, spec)
            for rid, spec in pending.items()
        }
        for future in as_completed(futures):
            rid, spec = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # the worker process itself died (e.g. killed, out of memory)
                record = {"run_id": rid, "entry": spec.entry, "spec": spec.as_dict(), "status": "failed",
                          "reason": f"worker process failed: {type(exc).__name__}: {exc}", "metrics": {}}
                store.write(record)
            finish(rid, record)
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
