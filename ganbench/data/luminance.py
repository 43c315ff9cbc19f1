"""Rec. 601 luma, the one grayscale conversion used everywhere in ganbench."""

from __future__ import annotations

import torch
from torch import Tensor

LUMA = (0.299, 0.587, 0.114)


def luminance(images: Tensor) -> Tensor:
    """Float (N, 3, H, W) -> (N, 1, H, W) weighted sum of R, G, B."""
    weights = torch.tensor(LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images * weights).sum(1, keepdim=True)
