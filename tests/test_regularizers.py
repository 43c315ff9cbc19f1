"""Closed-form checks of each regularizer."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from ganbench.builtin.architectures.dcgan import DcganDiscriminator, DcganGenerator
from ganbench.builtin.regularizers import (
    BalancedConsistency,
    DiscriminatorBatchNorm,
    DiscriminatorDropout,
    GeneratorEMA,
    GradientPenalty,
    InstanceNoise,
    LeCam,
    R1Penalty,
    SpectralNorm,
    diff_augment,
)
from ganbench.plugins import Catalog
from ganbench.specs import incompatibility


class LinearD(nn.Module):
    """D(x) = <a, x> + b: its input gradient is a everywhere."""

    def __init__(self, a: torch.Tensor) -> None:
        super().__init__()
        self.a = nn.Parameter(a.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) * self.a).sum(1) + 0.5


def test_gradient_penalty_of_a_linear_discriminator_is_analytic() -> None:
    torch.manual_seed(0)
    a = torch.tensor([3.0, 4.0, 0.0, 0.0])  # ||a|| = 5 -> penalty 10 * (5 - 1)^2 = 160
    d = LinearD(a)
    real, fake = torch.randn(16, 1, 2, 2), torch.randn(16, 1, 2, 2)
    penalty = GradientPenalty().discriminator_penalty(d, real, fake, d(real), d(fake))
    assert float(penalty.detach()) == pytest.approx(160.0, rel=1e-5)
    penalty.backward()  # trainable through the gradient norm: d/da of 10 (||a|| - 1)^2 = 20 * 4 * a / 5
    assert torch.allclose(d.a.grad, 16.0 * a, rtol=1e-5)


def test_r1_on_a_known_function() -> None:
    class Quadratic(nn.Module):  # D(x) = sum x^2: grad = 2x, ||grad||^2 = 4 ||x||^2
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1).square().sum(1)

    real = torch.tensor([[1.0, 2.0], [0.0, 3.0]]).view(2, 1, 1, 2)
    d = Quadratic()
    penalty = R1Penalty(gamma=10.0).discriminator_penalty(d, real, real, d(real), d(real))
    # gamma/2 * mean(4 * [5, 9]) = 5 * 28 = 140
    assert float(penalty.detach()) == pytest.approx(140.0)


def test_spectral_norm_bounds_each_layer() -> None:
    torch.manual_seed(0)
    _, d = nn.Identity(), DcganDiscriminator((1, 28, 28), width=16)
    with torch.no_grad():
        for p in d.parameters():
            p.mul_(5)
    SpectralNorm().wrap(nn.Identity(), d)
    d.train()
    x = torch.randn(8, 1, 28, 28)
    for _ in range(30):  # power iterations run on each forward in training mode
        d(x)
    d.eval()
    for module in d.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            sigma = torch.linalg.matrix_norm(module.weight.flatten(1), ord=2)
            assert float(sigma.detach()) == pytest.approx(1.0, abs=1e-2)


def test_ema_arithmetic() -> None:
    g = nn.Linear(1, 1, bias=False)
    ema = GeneratorEMA(beta=0.9)
    with torch.no_grad():
        g.weight.fill_(1.0)
    ema.after_generator_step(g)  # initialised to a copy
    with torch.no_grad():
        g.weight.fill_(2.0)
    ema.after_generator_step(g)
    with torch.no_grad():
        g.weight.fill_(4.0)
    ema.after_generator_step(g)
    averaged = ema.eval_generator(g)
    assert averaged is not g
    # Warm-up: b_2 = min(0.9, 3/12) = 0.25 -> 0.25 * 1 + 0.75 * 2 = 1.75;
    # b_3 = min(0.9, 4/13) -> 4/13 * 1.75 + 9/13 * 4.
    assert float(averaged.weight) == pytest.approx(4 / 13 * 1.75 + 9 / 13 * 4)
    assert float(g.weight.detach()) == 4.0
    # Past the warm-up the decay is beta itself.
    ema.updates = 1000
    assert ema.decay() == 0.9


def batchnorm_input_stats(generator: nn.Module, z: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per-channel mean and variance of what each batch-norm layer receives, in training mode."""
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        x = inputs[0].transpose(0, 1).flatten(1)
        seen.append((x.mean(1), x.var(1)))

    norms = [m for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
    handles = [m.register_forward_pre_hook(record) for m in norms]
    generator.train()
    with torch.no_grad():
        generator(z)
    for handle in handles:
        handle.remove()
    return seen


def test_ema_recomputes_standing_batchnorm_statistics_for_the_averaged_weights() -> None:
    """BigGAN's standing statistics: the averaged G's BN buffers describe its own activations."""
    torch.manual_seed(0)
    g = DcganGenerator((1, 28, 28), 16, width=8)
    ema = GeneratorEMA(beta=0.5)
    ema.after_generator_step(g)
    with torch.no_grad():  # the live G moves on, and its running statistics are far from the average's
        for p in g.parameters():
            p.add_(torch.randn_like(p))
        for m in g.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.fill_(5.0)
                m.running_var.fill_(9.0)
    ema.after_generator_step(g)
    before = torch.get_rng_state()
    ema.prepare_eval(g, latent_dim=16, batch_size=64, device=torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), before)  # a private generator: training streams untouched
    averaged = ema.eval_generator(g)
    assert not averaged.training
    norms = [m for m in averaged.modules() if isinstance(m, nn.BatchNorm2d)]
    expected = batchnorm_input_stats(copy.deepcopy(averaged), torch.randn(4096, 16))
    for norm, (mean, var) in zip(norms, expected, strict=True):
        assert torch.allclose(norm.running_mean, mean, atol=0.05 * float(var.sqrt().mean()))
        assert torch.allclose(norm.running_var, var, rtol=0.15)
        assert norm.momentum == 0.1  # the cumulative average is only used while standing stats accumulate
    # Computed again from the same fixed latents, the statistics are identical.
    snapshot = {k: v.clone() for k, v in averaged.state_dict().items()}
    ema.prepare_eval(g, latent_dim=16, batch_size=64, device=torch.device("cpu"))
    assert all(torch.equal(v, averaged.state_dict()[k]) for k, v in snapshot.items())


