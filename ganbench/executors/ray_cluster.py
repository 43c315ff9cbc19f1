"""Ray executor: each run a Ray task, its record sent back to the driver, which alone writes the store.

No shared filesystem is needed. A task trains in a scratch store on its node (checkpoints and
feature caches stay there), so a task that Ray retries on the same node after its worker died
resumes from the last checkpoint; on another node it starts over. The driver claims each run id in
its store before submitting it (as ``execute()`` does on a shared store), so two drivers on one
store never train a run twice, and a driver killed with SIGKILL loses only the runs in flight: Ray
cancels a dead driver's tasks, and the next call reuses every record already written.

Every node needs ganbench, the same plugins and torch, and the data at the same ``--data-root``; a
node whose environment gives another run id fails that run with the difference named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import signal
import socket
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import torch

from ganbench.executors.local import run_task
from ganbench.planner import ExecutorUnavailable, Finish, Plan, Settings, Stop, Task, failure_record
from ganbench.specs import ExecutorOptions
from ganbench.store import RunStore, atomic_write_bytes

RETRIES = 3  # Ray re-runs a task whose worker process or node died; a run's own exception is a failed record


def scratch_root(store_root: Path) -> Path:
    """The node-local store of one driver store: under the system's temp folder, on every node."""
    key = hashlib.sha256(f"{socket.gethostname()}:{store_root.resolve()}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ganbench-ray-{os.getuid()}" / key


def run_remote(task: Task, settings: Settings, scratch: str) -> dict[str, Any]:
    """On a Ray worker: the run in the node's scratch store; its record and pictures go back."""
    local = dataclasses.replace(settings, store_root=Path(scratch), bars=False)
    if settings.force:  # --force starts over, here too
        local.store.checkpoint_path(task.run_id).unlink(missing_ok=True)
    torch.set_num_threads(1)  # as the local executor's workers: one thread keeps CPU runs reproducible
    record = run_task(task, local)
    store = local.store
    grid = store.grid_path(task.run_id)
    sha = record.get("context", {}).get("dataset_sha256", "")
    real = store.real_grid_path(sha) if sha else None
    return {"record": record, "grid": grid.read_bytes() if grid.is_file() else None,
            "real_grid": real.read_bytes() if real is not None and real.is_file() else None}


def check_reachable(address: str) -> None:
    """A HOST:PORT that nothing answers on fails now: ray.init() would wait on it for minutes."""
    if address == "auto" or address.startswith("ray://"):  # Ray's own forms, resolved by ray.init()
        return
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ExecutorUnavailable(f"{address!r} is not HOST:PORT (the head node's GCS port), ray://HOST:PORT "
                                  f"or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ExecutorUnavailable(f"ray executor: nothing answers at {address} ({exc.strerror or exc}); start "
                                  f"the cluster with `ray start --head --port {port}` or fix --address") from None


class RayExecutor:
    """``--executor ray [--address HOST:PORT]``: without an address, Ray's own choice (``RAY_ADDRESS``,
    else a new local cluster). ``workers`` caps the runs in flight; by default the cluster's
    resources decide (one CPU per run, or ``1/runs_per_gpu`` of a GPU)."""

    def __init__(self, options: ExecutorOptions) -> None:
        self.options = options
        if options.address:  # before the suite is planned, so a typo costs seconds
            check_reachable(options.address)

    def resources(self) -> dict[str, float]:
        if self.options.device == "cuda":
            return {"num_cpus": 1, "num_gpus": 1 / self.options.runs_per_gpu}
        return {"num_cpus": 1}

    def run(self, plan: Plan, finish: Finish) -> None:
        import ray

        ours = signal.getsignal(signal.SIGTERM)  # ray.init installs its own; the planner's must stay
        env = {k: v for k, v in os.environ.items() if k.startswith("GANBENCH_")}  # plugin allowlist, data
        started_here = not (self.options.address or os.environ.get("RAY_ADDRESS"))
        cpus = self.options.workers if started_here else None  # a new local cluster: --workers is its size
        try:
            ray.init(address=self.options.address, runtime_env={"env_vars": env}, log_to_driver=False,
                     logging_level=logging.WARNING, include_dashboard=False, num_cpus=cpus)
        except Exception as exc:  # an unreachable or incompatible cluster: nothing has run yet
            where = self.options.address or os.environ.get("RAY_ADDRESS") or "a new local cluster"
            raise ExecutorUnavailable(f"--executor ray: cannot connect to {where}: "
                                      f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
                                      ) from None
        signal.signal(signal.SIGTERM, ours)
        # A signal must not raise inside Ray's C++ calls (it surfaces as a SystemError there): the handlers
        # note it, and the loop, which wakes at least once a second, raises it in Python.
        self.stopped: int | None = None

        def note(signum: int, frame: Any) -> None:
            self.stopped = signum

        previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)} \
            if threading.current_thread() is threading.main_thread() else {}
        try:
            self._run(ray, plan, finish)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            ray.shutdown()

    def check_stop(self) -> None:
        if self.stopped == signal.SIGINT:
            raise KeyboardInterrupt
        if self.stopped is not None:
            raise Stop()

    def _run(self, ray: Any, plan: Plan, finish: Finish) -> None:
        settings, store = plan.settings, plan.settings.store
        remote = ray.remote(run_remote).options(max_retries=RETRIES, retry_exceptions=False, **self.resources())
        scratch = str(scratch_root(settings.store_root))
        limit = self.options.workers or len(plan.tasks)
        waiting: deque[Task] = deque(plan.tasks)
        inflight: dict[Any, Task] = {}
        claims: dict[str, Any] = {}
        try:
            while waiting or inflight:
                self.check_stop()
                blocked: list[Task] = []
                while waiting and len(inflight) < limit:
                    task = waiting.popleft()
                    release = store.try_claim(task.run_id)
                    if release is None:  # another driver or local run holds it: look again later
                        blocked.append(task)
                        continue
                    found = None if settings.force else store.lookup(task.run_id)
                    if found is not None:  # finished by that other process meanwhile
                        release()
                        finish(task.run_id, {**found, "reused": True})
                        continue
                    claims[task.run_id] = release
                    inflight[remote.remote(task, settings, scratch)] = task
                waiting.extend(blocked)
                if not inflight:
                    time.sleep(1.0)
                    continue
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=1.0)
                self.check_stop()
                for ref in ready:
                    task = inflight.pop(ref)
                    record = self._collect(ray, ref, task, store)
                    claims.pop(task.run_id)()
                    finish(task.run_id, record)
        except BaseException:
            for ref in inflight:  # stopped: the cluster drops this driver's runs now
                ray.cancel(ref, force=True)
            raise
        finally:
            for release in claims.values():
                release()

    @staticmethod
    def _collect(ray: Any, ref: Any, task: Task, store: RunStore) -> dict[str, Any]:
        """The task's record, written to the driver's store (with its grids), or a failed record."""
        try:
            out = ray.get(ref)
        except ray.exceptions.RayError as exc:  # the worker or node died more than RETRIES times
            text = str(exc).strip().splitlines()
            failed = failure_record(task, f"Ray task failed: {type(exc).__name__}: {text[0] if text else ''}")
            store.write(failed)
            return failed
        record: dict[str, Any] = out["record"]
        reused = bool(record.pop("reused", False))
        if out["grid"] is not None:
            atomic_write_bytes(store.grid_path(task.run_id), out["grid"])
        sha = record.get("context", {}).get("dataset_sha256", "")
        if out["real_grid"] is not None and sha and not store.real_grid_path(sha).is_file():
            atomic_write_bytes(store.real_grid_path(sha), out["real_grid"])
        store.write(record)
        return {**record, "reused": True} if reused else record
