"""Tests for the ganbench-focal-frequency plugin.

Run from the ganbench repository root, after ``pip install -e plugins/ganbench-focal-frequency``:

    python3 -m pytest plugins/ganbench-focal-frequency/tests -q -p no:cacheprovider
"""

from __future__ import annotations

import dataclasses
import math

import ganbench_focal_frequency as ffl
import pytest
import torch
from torch import Tensor, nn

from ganbench import Regularizer, RegularizerSpec, plugins
from ganbench.data.fashion_mnist import load_split
from ganbench.runspec import RunSpec
from ganbench.training.trainer import train

CPU = torch.device("cpu")


def dft_matrix(n: int) -> Tensor:
    """The orthonormal DFT matrix, W[k, m] = exp(-2 pi i k m / n) / sqrt(n), built without torch.fft."""
    k = torch.arange(n, dtype=torch.float64)
    return torch.exp(-2j * math.pi * torch.outer(k, k) / n) / math.sqrt(n)


def reference_ffl(fake: Tensor, real: Tensor, alpha: float = 1.0, ave_spectrum: bool = False,
                  log_matrix: bool = False, batch_matrix: bool = False) -> Tensor:
    """FFL written out from the paper's formula with explicit DFT matrices (patch_factor 1), float64."""
    h, w = fake.shape[-2:]
    wh, ww = dft_matrix(h), dft_matrix(w)
    spec_f = wh @ fake.to(torch.complex128) @ ww.T
    spec_r = wh @ real.to(torch.complex128) @ ww.T
    if ave_spectrum:
        spec_f, spec_r = spec_f.mean(0, keepdim=True), spec_r.mean(0, keepdim=True)
    dist = (spec_f - spec_r).abs()
    weight = dist ** alpha
    if log_matrix:
        weight = torch.log1p(weight)
    peak = weight.max() if batch_matrix else weight.amax(dim=(-2, -1), keepdim=True)
    weight = torch.nan_to_num(weight / peak, nan=0.0).clamp(0, 1)
    return (weight * dist ** 2).mean()


def checkerboard(side: int) -> Tensor:
    """(-1) ** (m + n): all of its energy sits in the highest frequency (side/2, side/2)."""
    idx = torch.arange(side)
    return ((-1.0) ** (idx[:, None] + idx[None, :])).reshape(1, 1, side, side)


# --- the loss itself -------------------------------------------------------------------------------

@pytest.mark.parametrize("ave_spectrum", [True, False])
def test_identical_batches_give_zero_loss_and_zero_gradient(ave_spectrum: bool) -> None:
    real = torch.rand(4, 3, 8, 8) * 2 - 1
    fake = real.clone().requires_grad_(True)
    loss = ffl.focal_frequency_loss(fake, real, ave_spectrum=ave_spectrum)
    loss.backward()
    assert loss.item() == 0.0  # 0/0 in the weight normalisation becomes 0, not NaN
    assert fake.grad is not None and torch.equal(fake.grad, torch.zeros_like(fake))


def test_two_by_two_example_worked_by_hand() -> None:
    # fake - real = [[2, 0], [0, -1]]. The orthonormal 2x2 DFT is F[k, l] = 1/2 sum x[m, n] (-1)^(km + ln):
    # D = [[(2-1)/2, (2+1)/2], [(2+1)/2, (2-1)/2]] = [[0.5, 1.5], [1.5, 0.5]], all real.
    fake = torch.tensor([[[[2.0, 0.0], [0.0, 0.0]]]])
    real = torch.tensor([[[[0.0, 0.0], [0.0, 1.0]]]])
    # alpha 1: w = |D| / 1.5 = [1/3, 1, 1, 1/3]; mean(w |D|^2) = (1/12 + 9/4 + 9/4 + 1/12) / 4 = 7/6
    assert ffl.focal_frequency_loss(fake, real, alpha=1.0).item() == pytest.approx(7 / 6, rel=1e-6)
    # alpha 2: w = [1/9, 1, 1, 1/9]; mean = (1/36 + 9/4 + 9/4 + 1/36) / 4 = 41/36
    assert ffl.focal_frequency_loss(fake, real, alpha=2.0).item() == pytest.approx(41 / 36, rel=1e-6)
    # log matrix: w = log(1 + |D|) / log(2.5) = [log 1.5 / log 2.5, 1, 1, log 1.5 / log 2.5]
    low = math.log(1.5) / math.log(2.5)
    expected = (2 * low * 0.25 + 2 * 2.25) / 4
    assert ffl.focal_frequency_loss(fake, real, log_matrix=True).item() == pytest.approx(expected, rel=1e-6)
    # one image: the minibatch average spectrum is the image's own, so ave_spectrum changes nothing
    assert ffl.focal_frequency_loss(fake, real, ave_spectrum=True).item() == pytest.approx(7 / 6, rel=1e-6)


