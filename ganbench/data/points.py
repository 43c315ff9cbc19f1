"""2-D Gaussian mixtures of the mode-collapse literature, in the PacGAN configurations
(Lin et al. 2018; after Metz et al. 2017 and Srivastava et al. 2017):

- ``ring-8``: 8 components with means (cos 2πk/8, sin 2πk/8), std 0.01;
- ``grid-25``: 25 components with means (-4 + 2i, -4 + 2j), i, j in 0..4, std 0.05.

Components are equally likely. Both splits are fixed seeded samples; the trainer draws batches
from the train split like from any dataset.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
from torch import Tensor

TRAIN_COUNT, REFERENCE_COUNT = 64_000, 10_000
SEEDS = {"train": 0, "reference": 1_000_003}


@dataclass(frozen=True)
class Mixture:
    name: str
    centers: Tensor  # (M, 2) float64
    std: float

    def sample(self, count: int, seed: int) -> Tensor:
        """``count`` float32 points (count, 2): a uniformly chosen centre plus isotropic noise."""
        rng = torch.Generator().manual_seed(seed)
        which = torch.randint(len(self.centers), (count,), generator=rng)
        noise = torch.randn(count, 2, generator=rng, dtype=torch.float64)
        return (self.centers[which] + self.std * noise).float()

    def assign(self, points: Tensor, sigmas: float = 3.0) -> Tensor:
        """Nearest centre of each point, or -1 where it is further than ``sigmas`` std from all of them."""
        distance = torch.cdist(points.double(), self.centers)
        nearest, index = distance.min(1)
        return torch.where(nearest <= sigmas * self.std, index, torch.full_like(index, -1))


def _ring() -> Tensor:
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return torch.stack([angles.cos(), angles.sin()], 1)


def _grid() -> Tensor:
    return torch.tensor(list(itertools.product(range(-4, 5, 2), repeat=2)), dtype=torch.float64)


MIXTURES = {"ring-8": Mixture("ring-8", _ring(), 0.01), "grid-25": Mixture("grid-25", _grid(), 0.05)}


def load_split(name: str, split: str) -> Tensor:
    if split not in SEEDS:
        raise ValueError(f"unknown split {split!r}")
    return MIXTURES[name].sample(TRAIN_COUNT if split == "train" else REFERENCE_COUNT, SEEDS[split])


def scatter(points: Tensor, reference: Tensor, size: int = 256) -> Tensor:
    """A uint8 (3, size, size) picture of ``points`` (black) over ``reference`` points (red), stored
    beside the record in place of an image grid."""
    extent = float(reference.abs().max()) * 1.25
    image = torch.full((3, size, size), 255, dtype=torch.uint8)
    for xy, colour in ((reference, (240, 120, 120)), (points, (0, 0, 0))):
        xy = xy[torch.isfinite(xy).all(1)].double()
        cols = ((xy[:, 0] / extent + 1) * 0.5 * (size - 1)).round().long()
        rows = ((1 - xy[:, 1] / extent) * 0.5 * (size - 1)).round().long()
        inside = (cols >= 0) & (cols < size) & (rows >= 0) & (rows < size)
        image[:, rows[inside], cols[inside]] = torch.tensor(colour, dtype=torch.uint8).view(3, 1)
    return image
