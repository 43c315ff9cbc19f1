"""RAPSD sharpness scores, validated on real images (Fashion-MNIST 28 px grey, shapes 32/64 px).

Bounds on measured scores come from their spread over 8 disjoint windows of 1,000 vs 1,000
images, 4 of the bundled subset and 4 of the full 60k/10k set (``scripts/test_margins.py``,
table in docs/testing.md); each comment gives the measured range. Degradations are asserted
against the same images' real-vs-real score, which removes most of the window-to-window spread.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torchvision.transforms.functional import gaussian_blur

from ganbench.data import shapes
from ganbench.metrics.spectrum import BLUR_BAND, NOISE_BAND, radial_frequencies, rapsd, spectral_scores

N = 1000
SIGMAS = (0.5, 1.0, 1.5, 2.0)
KEYS = {"blur_score", "noise_score", "log_spectral_distance", "laplacian_ratio"}
Scores = dict[str, float]


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    return gaussian_blur(images, kernel_size=9, sigma=sigma)


def noisy(images: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    """Additive Gaussian noise of ``std`` on the 0-255 scale, re-quantised to uint8."""
    gen = torch.Generator().manual_seed(seed)
    noise = std * torch.randn(images.shape, generator=gen, dtype=torch.float64)
    return (images.double() + noise).round().clamp(0, 255).to(torch.uint8)


def checkerboard(images: torch.Tensor, amplitude: float) -> torch.Tensor:
    """± ``amplitude`` grey levels at (0.5, 0.5) cycles/px: the stride-2 transposed-convolution artifact."""
    size = images.shape[-1]
    sign = 1 - 2 * ((torch.arange(size).view(-1, 1) + torch.arange(size).view(1, -1)) % 2)
    return (images.double() + amplitude * sign).round().clamp(0, 255).to(torch.uint8)


@pytest.fixture(scope="module")
def fmnist(real_train: torch.Tensor, real_reference: torch.Tensor) -> dict[str, Scores]:
    """Scores of 1000 train images, variously degraded, against 1000 disjoint reference images."""
    train, reference = real_train[:N], real_reference[:N]
    cases = {"real": train, "noise 10": noisy(train, 10), "noise 25": noisy(train, 25),
             "checker 2": checkerboard(train, 2)}
    cases |= {f"blur {s}": blur(train, s) for s in SIGMAS}
    cases |= {f"blur 1 + noise {std}": noisy(cases["blur 1.0"], std) for std in (10, 30)}
    return {name: spectral_scores(images, reference) for name, images in cases.items()}


@pytest.mark.parametrize(("size", "channels"), [(28, 1), (32, 3), (64, 1), (64, 3)])
def test_rapsd_bins_match_frequencies(size: int, channels: int) -> None:
    freqs = radial_frequencies(size)
    spectrum = rapsd(shapes.render(8, size, channels, seed=size))
    assert spectrum.dtype == torch.float64 and spectrum.shape == freqs.shape
    assert freqs[0] == pytest.approx(1 / size) and freqs[-1] == pytest.approx(round(size / math.sqrt(2)) / size)
    assert bool(torch.isfinite(spectrum).all()) and bool((spectrum > 0).all())
    assert (freqs >= BLUR_BAND[0]).logical_and(freqs <= BLUR_BAND[1]).sum() >= 3  # bands hold bins at every size
    assert (freqs >= NOISE_BAND[0]).logical_and(freqs <= NOISE_BAND[1]).sum() >= 3


def full_grid_rapsd(images: torch.Tensor) -> torch.Tensor:
    """The module docstring's definition, cell by cell over the whole ``fft2`` grid (the form before
    the half-plane speed-up)."""
    x = images.double() / 255.0
    x = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]) if x.shape[1] == 3 else x[:, 0]
    size = x.shape[-1]
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    window = torch.hann_window(size, periodic=False, dtype=torch.float64)
    power = torch.fft.fft2(x * torch.outer(window, window)).abs().square()
    k = torch.fft.fftfreq(size, d=1.0 / size, dtype=torch.float64)
    radius = torch.sqrt(k.view(-1, 1).square() + k.view(1, -1).square()).round().long()
    power = power / power[:, radius > 0].sum(-1).view(-1, 1, 1)
    return torch.stack([power[:, radius == r].mean() for r in range(1, int(radius.max()) + 1)])


@pytest.mark.parametrize(("size", "channels"), [(28, 1), (31, 1), (32, 3), (64, 3)])
def test_rapsd_is_the_full_grid_definition(size: int, channels: int) -> None:
    """The half-plane computation (mirror columns weighted 2, the Nyquist column of even sizes once)
    gives the full grid's bins to float64 rounding, at even and odd sizes."""
    images = torch.randint(0, 256, (64, channels, size, size), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(size))
    images[:, :, : size // 2] //= 3  # not white: the bins differ from one another
    expected, got = full_grid_rapsd(images), rapsd(images)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, rtol=1e-12, atol=0)
    assert not torch.allclose(got, got.mean().expand_as(got), rtol=1e-3)


def test_rapsd_puts_a_cosine_in_its_bin() -> None:
    x = torch.arange(32, dtype=torch.float64)
    wave = 128 + 100 * torch.cos(2 * math.pi * 8 / 32 * x)  # 0.25 cycles/px along x
    spectrum = rapsd(wave.expand(2, 1, 32, 32).round().to(torch.uint8))
    assert radial_frequencies(32)[int(spectrum.argmax())] == pytest.approx(0.25)


