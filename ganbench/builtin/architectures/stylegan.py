"""StyleGAN-lite: the style-based generator of Karras et al. (2019) with StyleGAN2's weight
demodulation (Karras et al. 2020), sized for 28-64 px. The discriminator is the SNGAN ResNet one.

- Equalized learning rate (Karras et al. 2018, sec. 4.1): every weight is stored as N(0, 1) and
  scaled at runtime by the He constant c = 1/sqrt(fan_in), so Adam's scale-free steps move every
  layer at the same relative speed. The mapping network's layers also carry a learning-rate
  multiplier lr_mul = 0.01 (Karras et al. 2019, appendix C): stored N(0, 1/lr_mul^2), scaled by
  lr_mul * c, bias scaled by lr_mul.
- Mapping network: pixel-normalised z -> 4 dense layers (LeakyReLU 0.2) -> style vector w.
- Synthesis: a learned constant, then per resolution two modulated 3x3 convolutions. Modulation
  scales input channels by s = A(w): w'_ijk = s_i w_ijk; demodulation divides each output
  filter by sqrt(sum_ik w'_ijk^2 + eps), replacing AdaIN's instance norm.
- Per-pixel noise inputs B * N(0, 1), with a learned per-channel scale B (initialised at 0).
- Leaky ReLUs are multiplied by sqrt(2), StyleGAN2's gain that keeps activations at unit variance.
- A modulated (not demodulated) 1x1 toRGB with a bias, and tanh so outputs lie in [-1, 1] as
  ganbench requires.

What it leaves out of StyleGAN/StyleGAN2 (ganbench's choices, for a CPU budget and a shared
protocol): the StyleGAN2 discriminator (residual, equalized LR, minibatch standard deviation; here
the SNGAN ResNet D of ``resnet``), 8 mapping layers and 512-d z/w (here 4 layers, 128-d w, the
suite's latent_dim), progressive growing / skip toRGB outputs at every resolution (one toRGB at
the end), FIR-filtered resampling (bilinear here), style-mixing regularisation, path-length
regularisation, lazy R1 (R1 is the separate ``r1`` regularizer), the tracked average w and the
truncation trick, and the paper's widths (``default_width`` channels at every resolution).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganbench.builtin.architectures.dcgan import BASE, default_width, upsamplings
from ganbench.builtin.architectures.resnet import ResnetDiscriminator
from ganbench.hookspecs import RegisterArchitecture, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape

LRELU_GAIN = math.sqrt(2)
MAPPING_LR_MUL = 0.01


class EqualLinear(nn.Module):
    """y = x (lr_mul * W / sqrt(fan_in))^T + lr_mul * b, with W stored N(0, 1/lr_mul^2) and b stored
    as bias_init / lr_mul: the effective weight starts N(0, 1/fan_in) and learns lr_mul times as fast."""

    def __init__(self, c_in: int, c_out: int, lr_mul: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.lr_mul = lr_mul
        self.weight = nn.Parameter(torch.randn(c_out, c_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((c_out,), bias_init / lr_mul))
        self.weight_gain = lr_mul / math.sqrt(c_in)

    def effective_weight(self) -> Tensor:
        return self.weight * self.weight_gain

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.effective_weight(), self.bias * self.lr_mul)


class ScaledLeakyReLU(nn.Module):
    """sqrt(2) * LeakyReLU(x, 0.2)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, 0.2) * LRELU_GAIN


class ModulatedConv(nn.Module):
    """Modulated (and optionally demodulated) conv; weight stored N(0, 1), scaled by 1/sqrt(fan_in)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, style_dim: int, demodulate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.weight_gain = 1 / math.sqrt(c_in * kernel * kernel)
        self.affine = EqualLinear(style_dim, c_in, bias_init=1.0)  # styles start at 1: an unmodulated conv
        self.demodulate = demodulate
        self.padding = kernel // 2

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        n, c_in, h, width = x.shape
        weight = (self.weight * self.weight_gain).unsqueeze(0) * self.affine(w).view(n, 1, c_in, 1, 1)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        # One grouped convolution applies each sample's own weights.
        out = F.conv2d(x.reshape(1, n * c_in, h, width), weight.reshape(-1, c_in, *weight.shape[3:]),
                       padding=self.padding, groups=n)
        return out.view(n, -1, h, width)


class StyleLayer(nn.Module):
    """Modulated conv, per-pixel noise with a learned per-channel scale, bias, LeakyReLU."""

    def __init__(self, c_in: int, c_out: int, style_dim: int):
        super().__init__()
        self.conv = ModulatedConv(c_in, c_out, 3, style_dim)
        self.noise_scale = nn.Parameter(torch.zeros(1, c_out, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, c_out, 1, 1))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        x = self.conv(x, w)
        noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
        return F.leaky_relu(x + self.noise_scale * noise + self.bias, 0.2) * LRELU_GAIN


class StyleBlock(nn.Module):
    """Bilinear upsampling x2, then two style layers."""

    def __init__(self, width: int, style_dim: int):
        super().__init__()
        self.layer1, self.layer2 = StyleLayer(width, width, style_dim), StyleLayer(width, width, style_dim)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.layer2(self.layer1(x, w), w)


class StyleGenerator(nn.Module):
    """Mapping network z -> w; constant -> first style layer -> style blocks up to the image side ->
    modulated toRGB + bias -> tanh."""

    def __init__(self, image_shape: ImageShape, latent_dim: int, width: int = 64, style_dim: int = 128):
        super().__init__()
        channels, size, _ = image_shape
        mapping: list[nn.Module] = []
        dim = latent_dim
        for _ in range(4):
            mapping += [EqualLinear(dim, style_dim, lr_mul=MAPPING_LR_MUL), ScaledLeakyReLU()]
            dim = style_dim
        self.mapping = nn.Sequential(*mapping)
        self.constant = nn.Parameter(torch.randn(1, width, BASE[size], BASE[size]))
        self.first = StyleLayer(width, width, style_dim)
        self.blocks = nn.ModuleList(StyleBlock(width, style_dim) for _ in range(upsamplings(size)))
        self.to_image = ModulatedConv(width, channels, 1, style_dim, demodulate=False)
        self.image_bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, z: Tensor) -> Tensor:
        w = self.mapping(z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8))
        x = self.first(self.constant.expand(z.shape[0], -1, -1, -1), w)
        for block in self.blocks:
            x = block(x, w)
        return torch.tanh(self.to_image(x, w) + self.image_bias)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    width = default_width(image_shape)
    return StyleGenerator(image_shape, latent_dim, width), ResnetDiscriminator(image_shape, width)


@hookimpl
def register_architectures(register: RegisterArchitecture) -> None:
    register(ArchitectureSpec(
        name="stylegan-lite",
        summary="StyleGAN2-style G (equalized LR, 0.01-lr mapping, modulated/demodulated convs, noise) "
                "without its D, regularizers, mixing or truncation; SNGAN ResNet discriminator",
        reference="Karras, Laine & Aila 2019 (StyleGAN), CVPR; Karras et al. 2020 (StyleGAN2), CVPR",
        build=build, resolutions=(28, 32, 64), provides=frozenset({"discriminator-features"}),
    ))
