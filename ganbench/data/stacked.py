"""Stacked Fashion-MNIST: three Fashion-MNIST images as the R, G, B channels, 10^3 = 1,000 modes
(the Stacked MNIST protocol of Metz et al. 2017, used by VEEGAN and PacGAN).

Triples are drawn with a fixed seed: as many as the train split has images for training, and
10,000 from the held-out split for the reference.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from ganbench.data.fashion_mnist import load_split as load_fashion

REFERENCE_COUNT = 10_000
SEEDS = {"train": 0, "reference": 1}


def stack(images: Tensor, labels: Tensor, count: int, seed: int) -> tuple[Tensor, Tensor]:
    """``count`` stacked images (count, 3, H, W) and their mode ids 100*l0 + 10*l1 + l2."""
    rng = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(images), (count, 3), generator=rng)
    stacked = images[picks].squeeze(2)  # (count, 3, H, W)
    modes = 100 * labels[picks[:, 0]] + 10 * labels[picks[:, 1]] + labels[picks[:, 2]]
    return stacked.contiguous(), modes


def load_split(split: str, data_root: Path | None) -> tuple[Tensor, Tensor, str]:
    part = load_fashion(split, data_root)
    count = len(part.images) if split == "train" else REFERENCE_COUNT
    images, modes = stack(part.images, part.labels, count, SEEDS[split])
    return images, modes, f"stacked({part.source}, seed {SEEDS[split]})"
