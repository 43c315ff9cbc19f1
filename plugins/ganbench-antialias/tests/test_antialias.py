"""Tests of ganbench-antialias. Run from the ganbench checkout, with the plugin installed:

    python3 -m pip install -e plugins/ganbench-antialias
    python3 -m pytest plugins/ganbench-antialias/tests -q -p no:cacheprovider
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator

import ganbench_antialias as aa
import pytest
import torch
from torch import Tensor, nn

from ganbench import plugins
from ganbench.builtin.architectures import dcgan
from ganbench.data import system
from ganbench.data.fashion_mnist import load_split
from ganbench.runspec import RunSpec
from ganbench.specs import ArchitectureSpec
from ganbench.training.trainer import train

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As ganbench's own suite: no system datasets, no plugin allowlist or strictness from the shell."""
    monkeypatch.setenv(system.SWITCH, "0")
    monkeypatch.delenv("GANBENCH_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("GANBENCH_STRICT_PLUGINS", raising=False)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def plain_subsample(x: Tensor) -> Tensor:
    return x[:, :, ::2, ::2]


def copy_weights(source: nn.Module, target: nn.Module) -> None:
    """Parameters and batch-norm statistics in module order (the filters are buffers of their own)."""
    src = [t for t in source.state_dict().values()]
    dst = [(k, t) for k, t in target.state_dict().items() if not k.endswith("kernel")]
    assert [t.shape for t in src] == [t.shape for _, t in dst]
    target.load_state_dict({**target.state_dict(), **{k: s.clone() for (k, _), s in zip(dst, src, strict=True)}})


def centre_of_mass(weights: Tensor) -> float:
    positions = torch.arange(weights.numel(), dtype=weights.dtype)
    weights = weights.detach()
    return float((weights * positions).sum() / weights.sum())


# --- the filters ---------------------------------------------------------------------------------

def test_kernels_are_normalised_binomials() -> None:
    down = aa.BlurPool(3).kernel
    assert down.shape == (3, 1, 3, 3)
    assert torch.allclose(down.sum((1, 2, 3)), torch.ones(3))  # DC gain 1
    assert torch.allclose(down[0, 0], torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
    up = aa.AntialiasedUp(4, 2).blur.kernel
    assert torch.allclose(up.sum((1, 2, 3)), torch.full((2,), 4.0))  # gain up**2 = 4 after zero insertion
    wide = aa.binomial_kernel((1, 3, 3, 1), gain=4)
    assert torch.allclose(wide, torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 16)
    with pytest.raises(ValueError):
        aa.binomial_kernel((1, -2, 1))


def test_filters_are_fixed_buffers_not_parameters() -> None:
    gen, disc = aa.build((1, 28, 28), 16)
    for net in (gen, disc):
        names = {name for name, _ in net.named_parameters()}
        assert not any(name.endswith("kernel") for name in names)
        assert sum(name.endswith("kernel") for name, _ in net.named_buffers()) == 2


def test_constant_image_stays_constant_through_the_downsampler() -> None:
    x = torch.full((2, 3, 14, 14), 0.7)
    assert torch.allclose(aa.BlurPool(3)(x), torch.full((2, 3, 7, 7), 0.7))  # reflect padding: even the border
    odd = torch.full((1, 2, 13, 13), -1.5)  # the stride-1 conv's (H-1)-wide map, as in D
    assert torch.allclose(aa.BlurPool(2)(odd), torch.full((1, 2, 7, 7), -1.5))


def test_constant_image_stays_constant_through_the_upsampler() -> None:
    # A transposed conv whose kernel is a unit impulse is zero insertion: the layer is then
    # zero insertion + the FIR filter at gain 4, which must give the constant back in the interior.
    up = aa.AntialiasedUp(2, 2)
    with torch.no_grad():
        up.conv.weight.zero_()
        for c in range(2):
            up.conv.weight[c, c, 1, 1] = 1.0
    out = up(torch.full((1, 2, 7, 7), 0.3))
    assert out.shape == (1, 2, 14, 14)
    assert torch.allclose(out[:, :, 1:-1, 1:-1], torch.full((1, 2, 12, 12), 0.3))
    assert torch.allclose(out[:, :, -1, 1:-1], torch.full((1, 2, 12), 0.15))  # only half the taps at the border


def test_upsampling_has_no_checkerboard_for_any_weights() -> None:
    # Odena et al.'s checkerboard: a transposed conv with stride 2 turns a constant into a period-2
    # pattern (uneven kernel overlap). The low-pass filter has a zero at Nyquist and removes it.
    plain = nn.ConvTranspose2d(8, 8, 4, 2, 1, bias=False)
    smooth = aa.AntialiasedUp(8, 8)
    nn.init.normal_(plain.weight)
    with torch.no_grad():
        smooth.conv.weight.copy_(plain.weight)
    x = torch.ones(1, 8, 7, 7)
    plain_out, smooth_out = plain(x)[:, :, 2:-2, 2:-2], smooth(x)[:, :, 2:-2, 2:-2]
    assert plain_out.std((2, 3)).mean() > 0.5
    assert smooth_out.std((2, 3)).max() < 1e-4


# --- shift invariance and aliasing ---------------------------------------------------------------

def half_pixel_shift_error(down: Callable[[Tensor], Tensor], x: Tensor) -> float:
    """Relative distance between down(x shifted 1 px right) and down(x) shifted half a px right (the
    mean of down(x) and down(x) shifted one px), over interior columns."""
    d, s = down(x), down(torch.roll(x, 1, dims=-1))
    expected = (d + torch.roll(d, 1, dims=-1)) / 2
    inner = slice(2, -2)
    err = s[..., inner] - expected[..., inner]
    return float(err.norm() / s[..., inner].norm())


def test_downsampling_is_more_shift_invariant_than_plain_subsampling() -> None:
    x = torch.randn(4, 3, 32, 32)
    plain = half_pixel_shift_error(plain_subsample, x)
    blurred = half_pixel_shift_error(aa.BlurPool(3), x)
    assert plain > 1.0  # white noise: plain subsampling sees an unrelated set of pixels
    assert blurred < 0.5 * plain  # white noise, [1, 2, 1]: 0.50 against 1.22 (1-D analysis: 1/2 and sqrt(3/2))
    # Fashion-MNIST images too (less high frequency, still a clear gain)
    images = load_split("train").images[:16].float() / 127.5 - 1
    assert half_pixel_shift_error(aa.BlurPool(1), images) < 0.6 * half_pixel_shift_error(plain_subsample, images)
    # A whole-pixel shift at half resolution (2 px) is exact for both, away from the border
    for down in (plain_subsample, aa.BlurPool(3)):
        assert torch.allclose(down(torch.roll(x, 2, dims=-1))[..., 2:-2],
                              torch.roll(down(x), 1, dims=-1)[..., 2:-2], atol=1e-6)


def test_nyquist_checkerboard_is_removed_by_blurpool_not_by_plain_subsampling() -> None:
    i = torch.arange(28)
    board = ((-1.0) ** (i[:, None] + i[None, :]))[None, None].repeat(2, 3, 1, 1)
    assert torch.allclose(plain_subsample(board), torch.ones(2, 3, 14, 14))  # aliased to a constant
    assert aa.BlurPool(3)(board).abs().max() < 1e-6
    assert aa.BlurPool(3)(board[:, :, 1:, 1:]).abs().max() < 1e-6  # odd side, as after D's stride-1 conv
    for taps in ((1, 3, 3, 1), (1, 4, 6, 4, 1)):
        assert aa.BlurPool(3, taps)(board).abs().max() < 1e-6


# --- the networks --------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_output_shapes(size: int, channels: int) -> None:
    gen, disc = aa.build((channels, size, size), 16)
    images = gen(torch.randn(5, 16))
    assert images.shape == (5, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert disc(images).shape == (5,)
    assert isinstance(disc, aa.AntialiasedDiscriminator)
    features = disc.features(images)
    assert features.ndim == 2 and features.shape[0] == 5
    assert isinstance(disc.head, nn.Linear)
    assert torch.allclose(disc.head(features).squeeze(1), disc(images))
    assert any(isinstance(m, nn.BatchNorm2d) for m in gen.modules())


def test_parameter_counts_and_shapes_equal_dcgan() -> None:
    for shape in ((1, 28, 28), (3, 32, 32), (3, 64, 64)):
        mine, theirs = aa.build(shape, 100), dcgan.build(shape, 100)
        for a, b in zip(mine, theirs, strict=True):
            assert [p.shape for p in a.parameters()] == [p.shape for p in b.parameters()], shape
            assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())


def test_init_is_radford() -> None:
    gen, disc = aa.build((1, 28, 28), 16)
    for module in [*gen.modules(), *disc.modules()]:
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            assert abs(float(module.weight.detach().std()) - 0.02) < 0.005
            assert module.bias is None or not module.bias.any()


def test_one_tap_filters_give_dcgan_exactly() -> None:
    """With the identity filter (and gain 1) the layers are dcgan's: the filter is the only change."""
    for shape in ((1, 28, 28), (3, 32, 32)):
        width = dcgan.default_width(shape)
        ref_g, ref_d = dcgan.DcganGenerator(shape, 16, width), dcgan.DcganDiscriminator(shape, width)
        gen, disc = aa.AntialiasedGenerator(shape, 16, width, taps=(1,), gain=1.0), \
            aa.AntialiasedDiscriminator(shape, width, taps=(1,))
        copy_weights(ref_g, gen)
        copy_weights(ref_d, disc)
        z, x = torch.randn(6, 16), torch.rand(6, *shape) * 2 - 1
        assert torch.allclose(gen(z), ref_g(z), atol=1e-6)
        assert torch.allclose(disc(x), ref_d(x), atol=1e-6)
        assert torch.allclose(disc.features(x), ref_d.features(x), atol=1e-6)


def test_sampling_grid_is_dcgans() -> None:
    """With a symmetric kernel, output j of D's layer is centred on input 2j + 1/2, and input i of G's
    layer on output 2i + 1/2, as with dcgan's strided convs."""
    conv = nn.Conv2d(1, 1, 4, 1, 1, bias=False)
    nn.init.ones_(conv.weight)
    x = torch.zeros(1, 1, 16, 16, requires_grad=True)
    out = aa.BlurPool(1)(conv(x))
    out[0, 0, 4, 3].backward()
    assert x.grad is not None
    assert centre_of_mass(x.grad[0, 0].sum(1)) == pytest.approx(2 * 4 + 0.5)
    assert centre_of_mass(x.grad[0, 0].sum(0)) == pytest.approx(2 * 3 + 0.5)

    up = aa.AntialiasedUp(1, 1)
    nn.init.ones_(up.conv.weight)
    impulse = torch.zeros(1, 1, 8, 8)
    impulse[0, 0, 3, 4] = 1
    response = up(impulse)[0, 0]
    assert centre_of_mass(response.sum(1)) == pytest.approx(2 * 3 + 0.5)
    assert centre_of_mass(response.sum(0)) == pytest.approx(2 * 4 + 0.5)


def test_other_filters_keep_the_shapes() -> None:
    for taps in ((1, 1), (1, 3, 3, 1), (1, 4, 6, 4, 1)):
        gen = aa.AntialiasedGenerator((1, 32, 32), 8, 8, taps=taps)
        disc = aa.AntialiasedDiscriminator((1, 32, 32), 8, taps=taps)
        images = gen(torch.randn(2, 8))
        assert images.shape == (2, 1, 32, 32) and disc(images).shape == (2,)


def test_gradient_penalty_double_backward_is_finite() -> None:
    _, disc = aa.build((1, 28, 28), 16)
    x = torch.randn(4, 1, 28, 28, requires_grad=True)
    (grad,) = torch.autograd.grad(disc(x).sum(), x, create_graph=True)
    grad.pow(2).sum().backward()  # R1 / WGAN-GP go through reflect padding and the depthwise blur twice
    convs = [m for m in disc.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.weight.grad is not None and m.weight.grad.abs().sum() > 0 for m in convs)
    assert all(torch.isfinite(p.grad).all() for p in disc.parameters() if p.grad is not None)


# --- through ganbench ----------------------------------------------------------------------------

def test_registered_through_the_loader() -> None:
    catalog = plugins.load(allow={"antialias"}, strict=True)
    assert "dcgan-antialias" in catalog.names("architectures")
    registered = catalog.get("architectures", "dcgan-antialias")
    assert registered.plugin.distribution == "ganbench-antialias"
    spec, ref = registered.spec, catalog.spec("architectures", "dcgan")
    assert isinstance(spec, ArchitectureSpec) and isinstance(ref, ArchitectureSpec)
    assert spec.provides == ref.provides and spec.traits == ref.traits and spec.resolutions == ref.resolutions
    assert len(spec.summary) < 300
    gen, disc = spec.build((1, 28, 28), 100)
    assert isinstance(gen, aa.AntialiasedGenerator) and isinstance(disc, aa.AntialiasedDiscriminator)


def test_short_training_run_finishes_with_finite_losses() -> None:
    catalog = plugins.load(allow={"antialias"}, strict=True)
    spec = RunSpec(suite="test", dataset="fashion-mnist", architecture="dcgan-antialias", loss="non-saturating",
                   regularizer="none", seed=0, resolution=28, channels=1, latent_dim=16, generator_steps=8,
                   batch_size=16, d_steps_per_g_step=2, lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.5,
                   beta2=0.999, fid_samples=64, curve_points=4, device="cpu")
    real = load_split("train").images
    result = train(spec, catalog, real, CPU)
    assert result.status == "completed" and result.steps_done == 8
    assert result.curve_step == [2, 4, 6, 8]
    assert all(math.isfinite(v) for v in result.curve_d_loss + result.curve_g_loss)
    r1 = train(dataclasses.replace(spec, regularizer="r1", generator_steps=4, curve_points=1), catalog, real, CPU)
    assert r1.status == "completed" and all(math.isfinite(v) for v in r1.curve_d_loss + r1.curve_g_loss)
