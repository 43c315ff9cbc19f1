"""Data kinds: what differs between training on images and on points, in one object per kind.

A dataset declares its kind (``DatasetSpec.kind``); everything that used to branch on "images or
points" asks the kind instead: how a loaded split is prepared, how a batch becomes model input,
which networks an architecture builds, how generator output becomes stored samples, the picture
beside each record, whether there is a feature space for FID (and so an FID curve), and whether
the dataset's modes are defined for the run. A new kind (labelled images) is one more object here,
not one more arm at every branch.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganbench import specs
from ganbench.conditioning import bind, evenly
from ganbench.data.luminance import luminance
from ganbench.data.points import scatter
from ganbench.specs import (
    ARCHITECTURE_OFFERS,
    ArchitectureSpec,
    ConditioningSpec,
    DatasetSpec,
    ImageData,
    PointData,
)


def _save_png(images: Tensor, buffer: io.BytesIO, **grid: Any) -> None:
    """torchvision's ``save_image``, imported on first use: torchvision takes a second or more to import
    (it imports torch._dynamo), and the process that plans a suite never draws a picture."""
    from torchvision.utils import save_image

    save_image(images, buffer, **grid)


def to_unit_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1]."""
    return images.float().div(127.5).sub(1.0)


def to_uint8(images: Tensor) -> Tensor:
    """float [-1, 1] -> uint8 [0, 255]."""
    return images.add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def prepare_images(images: Tensor, resolution: int, channels: int) -> Tensor:
    """Resize uint8 images to the suite's resolution and channel count (bilinear, antialiased)."""
    if images.shape[1] != channels:
        if channels == 3 and images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        elif channels == 1 and images.shape[1] == 3:
            images = luminance(images.float()).round().clamp(0, 255).to(torch.uint8)
        else:
            raise ValueError(f"cannot turn {images.shape[1]}-channel images into {channels} channels")
    if images.shape[-1] != resolution or images.shape[-2] != resolution:
        resized = nn.functional.interpolate(images.float(), size=(resolution, resolution),
                                            mode="bilinear", antialias=True, align_corners=False)
        images = resized.round().clamp(0, 255).to(torch.uint8)
    return images.contiguous()


@dataclass(frozen=True)
class Shape:
    """What a run asks of the networks: the suite's image side and channels and the latent size."""

    resolution: int
    channels: int
    latent_dim: int


class DataKind:
    """The base: every method a kind must answer. ``has_features``: samples live where a feature
    extractor can read them, so runs get FID and a cheap-FID curve; ``sized``: suites must give
    a resolution and a channel count; ``mode_quality``: mode id -1 marks a low-quality sample (a
    point far from every centre), so coverage also reports the high-quality share."""

    name = ""
    also: frozenset[str] = frozenset()  # the kinds this one is a case of (labelled images are images)
    has_features = False
    sized = False
    mode_quality = False

    @property
    def names(self) -> frozenset[str]:
        """What components' ``data_kinds`` may name to work on this kind."""
        return frozenset({self.name}) | self.also

    def prepare(self, loaded: ImageData | PointData, resolution: int, channels: int) -> Tensor:
        """One loaded split as the tensor runs train on and score against."""
        raise NotImplementedError

    def model_input(self, batch: Tensor) -> Tensor:
        """A batch of the prepared split as the discriminator reads it."""
        raise NotImplementedError

    def unsupported(self, architecture: ArchitectureSpec, resolution: int) -> str | None:
        """Why ``architecture`` cannot build networks for this kind at this size, or None."""
        raise NotImplementedError

    def build_networks(self, architecture: ArchitectureSpec, shape: Shape,
                       data: Tensor) -> tuple[nn.Module, nn.Module]:
        """``(generator, discriminator)`` for a run on ``data`` (the prepared train split)."""
        raise NotImplementedError

    def samples(self, output: Tensor) -> Tensor:
        """Generator output as the samples that are scored and stored."""
        raise NotImplementedError

    def picture(self, fake: Tensor, real: Tensor) -> bytes:
        """PNG shown beside a run's record."""
        raise NotImplementedError

    def modes_defined(self, dataset: DatasetSpec, channels: int) -> bool:
        """Whether the dataset's mode classifier reads a run trained with ``channels`` channels."""
        raise NotImplementedError

    # Labels: only a labelled kind has them; the others draw nothing and bind nothing.
    def fake_labels(self, rng: torch.Generator, count: int) -> Tensor | None:
        """The classes G is asked for in one training batch (drawn from the run's batch stream)."""
        return None

    def eval_labels(self, start: int, count: int) -> Tensor | None:
        """The classes of samples ``start .. start + count - 1`` of every evaluation."""
        return None

    def bind(self, network: nn.Module, labels: Tensor | None) -> None:
        """Bind the next batch's labels to a network of this kind."""


