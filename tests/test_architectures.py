from __future__ import annotations

import math

import pytest
import torch

from ganbench.plugins import Catalog

SHAPES = [(c, s) for c in (1, 3) for s in (28, 32, 64)]


@pytest.mark.parametrize("channels, size", SHAPES)
def test_every_architecture_builds_at_each_size(builtin_catalog: Catalog, channels: int, size: int) -> None:
    torch.manual_seed(0)
    for name in builtin_catalog.names("architectures"):
        spec = builtin_catalog.spec("architectures", name)
        if size not in spec.resolutions:
            continue
        gen, disc = spec.build((channels, size, size), 16)
        images = gen(torch.randn(3, 16))
        assert images.shape == (3, channels, size, size), name
        assert images.min() >= -1 and images.max() <= 1, name
        assert disc(images).shape == (3,), name
        assert disc.features(images).shape[0] == 3, name


def test_unsupported_size_is_a_clear_error(builtin_catalog: Catalog) -> None:
    with pytest.raises(ValueError, match=r"supported image sides are \[28, 32, 64\], not 48"):
        builtin_catalog.spec("architectures", "dcgan").build((1, 48, 48), 16)


@pytest.mark.parametrize("name", ["dcgan", "dcgan-resize", "dcgan-no-bn"])
def test_dcgan_initialisation_follows_radford(builtin_catalog: Catalog, name: str) -> None:
    """Radford et al. 2016: conv/linear weights N(0, 0.02), batch-norm scales N(1, 0.02), biases 0."""
    torch.manual_seed(0)
    for net in builtin_catalog.spec("architectures", name).build((3, 32, 32), 100):
        for module in net.modules():
            if isinstance(module, torch.nn.Conv2d | torch.nn.ConvTranspose2d | torch.nn.Linear):
                assert module.weight.mean().abs() < 0.005 and abs(module.weight.std().item() - 0.02) < 0.003, module
            if isinstance(module, torch.nn.BatchNorm2d):
                assert (module.weight - 1).abs().mean() < 0.03 and module.weight.std() < 0.03, module
            bias = getattr(module, "bias", None)
            if isinstance(module, torch.nn.Conv2d | torch.nn.ConvTranspose2d | torch.nn.Linear | torch.nn.BatchNorm2d) \
                    and bias is not None:
                assert torch.all(bias == 0), module


@pytest.mark.parametrize("size, up_blocks, side", [(32, 3, 8), (28, 2, 7)])
def test_resnet_is_the_sngan_cifar_resnet(builtin_catalog: Catalog, size: int, up_blocks: int, side: int) -> None:
    """Miyato et al. 2018, appendix B (sngan_projection resnet_32): G = linear to 4x4 (28 px: 7x7),
    up-blocks with learnable 1x1 shortcuts, BN-ReLU-conv3x3-tanh; D = an optimized down-block, a
    down-block, two plain blocks with identity shortcuts, ReLU, global sum pooling, linear."""
    from ganbench.builtin.architectures import resnet

    gen, disc = builtin_catalog.spec("architectures", "resnet").build((3, size, size), 16)
    assert isinstance(gen, resnet.ResnetGenerator) and isinstance(disc, resnet.ResnetDiscriminator)
    assert [type(b) for b in gen.blocks] == [resnet.UpBlock] * up_blocks
    assert all(isinstance(b.shortcut, torch.nn.Conv2d) and b.shortcut.kernel_size == (1, 1) for b in gen.blocks)
    assert [type(b) for b in disc.blocks] == [resnet.OptimizedBlock] + [resnet.DownBlock] * 3
    assert [b.down for b in disc.blocks[1:]] == [True, False, False]
    assert isinstance(disc.blocks[1].shortcut, torch.nn.Conv2d)
    for plain in disc.blocks[2:]:
        assert isinstance(plain.shortcut, torch.nn.Identity)
    x = torch.rand(2, 3, size, size) * 2 - 1
    assert disc.blocks(x).shape[-1] == side
    assert disc.features(x).shape == (2, disc.head.in_features)


