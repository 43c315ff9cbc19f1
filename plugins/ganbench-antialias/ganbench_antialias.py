"""dcgan-antialias: ganbench's built-in DCGAN with anti-aliased resampling, and nothing else changed.

Same widths, depth, kernels (4x4), batch norm, activations, tanh output, ``init_radford`` and
linear head as ``ganbench.builtin.architectures.dcgan``; the low-pass filters are fixed buffers,
so the parameter count is the built-in dcgan's. Only where the networks resample differs:

Discriminator, BlurPool (Zhang 2019, "Making Convolutional Networks Shift-Invariant Again", ICML),
the ConvBlurPool pattern of the official code (adobe/antialiased-cnns, README "Conv -->
ConvBlurPool": conv(stride 1) -> ReLU -> BlurPool(stride 2)): each ``Conv2d(4, stride 2, pad 1),
LeakyReLU(0.2)`` of dcgan becomes ``Conv2d(4, stride 1, pad 1), LeakyReLU(0.2), BlurPool``, where
BlurPool reflect-pads, convolves each channel with a normalised binomial filter and keeps every
second sample (``antialiased_cnns/blurpool.py``: ``filt = a[:,None]*a[None,:]``, ``filt/sum``,
``pad_sizes = [(k-1)//2, ceil((k-1)/2)]``, ``ReflectionPad2d``, ``F.conv2d(..., stride,
groups=C)``).

Generator, anti-aliased upsampling as StyleGAN2 resamples (Karras et al. 2020; kept in alias-free
GAN, Karras et al. 2021): upsampling by zero insertion is followed by a low-pass FIR filter
normalised to sum 1 and scaled by the gain up**2 = 4 that restores the DC level lost to the
inserted zeros (stylegan2-ada-pytorch ``torch_utils/ops/upfirdn2d.py``: ``setup_filter``
normalises, ``upsample2d`` passes ``gain*upx*upy``). With a learned kernel StyleGAN2 runs the
transposed convolution at stride 2 without padding and filters its full output
(``conv2d_resample.py``, the ``up > 1`` path: ``conv_transpose2d`` then ``upfirdn2d(...,
gain=up**2)``), which is what each ``ConvTranspose2d(4, stride 2)`` of dcgan becomes here.

ganbench's choice: the binomial [1, 2, 1] in both networks. DCGAN's kernels are 4x4 (even); an
odd filter keeps the composite (kernel * filter) of even length, so the layer samples exactly
the grid dcgan samples (D: output j centred on input 2j + 1/2; G: input i centred on output
2i + 1/2) with symmetric padding, and with the 1-tap filter the layers are dcgan's exactly. Both
official codes pair an even filter, [1, 3, 3, 1], with odd 3x3 kernels for the same reason;
[1, 3, 3, 1] after a 4x4 kernel would shift every layer by half a pixel and need uneven padding.
[1, 2, 1] is Zhang's "Tri-3" filter; after zero insertion with gain 4 it is linear interpolation.
Alias-free GAN's other parts (Fourier-feature input, filtered nonlinearities, Kaiser filters,
equivariance-driven design) are not taken: the activations stay pointwise, as in dcgan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganbench.builtin.architectures.dcgan import BASE, default_width, init_radford, upsamplings
from ganbench.hookspecs import RegisterArchitecture, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape

DOWN_TAPS = (1.0, 2.0, 1.0)  # D's BlurPool filter (Zhang's Tri-3)
UP_TAPS = (1.0, 2.0, 1.0)  # G's interpolation filter
UP_GAIN = 4.0  # up**2 for up = 2: zero insertion leaves a quarter of the samples non-zero
KERNEL = 4  # dcgan's 4x4 (transposed) convolutions
# What dcgan provides (specs.ARCHITECTURE_OFFERS), and it holds here too: D = head(features(x))
# with a linear head; G normalises with nn.BatchNorm2d.
PROVIDES = frozenset({"discriminator-features", "generator-batch-norm"})


def binomial_kernel(taps: Sequence[float], gain: float = 1.0) -> Tensor:
    """The separable 2-D filter outer(a, a) / sum, times ``gain``: its entries sum to ``gain``."""
    row = torch.tensor([float(t) for t in taps], dtype=torch.float32)
    if row.ndim != 1 or row.numel() == 0 or bool((row < 0).any()) or float(row.sum()) <= 0:
        raise ValueError(f"filter taps must be a non-empty list of non-negative numbers, not {taps!r}")
    row = row / row.sum()
    return torch.outer(row, row) * gain


class BlurPool(nn.Module):
    """Zhang 2019's BlurPool: reflect padding ((k-1)//2 before, ceil((k-1)/2) after), the binomial
    filter on each channel (fixed, a buffer), every ``stride``-th sample kept. A 1-tap filter is
    plain subsampling, ``x[:, :, ::stride, ::stride]``."""

    kernel: Tensor

    def __init__(self, channels: int, taps: Sequence[float] = DOWN_TAPS, stride: int = 2) -> None:
        super().__init__()
        k = len(taps)
        self.stride = stride
        self.pad = ((k - 1) // 2, math.ceil((k - 1) / 2)) * 2  # (left, right, top, bottom)
        self.register_buffer("kernel", binomial_kernel(taps)[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        if any(self.pad):
            x = F.pad(x, self.pad, mode="reflect")
        return F.conv2d(x, self.kernel.to(x.dtype), stride=self.stride, groups=x.shape[1])


class FirFilter(nn.Module):
    """A fixed depthwise FIR filter (binomial, entries summing to ``gain``) after zero padding
    ``pad`` = (before, after) on each axis; a negative pad crops, as in upfirdn2d."""

    kernel: Tensor

    def __init__(self, channels: int, taps: Sequence[float], gain: float, pad: tuple[int, int]) -> None:
        super().__init__()
        self.pad = pad * 2
        self.register_buffer("kernel", binomial_kernel(taps, gain)[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        if any(self.pad):
            x = F.pad(x, self.pad)
        return F.conv2d(x, self.kernel.to(x.dtype), groups=x.shape[1])


class AntialiasedUp(nn.Module):
    """x2 upsampling: dcgan's 4x4 transposed convolution at stride 2, unpadded (zero insertion then
    the learned kernel), then the low-pass ``FirFilter`` with gain 4 on its full (2H + 2)-wide
    output, padded or cropped to 2H. The taps (1,) with gain 1 crop one sample a side: dcgan's
    ``ConvTranspose2d(c_in, c_out, 4, 2, 1)`` exactly."""

    def __init__(self, c_in: int, c_out: int, taps: Sequence[float] = UP_TAPS, gain: float = UP_GAIN,
                 bias: bool = False) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(c_in, c_out, KERNEL, 2, 0, bias=bias)
        total = len(taps) - KERNEL + 1  # padding that brings 2H + KERNEL - 2 back to 2H
        self.blur = FirFilter(c_out, taps, gain, (total // 2, total - total // 2))

    def forward(self, x: Tensor) -> Tensor:
        return self.blur(self.conv(x))


class AntialiasedGenerator(nn.Module):
    """dcgan's generator (``DcganGenerator`` with batch norm) with every transposed convolution an
    ``AntialiasedUp``: linear projection to (width*2^(k-1), s, s), BN, ReLU; k-1 x [AntialiasedUp
    halving the channels, BN, ReLU]; a last AntialiasedUp to the image channels; tanh."""

    def __init__(self, image_shape: ImageShape, latent_dim: int, width: int = 64,
                 taps: Sequence[float] = UP_TAPS, gain: float = UP_GAIN) -> None:
        super().__init__()
        channels, size, _ = image_shape
        n_up, base = upsamplings(size), BASE[size]
        top = width * 2 ** (n_up - 1)
        self.project = nn.Sequential(nn.Linear(latent_dim, top * base * base, bias=False),
                                     nn.Unflatten(1, (top, base, base)), nn.BatchNorm2d(top), nn.ReLU())
        layers: list[nn.Module] = []
        c = top
        for _ in range(n_up - 1):
            layers += [AntialiasedUp(c, c // 2, taps, gain), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        layers += [AntialiasedUp(c, channels, taps, gain), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        self.apply(init_radford)

    def forward(self, z: Tensor) -> Tensor:
        return self.body(self.project(z))


class AntialiasedDiscriminator(nn.Module):
    """dcgan's discriminator with ConvBlurPool: k x [Conv 4x4 stride 1 pad 1, LeakyReLU 0.2,
    BlurPool stride 2], then a linear logit on the flattened features. Each stride-1 conv gives an
    (H-1)-wide map; BlurPool's stride 2 brings it to H/2, the side dcgan's strided conv gives."""

    def __init__(self, image_shape: ImageShape, width: int = 64, taps: Sequence[float] = DOWN_TAPS) -> None:
        super().__init__()
        channels, size, _ = image_shape
        layers: list[nn.Module] = []
        c = channels
        for i in range(upsamplings(size)):
            out = width * 2**i
            layers += [nn.Conv2d(c, out, KERNEL, 1, 1), nn.LeakyReLU(0.2), BlurPool(out, taps, 2)]
            c = out
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c * BASE[size] ** 2, 1)
        self.apply(init_radford)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features, for feature-matching objectives and conditioning."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x)).squeeze(1)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    width = default_width(image_shape)
    return AntialiasedGenerator(image_shape, latent_dim, width), AntialiasedDiscriminator(image_shape, width)


@hookimpl
def register_architectures(register: RegisterArchitecture) -> None:
    register(ArchitectureSpec(
        name="dcgan-antialias",
        summary="ganbench's dcgan with anti-aliased resampling: D's stride-2 convs become stride-1 conv, "
                "LeakyReLU, BlurPool (reflect pad, [1,2,1] binomial); G filters each transposed conv's "
                "output with [1,2,1] at gain 4 (StyleGAN2 upfirdn2d); same widths, init, parameters",
        reference="Zhang 2019, Making Convolutional Networks Shift-Invariant Again, ICML; Karras et al. 2021, "
                  "Alias-Free Generative Adversarial Networks, NeurIPS",
        build=build, resolutions=(28, 32, 64), provides=PROVIDES,
    ))
