"""Component specs: the frozen dataclasses plugins hand to ``register``, and component protocols."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from torch import Tensor, nn

NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# (channels, height, width)
ImageShape = tuple[int, int, int]


class ArchitectureBuilder(Protocol):
    def __call__(self, image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
        """Return ``(generator, discriminator)``.

        The generator maps ``z`` of shape (N, latent_dim) to images (N, C, H, W) in [-1, 1];
        the discriminator maps images to one logit per sample, shape (N,).
        """
        ...


class GanLoss(Protocol):
    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Scalar loss the discriminator minimises."""
        ...

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        """Scalar loss the generator minimises (``real_logits`` are detached)."""
        ...


class Regularizer:
    """Optional steps into the training loop; every default is a no-op.

    Subclass and override what the regularizer needs: wrap the networks before the
    optimizers are built, add a discriminator penalty, or act after a generator step.
    """

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        return generator, discriminator

    def discriminator_penalty(
        self, discriminator: nn.Module, real: Tensor, fake: Tensor
    ) -> Tensor | None:
        return None

    def after_generator_step(self, generator: nn.Module) -> None:
        return None


@dataclass(frozen=True)
class ImageData:
    """One split of a dataset: uint8 images (N, C, H, W) plus where they came from."""

    images: Tensor
    source: str

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise TypeError(f"ImageData needs a uint8 (N, C, H, W) tensor, got {self.images.dtype} "
                            f"{tuple(self.images.shape)}")


@dataclass(frozen=True)
class ArchitectureSpec:
    name: str
    summary: str
    reference: str
    build: ArchitectureBuilder


@dataclass(frozen=True)
class LossSpec:
    name: str
    summary: str
    reference: str
    factory: Callable[[], GanLoss]


@dataclass(frozen=True)
class RegularizerSpec:
    name: str
    summary: str
    reference: str
    factory: Callable[[], Regularizer]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: ``load(split, data_root)`` returns the ``train`` or ``reference`` split.

    ``feature_extractor`` names the torch-fidelity feature extractor used for its FID.
    """

    name: str
    summary: str
    reference: str
    load: Callable[[str, Path | None], ImageData]
    feature_extractor: str
    image_shape: ImageShape


ComponentSpec = ArchitectureSpec | LossSpec | RegularizerSpec | DatasetSpec
