from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric
from torchvision.transforms.functional import gaussian_blur

from ganbench import integrity
from ganbench.metrics import extractor
from ganbench.metrics.fidelity import (
    cache_key,
    density_coverage,
    extract,
    fidelity,
    kth_nearest,
    pair_distances,
    precision_recall,
    reference_features,
)
from ganbench.metrics.kid import kid

N = 2000
SIGMAS = (0.5, 1.0, 1.5, 2.0)
FE = extractor.NAME


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    return gaussian_blur(images, kernel_size=9, sigma=sigma)


@pytest.fixture(scope="module")
def real_pair(real_train: torch.Tensor, real_reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return real_train[:N], real_reference[:N]


def test_fid_real_vs_real_is_near_zero(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = real_pair
    scores = fidelity(train, reference, FE)
    # Bounds from 8 disjoint windows of the bundled and the full set (scripts/test_margins.py, docs/testing.md).
    assert 0 <= scores["fid"] < 1.0  # disjoint real sets; only sampling noise remains: measured 0.083 .. 0.140
    assert abs(scores["kid"]) < 0.005  # measured -0.0013 .. +0.0006
    assert scores["precision"] > 0.8 and scores["recall"] > 0.8  # measured 0.874 .. 0.904


def test_fid_rises_with_blur(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = real_pair
    fids = [fidelity(train, reference, FE, kid=False, prc=False)["fid"]]
    fids += [fidelity(blur(train, s), reference, FE, kid=False, prc=False)["fid"] for s in SIGMAS]
    assert fids == sorted(fids) and len(set(fids)) == len(fids), fids
    assert fids[-1] > 20 * max(fids[0], 0.5)  # sigma 2: measured 43.0 .. 44.8


def test_fid_matches_an_independent_frechet_distance(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = real_pair
    fake = blur(train, 1.0)
    net = extractor.FashionCnnExtractor(FE, ["penultimate"]).eval()
    with torch.no_grad():
        f1 = np.concatenate([net(fake[i: i + 500])[0].double().numpy() for i in range(0, N, 500)])
        f2 = np.concatenate([net(reference[i: i + 500])[0].double().numpy() for i in range(0, N, 500)])
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))
    assert fidelity(fake, reference, FE, kid=False, prc=False)["fid"] == pytest.approx(expected, rel=1e-4)


def test_density_and_coverage_have_their_known_values(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Naeem et al. 2020: on identical distributions E[density] = 1 and E[coverage] = 1 - 2^-k."""
    train, reference = real_pair
    scores = fidelity(train, reference, FE)
    assert scores["density"] == pytest.approx(1.0, abs=0.1)  # measured 0.980 .. 1.025 over 8 windows
    assert scores["coverage"] == pytest.approx(1 - 0.5**5, abs=0.03)  # measured 0.962 .. 0.975
    blurred = fidelity(blur(train, 1.5), reference, FE)
    # Measured coverage 0.011 .. 0.016 and density 0.06 .. 0.12 when blurred.
    assert blurred["coverage"] < scores["coverage"] - 0.3 and blurred["density"] < 0.5 * scores["density"]


def test_density_coverage_on_points_by_hand() -> None:
    real = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # k = 1: every real point's radius is 1 (its nearest neighbour).
    fake = torch.tensor([[0.1, 0.0], [0.5, 0.5], [5.0, 5.0]])
    scores = density_coverage(fake, real, k=1)
    # (0.1, 0) is inside the balls of (0, 0) and (1, 0), not (0, 1) (distance 1.005) or (1, 1);
    # (0.5, 0.5) is inside all four; (5, 5) inside none: density = (2 + 4) / (1 * 3).
    assert scores["density"] == pytest.approx(2.0)
    assert scores["coverage"] == 1.0


def test_reference_features_are_cached_under_their_protocol(real_pair: tuple[torch.Tensor, torch.Tensor],
                                                            tmp_path: Path) -> None:
    _, reference = real_pair
    key = cache_key("sha", "reference", 500, FE)
    assert key != cache_key("sha", "reference", 499, FE) and key != cache_key("sha2", "reference", 500, FE)
    first = reference_features(reference[:500], FE, "sha", tmp_path)
    assert (tmp_path / f"{key}.pt").is_file()
    # The cached file is what is used: overwrite it (sealed) and the overwritten features come back.
    buffer = io.BytesIO()
    torch.save(first * 2, buffer)
    (tmp_path / f"{key}.pt").write_bytes(integrity.seal(buffer.getvalue()))
    assert torch.equal(reference_features(reference[:500], FE, "sha", tmp_path), first * 2)
    # An unsealed (or damaged) file is never used: it is set aside and the features recomputed.
    torch.save(first * 2, tmp_path / f"{key}.pt")
    assert torch.equal(reference_features(reference[:500], FE, "sha", tmp_path), first)
    assert (tmp_path / f"{key}.pt.damaged").is_file()


def test_extractor_accepts_rgb_and_other_sizes(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, _ = real_pair
    net = extractor.FashionCnnExtractor(FE, ["penultimate", "logits"]).eval()
    gray = net(train[:8])
    rgb = net(train[:8].expand(-1, 3, -1, -1))
    assert gray[0].shape == (8, 128) and gray[1].shape == (8, 10)
    assert torch.allclose(gray[0], rgb[0], atol=1e-4)
    big = torch.nn.functional.interpolate(train[:8].float(), size=32).to(torch.uint8)
    assert net(big)[0].shape == (8, 128)


def test_shipped_extractor_metadata_matches_weights() -> None:
    import json

    meta = json.loads(extractor.WEIGHTS.with_suffix(".json").read_text())
    assert meta["test_accuracy"] > 0.85
    assert len(extractor.weights_version()) == 12


def test_density_coverage_ball_is_open() -> None:
    """Naeem et al.'s prdc counts distance < radius: a fake exactly on a ball's boundary is outside."""
    real = torch.tensor([[0.0, 0.0], [1.0, 0.0]])  # k = 1: both radii are exactly 1
    on_boundary = torch.tensor([[2.0, 0.0]])  # distance exactly 1 from (1, 0), 2 from (0, 0)
    assert density_coverage(on_boundary, real, k=1) == {"density": 0.0, "coverage": 0.0}


@pytest.mark.parametrize(("n_fake", "n_real", "dim", "shift"), [(2000, 2000, 128, 0.0), (2000, 1500, 128, 0.3),
                                                                   (500, 300, 16, 0.0)])
def test_kid_equals_torch_fidelity(n_fake: int, n_real: int, dim: int, shift: float) -> None:
    """Same subsets, same estimator: torch-fidelity builds each subset's kernels in float32 and sums
    them in float32, which alone moves KID by about 5e-8; ours builds them once, in float64."""
    gen = torch.Generator().manual_seed(n_real)
    fake, real = torch.randn(n_fake, dim, generator=gen) + shift, torch.randn(n_real, dim, generator=gen)
    size = min(1000, n_fake, n_real)
    expected = kid_features_to_metric(fake, real, kid_subsets=100, kid_subset_size=size, verbose=False)
    mean, std = kid(fake, real, 100, size)
    assert mean == pytest.approx(expected["kernel_inception_distance_mean"], abs=2e-7)
    assert std == pytest.approx(expected["kernel_inception_distance_std"], abs=2e-7)
    assert (mean > 0.01) == (shift > 0)  # and it tells shifted from matching distributions


def test_kth_nearest_is_kthvalue_with_ties_and_without() -> None:
    gen = torch.Generator().manual_seed(3)
    for distances in (torch.rand(300, 400, generator=gen), torch.randint(0, 5, (300, 400), generator=gen).float()):
        for k in (1, 4, 6):
            assert torch.equal(kth_nearest(distances, k), distances.kthvalue(k, dim=1).values)


@pytest.mark.parametrize(("n_fake", "n_real", "dim", "shift"), [(2000, 2000, 128, 0.0), (2000, 1500, 16, 0.4),
                                                                   (300, 500, 8, 0.0)])
def test_precision_recall_equals_torch_fidelity_to_the_bit(n_fake: int, n_real: int, dim: int, shift: float) -> None:
    """The same distances and radii as torch-fidelity, with the real radii reused from the memo on a
    second call: the same numbers, not merely close ones."""
    gen = torch.Generator().manual_seed(n_fake + dim)
    fake, real = torch.randn(n_fake, dim, generator=gen) + shift, torch.randn(n_real, dim, generator=gen)
    expected = prc_features_to_metric(fake, real, prc_neighborhood=3, save_cpu_ram=True, verbose=False)
    first, again = precision_recall(fake, real), precision_recall(fake * 1.0, real)
    assert first == again == (expected["precision"], expected["recall"])
    assert 0.05 < first[0] < 1 and 0.05 < first[1] < 1  # a case where both can move
    shifted = precision_recall(fake + 3.0, real)
    assert shifted[0] < first[0] and shifted[1] < first[1]


def _all_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(len(a), len(b)) distances a_i - b_j, each by pair_distances."""
    rows = [pair_distances(a[i].expand(len(b), -1), b) for i in range(len(a))]
    return torch.stack(rows)


def _inside_in_float64(fake: torch.Tensor, real: torch.Tensor, k: int) -> dict[str, float]:
    """density/coverage with every distance, radii included, measured directly in float64."""
    fake64, real64 = fake.double(), real.double()
    radii = _all_pairs(real64, real64).kthvalue(k + 1, dim=0).values  # column i: X_j - X_i, as the fakes'
    inside = _all_pairs(fake64, real64) < radii.unsqueeze(0)
    return {"density": float(inside.sum() / (k * fake.shape[0])), "coverage": float(inside.any(0).double().mean())}


def test_density_coverage_equals_the_float64_computation(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Pairs far from a ball's boundary are decided on float32 distances, the rest again in float64:
    the values are those of direct float64 distances throughout, here on real features and on fakes
    put within float32 rounding of the boundaries."""
    train, reference = real_pair
    fake_f, real_f = (extract(x, FE) for x in (blur(train, 0.5), reference))
    assert density_coverage(fake_f, real_f) == _inside_in_float64(fake_f, real_f, 5)
    # For each real, fakes at its radius times (1 +- eps) along a random direction: float32 distances
    # cannot tell most of these from the radius, and 1e-3 lies near the edge of the float64 band.
    real = real_f[:400]
    radii = kth_nearest(torch.cdist(real.double(), real.double()), 2)
    noise = torch.randn(400, real.shape[1], generator=torch.Generator().manual_seed(0))
    direction = torch.nn.functional.normalize(noise.double(), dim=1)
    fakes = [real.double() + direction * (radii * (1 + eps)).unsqueeze(1)
             for eps in (-1e-3, -1e-5, -1e-7, 1e-7, 1e-5, 1e-3)]
    fake = torch.cat(fakes).float()
    expected = _inside_in_float64(fake, real, 1)
    assert 0 < expected["density"] < 1  # some inside, some outside
    assert density_coverage(fake, real, k=1) == expected


def _prdc(fake: torch.Tensor, real: torch.Tensor, k: int) -> dict[str, float]:
    """The authors' package (Naeem et al. 2020, clovaai/generative-evaluation-prdc), on float64 features."""
    import contextlib

    from prdc import compute_prdc

    with contextlib.redirect_stdout(io.StringIO()):  # it prints the sample counts
        out = compute_prdc(real.double().numpy(), fake.double().numpy(), k)
    return {"density": float(out["density"]), "coverage": float(out["coverage"])}


def test_density_is_exactly_1_on_identical_sets_as_in_prdc(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    """A fake that is a copy of a real's k-th neighbour lies on that real's boundary: outside, a tie
    that prdc and ganbench resolve alike only because radii and pairs come from one formula (0.8.0
    measured the radii by cdist and gave 1.025 to 1.036 here)."""
    _, reference = real_pair
    real = extract(reference, FE)
    noise = torch.randn(2000, 64, generator=torch.Generator().manual_seed(0))
    for features in (real, noise):
        assert density_coverage(features.clone(), features) == {"density": 1.0, "coverage": 1.0}
        assert _prdc(features.clone(), features, 5) == {"density": 1.0, "coverage": 1.0}


def test_density_and_coverage_equal_prdcs_on_other_sets(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Within one pair of each: prdc measures distances as sklearn does (|x|^2 + |y|^2 - 2 x.y in
    float64), ganbench directly, so a pair within float64 rounding of its boundary may go either way.
    Measured here: equal to the last digit on all four."""
    train, reference = real_pair
    real, fake = extract(reference, FE), extract(blur(train, 0.5), FE)
    generator = torch.Generator().manual_seed(1)
    noise = torch.randn(2000, 64, generator=generator)
    cases = [(fake, real), (extract(train, FE), real), (noise * 1.1 + 0.05, noise),
             (torch.randn(1500, 64, generator=generator), noise)]
    for fake_f, real_f in cases:
        ours, theirs = density_coverage(fake_f, real_f), _prdc(fake_f, real_f, 5)
        assert abs(ours["density"] - theirs["density"]) <= 1 / (5 * len(fake_f)) + 1e-6, (ours, theirs)
        assert abs(ours["coverage"] - theirs["coverage"]) <= 1 / len(real_f) + 1e-12, (ours, theirs)
