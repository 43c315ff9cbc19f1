"""Structure: fidelity on coarse scales, the shapes a person tells a shirt from a shoe by.

FID in the run's feature space after the same Gaussian low-pass filter on both sides. The filter
removes what the sharpness scores measure (detail, blur, high-frequency noise), so a blurry garment
keeps a good score and a textured patch with the right spectrum but no garment gets a bad one. Plain
FID in a domain classifier's space orders those two the other way round (docs/metrics.md).

The filter's width is a fixed share of the image side, chosen by the validation in
``scripts/validate_metrics.py`` before any table used it: the narrowest width of those tried at
which every structure-destroying transform of real images scores worse than real images blurred
with σ = 1.5, and blur up to σ = 1.5 moves the score less than half as much as the mildest of them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

# σ of the low-pass filter as a share of the image side: 3 px on Fashion-MNIST's 28 px.
SIGMA_PER_SIDE = 3.0 / 28.0


def sigma_for(side: int) -> float:
    return SIGMA_PER_SIDE * side


def low_pass(images: Tensor, sigma: float | None = None) -> Tensor:
    """uint8 images (N, C, H, W) through a Gaussian of σ = ``sigma_for(H)`` (or ``sigma`` px, for
    the validation's alternatives), truncated at 3σ, with reflected borders (torchvision's
    ``gaussian_blur``), rounded back to uint8 for the extractor."""
    from torchvision.transforms.functional import gaussian_blur  # not at import: the planning process never scores

    if images.dtype != torch.uint8:
        raise TypeError("images must be uint8")
    sigma = sigma_for(int(images.shape[-1])) if sigma is None else sigma
    # An odd kernel of at most the image side: reflect padding needs a pad smaller than the side.
    size = min(2 * math.ceil(3 * sigma) + 1, int(images.shape[-1]) - (1 - int(images.shape[-1]) % 2))
    blurred = gaussian_blur(images.float(), [size, size], [sigma, sigma])
    return blurred.round().clamp(0, 255).to(torch.uint8)


def protocol(side: int) -> dict[str, float | str]:
    return {"structure_filter": "gaussian low-pass on fake and reference", "structure_sigma": round(sigma_for(side), 4)}


def validation_failures(real: float, blurred: dict[float, float], destroyed: dict[str, float]) -> list[str]:
    """What the structure score's validation finds wrong (empty: it passes). ``real``: the score of
    real images, ``blurred``: σ -> score of real images blurred with σ, ``destroyed``: transform name
    -> score of a structure-destroying transform. Required: each destroyed set scores worse than
    blur σ = 1.5, and blur up to σ = 1.5 moves the score less than half as much as the mildest
    structure-destroying transform does."""
    failures = []
    worst_blur = max(abs(score - real) for sigma, score in blurred.items() if sigma <= 1.5)
    mildest = min(destroyed, key=lambda name: destroyed[name])
    for name, score in destroyed.items():
        if not score > blurred[1.5]:
            failures.append(f"{name} ({score:.3f}) does not score worse than blur σ 1.5 ({blurred[1.5]:.3f})")
    if not worst_blur < 0.5 * (destroyed[mildest] - real):
        failures.append(f"blur up to σ 1.5 moves it by {worst_blur:.3f}, not less than half of what {mildest} "
                        f"does ({destroyed[mildest] - real:.3f})")
    return failures
