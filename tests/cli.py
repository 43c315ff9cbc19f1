"""`ganbench ARGS` in the test process: the same click entry point as the console script, without
the ~7 s of imports a subprocess pays per call. Tests of start-up, signals and processes keep using
real subprocesses (test_end_to_end, test_stopping, test_fault_injection)."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


def ganbench(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Completed:
    """Run from ``cwd`` with built-in plugins only (unless ``env`` says otherwise). An exception that
    escapes the command is written to stderr as the console script would print it, so a test's
    "no traceback" assertion still fails on one."""
    from ganbench.cli import main

    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), env={"GANBENCH_LOAD_PLUGINS": "", **(env or {})})
    finally:
        os.chdir(before)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(result.exception))
    return Completed(result.exit_code, result.stdout, stderr)
