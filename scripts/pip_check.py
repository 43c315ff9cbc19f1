"""`pip check`, limited to what the dev lock installs.

    python3 scripts/pip_check.py

CI may run in an interpreter that already holds other packages (a machine image's own tools). A
conflict among those, or one our pins cause in them, says nothing about whether the locked set is
consistent, and it is not ours to fix. So this fails only when a package the lock pins (or ganbench
itself) has a requirement the installed set does not meet, and prints the others as notes.
"""

from __future__ import annotations

import subprocess
import sys

from ganbench import locks


def requirer(line: str) -> str:
    """The canonical name of the package whose requirement a `pip check` line reports."""
    return locks.canonical(line.split(" ", 1)[0])


def split(lines: list[str], ours: set[str]) -> tuple[list[str], list[str]]:
    """(conflicts of a package in ``ours``, all other lines)."""
    mine = [line for line in lines if requirer(line) in ours]
    return mine, [line for line in lines if line not in mine]


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip() and not line.startswith("No broken")]
    ours = set(locks.pins(locks.lock_text(locks.DEV))) | {"ganbench"}
    mine, others = split(lines, ours)
    for line in others:
        print(f"pip_check: not a locked package, ignored: {line}")
    for line in mine:
        print(f"pip_check: {line}", file=sys.stderr)
    if done.returncode != 0 and not lines:
        print(f"pip_check: pip check failed (exit {done.returncode}): {done.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"pip_check: {len(ours)} locked packages, {len(mine)} conflicts among them")
    return 1 if mine else 0


if __name__ == "__main__":
    sys.exit(main())
