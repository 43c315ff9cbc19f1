"""DCGAN (Radford et al. 2016): transposed-convolution generator, strided-convolution discriminator."""

from __future__ import annotations

from torch import Tensor, nn

from ganbench.hookspecs import Register, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape

# Side of the first feature map: 28 px starts from 7x7, 32 and 64 px from 4x4.
_BASE = {28: 7, 32: 4, 64: 4}


def _upsamplings(size: int) -> int:
    if size not in _BASE:
        raise ValueError(f"dcgan supports {sorted(_BASE)} px images, not {size}")
    return (size // _BASE[size]).bit_length() - 1


class DcganGenerator(nn.Module):
    """Linear projection to (width*2^k, s, s), then k x [ConvT 4x4 stride 2, BN, ReLU], conv to tanh."""

    def __init__(self, image_shape: ImageShape, latent_dim: int, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        n_up = _upsamplings(size)
        base = _BASE[size]
        top = width * 2 ** (n_up - 1)
        self.project = nn.Sequential(nn.Linear(latent_dim, top * base * base, bias=False),
                                     nn.Unflatten(1, (top, base, base)), nn.BatchNorm2d(top), nn.ReLU())
        layers: list[nn.Module] = []
        c = top
        for _ in range(n_up):
            out = max(c // 2, width)
            layers += [nn.ConvTranspose2d(c, out, 4, 2, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU()]
            c = out
        layers += [nn.Conv2d(c, channels, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.body(self.project(z))


class DcganDiscriminator(nn.Module):
    """k x [Conv 4x4 stride 2, (BN), LeakyReLU 0.2], no BN on the first layer, then a linear logit."""

    def __init__(self, image_shape: ImageShape, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        n_down = _upsamplings(size)
        layers: list[nn.Module] = []
        c = channels
        for i in range(n_down):
            out = width * 2**i
            layers.append(nn.Conv2d(c, out, 4, 2, 1, bias=i == 0))
            if i > 0:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2))
            c = out
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c * _BASE[size] ** 2, 1)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features, for feature-matching objectives."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x)).squeeze(1)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    # Radford et al. use width 128 at 64 px; half-width nets suit 28-32 px and a CPU budget.
    width = 64 if image_shape[1] >= 64 else 32
    return DcganGenerator(image_shape, latent_dim, width), DcganDiscriminator(image_shape, width)


@hookimpl
def register_architectures(register: Register) -> None:
    register(ArchitectureSpec(
        name="dcgan",
        summary="Transposed-conv generator and strided-conv discriminator with batch norm",
        reference="Radford, Metz & Chintala 2016, Unsupervised Representation Learning with DCGANs, ICLR",
        build=build,
    ))