def test_diffaugment_keeps_shapes_and_gradients() -> None:
    torch.manual_seed(0)
    for shape in ((4, 1, 28, 28), (3, 3, 32, 32)):
        x = torch.rand(shape, requires_grad=True)
        y = diff_augment(x)
        assert y.shape == x.shape and torch.isfinite(y).all()
        assert not torch.equal(y, x)
        y.sum().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0
        # Cutout zeroes a quarter of each image (half the side squared), give or take the border.
        zero = (y.detach() == 0).flatten(1).float().mean(1)
        assert (zero > 0.1).all()


def test_instance_noise_anneals_to_zero() -> None:
    torch.manual_seed(0)
    reg = InstanceNoise(sigma=0.1)
    x = torch.zeros(1000, 1, 4, 4)
    reg.set_progress(1, 11)
    assert float(reg.augment(x).std()) == pytest.approx(0.1, rel=0.05)
    reg.set_progress(6, 11)
    assert reg.sigma == pytest.approx(0.05)
    reg.set_progress(11, 11)
    assert reg.sigma == 0.0 and torch.equal(reg.augment(x), x)


def test_dropout_only_in_training_mode() -> None:
    torch.manual_seed(0)
    d = DcganDiscriminator((1, 28, 28), width=8)
    DiscriminatorDropout(p=0.5).wrap(nn.Identity(), d)
    x = torch.randn(4, 1, 28, 28)
    d.train()
    assert not torch.equal(d(x), d(x))
    d.eval()
    assert torch.equal(d(x), d(x))


def test_consistency_is_zero_when_the_transform_changes_nothing() -> None:
    """A constant image is its own flip and reflected shift, so D(T(x)) = D(x): no penalty."""
    class Mean(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1).mean(1)

    torch.manual_seed(0)
    d = Mean()
    real, fake = torch.randn(4, 1, 1, 1).expand(4, 1, 8, 8), torch.randn(4, 1, 1, 1).expand(4, 1, 8, 8)
    assert float(BalancedConsistency().discriminator_penalty(d, real, fake, d(real), d(fake))) == \
        pytest.approx(0.0, abs=1e-6)
    ramp = torch.arange(64.0).view(1, 1, 8, 8).expand(4, 1, 8, 8)
    assert float(BalancedConsistency().discriminator_penalty(d, ramp, ramp, d(ramp), d(ramp))) > 0


def test_consistency_transforms_each_sample_on_its_own() -> None:
    """bCR's T is drawn per sample: one batch of identical images comes out in different versions."""
    torch.manual_seed(0)
    image = torch.arange(28 * 28, dtype=torch.float32).view(1, 1, 28, 28)
    out = BalancedConsistency.transform(image.expand(16, 1, 28, 28).clone())
    assert len({tuple(o.flatten().tolist()) for o in out}) > 8


