"""The SNGAN ResNet generator and discriminator (Miyato et al. 2018, appendix B; after Gulrajani
et al. 2017), sized for 28-64 px: residual up-blocks in G, residual down-blocks in D, no batch
norm in D."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ganbench.builtin.architectures.dcgan import BASE, default_width, upsamplings
from ganbench.hookspecs import Register, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape


class UpBlock(nn.Module):
    """x -> BN, ReLU, up x2, conv3, BN, ReLU, conv3;  shortcut: up x2, conv1."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out)
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, 1, 1), nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2.0, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock(nn.Module):
    """x -> (ReLU), conv3, ReLU, conv3, avgpool;  shortcut: conv1, avgpool. The first block of D
    skips the leading ReLU (the "optimized" block), since its input is the image."""

    def __init__(self, c_in: int, c_out: int, first: bool = False, down: bool = True):
        super().__init__()
        self.first, self.down = first, down
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, 1, 1), nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)
        # Activation modules, not F.relu: regularizers such as dropout hook into them.
        self.act1, self.act2 = nn.ReLU(), nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.first else self.act1(x)
        h = self.conv2(self.act2(self.conv1(h)))
        s = self.shortcut(x)
        if self.down:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class ResnetGenerator(nn.Module):
    def __init__(self, image_shape: ImageShape, latent_dim: int, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        self.base = BASE[size]
        self.width = width
        self.project = nn.Linear(latent_dim, width * self.base * self.base)
        self.blocks = nn.Sequential(*[UpBlock(width, width) for _ in range(upsamplings(size))])
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        h = self.project(z).view(z.shape[0], self.width, self.base, self.base)
        return self.out(self.blocks(h))


class ResnetDiscriminator(nn.Module):
    """Down-blocks to the first feature map's side, one more block at that side, ReLU, global sum
    pooling, linear logit."""

    def __init__(self, image_shape: ImageShape, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        n_down = upsamplings(size)
        blocks = [DownBlock(channels, width, first=True)]
        blocks += [DownBlock(width, width) for _ in range(n_down - 1)]
        blocks.append(DownBlock(width, width, down=False))
        self.blocks = nn.Sequential(*blocks)
        self.act = nn.ReLU()
        self.head = nn.Linear(width, 1)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features, for feature-matching objectives."""
        return self.act(self.blocks(x)).sum(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    # Miyato et al. use 256 (G) / 128 (D) channels at 32 px; a quarter of that suits a CPU budget.
    width = default_width(image_shape)
    return ResnetGenerator(image_shape, latent_dim, width), ResnetDiscriminator(image_shape, width)


@hookimpl
def register_architectures(register: Register) -> None:
    register(ArchitectureSpec(
        name="resnet",
        summary="SNGAN ResNet: residual up-blocks in G, residual down-blocks and sum pooling in D",
        reference="Miyato et al. 2018, Spectral Normalization for GANs, ICLR (appendix B)",
        build=build, resolutions=(28, 32, 64),
    ))
