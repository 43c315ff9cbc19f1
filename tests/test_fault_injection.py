"""Kill `ganbench run` (2 workers) at 20 random points, with SIGKILL and SIGTERM in turn, re-running it
each time: no record is lost, duplicated or damaged, no process is left behind, and the final tables
equal an uninterrupted run's."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli.store import damaged_files
from tests.test_run_tables import TINY
from tests.test_stopping import session_members

SUITE = TINY.replace("seeds = [0]", "seeds = [0, 1]").replace("generator_steps = 2", "generator_steps = 60")
METRICS = ["run_id", "status", "fid", "kid", "precision", "recall", "density", "coverage", "blur_score",
           "final_d_loss", "final_g_loss"]
KILLS = 20


def command(tmp_path: Path, name: str) -> list[str]:
    return [sys.executable, "-m", "ganbench", "run", "--suite-file", str(tmp_path / "tiny.toml"), "--reg", "none",
            "--reg", "r1", "--workers", "2", "--checkpoint-every", "10", "--out", str(tmp_path / f"out-{name}"),
            "--store", str(tmp_path / f"store-{name}")]


def table(tmp_path: Path, name: str) -> pd.DataFrame:
    runs = pd.read_csv(tmp_path / f"out-{name}" / "tiny-fashion-mnist-runs.csv")
    return runs[["entry", "seed", *METRICS]].sort_values(["entry", "seed"]).reset_index(drop=True)


@pytest.mark.slow
def test_twenty_kills_lose_nothing(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(SUITE)
    whole = subprocess.run(command(tmp_path, "whole"), capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr
    rng = random.Random(2026)
    kinds = []
    for kill in range(KILLS):
        sig = signal.SIGKILL if kill % 2 == 0 else signal.SIGTERM
        proc = subprocess.Popen(command(tmp_path, "killed"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(1.0, 7.0))  # start-up takes about 3 s; a run about 2 s
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(sig)
        code = proc.wait(timeout=120)
        kinds.append("finished" if finished else sig.name)
        deadline = time.monotonic() + 60  # a worker still importing torch exits once it checks its parent
        while session_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session_members(proc.pid) == [], f"kill {kill} ({sig.name}) left processes behind"
        # 143: our handler ran; -15: SIGTERM came before ganbench had started its suite.
        assert code in (0, -signal.SIGKILL, 143, -signal.SIGTERM), (kill, code)
        if (tmp_path / "store-killed").exists():  # no damaged record, checkpoint or feature file
            assert damaged_files(tmp_path / "store-killed")[1] == [], kill
        if finished:  # the suite is done: start over, so that every kill lands in work
            for path in (tmp_path / "store-killed").glob("*.json"):
                path.unlink()
    final = subprocess.run(command(tmp_path, "killed"), capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    assert kinds.count("SIGKILL") + kinds.count("SIGTERM") >= KILLS // 2, kinds
    records = sorted((tmp_path / "store-killed").glob("*.json"))
    assert len(records) == 4 and not list((tmp_path / "store-killed").glob("*.damaged"))
    pd.testing.assert_frame_equal(table(tmp_path, "killed"), table(tmp_path, "whole"))