def test_consistency_translation_reflects_at_the_border() -> None:
    """Shifts of up to 28 // 8 = 3 px, with the border reflected: a row shifted in comes from the
    same edge (rows 0-3 at the top), never wrapped around from the opposite one."""
    torch.manual_seed(0)
    rows = torch.arange(28, dtype=torch.float32).view(1, 1, 28, 1).expand(256, 1, 28, 28).clone()
    out = BalancedConsistency.transform(rows)
    top, bottom = out[:, 0, 0, :], out[:, 0, -1, :]
    assert top.max() <= 3 and bottom.min() >= 24
    assert set(top[:, 0].tolist()) == {0.0, 1.0, 2.0, 3.0}  # every shift in [-3, 3] occurs
    # Reflection without repeating the edge: shifting down by 2 puts rows 2, 1, 0, 1 at the top.
    down2 = out[(out[:, 0, 0, 0] == 2) & (out[:, 0, 1, 0] == 1)][0, 0, :4, 0]
    assert down2.tolist() == [2.0, 1.0, 0.0, 1.0]


def test_consistency_flips_horizontally_about_half_the_time() -> None:
    torch.manual_seed(0)
    cols = torch.arange(28, dtype=torch.float32).view(1, 1, 1, 28).expand(400, 1, 28, 28).clone()
    out = BalancedConsistency.transform(cols)
    flipped = (out[:, 0, 14, 14] < out[:, 0, 14, 13]).float().mean()  # columns now run right to left
    assert 0.4 < float(flipped) < 0.6


def test_lecam_is_one_sided_with_anchors_that_start_late() -> None:
    """The official code: before the start step the anchors are the current means (no averaging)
    and there is no penalty; at the start step the moving average begins; after it, the one-sided
    penalty lambda (E[relu(D(x) - a_F)^2] + E[relu(a_R - D(G(z)))^2]) applies."""
    reg = LeCam(weight=1.0, decay=0.5, start=1)
    d = nn.Identity()

    def step(n: int, real: list[float], fake: list[float]) -> torch.Tensor | None:
        reg.set_progress(n, 100)
        r, f = torch.tensor(real), torch.tensor(fake)
        return reg.discriminator_penalty(d, r, f, r, f)

    assert step(1, [1.0, 3.0], [-1.0, -3.0]) is None  # iteration 0 < start: anchors = means (2, -2)
    assert (reg.anchor_real, reg.anchor_fake) == (2.0, -2.0)
    assert step(2, [8.0], [4.0]) is None  # iteration 1 = start: averaging begins, still no penalty
    assert (reg.anchor_real, reg.anchor_fake) == (5.0, 1.0)
    assert step(2, [-2.0], [0.0]) is None  # every D step updates the anchors
    assert (reg.anchor_real, reg.anchor_fake) == (1.5, 0.5)
    # Iteration 2: anchors (1.5 + 0) / 2 = 0.75 and (0.5 + 1) / 2 = 0.75, then the penalty. The real
    # logit -2 lies below the fake anchor and the fake logit 3 above the real one: both contribute 0.
    value = step(3, [-2.0, 0.0, 2.0], [3.0, 1.0, -1.0])
    assert (reg.anchor_real, reg.anchor_fake) == (0.75, 0.75)
    assert value is not None
    assert float(value) == pytest.approx((1.25**2) / 3 + (0.0 + 1.75**2) / 3)


def test_lecam_start_step_is_the_official_1000_or_a_tenth_of_a_short_run() -> None:
    reg = LeCam()
    assert (reg.weight, reg.decay) == (0.3, 0.9)
    reg.set_progress(1, 15_600)
    assert reg.start_step == 1000
    reg.set_progress(1, 160)
    assert reg.start_step == 16
    assert LeCam(start=5).start_step == 5


def test_dropout_changes_every_compatible_architecture(builtin_catalog: Catalog) -> None:
    """Dropout hooks activation modules; an architecture that applied its activations functionally
    would make it a silent no-op. Same weights, same input: D's train-mode output must change."""
    dropout = builtin_catalog.spec("regularizers", "dropout")
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    checked = []
    for name in builtin_catalog.names("architectures"):
        arch = builtin_catalog.spec("architectures", name)
        if incompatibility(arch, dropout) is not None:
            continue
        torch.manual_seed(0)
        _, plain = arch.build((3, 32, 32), 16)
        wrapped = copy.deepcopy(plain)
        dropout.factory().wrap(nn.Identity(), wrapped)
        plain.train(), wrapped.train()
        torch.manual_seed(1)
        expected = plain(x)
        torch.manual_seed(1)  # the same batch-norm/noise state on both sides; only dropout differs
        assert not torch.allclose(wrapped(x), expected), name
        checked.append(name)
    assert "resnet" in checked and "stylegan-lite" in checked


