"""What `ganbench run` leaves in --out: a subset never shrinks a table; a suite where every run failed
exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import torch

from ganbench.locks import environment_lock, lock_id
from tests.cli import ganbench
from tests.conftest import write_plugin

SUITES_DIR = Path(__file__).resolve().parents[1] / "ganbench" / "suites"
TINY = (SUITES_DIR / "smoke.toml").read_text().replace('name = "smoke"', 'name = "tiny"').replace(
    "seeds = [0, 1]", "seeds = [0]").replace("fid_samples = 128", "fid_samples = 64").replace(
    "generator_steps = 10", "generator_steps = 2").replace('recipes = ["dcgan", "wgan"]',
                                                            'recipes = []\nvary = ["regularizer"]')


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganbench", "run", "--suite-file", str(tmp_path / "tiny.toml"),
                           "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"), *args],
                          capture_output=True, text=True, env=env)


def entries(tmp_path: Path) -> list[str]:
    return sorted(pd.read_csv(tmp_path / "out" / "tiny-fashion-mnist-runs.csv")["entry"])


def test_a_subset_run_keeps_the_rows_already_in_the_table(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY)
    assert run(tmp_path, "--reg", "none").returncode == 0
    assert entries(tmp_path) == ["dcgan/non-saturating/none"]
    # Each row says which CPU kernels computed it (reruns are bit-identical only on the same ones).
    row = pd.read_csv(tmp_path / "out" / "tiny-fashion-mnist-runs.csv").iloc[0]
    assert row["cpu_capability"] == torch.backends.cpu.get_cpu_capability() and row["device_name"]
    # ... and which locked package set it ran with (the tests run on the lock: README's test command).
    assert row["lock"] == environment_lock() == lock_id(), row["lock"]
    assert row["schema_version"] == 9
    second = run(tmp_path, "--reg", "r1")
    assert second.returncode == 0, second.stderr
    assert "1 earlier rows kept beside this run's 1" in second.stderr
    assert entries(tmp_path) == ["dcgan/non-saturating/none", "dcgan/non-saturating/r1"]
    summary = pd.read_csv(tmp_path / "out" / "tiny-fashion-mnist-summary.csv")
    assert sorted(summary["entry"]) == entries(tmp_path)  # the summary is recomputed over the union
    # Re-running an entry replaces its rows rather than adding a second result for the seed.
    assert run(tmp_path, "--reg", "r1", "--force").returncode == 0
    assert entries(tmp_path) == ["dcgan/non-saturating/none", "dcgan/non-saturating/r1"]
    # Another protocol cannot share the table: the old one is kept beside it, and the user is told.
    (tmp_path / "tiny.toml").write_text(TINY.replace("generator_steps = 2", "generator_steps = 3"))
    third = run(tmp_path, "--reg", "dropout")
    assert third.returncode == 0 and "held runs of another protocol" in third.stderr, third.stderr
    assert entries(tmp_path) == ["dcgan/non-saturating/dropout"]
    previous = pd.read_csv(tmp_path / "out" / "tiny-fashion-mnist-runs.previous.csv")
    assert sorted(previous["entry"]) == ["dcgan/non-saturating/none", "dcgan/non-saturating/r1"]


def test_a_table_holds_one_machine_type(tmp_path: Path) -> None:
    """A run into a table made on another machine type writes its own table beside it: the numbers
    differ in their rounding, and its seed must not replace the other machine's. merge refuses to mix
    the two, diff names them; within one type a re-run replaces its seed's row, one row per entry."""
    (tmp_path / "tiny.toml").write_text(TINY)
    here = f"cpu {torch.backends.cpu.get_cpu_capability()}"
    assert run(tmp_path, "--reg", "none").returncode == 0
    table = tmp_path / "out" / "tiny-fashion-mnist-runs.csv"
    rows = pd.read_csv(table)
    assert list(rows["machine"]) == [here]
    other = "cpu AVX512" if here != "cpu AVX512" else "cpu AVX2"
    rows.assign(machine=other, cpu_capability=other.removeprefix("cpu "), fid=rows["fid"] + 1,
                run_id="elsewhere").to_csv(table, index=False)
    done = run(tmp_path, "--reg", "none")
    assert done.returncode == 0, done.stderr
    beside = tmp_path / "out" / f"tiny-fashion-mnist-{here.removeprefix('cpu ').lower()}-runs.csv"
    assert f"{table} holds runs of {other}; this run's ({here}) go to their own table, {beside.name}" in done.stderr
    assert list(pd.read_csv(table)["machine"]) == [other]  # the other machine's seed is untouched
    assert list(pd.read_csv(beside)["machine"]) == [here] and beside.with_name(
        beside.name.replace("-runs", "-summary")).is_file()
    merged = ganbench("leaderboard", "merge", str(table), str(beside), "-o", "merged", cwd=tmp_path)
    assert merged.returncode == 1 and "Traceback" not in merged.stderr
    assert merged.stderr.strip() == (f"Error: a table holds one machine type, and these are 2 ({min(here, other)}: "
                                     f"{table if min(here, other) == other else beside}; {max(here, other)}: "
                                     f"{beside if max(here, other) == here else table}): their numbers differ in "
                                     "rounding; merge each type apart")
    compared = ganbench("leaderboard", "diff", str(table), str(beside), cwd=tmp_path)
    assert compared.stdout.splitlines()[0] == f"machines  {other} -> {here}", compared.stdout
    assert f"protocol  machine: {other} -> {here}" in compared.stdout
    # The same type again: the seed's row is replaced, the entry stays one row.
    again = run(tmp_path, "--reg", "none", "--force")
    assert again.returncode == 0 and "go to their own table" in again.stderr
    assert len(pd.read_csv(beside)) == 1
    summary = pd.read_csv(beside.with_name(beside.name.replace("-runs", "-summary")))
    assert list(summary["entry"]) == ["dcgan/non-saturating/none"] and list(summary["machine"]) == [here]


def test_a_damaged_table_is_named_before_any_training(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "tiny-fashion-mnist-runs.csv").write_text("not,a\nleaderboard,table\n")
    done = run(tmp_path, "--reg", "none")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ") and "tiny-fashion-mnist-runs.csv" in done.stderr
    assert not list((tmp_path / "store").glob("*.json"))  # nothing trained


FAILING = textwrap.dedent('''
    from ganbench import LossSpec, hookimpl
    from ganbench.builtin.losses import NonSaturatingLoss

    class Crashes(NonSaturatingLoss):
        def discriminator_loss(self, real_logits, fake_logits):
            raise RuntimeError("out of ideas")

    @hookimpl
    def register_losses(register):
        register(LossSpec("crashes", "Raises in every step", "test", Crashes))
''')


def test_a_suite_where_every_run_failed_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY.replace('vary = ["regularizer"]', 'vary = ["loss"]'))
    env = {**os.environ, "PYTHONPATH": str(write_plugin(tmp_path / "site", "ganbench-crashes", "ganbench_crashes",
                                                          FAILING))}
    env.pop("GANBENCH_LOAD_PLUGINS", None)
    done = run(tmp_path, "--loss", "crashes", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == ("Error: every run failed (1); first reason: RuntimeError: "
                                                    "out of ideas")
    assert entries(tmp_path) == ["dcgan/crashes/none"]  # the failure is in the table, not lost
    assert run(tmp_path, "--loss", "crashes", "--loss", "non-saturating", env=env).returncode == 0
