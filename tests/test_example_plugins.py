"""Every distribution under plugins/ is installed (into a private folder), passes its own tests and
ganbench's conformance kit, and its components train in a smoke benchmark beside the built-ins."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
# What each example registers, for the smoke run.
COMPONENTS = {"ganbench-antialias": ("--arch", "dcgan-antialias"),
              "ganbench-focal-frequency": ("--reg", "focal-frequency"),
              "ganbench-label-smoothing": ("--loss", "label-smoothing")}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    for dist in DISTRIBUTIONS:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "--target", str(target), str(dist)], check=True,
                       capture_output=True)
    return target


def env_with(site: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(site), "GANBENCH_SYSTEM_DATA": "0"}
    env.pop("GANBENCH_LOAD_PLUGINS", None)
    return env


def test_every_example_is_listed_here() -> None:
    assert sorted(d.name for d in DISTRIBUTIONS) == sorted(COMPONENTS)


@pytest.mark.slow
@pytest.mark.parametrize("dist", [d.name for d in DISTRIBUTIONS])
def test_example_passes_its_own_tests_and_the_kit(dist: str, site: Path) -> None:
    folder = ROOT / "plugins" / dist
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=folder,
                          env=env_with(site), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "conformance" in (folder / "tests" / "test_conformance.py").read_text()
    kit = subprocess.run([sys.executable, "-m", "ganbench", "check-plugin", dist], env=env_with(site),
                         capture_output=True, text=True, timeout=600)
    assert kit.returncode == 0 and "FAIL" not in kit.stdout, kit.stdout


@pytest.mark.slow
def test_examples_train_in_a_smoke_benchmark(site: Path, tmp_path: Path) -> None:
    """One ofat entry per example component, a stack with the focal-frequency term, and the baseline."""
    filters = [word for pair in COMPONENTS.values() for word in pair]
    filters += ["--arch", "dcgan", "--loss", "non-saturating", "--reg", "none", "--reg", "ema+focal-frequency"]
    done = subprocess.run([sys.executable, "-m", "ganbench", "run", "--suite", "smoke", *filters, "--out",
                           str(tmp_path / "out"), "--store", str(tmp_path / "store")], env=env_with(site),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(tmp_path / "out" / "smoke-fashion-mnist-runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    entries = {row["entry"] for row in rows}
    assert entries == {"dcgan (dcgan/non-saturating/none)", "dcgan-antialias/non-saturating/none",
                       "dcgan/label-smoothing/none", "dcgan/non-saturating/focal-frequency",
                       "dcgan/non-saturating/ema+focal-frequency"}
    assert all(row["status"] == "completed" for row in rows), [(r["entry"], r["reason"]) for r in rows]
    by_entry = {row["entry"]: row for row in rows if row["seed"] == "0"}
    assert by_entry["dcgan-antialias/non-saturating/none"]["architecture_plugin"].startswith("ganbench-antialias==")
    stacked = by_entry["dcgan/non-saturating/ema+focal-frequency"]
    assert stacked["regularizer_plugin"].startswith("ganbench==") and "+ganbench-focal-frequency==" in \
        stacked["regularizer_plugin"]
    # The generator-side term is logged apart, alone and in the stack.
    assert float(stacked["final_g_penalty"]) > 0
    assert float(by_entry["dcgan/non-saturating/focal-frequency"]["final_g_penalty"]) > 0