def test_constant_images_give_finite_scores() -> None:
    flat = torch.full((4, 1, 28, 28), 77, dtype=torch.uint8)
    texture = shapes.render(16, 28, 1, seed=3)
    assert bool((rapsd(flat) == 0).all())
    assert spectral_scores(flat, flat) == {"blur_score": 0.0, "noise_score": 0.0,
                                           "log_spectral_distance": 0.0, "laplacian_ratio": 1.0}
    for fake, real in [(flat, texture), (texture, flat)]:
        scores = spectral_scores(fake, real)
        assert set(scores) == KEYS and all(math.isfinite(v) for v in scores.values())
    assert spectral_scores(flat, texture)["blur_score"] < -10  # no detail at all: maximally blurry


def test_real_vs_real_is_neutral(fmnist: dict[str, Scores]) -> None:
    real = fmnist["real"]
    assert set(real) == KEYS
    assert abs(real["blur_score"]) < 0.1  # measured -0.038 .. +0.033
    assert abs(real["noise_score"]) < 0.4  # measured -0.24 .. +0.26: few images have power up there
    assert real["log_spectral_distance"] < 1.0  # dB; measured 0.16 .. 0.59 (blur sigma 0.5: 4.6)
    assert real["laplacian_ratio"] == pytest.approx(1.0, abs=0.1)  # measured 0.96 .. 1.05


def test_blur_score_falls_strictly_with_sigma(fmnist: dict[str, Scores]) -> None:
    scores = [fmnist["real"]["blur_score"]] + [fmnist[f"blur {s}"]["blur_score"] for s in SIGMAS]
    assert all(a > b for a, b in itertools.pairwise(scores)), scores
    assert scores[2] < -0.5  # sigma 1 loses well over a quarter of the mid-band power; measured -1.30 .. -1.40
    lsd = [fmnist[f"blur {s}"]["log_spectral_distance"] for s in SIGMAS]
    assert lsd[0] > 1.0 and lsd == sorted(lsd)
    assert all(fmnist[f"blur {s}"]["noise_score"] < -1.0 for s in SIGMAS)  # blur empties the top band too


def test_noise_raises_noise_score_but_not_blur_score(fmnist: dict[str, Scores]) -> None:
    real, n10, n25 = fmnist["real"], fmnist["noise 10"], fmnist["noise 25"]
    # Noise minus the same images' real score: measured +0.55 .. +0.65 (std 10), +1.61 .. +1.79 (std 25).
    assert n10["noise_score"] - real["noise_score"] > 0.3
    assert n25["noise_score"] - real["noise_score"] > 1.0 and n25["noise_score"] > n10["noise_score"] + 0.5
    # Mid band: real power dwarfs the noise. Measured shifts +0.021 .. +0.025 (std 10), +0.058 .. +0.074 (25).
    assert abs(n10["blur_score"] - real["blur_score"]) < 0.05
    assert 0 < n25["blur_score"] - real["blur_score"] < 0.15


def test_noise_does_not_cancel_blur(fmnist: dict[str, Scores]) -> None:
    assert fmnist["blur 1 + noise 10"]["blur_score"] < -0.5  # measured -1.10 .. -1.17
    assert fmnist["blur 1 + noise 30"]["blur_score"] < -0.4  # measured -0.59 .. -0.65
    assert fmnist["blur 1 + noise 30"]["noise_score"] > 1.0  # ...while the top band reports it: 1.85 .. 2.21


def test_laplacian_ratio_is_fooled_by_noise(fmnist: dict[str, Scores]) -> None:
    """Why laplacian_ratio is only a secondary column: noise reads as extra sharpness."""
    assert fmnist["noise 25"]["laplacian_ratio"] > 1.3  # measured 1.54 .. 1.65
    fooled = fmnist["blur 1 + noise 30"]
    # "Sharper than real" (measured 1.095 .. 1.162), yet blurred (-0.59 .. -0.65).
    assert fooled["laplacian_ratio"] > 1.0 and fooled["blur_score"] < -0.4


def test_checkerboard_artifact_shows_in_noise_band(fmnist: dict[str, Scores]) -> None:
    # It lives at the spectrum's corner (|f| = √2/2): visible only because the bins run past Nyquist.
    checker, real = fmnist["checker 2"], fmnist["real"]
    # Against the same images' real score: noise +0.67 .. +0.77, blur within 0.004 of it (measured).
    assert checker["noise_score"] - real["noise_score"] > 0.4
    assert abs(checker["blur_score"] - real["blur_score"]) < 0.05


def test_shapes_rgb_32() -> None:
    train = shapes.render(N, 32, 3, shapes.SEEDS["train"])
    reference = shapes.render(N, 32, 3, shapes.SEEDS["reference"])
    real = spectral_scores(train, reference)
    assert abs(real["blur_score"]) < 0.1 and abs(real["noise_score"]) < 0.1
    assert real["log_spectral_distance"] < 0.5
    blurred = [spectral_scores(blur(train, s), reference)["blur_score"] for s in (0.5, 1.0)]
    assert real["blur_score"] > blurred[0] > blurred[1] and blurred[1] < -0.5
    noise = spectral_scores(noisy(train, 25), reference)
    assert noise["noise_score"] > 0.3 and abs(noise["blur_score"]) < 0.1


def test_shapes_64() -> None:
    train = shapes.render(300, 64, 1, shapes.SEEDS["train"])
    reference = shapes.render(300, 64, 1, shapes.SEEDS["reference"])
    assert spectral_scores(blur(train, 1.0), reference)["blur_score"] < -0.5
    assert spectral_scores(noisy(train, 25), reference)["noise_score"] > 0.3