@pytest.mark.parametrize(("alpha", "ave_spectrum", "log_matrix", "batch_matrix"), [
    (1.0, False, False, False), (1.0, True, False, False), (2.0, False, False, True),
    (0.5, False, True, False), (1.0, True, True, True),
])
def test_matches_the_formula_with_explicit_dft_matrices(alpha: float, ave_spectrum: bool, log_matrix: bool,
                                                        batch_matrix: bool) -> None:
    gen = torch.Generator().manual_seed(0)
    fake = torch.rand(3, 2, 6, 8, generator=gen) * 2 - 1  # non-square, so H and W cannot be swapped
    real = torch.rand(3, 2, 6, 8, generator=gen) * 2 - 1
    got = ffl.focal_frequency_loss(fake, real, alpha=alpha, ave_spectrum=ave_spectrum, log_matrix=log_matrix,
                                   batch_matrix=batch_matrix)
    want = reference_ffl(fake.double(), real.double(), alpha, ave_spectrum, log_matrix, batch_matrix)
    assert got.dtype == torch.float32
    assert got.item() == pytest.approx(want.item(), rel=1e-5)


def test_weight_is_normalised_per_image_and_channel_unless_batch_matrix() -> None:
    gen = torch.Generator().manual_seed(1)
    fake, real = torch.randn(2, 3, 4, 4, generator=gen), torch.zeros(2, 3, 4, 4)
    dist = (ffl.spectrum(fake) - ffl.spectrum(real)).abs()
    per_image = ffl.spectrum_weight(dist)
    assert torch.allclose(per_image.amax(dim=(-2, -1)), torch.ones(2, 1, 3))  # each (image, patch, channel)
    whole = ffl.spectrum_weight(dist, batch_matrix=True)
    assert whole.max().item() == pytest.approx(1.0) and (whole.amax(dim=(-2, -1)) < 1 - 1e-6).any()


def test_patches_are_transformed_apart() -> None:
    gen = torch.Generator().manual_seed(2)
    images = torch.randn(2, 1, 8, 8, generator=gen)
    spec = ffl.spectrum(images, patch_factor=2)
    assert spec.shape == (2, 4, 1, 4, 4)
    top_right = images[:, :, 0:4, 4:8]  # patch (i=0, j=1) is index 1, as the official code stacks them
    assert torch.allclose(spec[:, 1], torch.fft.fft2(top_right, norm="ortho"), atol=1e-6)
    with pytest.raises(ValueError, match="patch_factor"):
        ffl.spectrum(images, patch_factor=3)


# --- gradients -------------------------------------------------------------------------------------

def test_weight_matrix_is_a_constant_in_the_gradient() -> None:
    """With w held constant, d/dx mean(w |F x - F r|^2) = 2/M Re(F^H (w * D)), F unitary (ifft2 ortho)."""
    gen = torch.Generator().manual_seed(3)
    real = torch.rand(2, 3, 8, 8, generator=gen) * 2 - 1
    fake = (torch.rand(2, 3, 8, 8, generator=gen) * 2 - 1).requires_grad_(True)
    ffl.focal_frequency_loss(fake, real, ave_spectrum=False).backward()
    assert fake.grad is not None

    diff = torch.fft.fft2(fake.detach(), norm="ortho") - torch.fft.fft2(real, norm="ortho")
    weight = diff.abs() / diff.abs().amax(dim=(-2, -1), keepdim=True)
    closed_form = 2 / diff.numel() * torch.fft.ifft2(weight * diff, norm="ortho").real
    assert torch.allclose(fake.grad, closed_form, atol=1e-7)

    # The same loss with the weight left in the graph has another gradient: the test can tell.
    free = fake.detach().clone().requires_grad_(True)
    d = torch.fft.fft2(free, norm="ortho") - torch.fft.fft2(real, norm="ortho")
    dist = d.abs()
    ((dist / dist.amax(dim=(-2, -1), keepdim=True)) * dist ** 2).mean().backward()
    assert free.grad is not None and not torch.allclose(free.grad, closed_form, atol=1e-6)


