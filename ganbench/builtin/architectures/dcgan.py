"""DCGAN (Radford et al. 2016) and its resize-convolution variant (Odena et al. 2016).

As in the paper: a linear projection of z reshaped to a small feature map, strided (transposed)
convolutions that double the side, batch norm and ReLU in G, LeakyReLU 0.2 in D, tanh output, and
weights initialised N(0, 0.02) (batch-norm scales N(1, 0.02), biases 0).

G's last upsampling layer outputs the image, as in the paper and its code: G halves its channels at
each doubling and has no full-resolution hidden layer (ganbench 0.2 added one, a 3x3 conv after a
32-channel 28x28 map, which was not the paper's network and cost half of every training step).

ganbench's own choices: the discriminator omits batch norm (as the "standard CNN" of Miyato et al.
2018 does) so that per-sample gradient penalties (WGAN-GP, R1) are well defined on the baseline; D
ends in a linear logit (no sigmoid: the loss applies it); widths are ``default_width`` (32
channels up to 32 px, where Radford et al. use 128 at 64 px); 28 px starts from 7x7.
"""

from __future__ import annotations

from typing import cast

import torch.nn.functional as F
from torch import Tensor, nn

from ganbench.hookspecs import RegisterArchitecture, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape

# What conditioning methods build on (specs.ARCHITECTURE_OFFERS): D = head(features(x)); BN in G.
_BOTH = frozenset({"discriminator-features", "generator-batch-norm"})
# Side of the first feature map: 28 px starts from 7x7, 32 and 64 px from 4x4.
BASE = {28: 7, 32: 4, 64: 4}


def upsamplings(size: int) -> int:
    if size not in BASE:
        raise ValueError(f"supported image sides are {sorted(BASE)}, not {size}")
    return (size // BASE[size]).bit_length() - 1


def default_width(image_shape: ImageShape) -> int:
    """Base channel count of the built-in conv nets: 32 up to 32 px, 64 from 64 px.

    Radford et al. use 128 at 64 px; narrower nets suit 28-32 px and a CPU budget."""
    return 64 if image_shape[1] >= 64 else 32


def init_radford(module: nn.Module) -> None:
    """Radford et al. 2016, sec. 4: all weights from N(0, 0.02); batch-norm scales N(1, 0.02) (the
    usual reading of "all weights"); every bias 0. Apply with ``net.apply(init_radford)``."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
    else:
        return
    if module.bias is not None:
        nn.init.zeros_(module.bias)


class TransposedConv(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` (4x4, stride 2, padding 1 here), computed on a CPU, when it outputs one
    channel, as the matrix product of each input pixel's channels with the kernel, overlap-added by
    ``F.fold`` (col2im): the same linear map, the same weights and gradients up to float rounding.

    Why: oneDNN's transposed conv vectorises over output channels, so G's last layer on a grayscale
    image (32 -> 1 channels) ran at about 2 GMAC/s against 30 for the layer before it; at batch 64 the
    product and fold take 0.5 ms forward against 2.5 ms, 1.9 against 3.2 with the backward pass.
    With three output channels the backward pass is slower this way, and on a GPU cuDNN's kernel is
    the fast one, so those keep PyTorch's."""

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:
        if self.out_channels != 1 or x.device.type != "cpu" or output_size is not None or self.groups != 1 \
                or self.dilation != (1, 1) or self.output_padding != (0, 0) or x.dim() != 4:
            return super().forward(x, output_size)
        n, c, h, w = x.shape
        # (N, H*W, C): a view for a channels_last input. Columns are ordered (out channel, kh, kw), as fold reads them.
        columns = x.permute(0, 2, 3, 1).reshape(n, h * w, c) @ self.weight.reshape(c, -1)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, cast(tuple[int, int], self.padding)
        size = ((h - 1) * sh - 2 * ph + kh, (w - 1) * sw - 2 * pw + kw)
        out = F.fold(columns.transpose(1, 2), size, (kh, kw), stride=(sh, sw), padding=(ph, pw))
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)


def _up_transposed(c_in: int, c_out: int, bias: bool) -> nn.Module:
    return TransposedConv(c_in, c_out, 4, 2, 1, bias=bias)


