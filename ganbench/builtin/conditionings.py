"""Built-in conditioning methods: how G and D of an architecture learn to follow class labels.

Each builds a conditional (G, D) from any architecture that provides what it requires, so the
architecture stays a factor of its own. G sides: the one-hot label concatenated to z (concat,
projection, acgan) or conditional batch norm (cbn). D sides: one-hot label maps as extra input
channels (concat), a projection of the label embedding onto D's features (projection, cbn), or an
unconditional D with an auxiliary classifier head (acgan). projection and cbn differ only in G;
concat and projection only in D; so neighbouring rows of a table differ in one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganbench.conditioning import Conditional, one_hot
from ganbench.hookspecs import RegisterConditioning, hookimpl
from ganbench.specs import ArchitectureSpec, ConditioningSpec, ImageShape

FEATURES = "discriminator-features"
BATCH_NORM = "generator-batch-norm"


def features_of(discriminator: nn.Module, x: Tensor) -> Tensor:
    """phi(x) of a discriminator that provides ``discriminator-features``."""
    return cast(Callable[[Tensor], Tensor], discriminator.features)(x)


def head_of(discriminator: nn.Module) -> nn.Linear:
    """The linear logit head of a discriminator that provides ``discriminator-features``."""
    head = discriminator.get_submodule("head")
    if not isinstance(head, nn.Linear):
        raise TypeError(f"{type(discriminator).__name__}.head is not a linear layer")
    return head


class ConcatGenerator(Conditional):
    """G(z | y) = G'([z, onehot(y)]), G' the architecture's generator built for latent_dim + K inputs
    (Mirza & Osindero 2014: y joins the input of G)."""

    def __init__(self, inner: nn.Module, n_classes: int) -> None:
        super().__init__(n_classes)
        self.inner = inner

    def forward(self, z: Tensor) -> Tensor:
        labels = self.labels(z.shape[0], z.device)
        return self.inner(torch.cat([z, one_hot(labels, self.n_classes, z.dtype)], 1))


class ConcatDiscriminator(Conditional):
    """D(x | y) = D'([x, onehot(y) broadcast over the image]), D' built for C + K input channels: the
    convolutional form of Mirza & Osindero's input concatenation (their networks were MLPs)."""

    def __init__(self, inner: nn.Module, n_classes: int) -> None:
        super().__init__(n_classes)
        self.inner = inner

    def _input(self, x: Tensor) -> Tensor:
        maps = one_hot(self.labels(x.shape[0], x.device), self.n_classes, x.dtype)
        return torch.cat([x, maps[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)

    def features(self, x: Tensor) -> Tensor:
        return features_of(self.inner, self._input(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.inner(self._input(x))


class ProjectionDiscriminator(Conditional):
    """Miyato & Koyama 2018: D(x | y) = psi(phi(x)) + <V_y, phi(x)>, phi the architecture's D features,
    psi its linear head, V a learned embedding of each class (Xavier-uniform initialised, as in the
    authors' code)."""

    def __init__(self, inner: nn.Module, n_classes: int) -> None:
        super().__init__(n_classes)
        self.inner = inner
        width = head_of(inner).in_features
        self.embed = nn.Embedding(n_classes, width)
        nn.init.xavier_uniform_(self.embed.weight)

    def features(self, x: Tensor) -> Tensor:
        return features_of(self.inner, x)

    def forward(self, x: Tensor) -> Tensor:
        phi = features_of(self.inner, x)
        labels = self.labels(x.shape[0], x.device)
        return head_of(self.inner)(phi).squeeze(1) + (self.embed(labels) * phi).sum(1)


class ConditionalBatchNorm2d(nn.Module):
    """de Vries et al. 2017; Miyato & Koyama 2018: batch norm without its own affine, then a gain
    and a bias per class, gamma_y * BN(x) + beta_y (gains start at 1, biases at 0). ``owner`` gives
    the bound labels."""

    def __init__(self, channels: int, n_classes: int, owner: Conditional) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(n_classes, channels)
        self.bias = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)
        self._owner = [owner]  # a list: registering the owner as a submodule would make a cycle

    def forward(self, x: Tensor) -> Tensor:
        labels = self._owner[0].labels(x.shape[0], x.device)
        return self.norm(x) * self.gain(labels)[:, :, None, None] + self.bias(labels)[:, :, None, None]


class CbnGenerator(Conditional):
    """The architecture's generator with every nn.BatchNorm2d replaced by ConditionalBatchNorm2d;
    z alone is its input."""

    def __init__(self, inner: nn.Module, n_classes: int) -> None:
        super().__init__(n_classes)
        targets = [(parent, name, child) for parent in inner.modules()
                   for name, child in parent.named_children() if isinstance(child, nn.BatchNorm2d)]
        for parent, name, norm in targets:
            setattr(parent, name, ConditionalBatchNorm2d(norm.num_features, n_classes, self))
        self.inner = inner

    def forward(self, z: Tensor) -> Tensor:
        return self.inner(z)


class AuxiliaryClassifierDiscriminator(Conditional):
    """Odena et al. 2017 (AC-GAN): D reads only the image and has two heads on its features, the
    real/fake logit and K class logits. ``class_loss(y)`` is the cross-entropy of the last batch's
    class logits: D minimises it on real and fake batches, G on its fakes (the paper's L_C)."""

    # The class head is an output, not a hidden layer: a regularizer that normalises D's hidden
    # layers (batch-norm) leaves it bare, as it does the logit head.
    output_heads = ("classifier",)

    def __init__(self, inner: nn.Module, n_classes: int) -> None:
        super().__init__(n_classes)
        self.inner = inner
        self.classifier = nn.Linear(head_of(inner).in_features, n_classes)
        self._class_logits: Tensor | None = None

    def features(self, x: Tensor) -> Tensor:
        return features_of(self.inner, x)

    def forward(self, x: Tensor) -> Tensor:
        phi = features_of(self.inner, x)
        self._class_logits = self.classifier(phi)
        return head_of(self.inner)(phi).squeeze(1)

    def class_loss(self, labels: Tensor) -> Tensor:
        if self._class_logits is None or self._class_logits.shape[0] != labels.shape[0]:
            raise RuntimeError("class_loss needs the logits of a batch of the same size scored just before")
        return F.cross_entropy(self._class_logits.float(), labels)


def _concat_generator(architecture: ArchitectureSpec, image_shape: ImageShape, latent_dim: int,
                      n_classes: int) -> nn.Module:
    return ConcatGenerator(architecture.build(image_shape, latent_dim + n_classes)[0], n_classes)


def build_concat(architecture: ArchitectureSpec, image_shape: ImageShape, latent_dim: int,
                 n_classes: int) -> tuple[nn.Module, nn.Module]:
    generator = _concat_generator(architecture, image_shape, latent_dim, n_classes)
    channels, height, width = image_shape
    discriminator = architecture.build((channels + n_classes, height, width), latent_dim)[1]
    return generator, ConcatDiscriminator(discriminator, n_classes)


def build_projection(architecture: ArchitectureSpec, image_shape: ImageShape, latent_dim: int,
                     n_classes: int) -> tuple[nn.Module, nn.Module]:
    generator = _concat_generator(architecture, image_shape, latent_dim, n_classes)
    return generator, ProjectionDiscriminator(architecture.build(image_shape, latent_dim)[1], n_classes)


def build_cbn(architecture: ArchitectureSpec, image_shape: ImageShape, latent_dim: int,
              n_classes: int) -> tuple[nn.Module, nn.Module]:
    generator, discriminator = architecture.build(image_shape, latent_dim)
    return CbnGenerator(generator, n_classes), ProjectionDiscriminator(discriminator, n_classes)


def build_acgan(architecture: ArchitectureSpec, image_shape: ImageShape, latent_dim: int,
                n_classes: int) -> tuple[nn.Module, nn.Module]:
    generator = _concat_generator(architecture, image_shape, latent_dim, n_classes)
    return generator, AuxiliaryClassifierDiscriminator(architecture.build(image_shape, latent_dim)[1], n_classes)


@hookimpl
def register_conditionings(register: RegisterConditioning) -> None:
    register(ConditioningSpec(
        "concat", "CGAN: one-hot label concatenated to z in G and as K constant input channels in D, "
        "at the input only (the paper's MLPs first pass y through a hidden layer of its own; Radford et al.'s "
        "conditional DCGAN concatenates it at every layer)",
        "Mirza & Osindero 2014, Conditional Generative Adversarial Nets, arXiv:1411.1784", build_concat,
        labelled_features=True))
    register(ConditioningSpec(
        "projection", "Projection discriminator, D = psi(phi(x)) + <embed(y), phi(x)>, phi the architecture's "
        "D features; G as concat, ganbench's controlled variant so that only D differs from concat (the "
        "paper's networks are cbn's)",
        "Miyato & Koyama 2018, cGANs with Projection Discriminator, ICLR", build_projection,
        requires=frozenset({FEATURES})))
    register(ConditioningSpec(
        "cbn", "Conditional batch norm in G (a gain and a bias per class, from 1 and 0) with the projection "
        "discriminator, as Miyato & Koyama's networks; every BN of G is conditioned (their ResNet G keeps "
        "the last one, before the output conv, unconditional)",
        "de Vries et al. 2017, Modulating early visual processing by language, NeurIPS; "
        "Miyato & Koyama 2018, ICLR", build_cbn, requires=frozenset({FEATURES, BATCH_NORM})))
    register(ConditioningSpec(
        "acgan", "AC-GAN: G as concat, D reads only the image and gains a K-way classifier head; D "
        "minimises the class cross-entropy on real and fake, G on its fakes (weight 1)",
        "Odena, Olah & Shlens 2017, Conditional Image Synthesis with Auxiliary Classifier GANs, ICML",
        build_acgan, requires=frozenset({FEATURES})))