def test_gradient_reaches_fake_only() -> None:
    reg = ffl.FocalFrequency()
    discriminator = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 1))
    real = torch.rand(4, 3, 8, 8, requires_grad=True)
    fake = torch.rand(4, 3, 8, 8, requires_grad=True)
    penalty = reg.generator_penalty(discriminator, real, fake)
    assert penalty is not None and penalty.dim() == 0 and penalty.item() > 0
    penalty.backward()
    assert fake.grad is not None and fake.grad.abs().sum().item() > 0
    assert real.grad is None  # the real batch is a fixed target
    assert all(p.grad is None for p in discriminator.parameters())  # D is never called


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_focal_weighting_puts_the_gradient_on_the_hard_frequency(alpha: float) -> None:
    """Fakes miss a high frequency badly (|D| = 2 at (H/2, W/2)) and the mean slightly (|D| = 0.5 at DC).

    Plain spectral L2 (w = 1) already pushes the hard frequency |D_h| / |D_e| = 4 times harder than the
    easy one; the focal weight w = (|D| / max|D|) ** alpha adds another (|D_h| / |D_e|) ** alpha:
    16x (alpha 1), 64x (alpha 2). The weight of the hard frequency is 1, of the easy (0.5/2) ** alpha.
    """
    side = 4
    real = torch.zeros(1, 1, side, side)
    hard, easy = 0.5 * checkerboard(side), torch.full((1, 1, side, side), 0.125)  # spectra 2 and 0.5 (x side)
    fake = (real + hard + easy).requires_grad_(True)

    dist = (ffl.spectrum(fake.detach()) - ffl.spectrum(real)).abs()[0, 0, 0]
    weight = ffl.spectrum_weight(dist, alpha=alpha)
    assert dist[side // 2, side // 2].item() == pytest.approx(2.0)
    assert dist[0, 0].item() == pytest.approx(0.5)
    assert weight[side // 2, side // 2].item() == pytest.approx(1.0)
    assert weight[0, 0].item() == pytest.approx(0.25 ** alpha)
    others = torch.ones_like(weight, dtype=torch.bool)
    others[0, 0] = others[side // 2, side // 2] = False
    assert torch.all(weight[others] == 0)  # frequencies fakes already get right are not trained at all

    ffl.focal_frequency_loss(fake, real, alpha=alpha, ave_spectrum=False).backward()
    assert fake.grad is not None
    on_hard = (fake.grad * checkerboard(side)).sum() / checkerboard(side).square().sum()
    on_easy = fake.grad.mean()
    plain_ratio = 2.0 / 0.5
    assert (on_hard / on_easy).item() == pytest.approx(plain_ratio * 4.0 ** alpha, rel=1e-4)


# --- unpaired batches ------------------------------------------------------------------------------

def test_average_spectrum_needs_no_pairing() -> None:
    gen = torch.Generator().manual_seed(4)
    fake = torch.rand(6, 3, 8, 8, generator=gen) * 2 - 1
    real = torch.rand(6, 3, 8, 8, generator=gen) * 2 - 1
    base = ffl.focal_frequency_loss(fake, real)
    shuffled = ffl.focal_frequency_loss(fake, real[torch.randperm(6, generator=gen)])
    assert shuffled.item() == pytest.approx(base.item(), rel=1e-5)  # the real batch's order cannot matter
    # the DFT is linear: the average spectrum is the spectrum of the batch's mean image
    means = ffl.focal_frequency_loss(fake.mean(0, keepdim=True), real.mean(0, keepdim=True), ave_spectrum=False)
    assert base.item() == pytest.approx(means.item(), rel=1e-5)
    # batches of different sizes compare
    assert torch.isfinite(ffl.focal_frequency_loss(fake, real[:4]))
    # a fake batch whose images cancel has the average spectrum of an all-zero real batch
    pair = torch.cat([fake[:1], -fake[:1]])
    assert ffl.focal_frequency_loss(pair, torch.zeros_like(pair)).item() == pytest.approx(0.0, abs=1e-12)
    assert ffl.focal_frequency_loss(pair, torch.zeros_like(pair), ave_spectrum=False).item() > 0
    with pytest.raises(ValueError, match="pairs"):
        ffl.focal_frequency_loss(fake, real[:4], ave_spectrum=False)


def test_bfloat16_inputs_are_transformed_in_float32() -> None:
    fake = (torch.rand(2, 1, 8, 8) * 2 - 1).to(torch.bfloat16).requires_grad_(True)
    real = (torch.rand(2, 1, 8, 8) * 2 - 1).to(torch.bfloat16)
    loss = ffl.FocalFrequency().generator_penalty(nn.Identity(), real, fake)
    assert loss is not None and loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert fake.grad is not None and fake.grad.dtype == torch.bfloat16


# --- in ganbench ------------------------------------------------------------------------------------

def test_registered_through_the_plugin_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANBENCH_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("GANBENCH_STRICT_PLUGINS", raising=False)
    catalog = plugins.load()
    assert "focal-frequency" in catalog.names("regularizers")
    entry = catalog.get("regularizers", "focal-frequency")
    assert entry.plugin.distribution == "ganbench-focal-frequency"
    assert entry.plugin.version == "0.1.0"
    assert isinstance(entry.spec, RegularizerSpec)
    assert entry.spec.data_kinds == frozenset({"images"})
    assert "ganbench's choice" in entry.spec.summary and len(entry.spec.summary) < 300
    assert "Jiang" in entry.spec.reference and "ICCV" in entry.spec.reference
    reg = entry.spec.factory()
    assert isinstance(reg, Regularizer) and isinstance(reg, ffl.FocalFrequency)
    assert not [p for p in catalog.problems if "focal" in p]

    # It stacks: r1 adds nothing on the G side, so the stack's G term is FFL's.
    stack = catalog.get("regularizers", "r1+focal-frequency")
    gen = torch.Generator().manual_seed(5)
    real, fake = torch.rand(4, 1, 8, 8, generator=gen), torch.rand(4, 1, 8, 8, generator=gen)
    assert isinstance(stack.spec, RegularizerSpec)
    stacked = stack.spec.factory().generator_penalty(nn.Identity(), real, fake)
    assert stacked is not None
    assert stacked.item() == pytest.approx(ffl.focal_frequency_loss(fake, real).item())


def tiny_spec(**changes: object) -> RunSpec:
    """ganbench's tests/test_trainer.py tiny_spec: 8 generator steps of a 28x28 DCGAN at batch 16."""
    spec = RunSpec(suite="test", dataset="fashion-mnist", architecture="dcgan", loss="non-saturating",
                   regularizer="none", seed=0, resolution=28, channels=1, latent_dim=16, generator_steps=8,
                   batch_size=16, d_steps_per_g_step=2, lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.5,
                   beta2=0.999, fid_samples=64, curve_points=4, device="cpu")
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def test_a_short_training_run_logs_the_generator_term(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANBENCH_SYSTEM_DATA", "0")  # the bundled Fashion-MNIST subset, on every machine
    split = load_split("train")
    assert split.source.startswith("bundled:")
    catalog = plugins.load(allow={"focal-frequency"})

    result = train(tiny_spec(regularizer="focal-frequency"), catalog, split.images, CPU)
    assert result.status == "completed" and result.steps_done == 8
    assert result.curve_step == [2, 4, 6, 8]
    assert len(result.curve_g_penalty) == len(result.curve_step)
    assert all(math.isfinite(v) and v > 0 for v in result.curve_g_penalty)

    baseline = train(tiny_spec(), catalog, split.images, CPU)
    assert baseline.curve_g_penalty == []  # the term, and its curve, come from this regularizer alone
