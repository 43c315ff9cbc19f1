"""Built-in regularizers. Each states its math and cites its paper; defaults follow the paper."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from ganbench import perceptual
from ganbench.conditioning import scored_as
from ganbench.hookspecs import RegisterRegularizer, hookimpl
from ganbench.specs import IMAGES, Regularizer, RegularizerSpec

# nn.Embedding: a projection discriminator's class embedding, spectrally normalised in Miyato &
# Koyama's code (its (K, width) weight is the matrix whose largest singular value is divided out).
_WEIGHTED = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)
_PER_SAMPLE = ("the penalty is defined per sample, and batch norm makes D(x) depend on the whole batch "
               "(Gulrajani et al. 2017, sec. 4)")


class SpectralNorm(Regularizer):
    """Miyato et al. 2018: W <- W / sigma_hat(W) for every weighted layer of D, where sigma_hat(W)
    estimates the largest singular value by one power iteration per training-mode forward pass.
    The estimate u^T W v never exceeds sigma(W) and lags behind weight updates, so each layer's
    norm sigma(W) / sigma_hat(W) is at least 1 and only approximately 1. With 1-Lipschitz
    activations (leaky ReLU) what is bounded is the product of the per-layer norms,
    Lip(D) <= prod_l sigma(W_l) / sigma_hat(W_l) ~ 1, an upper bound that is often loose; D is not
    made exactly 1-Lipschitz. For convolutions sigma is taken of the kernel reshaped to a matrix,
    which approximates, and does not bound, the convolution operator's norm (as in the paper); batch
    norm in D would void the bound."""

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        for module in list(discriminator.modules()):
            if isinstance(module, _WEIGHTED):
                spectral_norm(module)
        return generator, discriminator


class WeightClipping(Regularizer):
    """WGAN's original Lipschitz constraint (Arjovsky, Chintala & Bottou 2017, Algorithm 1): after
    every critic update, w <- clip(w, -c, c) for every D parameter, c = 0.01. This bounds D's
    Lipschitz constant by some K depending on c and the architecture, not by 1."""

    def __init__(self, clip: float = 0.01) -> None:
        self.clip = clip

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        with torch.no_grad():
            for param in discriminator.parameters():
                param.clamp_(-self.clip, self.clip)


def input_gradient(discriminator: nn.Module, x: Tensor) -> Tensor:
    """d sum(D(x)) / dx, flattened per sample, kept in the graph so a penalty can be trained on."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
    return grad.flatten(1)


class GradientPenalty(Regularizer):
    """WGAN-GP (Gulrajani et al. 2017): lambda * E[(||grad_x D(x_hat)||_2 - 1)^2] with
    x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per sample; lambda = 10."""

    def __init__(self, weight: float = 10.0) -> None:
        self.weight = weight

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
        mixed = eps * real.detach() + (1 - eps) * fake.detach()
        norms = input_gradient(discriminator, mixed).norm(dim=1)
        return self.weight * (norms - 1).square().mean()


class R1Penalty(Regularizer):
    """R1 (Mescheder et al. 2018): gamma / 2 * E_x[||grad_x D(x)||^2] on real data; gamma = 10."""

    def __init__(self, gamma: float = 10.0) -> None:
        self.gamma = gamma

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return 0.5 * self.gamma * input_gradient(discriminator, real).square().sum(1).mean()


