"""Two `ganbench run` processes on one store never train the same run at once: the second waits for
the first's claim and reuses its record, and both tables agree with the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.test_run_tables import TINY


def test_two_processes_on_one_store_do_the_work_once(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY.replace("seeds = [0]", "seeds = [0, 1, 2]").replace(
        "generator_steps = 2", "generator_steps = 40"))
    procs = [subprocess.Popen([sys.executable, "-m", "ganbench", "run", "--suite-file", str(tmp_path / "tiny.toml"),
                               "--reg", "none", "--workers", "1", "--out", str(tmp_path / f"out{i}"), "--store",
                               str(tmp_path / "store")], stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [proc.communicate(timeout=600)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    progress = [line for out in outputs for line in out.splitlines() if line.startswith("[")]
    assert len(progress) == 6
    # Each of the 3 runs was trained by one process and reused by the other.
    assert sum("reused" in line for line in progress) == 3, progress
    tables = [pd.read_csv(tmp_path / f"out{i}" / "tiny-fashion-mnist-runs.csv").sort_values("seed") for i in range(2)]
    assert list(tables[0]["run_id"]) == list(tables[1]["run_id"])
    assert list(tables[0]["fid"]) == list(tables[1]["fid"])
    assert len(list((tmp_path / "store").glob("*.json"))) == 3