def test_stylegan_lite_has_equalized_learning_rate() -> None:
    """Karras et al. 2018/2019: weights stored as N(0, 1) and scaled at runtime by the He constant
    1/sqrt(fan_in); the mapping network's layers carry a 0.01 learning-rate multiplier (stored
    N(0, 1/0.01^2), scaled by 0.01/sqrt(fan_in)), so Adam moves them 100x slower."""
    from ganbench.builtin.architectures import stylegan

    torch.manual_seed(0)
    gen, _ = stylegan.build((3, 32, 32), 100)
    mapping = [m for m in gen.mapping.modules() if isinstance(m, stylegan.EqualLinear)]
    assert len(mapping) == 4
    for layer in mapping:
        fan_in = layer.weight.shape[1]
        assert layer.lr_mul == 0.01 and layer.weight_gain == pytest.approx(0.01 / math.sqrt(fan_in))
        assert layer.weight.std().item() == pytest.approx(100.0, rel=0.05)
        assert layer.effective_weight().std().item() == pytest.approx(1 / math.sqrt(fan_in), rel=0.05)
    convs = [m for m in gen.modules() if isinstance(m, stylegan.ModulatedConv)]
    assert len(convs) == 1 + 2 * 3 + 1  # first layer, two per up-block, to-RGB
    for conv in convs:
        fan_in = conv.weight[0].numel()
        assert conv.weight_gain == pytest.approx(1 / math.sqrt(fan_in))
        assert conv.weight.std().item() == pytest.approx(1.0, rel=0.15)
        assert conv.affine.lr_mul == 1.0 and conv.affine.weight.std().item() == pytest.approx(1.0, rel=0.1)


def test_dcgan_no_bn_differs_from_dcgan_only_by_the_generators_batch_norm(builtin_catalog: Catalog) -> None:
    torch.manual_seed(0)
    plain_g, plain_d = builtin_catalog.spec("architectures", "dcgan").build((1, 28, 28), 16)
    torch.manual_seed(0)
    g, d = builtin_catalog.spec("architectures", "dcgan-no-bn").build((1, 28, 28), 16)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in [*g.modules(), *d.modules()])
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in plain_g.modules()) == 2
    # Every hidden layer that lost its batch norm got a bias instead; the output layer is unchanged.
    layers = (torch.nn.Linear, torch.nn.ConvTranspose2d)
    biased = [m for m in g.modules() if isinstance(m, layers) and m.bias is not None]
    assert len(biased) == 2
    assert str(plain_d) == str(d)
    # In eval mode without batch norm, each sample is its own: G(z)[0] does not depend on the batch.
    g.eval()
    z = torch.randn(4, 16)
    assert torch.allclose(g(z)[:1], g(z[:1]), atol=1e-6)
    assert g(z).shape == (4, 1, 28, 28)


@pytest.mark.parametrize(("out_channels", "channels_last", "bias"),
                         [(1, False, False), (1, True, False), (1, True, True), (3, True, False)])
def test_dcgan_transposed_conv_is_pytorchs_to_float_rounding(out_channels: int, channels_last: bool,
                                                             bias: bool) -> None:
    """The matrix-product path (one output channel, on a CPU) gives nn.ConvTranspose2d's outputs and
    gradients to float rounding; other shapes are PyTorch's own kernel, to the bit."""
    from ganbench.builtin.architectures.dcgan import TransposedConv

    torch.manual_seed(0)
    ours = TransposedConv(32, out_channels, 4, 2, 1, bias=bias)
    if bias:
        torch.nn.init.normal_(ours.bias)
    theirs = torch.nn.ConvTranspose2d(32, out_channels, 4, 2, 1, bias=bias)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(8, 32, 14, 14)
    if channels_last:
        ours, theirs = ours.to(memory_format=torch.channels_last), theirs.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    x_ours, x_theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    assert out_ours.shape == out_theirs.shape == (8, out_channels, 28, 28)
    weight = torch.randn_like(out_theirs)
    (out_ours * weight).sum().backward()
    (out_theirs * weight).sum().backward()
    pairs = [(out_ours, out_theirs), (x_ours.grad, x_theirs.grad), (ours.weight.grad, theirs.weight.grad)]
    for a, b in pairs:
        assert a is not None and b is not None
        if out_channels == 1:
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-5 * float(b.detach().abs().max()))
        else:
            assert torch.equal(a, b)
    assert torch.equal(out_ours, out_theirs) == (out_channels != 1)  # the product path really ran