def _up_resize(c_in: int, c_out: int, bias: bool) -> nn.Module:
    """Nearest-neighbour upsampling then a 3x3 conv: no uneven kernel overlap, so no checkerboard."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias))


class DcganGenerator(nn.Module):
    """Linear projection to (width*2^(k-1), s, s), BN, ReLU; then k-1 x [upsample x2 halving the
    channels, BN, ReLU]; then a last upsampling straight to the image channels and tanh (Radford et
    al.'s G: no batch norm on the output layer). Weights initialised as Radford et al.

    ``batch_norm=False`` drops every batch norm and gives each layer a bias instead (a layer followed
    by batch norm needs none: the norm's shift replaces it)."""

    def __init__(self, image_shape: ImageShape, latent_dim: int, width: int = 64, resize: bool = False,
                 batch_norm: bool = True):
        super().__init__()
        channels, size, _ = image_shape
        n_up, base = upsamplings(size), BASE[size]
        top = width * 2 ** (n_up - 1)

        def norm(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if batch_norm else nn.Identity()

        self.project = nn.Sequential(nn.Linear(latent_dim, top * base * base, bias=not batch_norm),
                                     nn.Unflatten(1, (top, base, base)), norm(top), nn.ReLU())
        up = _up_resize if resize else _up_transposed
        layers: list[nn.Module] = []
        c = top
        for _ in range(n_up - 1):
            layers += [up(c, c // 2, not batch_norm), norm(c // 2), nn.ReLU()]
            c //= 2
        layers += [up(c, channels, False), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        self.apply(init_radford)

    def forward(self, z: Tensor) -> Tensor:
        return self.body(self.project(z))


class DcganDiscriminator(nn.Module):
    """k x [Conv 4x4 stride 2, LeakyReLU 0.2], then a linear logit on the flattened features.
    Weights initialised as Radford et al. (``init_radford``)."""

    def __init__(self, image_shape: ImageShape, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        layers: list[nn.Module] = []
        c = channels
        for i in range(upsamplings(size)):
            out = width * 2**i
            layers += [nn.Conv2d(c, out, 4, 2, 1), nn.LeakyReLU(0.2)]
            c = out
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c * BASE[size] ** 2, 1)
        self.apply(init_radford)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features, for feature-matching objectives."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x)).squeeze(1)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    width = default_width(image_shape)
    return DcganGenerator(image_shape, latent_dim, width), DcganDiscriminator(image_shape, width)


def build_no_bn(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    width = default_width(image_shape)
    return DcganGenerator(image_shape, latent_dim, width, batch_norm=False), DcganDiscriminator(image_shape, width)


def build_resize(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    width = default_width(image_shape)
    return DcganGenerator(image_shape, latent_dim, width, resize=True), DcganDiscriminator(image_shape, width)


@hookimpl
def register_architectures(register: RegisterArchitecture) -> None:
    register(ArchitectureSpec(
        name="dcgan",
        summary="Radford et al.'s DCGAN (transposed convs up to the image, BN and ReLU in G, N(0, 0.02) "
                "init) with a batch-norm-free strided-conv D and narrower widths",
        reference="Radford, Metz & Chintala 2016, Unsupervised Representation Learning with DCGANs, ICLR",
        build=build, resolutions=(28, 32, 64), provides=_BOTH, channels_last=True,
    ))
    register(ArchitectureSpec(
        name="dcgan-no-bn",
        summary="ganbench's dcgan without batch norm in G (biases instead); D has none either, so the "
                "pair has no batch norm at all: the other side of the batch-norm factor",
        reference="Radford, Metz & Chintala 2016, DCGAN, ICLR (sec. 3: batch norm in G and D); "
                  "Ioffe & Szegedy 2015, Batch Normalization, ICML",
        build=build_no_bn, resolutions=(28, 32, 64), provides=frozenset({"discriminator-features"}),
        channels_last=True,
    ))
    register(ArchitectureSpec(
        name="dcgan-resize",
        summary="ganbench's dcgan with nearest-neighbour upsampling + 3x3 conv instead of transposed conv",
        reference="Odena, Dumoulin & Olah 2016, Deconvolution and Checkerboard Artifacts, Distill",
        build=build_resize, resolutions=(28, 32, 64), provides=_BOTH, channels_last=True,
    ))
