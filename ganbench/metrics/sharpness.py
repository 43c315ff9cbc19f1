"""Sharpness: high-frequency spectral energy of generated images relative to real ones.

For each image: luminance, mean subtracted, Hann-windowed, |FFT|^2. The high-frequency fraction is
the power at radial frequencies above ``cutoff`` cycles/pixel over all non-DC power. The score is
HF(generated) / HF(real): 1.0 is as sharp as real data, below 1 blurrier, above 1 noisier.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganbench.data.luminance import luminance


def _luminance(images: Tensor) -> Tensor:
    x = images.double() / 255.0
    if x.shape[1] == 3:
        return luminance(x)[:, 0]
    return x[:, 0]


def high_frequency_fraction(images: Tensor, cutoff: float = 0.25) -> float:
    """Mean over images of the fraction of spectral power above ``cutoff`` cycles/pixel."""
    x = _luminance(images)
    h, w = x.shape[-2:]
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    window = torch.outer(torch.hann_window(h, periodic=False, dtype=x.dtype),
                         torch.hann_window(w, periodic=False, dtype=x.dtype))
    power = torch.fft.fft2(x * window).abs().square()
    fy = torch.fft.fftfreq(h, dtype=x.dtype).view(h, 1)
    fx = torch.fft.fftfreq(w, dtype=x.dtype).view(1, w)
    radius = torch.sqrt(fy.square() + fx.square())
    total = power[:, radius > 0].sum(-1)
    high = power[:, radius > cutoff].sum(-1)
    valid = total > 0  # a constant image has no spectrum to speak of
    if not bool(valid.any()):
        return 0.0
    return float((high[valid] / total[valid]).mean())


def sharpness(fake: Tensor, real: Tensor) -> float:
    """HF(fake) / HF(real); 1.0 = as sharp as real data."""
    return high_frequency_fraction(fake) / high_frequency_fraction(real)
