"""Known-answer transforms of real images, for validating the metrics (scripts/validate_metrics.py,
tests/test_structure.py).

``blur`` and ``noise`` keep a garment's shape and change its detail; the structure-destroying ones
keep detail and destroy the shape a person recognises it by:

- ``phase_randomise``: each image's own amplitude spectrum with random phase: texture with exactly
  the real spectrum, no object;
- ``shuffle_patches``: the image cut into tiles and the tiles shuffled;
- ``tile_texture``: one small crop of the image repeated over the whole frame;
- ``swap_halves``: the top half of one garment over the bottom half of another.

Each draws from its own generator seeded by ``seed``, so a validation table is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor
from torchvision.transforms.functional import gaussian_blur


def _uint8(images: Tensor) -> Tensor:
    return images.round().clamp(0, 255).to(torch.uint8)


def blur(images: Tensor, sigma: float) -> Tensor:
    """Gaussian blur, kernel 9 (the validation table's blur since 0.1)."""
    return gaussian_blur(images, [9, 9], [sigma, sigma])


def noise(images: Tensor, std: float, seed: int = 0) -> Tensor:
    """Additive Gaussian noise on the 0-255 scale."""
    gen = torch.Generator().manual_seed(seed)
    return _uint8(images.float() + std * torch.randn(images.shape, generator=gen))


def phase_randomise(images: Tensor, seed: int = 0) -> Tensor:
    """Each image's amplitude spectrum with the phase of white noise (so the result is real-valued),
    the mean (the zero frequency) kept: the image's brightness, not its shape."""
    gen = torch.Generator().manual_seed(seed)
    amplitude = torch.fft.fft2(images.float()).abs()
    phase = torch.angle(torch.fft.fft2(torch.randn(images.shape, generator=gen)))
    phase[..., 0, 0] = 0.0
    return _uint8(torch.fft.ifft2(amplitude * torch.exp(1j * phase)).real)


def shuffle_patches(images: Tensor, patch: int, seed: int = 0) -> Tensor:
    """Square tiles of side ``patch`` (which must divide the side), shuffled within each image."""
    gen = torch.Generator().manual_seed(seed)
    n, c, h, w = images.shape
    if h % patch or w % patch:
        raise ValueError(f"patch {patch} does not divide {h}x{w}")
    rows, cols = h // patch, w // patch
    tiles = images.reshape(n, c, rows, patch, cols, patch).permute(0, 2, 4, 1, 3, 5).reshape(n, rows * cols, c,
                                                                                             patch, patch)
    order = torch.stack([torch.randperm(rows * cols, generator=gen) for _ in range(n)])
    shuffled = tiles[torch.arange(n)[:, None], order]
    return shuffled.reshape(n, rows, cols, c, patch, patch).permute(0, 3, 1, 4, 2, 5).reshape(n, c, h, w)


def tile_texture(images: Tensor, patch: int, seed: int = 0) -> Tensor:
    """A random ``patch`` x ``patch`` crop of each image, repeated over its frame."""
    gen = torch.Generator().manual_seed(seed)
    n, _, h, w = images.shape
    out = torch.empty_like(images)
    for i in range(n):
        top, left = torch.randint(0, h - patch + 1, (2,), generator=gen).tolist()
        crop = images[i, :, top:top + patch, left:left + patch]
        out[i] = crop.repeat(1, math.ceil(h / patch), math.ceil(w / patch))[:, :h, :w]
    return out


def swap_halves(images: Tensor, seed: int = 0) -> Tensor:
    """The bottom half of each image replaced by the bottom half of another (a random pairing)."""
    gen = torch.Generator().manual_seed(seed)
    other = images[torch.randperm(images.shape[0], generator=gen)]
    out = images.clone()
    half = images.shape[-2] // 2
    out[..., half:, :] = other[..., half:, :]
    return out


# The structure-destroying transforms the validation requires to score worse than blur σ = 1.5.
STRUCTURE_DESTROYING: dict[str, Callable[[Tensor], Tensor]] = {
    "phase randomised": phase_randomise,
    "patches 7 px shuffled": lambda x: shuffle_patches(x, 7),
    "patches 14 px shuffled": lambda x: shuffle_patches(x, 14),
    "7 px crop tiled": lambda x: tile_texture(x, 7),
    "halves swapped": swap_halves,
}
