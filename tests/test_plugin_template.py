"""A new plugin from the copier template, made by running docs/plugins.md's commands as written."""

from __future__ import annotations

import csv
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plugins.md"


def documented_commands() -> list[str]:
    """The bash block under "## Start from the template" in docs/plugins.md."""
    section = DOC.read_text().split("## Start from the template", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "docs/plugins.md: the template section has no bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def as_run_here(command: str, site: Path) -> list[str]:
    """The command for this interpreter. Two harness changes only: tools run through ``sys.executable``,
    and ``pip install -e .`` installs into a private folder (on PYTHONPATH) instead of the
    environment the other tests use."""
    words = shlex.split(command)
    python = [sys.executable, "-m"]
    if words[:3] == ["pip", "install", "-e"]:
        return [*python, "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                "--disable-pip-version-check", "--target", str(site), *words[3:]]
    if words[0] == "pip":  # pip install copier: a dev dependency, already here
        return [*python, "pip", "--version"]
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    if words[0] in ("copier", "ganbench"):
        return [*python, *words]
    raise AssertionError(f"docs/plugins.md: no rule for {command!r}")


@pytest.mark.slow
def test_a_plugin_made_from_the_template_as_documented_passes_the_kit_and_runs(tmp_path: Path) -> None:
    commands = documented_commands()
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(site), "GANBENCH_SYSTEM_DATA": "0"}
    env.pop("GANBENCH_LOAD_PLUGINS", None)  # the tests' built-ins-only switch: a user has none
    cwd = tmp_path
    outputs = {}
    for command in commands:
        if command.startswith("cd "):
            cwd = cwd / command[3:].strip()
            continue
        argv = [ROOT / "plugins" / "ganbench-plugin-template" if word == "plugins/ganbench-plugin-template" else word
                for word in as_run_here(command, site)]
        done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        outputs[command.split()[1] if command.startswith(("ganbench", "python")) else command] = done.stdout
    # Its own tests and the kit's ran as pytest tests; the kit alone passed every check.
    assert re.search(r"(\d+) passed", outputs["-m"]) and "failed" not in outputs["-m"]
    assert outputs["check-plugin"].splitlines()[-1].startswith("ganbench-my-idea: ")
    assert "FAIL" not in outputs["check-plugin"] and "regularizer:my-idea:resumes" in outputs["check-plugin"]
    # The component is in ganbench run's results, trained on every seed of the suite, with its provenance.
    with open(cwd / "leaderboards" / "smoke-fashion-mnist-runs.csv", newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["regularizer"] == "my-idea"]
    assert [row["seed"] for row in rows] == ["0", "1"]
    assert all(row["status"] == "completed" and row["entry"] == "dcgan/non-saturating/my-idea" for row in rows)
    assert all(row["regularizer_plugin"].startswith("ganbench-my-idea==0.1.0#") for row in rows)
