"""The planner that every executor shares: what a suite still has to run, and the driver around an executor.

``plan()`` computes each run id once (hashing the data in the main process), looks each one up in
the store, applies ``--force`` and orders what is left longest first. ``drive()`` hands the plan to
an executor and gathers the records in the specs' order; it owns the SIGTERM/Ctrl-C handling, so
every executor stops the same way. Claims (one lock per run id) are taken where a run's record is
written: by ``execute()`` on a shared store, by the driver for an executor whose records travel back.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ganbench.executors.cost import longest_first
from ganbench.runcontext import context
from ganbench.runspec import RunSpec, run_id
from ganbench.store import RunStore

OnRecord = Callable[[dict[str, Any], bool], None]
Finish = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Task:
    """One run to do: its spec and the id the planner gave it."""

    run_id: str
    spec: RunSpec


@dataclass(frozen=True)
class Settings:
    """How every run of a plan is executed (small: it travels with each task to a worker)."""

    data_root: str | None
    store_root: Path
    force: bool = False
    checkpoint_every: int = 0  # 0: about ten times a run
    bars: bool = False  # per-run progress bars (a terminal's)

    @property
    def store(self) -> RunStore:
        return RunStore(self.store_root)


@dataclass
class Plan:
    """``tasks`` are the runs left to do, in submission order (longest first), each once; ``ids`` every
    spec's id in the suite's order; ``finished`` the records found in the store."""

    ids: list[str]
    tasks: list[Task]
    finished: dict[str, dict[str, Any]]
    settings: Settings


class Executor(Protocol):
    """Runs a plan's tasks and calls ``finish(run_id, record)`` once per task, as each record arrives.

    A record may carry ``"reused": True`` when another process on the store finished the run first.
    The executor stops its runs when ``KeyboardInterrupt`` (or the driver's stop signal) reaches it
    and lets it propagate; the planner turns it into ``Interrupted``.
    """

    def run(self, plan: Plan, finish: Finish) -> None: ...


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped the suite: ``records`` are the runs that finished (reused ones too),
    in ``specs`` order; the runs cut short keep their checkpoints and resume on the next call."""

    def __init__(self, signal_name: str, records: list[dict[str, Any]]) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.records = records


class ExecutorUnavailable(Exception):
    """The executor cannot start (a cluster that does not answer), before any run: a user's error."""


class Stop(BaseException):
    """Raised in the main process by the SIGTERM handler (SIGINT raises KeyboardInterrupt)."""


def plan(specs: list[RunSpec], settings: Settings, order: bool = True) -> Plan:
    """Run ids once, the store's finished records, and the runs left (a spec listed twice runs once).
    ``order``: longest first, so that parallel workers end together (see executors/cost.py)."""
    data_root, force, store = settings.data_root, settings.force, settings.store
    ids = [run_id(spec, context(spec, data_root)) for spec in specs]
    finished: dict[str, dict[str, Any]] = {}
    pending: dict[str, RunSpec] = {}
    for rid, spec in zip(ids, specs, strict=True):
        if rid in finished or rid in pending:
            continue
        if force:
            store.checkpoint_path(rid).unlink(missing_ok=True)  # --force starts over
        found = None if force else store.lookup(rid)
        if found is not None:
            finished[rid] = found
        else:
            pending[rid] = spec
    tasks = [Task(rid, spec) for rid, spec in pending.items()]
    if order and len(tasks) > 1:
        by_spec = {id(task.spec): task for task in tasks}
        tasks = [by_spec[id(spec)] for spec in longest_first([t.spec for t in tasks], data_root)]
    return Plan(ids, tasks, finished, settings)


def failure_record(task: Task, reason: str) -> dict[str, Any]:
    """The record of a run whose process died (killed, out of memory, a lost cluster node): a failed
    run stays in the tables, and the next call retries it."""
    return {"run_id": task.run_id, "entry": task.spec.entry, "spec": task.spec.as_dict(), "status": "failed",
            "reason": reason, "metrics": {}}


def drive(the_plan: Plan, executor: Executor, on_record: OnRecord | None = None) -> list[dict[str, Any]]:
    """Run the plan; return every spec's record in the suite's order. ``on_record(record, reused)`` is
    called for each record as it becomes available, the store's finished ones first."""
    records: dict[str, dict[str, Any]] = {}
    for rid, found in the_plan.finished.items():
        records[rid] = found
        if on_record:
            on_record(found, True)

    def finish(rid: str, record: dict[str, Any]) -> None:
        reused = bool(record.pop("reused", False))  # another process on this store finished it first
        records[rid] = record
        if on_record:
            on_record(record, reused)

    previous = signal.signal(signal.SIGTERM, _raise_stop) if _main_thread() else None
    try:
        if the_plan.tasks:
            executor.run(the_plan, finish)
    except (KeyboardInterrupt, Stop) as stop:
        name = "SIGINT" if isinstance(stop, KeyboardInterrupt) else "SIGTERM"
        # The executor has stopped its runs. One whose record reached the store after the stop, before
        # its worker was ended, finished too: the tables get it now, not only the next call.
        for rid in the_plan.ids:
            late = None if rid in records else the_plan.settings.store.lookup(rid)
            if late is not None:
                records[rid] = late
        raise Interrupted(name, [records[rid] for rid in the_plan.ids if rid in records]) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    missing = [rid for rid in the_plan.ids if rid not in records]
    if missing:  # an executor plugin that drops a run must not shrink the tables silently
        raise RuntimeError(f"the executor returned no record for {len(missing)} run(s), e.g. {missing[0]}")
    return [records[rid] for rid in the_plan.ids]


def _raise_stop(signum: int, frame: Any) -> None:
    raise Stop()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()  # signal handlers live there only
