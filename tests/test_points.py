"""ring-8 and grid-25: 2-D point data end to end (data, mode metrics, skipped image-only components)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.builtin.suites import SUITES_DIR
from ganbench.data.points import MIXTURES, scatter
from ganbench.metrics.modes import coverage
from ganbench.plugins import Catalog
from ganbench.specs import DataRequest, PointData
from ganbench.suites import SuiteError, expand, load_suite, load_suite_file

# P(|x - mu| <= 3 std) for an isotropic 2-D Gaussian: 1 - exp(-9/2).
WITHIN_3_STD = 1 - math.exp(-4.5)


@pytest.mark.parametrize("name, n_modes, extent", [("ring-8", 8, 1.05), ("grid-25", 25, 4.3)])
def test_point_datasets_are_fixed_float_samples(builtin_catalog: Catalog, name: str, n_modes: int,
                                                extent: float) -> None:
    spec = builtin_catalog.spec("datasets", name)
    assert spec.kind == "points" and spec.n_modes == n_modes and spec.feature_extractor == ""
    train, again = (spec.load(DataRequest("train")) for _ in range(2))
    reference = spec.load(DataRequest("reference"))
    assert isinstance(train, PointData) and isinstance(reference, PointData)
    assert train.points.dtype == torch.float32 and train.points.shape == (64_000, 2)
    assert reference.points.shape == (10_000, 2)
    assert torch.equal(train.points, again.points)
    assert not torch.equal(train.points[:100], reference.points[:100])
    assert float(train.points.abs().max()) < extent


@pytest.mark.parametrize("name, n_modes", [("ring-8", 8), ("grid-25", 25)])
def test_real_samples_cover_every_mode_with_high_quality(name: str, n_modes: int) -> None:
    mixture = MIXTURES[name]
    scores = coverage(mixture.assign(mixture.sample(2500, seed=7)), n_modes, quality=True)
    assert scores["modes_covered"] == n_modes
    assert abs(scores["high_quality"] / 100 - WITHIN_3_STD) < 0.006  # binomial sd at n=2500: 0.002
    assert scores["mode_kl"] < 0.02


def test_collapsed_and_off_mode_generators() -> None:
    ring = MIXTURES["ring-8"]
    collapsed = ring.centers[3].float() + 0.01 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    scores = coverage(ring.assign(collapsed), 8, quality=True)
    assert scores["modes_covered"] == 1 and scores["mode_kl"] == pytest.approx(math.log(8), abs=1e-9)
    # Points on the circle between two centres are near the ring but 0.38 from any centre: not high quality.
    between = torch.tensor([[math.cos(math.pi / 8), math.sin(math.pi / 8)]]).repeat(100, 1)
    blurred = coverage(ring.assign(between), 8, quality=True)
    assert blurred["modes_covered"] == 0 and blurred["high_quality"] == 0 and math.isnan(blurred["mode_kl"])


def test_scatter_picture_draws_points() -> None:
    ring = MIXTURES["ring-8"]
    image = scatter(torch.zeros(10, 2), ring.sample(500, 0))
    assert image.shape == (3, 256, 256) and image.dtype == torch.uint8
    assert int((image == 0).all(0).sum()) == 1  # all ten points at the origin: one black pixel
    assert int((image[0] == 240).sum()) > 8  # the reference, in red


def test_point_suites_skip_what_cannot_run_on_points(builtin_catalog: Catalog) -> None:
    suite = load_suite("ring", builtin_catalog)
    assert (suite.resolution, suite.channels) == (0, 0)
    entries = {s.entry for s in expand(suite, builtin_catalog, "cpu")}
    assert "mlp/non-saturating/none" in entries and "dcgan/non-saturating/none" in entries


def test_image_suites_still_need_a_resolution(builtin_catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text((SUITES_DIR / "smoke.toml").read_text().replace("resolution = 28\n", ""))
    with pytest.raises(SuiteError, match="resolution and channels must be positive") as info:
        expand(load_suite_file(path), builtin_catalog, "cpu")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("dataset", ["ring-8", "grid-25"])
def test_point_suite_runs_end_to_end(dataset: str, tmp_path: Path) -> None:
    suite = tmp_path / "tiny.toml"
    suite.write_text((SUITES_DIR / "ring.toml").read_text().replace('name = "ring"', 'name = "tiny"')
                     .replace("generator_steps = 5000", "generator_steps = 100")
                     .replace('dataset = "ring-8"', f'dataset = "{dataset}"')
                     .replace("seeds = [0, 1, 2]", "seeds = [0]"))
    proc = subprocess.run([sys.executable, "-m", "ganbench", "run", "--suite-file", str(suite), "--matrix", "full",
                           "--arch", "mlp", "--arch", "dcgan", "--loss", "hinge",
                           "--reg", "none", "--reg", "diffaugment", "--reg", "gradient-penalty"],
                          cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "GANBENCH_LOAD_PLUGINS": ""})
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(tmp_path / "leaderboards" / f"tiny-{dataset}-runs.csv").set_index("entry")
    done = runs[runs["status"] == "completed"]
    assert set(done.index) == {"mlp/hinge/none", "mlp/hinge/gradient-penalty"}
    assert done["fid"].isna().all() and done["blur_score"].isna().all()
    assert done["modes_covered"].between(0, 25).all() and done["high_quality"].between(0, 100).all()
    assert runs.loc["dcgan/hinge/none", "reason"] == "dcgan does not support points data"
    assert runs.loc["mlp/hinge/diffaugment", "reason"] == "diffaugment does not support points data"
    summary = pd.read_csv(tmp_path / "leaderboards" / f"tiny-{dataset}-summary.csv")
    assert set(summary["rank_by"]) == {"mode_score"}
    ranked = summary.sort_values("rank")
    assert ranked["mode_score_mean"].fillna(-1).is_monotonic_decreasing
    assert "high quality %" in proc.stdout and "FID" not in proc.stdout
    assert (tmp_path / ".ganbench" / "runs").glob("*.png")
