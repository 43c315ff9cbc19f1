"""Fully connected GANs after Goodfellow et al. (2014).

The paper's MNIST networks used rectifier and sigmoid units in G and maxout units with dropout in
D. ganbench's image MLP uses LeakyReLU 0.2 throughout, widths 256-512-1024 (G) and 512-256 (D)
and a tanh output: a common modern rendering, not the paper's exact networks. Dropout in D is the
separate ``dropout`` regularizer.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from ganbench.hookspecs import RegisterArchitecture, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape


class MlpGenerator(nn.Module):
    """z (N, latent) -> dense 256-512-1024 with LeakyReLU -> tanh image in [-1, 1]."""

    def __init__(self, image_shape: ImageShape, latent_dim: int, hidden: tuple[int, ...] = (256, 512, 1024)):
        super().__init__()
        self.image_shape = image_shape
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers += [nn.Linear(width, math.prod(image_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(z.shape[0], *self.image_shape)


class MlpDiscriminator(nn.Module):
    """Flattened image -> dense 512-256 with LeakyReLU -> one logit."""

    def __init__(self, image_shape: ImageShape, hidden: tuple[int, ...] = (512, 256)):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(image_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features, for feature-matching objectives."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x)).squeeze(1)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    return MlpGenerator(image_shape, latent_dim), MlpDiscriminator(image_shape)


class PointGenerator(nn.Module):
    """z -> 3 x 128 ReLU -> linear points: unbounded, since grid-25 spans [-4, 4]."""

    def __init__(self, point_dim: int, latent_dim: int, width: int = 128, depth: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(latent_dim if i == 0 else width, width), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(width, point_dim))

    def forward(self, z: Tensor) -> Tensor:
        out: Tensor = self.net(z)
        return out


def build_points(point_dim: int, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    """Small MLPs as in the 2-D experiments of the mode-collapse papers (widths: ganbench's choice);
    the discriminator is the image one on (point_dim, 1, 1) "images", 3 x 128 LeakyReLU."""
    return PointGenerator(point_dim, latent_dim), MlpDiscriminator((point_dim, 1, 1), hidden=(128, 128, 128))


@hookimpl
def register_architectures(register: RegisterArchitecture) -> None:
    register(ArchitectureSpec(
        name="mlp",
        summary="Fully connected G and D in the spirit of the original GAN (LeakyReLU and widths are "
                "ganbench's, not the paper's maxout D); small MLPs on 2-D points",
        reference="Goodfellow et al. 2014, Generative Adversarial Nets, NeurIPS",
        build=build, resolutions=(28, 32, 64), build_points=build_points,
        provides=frozenset({"discriminator-features"}),
    ))