def test_batch_norm_follows_every_discriminator_conv_but_the_input_layer(builtin_catalog: Catalog) -> None:
    torch.manual_seed(0)
    _, d = builtin_catalog.spec("architectures", "dcgan").build((1, 28, 28), 16)
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    d.train()
    before = d(x)
    _, wrapped = DiscriminatorBatchNorm().wrap(nn.Identity(), d)
    layers = [m for m in wrapped.modules() if isinstance(m, nn.Conv2d | nn.BatchNorm2d)]
    # dcgan's D at 28 px has two convs: the input conv stays bare, the second is normalised.
    assert [type(m).__name__ for m in layers] == ["Conv2d", "Conv2d", "BatchNorm2d"]
    assert (layers[2].weight - 1).abs().max() < 0.1 and torch.all(layers[2].bias == 0)
    wrapped.train()
    after = wrapped(x)
    assert not torch.allclose(before, after)
    # Train mode: a sample's logit depends on the rest of its batch; that is why per-sample
    # penalties are refused.
    assert not torch.allclose(wrapped(x)[:4], wrapped(x[:4]))


def test_batch_norm_leaves_the_ac_gan_class_head_bare(builtin_catalog: Catalog) -> None:
    """AC-GAN's class logits are an output of D, like its real/fake logit: no BatchNorm after them."""
    from ganbench.builtin.conditionings import build_acgan

    _, d = build_acgan(builtin_catalog.spec("architectures", "dcgan"), (1, 28, 28), 16, 10)
    _, wrapped = DiscriminatorBatchNorm().wrap(nn.Identity(), d)
    assert type(wrapped.classifier) is nn.Linear and wrapped.classifier.out_features == 10
    assert not any(isinstance(m, nn.BatchNorm1d) for m in wrapped.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in wrapped.modules()) == 1  # the hidden conv's, as before


def test_batch_norm_trait_skips_per_sample_penalties(builtin_catalog: Catalog) -> None:
    dcgan = builtin_catalog.spec("architectures", "dcgan")
    batch_norm = builtin_catalog.spec("regularizers", "batch-norm")
    loss = builtin_catalog.spec("losses", "non-saturating")
    assert incompatibility(dcgan, loss, batch_norm) is None
    for penalty in ("gradient-penalty", "r1"):
        reason = incompatibility(dcgan, loss, batch_norm, builtin_catalog.spec("regularizers", penalty))
        assert reason is not None and reason.startswith(f"{penalty} is incompatible with batch-norm "
                                                        "(batchnorm-discriminator): the penalty is defined per sample")


def test_batch_norm_leaves_every_layer_that_reads_the_image_bare(builtin_catalog: Catalog) -> None:
    """An MLP D gets BatchNorm1d after its hidden layers; a ResNet D's 1x1 shortcut from the pooled
    image is an input layer too (Radford et al.: no batch norm on D's input layer)."""
    _, mlp = builtin_catalog.spec("architectures", "mlp").build((1, 28, 28), 16)
    DiscriminatorBatchNorm().wrap(nn.Identity(), mlp)
    assert [m.num_features for m in mlp.modules() if isinstance(m, nn.BatchNorm1d)] == [256]
    _, resnet = builtin_catalog.spec("architectures", "resnet").build((1, 28, 28), 16)
    DiscriminatorBatchNorm().wrap(nn.Identity(), resnet)
    first = resnet.blocks[0]
    assert isinstance(first.conv1, nn.Conv2d) and isinstance(first.shortcut, nn.Conv2d)  # both read the image
    assert isinstance(first.conv2, nn.Sequential) and isinstance(first.conv2[1], nn.BatchNorm2d)
    assert isinstance(resnet.head, nn.Linear)
    resnet.train()
    assert resnet(torch.rand(4, 1, 28, 28)).shape == (4,)


def test_spectral_norm_also_normalises_a_projection_embedding(builtin_catalog: Catalog) -> None:
    from ganbench.builtin.conditionings import build_projection

    _, d = build_projection(builtin_catalog.spec("architectures", "dcgan"), (1, 28, 28), 16, 10)
    SpectralNorm().wrap(nn.Identity(), d)
    assert nn.utils.parametrize.is_parametrized(d.embed, "weight")