class DiscriminatorDropout(Regularizer):
    """Dropout (p = 0.3) after every activation of the discriminator, as a noise regularizer on D
    (Srivastava et al. 2014; used in GAN discriminators since Goodfellow et al. 2014). p = 0.3 is
    ganbench's choice: neither paper gives a rate for a GAN discriminator like ours."""

    def __init__(self, p: float = 0.3) -> None:
        self.p = p

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        def drop(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> Tensor:
            return F.dropout(output, self.p, training=module.training)

        for module in discriminator.modules():
            if isinstance(module, nn.LeakyReLU | nn.ReLU):
                module.register_forward_hook(drop)
        return generator, discriminator


class DiscriminatorBatchNorm(Regularizer):
    """Batch norm in the discriminator, as in Radford et al.'s DCGAN D (Newmu/dcgan_code): after every
    hidden layer but those that read the image (the paper: "not applying batchnorm to ... the
    discriminator input layer"), between the layer and its activation, its scale drawn N(1, 0.02)
    and its shift 0 as the DCGAN init. Convolutions get BatchNorm2d, hidden linear layers (an MLP D)
    BatchNorm1d; the logit head none, nor any other output head a module of D declares in its
    ``output_heads`` (names of its submodules: AC-GAN's class head). A layer reads the image when it
    takes the image's channel count (the first conv's input channels), so a ResNet D's 1x1 shortcut
    from the pooled image stays bare too. D sees real and fake batches in separate passes (as the
    authors' code does), so each batch is normalised with its own statistics. D(x) then depends on
    the whole batch, which voids per-sample gradient penalties: the ``batchnorm-discriminator`` trait
    it sets makes those combinations skip with the reason, and voids spectral norm's and weight
    clipping's Lipschitz bound."""

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        # Registration order (depth first), the order a plain feed-forward D runs its layers in.
        layers = [(discriminator.get_submodule(path.rpartition(".")[0]), path.rpartition(".")[2], child)
                  for path, child in discriminator.named_modules() if isinstance(child, nn.Conv2d | nn.Linear)]
        convs = [child for _, _, child in layers if isinstance(child, nn.Conv2d)]
        image_channels = convs[0].in_channels if convs else -1
        first = layers[0][2] if layers else None
        heads = output_heads(discriminator)
        for parent, name, layer in layers:
            if layer is first or any(layer is head for head in heads):
                continue
            norm: nn.Module
            if isinstance(layer, nn.Conv2d):
                if layer.in_channels == image_channels:
                    continue
                norm = nn.BatchNorm2d(layer.out_channels)
            elif layer.out_features > 1:  # a hidden linear layer; the logit head stays bare
                norm = nn.BatchNorm1d(layer.out_features)
            else:
                continue
            nn.init.normal_(norm.weight, 1.0, 0.02)
            setattr(parent, name, nn.Sequential(layer, norm))
        return generator, discriminator


def output_heads(network: nn.Module) -> list[nn.Module]:
    """The layers that the modules of ``network`` declare as outputs (their ``output_heads`` names)."""
    return [module.get_submodule(name) for module in network.modules()
            for name in getattr(module, "output_heads", ())]


class InstanceNoise(Regularizer):
    """Instance noise (Sønderby et al. 2017): D sees x + sigma_t * N(0, I), real and fake alike,
    with sigma annealed linearly from 0.1 to 0 over the run, so the final D sees clean data. The
    paper anneals the noise but gives no sigma for this setting: 0.1 (on images in [-1, 1]) and the
    linear schedule are ganbench's choices."""

    def __init__(self, sigma: float = 0.1) -> None:
        self.initial = sigma
        self.sigma = sigma

    def set_progress(self, step: int, total: int) -> None:
        self.sigma = self.initial * max(0.0, 1.0 - (step - 1) / max(1, total - 1))

    def augment(self, images: Tensor) -> Tensor:
        if self.sigma == 0.0:
            return images
        return images + self.sigma * torch.randn_like(images)


def diff_augment(x: Tensor) -> Tensor:
    """DiffAugment's colour, translation (1/8 of the side) and cutout (1/2 of the side) policies,
    each differentiable in x (Zhao et al. 2020)."""
    n, c, h, w = x.shape
    ones = [1] * 3
    # colour: brightness in [-0.5, 0.5), saturation in [0, 2), contrast in [0.5, 1.5)
    x = x + (torch.rand(n, *ones, device=x.device) - 0.5)
    if c > 1:
        mean = x.mean(1, keepdim=True)
        x = (x - mean) * (torch.rand(n, *ones, device=x.device) * 2) + mean
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * (torch.rand(n, *ones, device=x.device) + 0.5) + mean
    # translation with zero padding, by up to h/8, w/8 pixels
    sh, sw = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
    ty = torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device)
    tx = torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = (gy.unsqueeze(0) + ty).clamp(-1, h)
    gx = (gx.unsqueeze(0) + tx).clamp(-1, w)
    padded = F.pad(x, (1, 1, 1, 1))
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    x = padded.permute(0, 2, 3, 1)[batch, gy + 1, gx + 1].permute(0, 3, 1, 2)
    # cutout: a zeroed square of half the side at a random centre
    ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
    yy, xx = torch.meshgrid(torch.arange(ch, device=x.device), torch.arange(cw, device=x.device), indexing="ij")
    yy = (yy.unsqueeze(0) + oy - ch // 2).clamp(0, h - 1)
    xx = (xx.unsqueeze(0) + ox - cw // 2).clamp(0, w - 1)
    mask = torch.ones(n, h, w, device=x.device, dtype=x.dtype)
    mask[batch, yy, xx] = 0
    return x * mask.unsqueeze(1)


class DiffAugment(Regularizer):
    """DiffAugment (Zhao et al. 2020): the same random differentiable augmentation T is applied to
    every real and fake batch D sees, in both D and G steps, so G is not taught the augmentation."""

    def augment(self, images: Tensor) -> Tensor:
        return diff_augment(images)


_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
STANDING_BATCHES = 16  # BigGAN-PyTorch's default num_standing_accumulations
# Fixed, so every run (and every resumed run) measures its statistics on the same latents; drawn
# from a private generator, so the training streams never see these draws.
STANDING_SEED = 20_190_211


@torch.no_grad()
def standing_statistics(generator: nn.Module, latent_dim: int, batch_size: int, device: torch.device,
                        batches: int = STANDING_BATCHES, seed: int = STANDING_SEED) -> None:
    """Standing statistics (Brock, Donahue & Simonyan 2019, BigGAN; ``accumulate_standing_stats`` in
    the authors' BigGAN-PyTorch): reset every
    batch-norm layer's running mean and variance, then average them cumulatively (momentum None)
    over ``batches`` forward passes of fresh latents z ~ N(0, I) in training mode, so that
    mu = 1/K sum_k mean_k and sigma^2 = 1/K sum_k var_k describe this generator's own activations.
    Leaves ``generator`` in eval mode with its momenta as they were."""
    norms = [m for m in generator.modules() if isinstance(m, _NORMS) and m.track_running_stats]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    rng = torch.Generator().manual_seed(seed)
    generator.train()
    for _ in range(batches):
        generator(torch.randn(batch_size, latent_dim, generator=rng).to(device))
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    generator.eval()


class GeneratorEMA(Regularizer):
    """Evaluate an exponential moving average of G's weights (Yazıcı et al. 2019):
    theta_ema <- b_t theta_ema + (1 - b_t) theta after G step t, with b_t = min(beta, (1 + t) / (10 + t))
    and beta = 0.999. The warm-up b_t (the num_updates rule of TensorFlow's moving averages) keeps the
    random initial weights from dominating short runs. Averaging the weights does not average the
    batch-norm statistics: the live G's statistics describe the live weights, not the averaged ones.
    So before each evaluation the averaged G gets standing statistics of its own (BigGAN, Brock et
    al. 2019): 16 batches of fresh latents from a private, fixed-seed generator. Other buffers are
    copied from G. Training is unchanged; only the scored generator differs."""

    def __init__(self, beta: float = 0.999, standing_batches: int = STANDING_BATCHES) -> None:
        self.beta = beta
        self.standing_batches = standing_batches
        self.updates = 0
        self.average: nn.Module | None = None

    def decay(self) -> float:
        return min(self.beta, (1 + self.updates) / (10 + self.updates))

    def after_generator_step(self, generator: nn.Module) -> None:
        self.updates += 1
        if self.average is None:
            self.average = copy.deepcopy(generator).requires_grad_(False)
            return
        beta = self.decay()
        with torch.no_grad():
            for avg_param, param in zip(self.average.parameters(), generator.parameters(), strict=True):
                avg_param.lerp_(param, 1.0 - beta)
            # Batch-norm statistics copied here are replaced by standing ones in prepare_eval.
            for avg_buffer, buffer in zip(self.average.buffers(), generator.buffers(), strict=True):
                avg_buffer.copy_(buffer)

    def prepare_eval(self, generator: nn.Module, latent_dim: int, batch_size: int,
                     device: torch.device) -> None:
        if self.average is not None:
            standing_statistics(self.average, latent_dim, batch_size, device, self.standing_batches)

    def eval_generator(self, generator: nn.Module) -> nn.Module:
        return generator if self.average is None else self.average

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"updates": self.updates}
        if self.average is not None:
            state["average"] = self.average.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any], generator: nn.Module) -> None:
        self.updates = state["updates"]
        if "average" in state:
            self.average = copy.deepcopy(generator).requires_grad_(False)
            self.average.load_state_dict(state["average"])


