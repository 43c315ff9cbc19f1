"""The run store: one atomic JSON record per run (plus a sample grid), keyed by run id."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ganbench import integrity


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


class RunStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def record_path(self, run_id: str) -> Path:
        return self.root / f"{run_id}.json"

    def checkpoint_path(self, run_id: str) -> Path:
        return self.root / f"{run_id}.ckpt"

    def grid_path(self, run_id: str) -> Path:
        return self.root / f"{run_id}.png"

    def real_grid_path(self, dataset_sha256: str) -> Path:
        """The reference split's grid, once per dataset content (the report shows it beside the samples)."""
        return self.root / f"real-{dataset_sha256}.png"

    def lookup(self, run_id: str) -> dict[str, Any] | None:
        """A finished record, or None. A failed run is retried, so it does not count as finished."""
        path = self.record_path(run_id)
        if not path.is_file():
            return None
        try:
            record = integrity.read_record(path)
        except integrity.Damaged as exc:  # never reused, never fatal: set aside and run again
            integrity.set_aside(path, str(exc))
            return None
        return record if record.get("status") in ("completed", "diverged", "skipped") else None

    @contextlib.contextmanager
    def claim(self, run_id: str) -> Iterator[None]:
        """Hold the run id's lock: two processes on one store never train the same run at once. The
        second waits, then finds the first's record. The kernel drops the lock of a process that dies,
        so a crashed claim never blocks a later run (the lock file itself is empty and harmless)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{run_id}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def try_claim(self, run_id: str) -> Callable[[], None] | None:
        """The run id's lock if no other process holds it (its release function), else None: a driver
        that writes the records its cluster sends back claims each run before submitting it."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = open(self.root / f"{run_id}.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None

        def release() -> None:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

        return release

    def write(self, record: dict[str, Any]) -> None:
        """Atomically, with its checksum (``ganbench.integrity``)."""
        sealed = integrity.seal_record(record)
        atomic_write_text(self.record_path(record["run_id"]), json.dumps(sealed, indent=1, sort_keys=True))