class Images(DataKind):
    """uint8 (N, C, H, W) images at the suite's side and channels; G outputs [-1, 1] through tanh."""

    name = specs.IMAGES
    has_features = True
    sized = True

    def prepare(self, loaded: ImageData | PointData, resolution: int, channels: int) -> Tensor:
        if not isinstance(loaded, ImageData):
            raise TypeError(f"an images dataset must load ImageData, got {type(loaded).__name__}")
        return prepare_images(loaded.images, resolution, channels)

    def model_input(self, batch: Tensor) -> Tensor:
        return to_unit_range(batch)

    def unsupported(self, architecture: ArchitectureSpec, resolution: int) -> str | None:
        if resolution not in architecture.resolutions:
            return f"{architecture.name} supports {', '.join(map(str, architecture.resolutions))} px images, " \
                   f"not {resolution}"
        return None

    def build_networks(self, architecture: ArchitectureSpec, shape: Shape,
                       data: Tensor) -> tuple[nn.Module, nn.Module]:
        return architecture.build((shape.channels, shape.resolution, shape.resolution), shape.latent_dim)

    def samples(self, output: Tensor) -> Tensor:
        return to_uint8(output)

    def picture(self, fake: Tensor, real: Tensor) -> bytes:
        buffer = io.BytesIO()
        _save_png(fake[:64].float() / 255.0, buffer, format="png", nrow=8)
        return buffer.getvalue()

    def modes_defined(self, dataset: DatasetSpec, channels: int) -> bool:
        # Modes are defined on the dataset's own channels; a grayscale run of RGB data has none.
        return dataset.modes is not None and channels == dataset.image_shape[0]


class Points(DataKind):
    """float32 (N, D) points; G has a linear output; no feature space, so no FID."""

    name = specs.POINTS
    mode_quality = True

    def prepare(self, loaded: ImageData | PointData, resolution: int, channels: int) -> Tensor:
        if not isinstance(loaded, PointData):
            raise TypeError(f"a points dataset must load PointData, got {type(loaded).__name__}")
        return loaded.points

    def model_input(self, batch: Tensor) -> Tensor:
        return batch.float()

    def unsupported(self, architecture: ArchitectureSpec, resolution: int) -> str | None:
        if architecture.build_points is None:
            return f"{architecture.name} does not support points data"
        return None

    def build_networks(self, architecture: ArchitectureSpec, shape: Shape,
                       data: Tensor) -> tuple[nn.Module, nn.Module]:
        if architecture.build_points is None:
            raise ValueError(f"{architecture.name} does not support points data")
        return architecture.build_points(int(data.shape[1]), shape.latent_dim)

    def samples(self, output: Tensor) -> Tensor:
        return output.float()

    def picture(self, fake: Tensor, real: Tensor) -> bytes:
        buffer = io.BytesIO()
        _save_png(scatter(fake, real).float() / 255.0, buffer, format="png")
        return buffer.getvalue()

    def modes_defined(self, dataset: DatasetSpec, channels: int) -> bool:
        return dataset.modes is not None


class LabelledImages(Images):
    """Images with a class per image, for a class-conditional run: the conditioning method builds
    the networks; training asks G for classes drawn uniformly from the run's batch stream;
    evaluation asks for the classes in turn (sample i has class i mod K), so every class is equally
    represented and the same for every entry; the picture has one column per class."""

    name = specs.LABELLED_IMAGES
    also = frozenset({specs.IMAGES})

    def __init__(self, dataset: DatasetSpec, conditioning: ConditioningSpec) -> None:
        self.dataset = dataset
        self.conditioning = conditioning
        self.n_classes = dataset.n_classes

    def unsupported(self, architecture: ArchitectureSpec, resolution: int) -> str | None:
        if self.n_classes < 2:
            return f"{self.dataset.name} has no class labels, so {self.conditioning.name} has nothing to condition on"
        for need in sorted(self.conditioning.requires - architecture.provides):
            return f"{self.conditioning.name} needs {ARCHITECTURE_OFFERS.get(need, need)}, which {architecture.name} " \
                   f"does not provide"
        return super().unsupported(architecture, resolution)

    def build_networks(self, architecture: ArchitectureSpec, shape: Shape,
                       data: Tensor) -> tuple[nn.Module, nn.Module]:
        return self.conditioning.build(architecture, (shape.channels, shape.resolution, shape.resolution),
                                       shape.latent_dim, self.n_classes)

    def picture(self, fake: Tensor, real: Tensor) -> bytes:
        buffer = io.BytesIO()
        rows = max(1, min(8, fake.shape[0] // self.n_classes))
        _save_png(fake[: rows * self.n_classes].float() / 255.0, buffer, format="png", nrow=self.n_classes)
        return buffer.getvalue()

    def fake_labels(self, rng: torch.Generator, count: int) -> Tensor | None:
        return torch.randint(self.n_classes, (count,), generator=rng)

    def eval_labels(self, start: int, count: int) -> Tensor | None:
        return evenly(count, self.n_classes, start)

    def bind(self, network: nn.Module, labels: Tensor | None) -> None:
        bind(network, labels)


IMAGES = Images()
POINTS = Points()
KINDS: dict[str, DataKind] = {kind.name: kind for kind in (IMAGES, POINTS)}


def kind_of(dataset: DatasetSpec, conditioning: ConditioningSpec | None = None) -> DataKind:
    """The kind of a run on ``dataset``: labelled images when it is conditioned on classes, else the
    dataset's own kind (checked against ``KINDS`` at registration)."""
    if conditioning is not None:
        return LabelledImages(dataset, conditioning)
    return KINDS[dataset.kind]