def flip_and_translate(x: Tensor, ratio: float = 0.125) -> Tensor:
    """bCR's T, drawn independently per sample: a horizontal flip with probability 1/2, then a
    translation by integers (dy, dx) ~ U{-r, ..., r} with r = int(side * ratio), the pixels shifted
    in taken by reflection at the border (not wrapped around from the opposite edge). Zhao et al.
    2021 use flip + translation on CIFAR; the ratio 1/8 and reflection follow StudioGAN's cr.py."""
    n, _, h, w = x.shape
    flip = torch.rand(n, device=x.device) < 0.5
    x = torch.where(flip.view(n, 1, 1, 1), x.flip(-1), x)
    rh, rw = int(h * ratio), int(w * ratio)
    dy = torch.randint(-rh, rh + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-rw, rw + 1, (n, 1, 1), device=x.device)
    padded = F.pad(x, (rw, rw, rh, rh), mode="reflect")
    # out[i, j] = x[i - dy, j - dx], read from the padded image (offset by the padding).
    rows = torch.arange(h, device=x.device).view(1, h, 1) - dy + rh
    cols = torch.arange(w, device=x.device).view(1, 1, w) - dx + rw
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


class BalancedConsistency(Regularizer):
    """bCR (Zhao et al. 2021): lambda_r E||D(T(x)) - D(x)||^2 + lambda_f E||D(T(G(z))) - D(G(z))||^2
    with T a per-sample random horizontal flip and translation by up to 1/8 of the side with
    reflection padding (``flip_and_translate``), lambda_r = lambda_f = 10 as in the paper."""

    def __init__(self, weight: float = 10.0) -> None:
        self.weight = weight

    @staticmethod
    def transform(x: Tensor) -> Tensor:
        return flip_and_translate(x)

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        real_t = discriminator(self.transform(real))
        with scored_as(discriminator, "fake"):  # D(fake) was scored under the fake's classes
            fake_t = discriminator(self.transform(fake.detach()))
        return self.weight * ((real_t - real_logits).square().mean() + (fake_t - fake_logits).square().mean())


