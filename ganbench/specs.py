"""Component specs: the frozen dataclasses plugins hand to ``register``, and component protocols."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

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

    Subclass and override what the regularizer needs: wrap the networks before the optimizers
    are built, transform every discriminator input (augmentation, noise), add a discriminator
    penalty, act after a generator step, or choose which generator is evaluated.
    """

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        return generator, discriminator

    def set_progress(self, step: int, total: int) -> None:
        """Called before generator step ``step`` (1-based) of ``total``, for annealed schedules."""

    def augment(self, images: Tensor) -> Tensor:
        """Applied, differentiably, to every batch (real and fake) the discriminator sees."""
        return images

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor | None:
        """Added to the discriminator loss; ``real``/``fake`` are the (augmented) D inputs."""
        return None

    def after_generator_step(self, generator: nn.Module) -> None:
        return None

    def eval_generator(self, generator: nn.Module) -> nn.Module:
        """The generator whose samples are scored."""
        return generator

    def state_dict(self) -> dict[str, Any]:
        """State to checkpoint (tensors, numbers, containers of them); stateless by default."""
        return {}

    def load_state_dict(self, state: dict[str, Any], generator: nn.Module) -> None:
        """Restore ``state_dict()`` output; ``generator`` is the freshly built, restored generator."""


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
    """``traits`` describe the networks, e.g. ``batchnorm-discriminator``; losses and regularizers
    name the traits they cannot work with. ``resolutions`` lists supported image sides."""

    name: str
    summary: str
    reference: str
    build: ArchitectureBuilder
    traits: frozenset[str] = frozenset()
    resolutions: tuple[int, ...] = (28, 32)


@dataclass(frozen=True)
class LossSpec:
    """``incompatible`` maps an architecture trait to the reason this loss cannot run with it."""

    name: str
    summary: str
    reference: str
    factory: Callable[[], GanLoss]
    incompatible: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegularizerSpec:
    """``incompatible`` maps an architecture trait to the reason this regularizer cannot run with it."""

    name: str
    summary: str
    reference: str
    factory: Callable[[], Regularizer]
    incompatible: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DataRequest:
    """What a run asks of a dataset: the ``train`` or ``reference`` split, where the user keeps data
    (``None``: the dataset's own defaults), and the suite's image side and channel count. A loader may
    return another size; the host resizes."""

    split: str
    data_root: Path | None = None
    resolution: int = 28
    channels: int = 1


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: ``load(DataRequest)`` returns one split as uint8 images.

    ``feature_extractor`` names the torch-fidelity feature extractor used for its FID; ``image_shape``
    is the native shape; ``kind`` is ``images`` (or ``points`` for 2-D toy data). Datasets with known
    modes give ``modes(images) -> mode ids`` and ``n_modes``; runs then report mode coverage.
    """

    name: str
    summary: str
    reference: str
    load: Callable[[DataRequest], ImageData]
    feature_extractor: str
    image_shape: ImageShape
    kind: str = "images"
    modes: Callable[[Tensor], Tensor] | None = None
    n_modes: int = 0


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: a TOML file (see ``ganbench/suites/quick.toml``) that names a dataset, baseline,
    budget, optimizer, evaluation and seeds."""

    name: str
    summary: str
    reference: str
    path: Path


ComponentSpec = ArchitectureSpec | LossSpec | RegularizerSpec | DatasetSpec | SuiteSpec


def incompatibility(architecture: ArchitectureSpec, *others: LossSpec | RegularizerSpec) -> str | None:
    """Why this combination cannot run, or None. A declared reason, never a crash mid-suite."""
    for other in others:
        for trait in sorted(architecture.traits):
            if trait in other.incompatible:
                return f"{other.name} is incompatible with {architecture.name} ({trait}): {other.incompatible[trait]}"
    return None

