"""Checksums on the store: a damaged or edited record, checkpoint or feature file is named, set aside
and recomputed; never reused, never fatal. `ganbench store verify` checks a whole store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench import integrity
from ganbench.training.checkpoint import load_checkpoint, save_checkpoint
from tests.test_run_tables import TINY


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganbench", "run", "--suite-file", str(tmp_path / "tiny.toml"),
                           "--reg", "none", "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"),
                           *args], capture_output=True, text=True)


def verify(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganbench", "store", "verify", "--store", str(tmp_path / "store"),
                           *args], capture_output=True, text=True)


def fid(tmp_path: Path) -> float:
    return float(pd.read_csv(tmp_path / "out" / "tiny-fashion-mnist-runs.csv")["fid"].iloc[0])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    (tmp_path / "tiny.toml").write_text(TINY)
    assert run(tmp_path).returncode == 0
    assert verify(tmp_path).returncode == 0
    return tmp_path / "store"


def test_damaged_and_edited_records_are_recomputed_not_reused(tmp_path: Path, store: Path) -> None:
    [record] = store.glob("*.json")
    original = json.loads(record.read_text())
    assert original["checksum"] == integrity.record_checksum(original)
    honest = fid(tmp_path)
    # An edited metric: the checksum no longer matches.
    edited = {**original, "metrics": {**original["metrics"], "fid": 1.0}}
    record.write_text(json.dumps(edited))
    report = verify(tmp_path)
    assert report.returncode == 1 and report.stdout.strip() == (
        f"damaged: {record}: its checksum does not match its content (edited or damaged)")
    again = run(tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"{record}: its checksum does not match its content" in again.stderr and "set aside as" in again.stderr
    assert fid(tmp_path) == honest  # recomputed (the same on this machine), not the edited 1.0
    assert (store / f"{record.name}.damaged").exists()
    # A truncated record: named, set aside, recomputed; the command does not crash.
    record.write_text(record.read_text()[:100])
    again = run(tmp_path)
    assert again.returncode == 0 and "not a readable record (JSONDecodeError" in again.stderr
    assert "Traceback" not in again.stderr and fid(tmp_path) == honest


def test_a_truncated_feature_cache_is_recomputed(tmp_path: Path, store: Path) -> None:
    cached = sorted((store / "features").glob("*.pt"))
    assert len(cached) == 2  # the reference's features, plain and low-passed (the structure score)
    for path in cached:
        path.write_bytes(path.read_bytes()[:200])
    assert verify(tmp_path).returncode == 1
    again = run(tmp_path, "--force")
    assert again.returncode == 0 and "Traceback" not in again.stderr
    assert "not a sealed ganbench file" in again.stderr or "checksum does not match" in again.stderr
    runs = pd.read_csv(tmp_path / "out" / "tiny-fashion-mnist-runs.csv")
    assert (runs["status"] == "completed").all()
    assert verify(tmp_path).returncode == 0  # rewritten, sealed


def test_a_damaged_checkpoint_starts_the_run_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, {"step": 3, "weights": torch.ones(4)})
    assert load_checkpoint(path)["step"] == 3  # type: ignore[index]
    path.write_bytes(path.read_bytes()[:-10])
    assert load_checkpoint(path) is None
    assert not path.exists() and (tmp_path / "run.ckpt.damaged").exists()
    assert "run.ckpt: its checksum does not match its content" in capsys.readouterr().err


def test_verify_sets_aside_on_request(tmp_path: Path, store: Path) -> None:
    [record] = store.glob("*.json")
    record.write_text("{")
    assert verify(tmp_path, "--set-aside").returncode == 1
    assert not record.exists() and verify(tmp_path).returncode == 0