LECAM_START = 1000  # the official BigGAN-CIFAR code's start_itr (google/lecam-gan, biggan_cifar/train.py)


class LeCam(Regularizer):
    """LeCam regularization (Tseng et al. 2021), in the one-sided form of the official code:
    lambda (E[relu(D(x) - a_F)^2] + E[relu(a_R - D(G(z)))^2]), where a_R, a_F track D's mean output
    on real and fake batches, updated at every D step before the penalty. Before the start
    iteration s the anchors are the current batch means (decay 0) and no penalty applies; from
    iteration s on they are moving averages a <- gamma a + (1 - gamma) mean, and the penalty applies
    from iteration s + 1 (iterations count G steps from 0). lambda = 0.3, gamma = 0.9 and s = 1000 as
    in the official BigGAN-CIFAR code; a run shorter than 10 s steps starts at a tenth of its length
    instead (ganbench's scaling), since 1000 steps would switch it off for the whole run."""

    def __init__(self, weight: float = 0.3, decay: float = 0.9, start: int | None = None) -> None:
        self.weight, self.decay, self.start = weight, decay, start
        self.anchor_real = self.anchor_fake = math.nan
        self.iteration = 0
        self.start_step = LECAM_START if start is None else start

    def set_progress(self, step: int, total: int) -> None:
        self.iteration = step - 1
        if self.start is None:
            self.start_step = min(LECAM_START, total // 10)

    def state_dict(self) -> dict[str, Any]:
        return {"anchor_real": self.anchor_real, "anchor_fake": self.anchor_fake}

    def load_state_dict(self, state: dict[str, Any], generator: nn.Module) -> None:
        self.anchor_real, self.anchor_fake = state["anchor_real"], state["anchor_fake"]

    def _update(self, anchor: float, value: float) -> float:
        # The official anchors start at 1000 and are overwritten by the first mean (decay 0) when
        # s > 0; NaN does the same for s = 0 without mixing an arbitrary 1000 into the average.
        if self.iteration < self.start_step or math.isnan(anchor):
            return value
        return self.decay * anchor + (1 - self.decay) * value

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor | None:
        self.anchor_real = self._update(self.anchor_real, float(real_logits.detach().mean()))
        self.anchor_fake = self._update(self.anchor_fake, float(fake_logits.detach().mean()))
        if self.iteration <= self.start_step:
            return None
        return self.weight * (F.relu(real_logits - self.anchor_fake).square().mean()
                              + F.relu(self.anchor_real - fake_logits).square().mean())


def _perceptual(network: str) -> Callable[[], Regularizer]:
    def factory() -> Regularizer:
        return perceptual.PerceptualRegularizer(network)

    return factory


_BN = "batchnorm-discriminator"
# Each bounds D's Lipschitz constant (softly for the penalty, loosely for the norms), which the
# Wasserstein critic requires; none makes D exactly 1-Lipschitz.
_LIPSCHITZ = frozenset({"lipschitz"})
# Spectral norm and clipping bound each layer's weights; a BatchNorm between them divides by the batch's
# std, which no weight bound limits (SpectralNorm.__doc__).
_BN_VOIDS = {_BN: "batch norm divides by each batch's std, which no bound on the weights limits"}
_IMAGES = frozenset({IMAGES})  # image augmentations: translations, cutout, colour


@hookimpl
def register_regularizers(register: RegisterRegularizer) -> None:
    register(RegularizerSpec("none", "No regularization (the baseline)", "-", Regularizer))
    register(RegularizerSpec(
        "spectral-norm", "Spectral normalisation of every discriminator layer (one power iteration per step; "
        "bounds the product of per-layer norms, approximately)",
        "Miyato et al. 2018, Spectral Normalization for GANs, ICLR", SpectralNorm, provides=_LIPSCHITZ,
        voided_by=_BN_VOIDS))
    register(RegularizerSpec(
        "gradient-penalty", "WGAN-GP: unit gradient norm on real-fake interpolates (lambda 10)",
        "Gulrajani et al. 2017, Improved Training of Wasserstein GANs, NeurIPS", GradientPenalty,
        incompatible={_BN: _PER_SAMPLE}, provides=_LIPSCHITZ))
    register(RegularizerSpec(
        "r1", "R1: squared gradient norm of D on real data (gamma 10)",
        "Mescheder, Geiger & Nowozin 2018, Which Training Methods for GANs do actually Converge?, ICML",
        R1Penalty, incompatible={_BN: _PER_SAMPLE}))
    register(RegularizerSpec(
        "dropout", "Dropout after every discriminator activation, p 0.3 (ganbench's choice: the papers "
        "fix no p for a GAN discriminator)",
        "Srivastava et al. 2014, Dropout, JMLR", DiscriminatorDropout))
    register(RegularizerSpec(
        "batch-norm", "Batch norm after every discriminator convolution but the input layer's, real and fake "
        "batches normalised apart (as Radford et al.'s D); sets the batchnorm-discriminator trait",
        "Ioffe & Szegedy 2015, Batch Normalization, ICML; Radford, Metz & Chintala 2016, DCGAN, ICLR",
        DiscriminatorBatchNorm, data_kinds=_IMAGES, traits=frozenset({_BN})))
    register(RegularizerSpec(
        "instance-noise", "Gaussian noise on D's inputs, sigma annealed linearly 0.1 -> 0 over the run "
        "(sigma 0.1 and the linear schedule are ganbench's choices)",
        "Sønderby et al. 2017, Amortised MAP Inference for Image Super-resolution, ICLR", InstanceNoise))
    register(RegularizerSpec(
        "diffaugment", "Differentiable colour + translation + cutout on every D input",
        "Zhao et al. 2020, Differentiable Augmentation for Data-Efficient GAN Training, NeurIPS", DiffAugment,
        data_kinds=_IMAGES))
    register(RegularizerSpec(
        "ema", "Score an exponential moving average of G's weights (beta 0.999 with a (1+t)/(10+t) warm-up: "
        "ganbench's choices for short runs) with standing batch-norm statistics over 16 batches (BigGAN)",
        "Yazıcı et al. 2019, The Unusual Effectiveness of Averaging in GAN Training, ICLR", GeneratorEMA))
    register(RegularizerSpec(
        "consistency", "Balanced consistency regularization (bCR, lambda_r = lambda_f = 10) under per-sample "
        "random flips and translations by up to 1/8 of the side with reflection padding",
        "Zhao et al. 2021, Improved Consistency Regularization for GANs, AAAI", BalancedConsistency,
        data_kinds=_IMAGES))
    register(RegularizerSpec(
        "lecam", "LeCam, one-sided as in the official code: lambda 0.3, anchor decay 0.9, start after "
        "min(1000, T/10) G steps (official 1000; the T/10 cap for short runs is ganbench's)",
        "Tseng et al. 2021, Regularizing GANs under Limited Data, CVPR", LeCam))
    register(RegularizerSpec(
        "feature-statistics", "Gatys-style feature statistics on G, unpaired: the channel means and Gram "
        "matrices of a fake batch matched to those of an unrelated real batch, at 3 layers of the frozen "
        "encoder of a VGG-style denoising autoencoder shipped for Fashion-MNIST (weight 0.1). Not Johnson et "
        "al.'s paired perceptual loss: unconditional fakes have no real image of their own",
        "Gatys, Ecker & Bethge 2016, Image Style Transfer Using CNNs, CVPR; after Johnson, Alahi & Fei-Fei "
        "2016, Perceptual Losses, ECCV", _perceptual(perceptual.DEFAULT_NETWORK), data_kinds=_IMAGES,
        networks=frozenset({perceptual.DEFAULT_NETWORK})))
    register(RegularizerSpec(
        "feature-statistics-vgg16", "The same feature statistics in torchvision's ImageNet VGG16 (relu1_2, "
        "relu2_2, relu3_3, relu4_3) from a local weights file ($GANBENCH_VGG16_WEIGHTS or the torch hub cache), "
        "for GPU suites; skipped where the file is absent",
        "Gatys, Ecker & Bethge 2016, CVPR; Simonyan & Zisserman 2015, Very Deep Convolutional Networks, ICLR",
        _perceptual("vgg16"), data_kinds=_IMAGES, networks=frozenset({"vgg16"})))
    register(RegularizerSpec(
        "weight-clipping", "WGAN weight clipping: every D parameter clamped to [-0.01, 0.01] after each D "
        "step (c 0.01 as in the paper; the suite's optimizer is kept, not the paper's RMSProp)",
        "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN, ICML", WeightClipping, provides=_LIPSCHITZ,
        voided_by=_BN_VOIDS))
