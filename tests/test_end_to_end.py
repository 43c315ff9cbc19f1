"""The whole path through the real CLI: plugins -> suite -> training -> scoring -> CSVs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.leaderboard import TIMING_COLUMNS, decode_series

RUN_COLUMNS = {"suite", "dataset", "entry", "architecture", "loss", "regularizer", "seed", "status", "reason",
               "generator_steps", "batch_size", "d_steps_per_g_step", "images_seen", "fid_samples",
               "reference_samples", "feature_extractor", "dataset_source", "dataset_sha256", "fid", "kid",
               "precision", "recall", "density", "coverage", "blur_score", "noise_score", "log_spectral_distance",
               "laplacian_ratio", "final_best_ratio", "fid_tail_slope", "fid_volatility", "loss_oscillation",
               "metrics_version", "kid_subset_size", "architecture_plugin", "ganbench_version", "run_id",
               *TIMING_COLUMNS}
SUMMARY_COLUMNS = {"rank", "entry", "architecture", "loss", "regularizer", "seeds", "n_seeds", "n_completed",
                   "n_diverged", "n_failed", "fid_mean", "fid_std", "fid_ci95", "fid_iqr",
                   "blur_score_mean", "blur_score_std", "noise_score_mean", "density_mean", "coverage_mean",
                   "final_best_ratio_mean", "fid_volatility_mean", "loss_oscillation_mean", "stability_fid_cv",
                   "diverged_fraction", "generator_steps", "fid_samples", "feature_extractor", "dataset_source"}


def ganbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganbench", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "GANBENCH_LOAD_PLUGINS": ""})


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("e2e")
    return cwd, ganbench("run", "--all", "--suite", "smoke", cwd=cwd)


def test_run_all_writes_both_tables(smoke_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    cwd, proc = smoke_run
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(cwd / "leaderboards" / "smoke-fashion-mnist-runs.csv")
    summary = pd.read_csv(cwd / "leaderboards" / "smoke-fashion-mnist-summary.csv")
    assert RUN_COLUMNS <= set(runs.columns)
    assert SUMMARY_COLUMNS <= set(summary.columns)
    # 25 one-factor entries + the wgan recipe; skipped: dcgan/wasserstein/none (no Lipschitz
    # constraint) and feature-statistics-vgg16 (no VGG16 weights on a fresh machine).
    assert len(runs) == 52 and runs["status"].value_counts().to_dict() == {"completed": 48, "skipped": 4}
    assert sorted(runs.loc[runs["status"] == "skipped", "entry"].unique()) == [
        "dcgan/non-saturating/feature-statistics-vgg16", "dcgan/wasserstein/none"]
    ranked = summary["rank"].dropna()  # the two all-skipped entries have no rank, and come last
    assert len(summary) == 26 and list(ranked) == sorted(ranked) and list(ranked.index) == list(range(24))
    assert (summary["n_seeds"] == 2).all() and (summary["seeds"] == "0;1").all()
    ran = summary[summary["n_completed"] > 0]
    assert len(ran) == 24 and ran["fid_mean"].gt(0).all() and ran["fid_std"].notna().all()
    baseline = runs[runs["entry"] == "dcgan (dcgan/non-saturating/none)"]["fid"]  # the baseline is DCGAN's recipe
    row = summary.set_index("entry").loc["dcgan (dcgan/non-saturating/none)"]
    assert row["fid_mean"] == pytest.approx(baseline.mean(), rel=1e-4)
    assert row["fid_std"] == pytest.approx(baseline.std(ddof=1), rel=1e-3)
    # The printed table is the summary.
    assert "dcgan/non-saturating/spectral-norm" in proc.stdout and "FID" in proc.stdout
    # One record and one sample grid per run in the store.
    assert len(list((cwd / ".ganbench" / "runs").glob("*.json"))) == 52
    store = cwd / ".ganbench" / "runs"
    assert len([p for p in store.glob("*.png") if not p.name.startswith("real-")]) == 48  # none for skipped runs
    # One grid of the reference split per dataset content, for the report.
    assert [p.name for p in store.glob("real-*.png")] == [f"real-{runs['dataset_sha256'].dropna().iloc[0]}.png"]
    # The curves and spectra the report draws are in the runs table itself.
    done = runs[runs["status"] == "completed"].iloc[0]
    frequency, fake, real = (decode_series(done[c]) for c in ("plot_frequency", "plot_rapsd_fake", "plot_rapsd_real"))
    assert len(frequency) == len(fake) == len(real) == 20 and frequency[0] == pytest.approx(1 / 28, rel=1e-5)
    assert sum(real) > 0 and len(decode_series(done["plot_fid"])) == done["eval_points"]
    assert len(decode_series(done["plot_d_loss"])) == len(decode_series(done["plot_step"])) > 0


def test_rerun_reuses_and_forced_rerun_is_identical(
        smoke_run: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    cwd, first = smoke_run
    assert first.returncode == 0, first.stderr
    runs_csv = cwd / "leaderboards" / "smoke-fashion-mnist-runs.csv"
    before = pd.read_csv(runs_csv)
    again = ganbench("run", "--all", "--suite", "smoke", cwd=cwd)
    assert again.returncode == 0 and again.stderr.count("reused") == 52
    forced = ganbench("run", "--all", "--suite", "smoke", "--force", "--out", str(tmp_path), "--workers", "1",
                      cwd=cwd)
    assert forced.returncode == 0, forced.stderr
    after = pd.read_csv(tmp_path / "smoke-fashion-mnist-runs.csv")
    pd.testing.assert_frame_equal(before.drop(columns=TIMING_COLUMNS), after.drop(columns=TIMING_COLUMNS))


@pytest.mark.parametrize("args, message", [
    (["run"], "say what to run: --all runs every entry of the suite"),
    (["run", "--all", "--seeds", "0,x"], "'0,x' is not a comma-separated list of integers"),
    (["run", "--all", "--loss", "hinj"], "unknown loss 'hinj'"),
    (["run", "--all", "--matrix", "ofat", "--arch", "mlp", "--loss", "hinge"], "the filters leave no run"),
    (["run", "--all", "--dataset", "cifar99"], "unknown dataset 'cifar99'"),
    (["run", "--all", "--suite", "nope"], "unknown suite 'nope'"),
    (["run", "--all", "--suite-file", "missing.toml"], "missing.toml: no such suite file"),
    (["run", "--all", "--data-root", "/nonexistent/fm"], "/nonexistent/fm: no fashion-mnist IDX files"),
    (["run", "--all", "--device", "tpu"], "'tpu' is not one of"),
    (["run", "--all", "--extractor", "inceptoin"], "unknown feature extractor 'inceptoin' (available: "),
    (["run", "--all", "--extractor", "stacked-fashion-mnist-cnn"], "cannot read 1-channel images"),
])
def test_user_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    proc = ganbench(*args, cwd=tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "leaderboards").exists()


def test_missing_inception_weights_is_a_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ganbench", "run", "--all", "--extractor", "inception-v3"],
                          cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "GANBENCH_LOAD_PLUGINS": "",
                               "GANBENCH_INCEPTION_WEIGHTS": str(tmp_path / "missing.pt")})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"GANBENCH_INCEPTION_WEIGHTS={tmp_path / 'missing.pt'} is not a file" in proc.stderr
    assert not (tmp_path / "leaderboards").exists()


def test_bad_system_data_switch_is_a_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ganbench", "run", "--all"], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "GANBENCH_LOAD_PLUGINS": "", "GANBENCH_SYSTEM_DATA": "no"})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "GANBENCH_SYSTEM_DATA='no': use 1" in proc.stderr
    assert not (tmp_path / "leaderboards").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_one_line_error(tmp_path: Path) -> None:
    proc = ganbench("run", "--all", "--device", "cuda", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--device cuda: no CUDA device is available" in proc.stderr and "Traceback" not in proc.stderr
