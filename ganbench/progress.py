"""Progress on a terminal: a suite bar (runs, ETA) in the main process and one bar per running run
(steps, it/s), each worker process on its own line. Without a terminal, plain log lines only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

# This process's line for per-run bars: 1 in the main process, 1..N in worker processes.
position = 1


def claim_position(counter: Any) -> None:
    """Worker initializer step: take the next free line (``counter`` is a shared multiprocessing Value)."""
    global position
    with counter.get_lock():
        counter.value += 1
        position = counter.value


@contextmanager
def run_bar(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], None] | None]:
    """Yields ``on_step(step)`` that moves a per-run bar, or None when bars are off."""
    if not enabled:
        yield None
        return
    bar = tqdm(total=total, desc=description, position=position, leave=False, unit="step",
               dynamic_ncols=True, mininterval=0.5)

    def on_step(step: int) -> None:
        bar.update(step - bar.n)

    try:
        yield on_step
    finally:
        bar.close()


def suite_bar(enabled: bool, total: int, description: str) -> tqdm[Any] | None:
    if not enabled:
        return None
    return tqdm(total=total, desc=description, position=0, unit="run", dynamic_ncols=True)
