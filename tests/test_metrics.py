from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from torchvision.transforms.functional import gaussian_blur

from ganbench.metrics import extractor
from ganbench.metrics.fidelity import fidelity
from ganbench.metrics.sharpness import high_frequency_fraction, sharpness

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
    assert 0 <= scores["fid"] < 1.0  # disjoint real sets; only sampling noise remains
    assert abs(scores["kid"]) < 0.005
    assert scores["precision"] > 0.8 and scores["recall"] > 0.8


def test_fid_rises_with_blur(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = real_pair
    fids = [fidelity(train, reference, FE, kid=False, prc=False)["fid"]]
    fids += [fidelity(blur(train, s), reference, FE, kid=False, prc=False)["fid"] for s in SIGMAS]
    assert fids == sorted(fids) and len(set(fids)) == len(fids), fids
    assert fids[-1] > 20 * max(fids[0], 0.5)


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


def test_sharpness_is_one_for_real_and_falls_with_blur(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = real_pair
    assert sharpness(train, reference) == pytest.approx(1.0, abs=0.05)
    scores = [sharpness(blur(train, s), reference) for s in SIGMAS]
    assert scores == sorted(scores, reverse=True) and scores[0] < 0.9, scores


def test_sharpness_sees_noise_as_high_frequency(real_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = real_pair
    gen = torch.Generator().manual_seed(0)
    noisy = (train.float() + 40 * torch.randn(train.shape, generator=gen)).clamp(0, 255).to(torch.uint8)
    assert sharpness(noisy, reference) > 1.5


def test_high_frequency_fraction_of_known_images() -> None:
    flat = torch.full((3, 1, 28, 28), 128, dtype=torch.uint8)
    assert high_frequency_fraction(flat) == 0.0
    checker = ((torch.arange(28).view(-1, 1) + torch.arange(28)) % 2 * 255).to(torch.uint8)
    assert high_frequency_fraction(checker.expand(2, 1, 28, 28)) > 0.95  # all power at Nyquist


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
