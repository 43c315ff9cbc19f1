"""The SNGAN CIFAR-10 ResNet (Miyato et al. 2018, appendix B, table 4; the authors' code is
pfnet-research/sngan_projection ``gen_models/resnet_32.py`` and ``dis_models/resnet_32.py``, after
Gulrajani et al. 2017).

Generator, 32 px: z -> linear -> (ch, 4, 4) -> 3 x UpBlock -> BN, ReLU, conv3x3 -> tanh, where
    UpBlock(x) = conv3(ReLU(BN(conv3(up(ReLU(BN(x))))))) + conv1(up(x))    (up: nearest x2).
Discriminator, 32 px: OptimizedBlock -> DownBlock -> 2 x plain Block -> ReLU -> global sum pooling
-> linear, where
    OptimizedBlock(x) = pool(conv3(ReLU(conv3(x)))) + conv1(pool(x))        (no ReLU on the image),
    DownBlock(x)      = pool(conv3(ReLU(conv3(ReLU(x))))) + pool(conv1(x)),
    Block(x)          = conv3(ReLU(conv3(ReLU(x)))) + x                      (identity shortcut),
with pool a 2x2 average pooling. A 1x1 shortcut is learned only where the channels change or the
block resamples. Convolutions are initialised Glorot-uniform, with gain sqrt(2) inside the residual
branch and 1 elsewhere, as in the authors' code.

ganbench's own choices:
- Spectral normalisation is not built in: it is the ``spectral-norm`` regularizer, so ``resnet``
  with ``none`` is the unnormalised network (Miyato et al. always normalise D).
- Width: ``default_width`` channels in both networks (32 up to 32 px), where Miyato et al. use 256
  in G and 128 in D; a CPU budget.
- 28 px: G starts from 7x7 and has 2 up-blocks (28 = 7 * 2^2); D's two down-blocks end at 7x7.
  64 px: one more up-block in G (4 -> 64) and one more down-block in D (ending at 8x8).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from ganbench.builtin.architectures.dcgan import BASE, default_width, upsamplings
from ganbench.hookspecs import RegisterArchitecture, hookimpl
from ganbench.specs import ArchitectureSpec, ImageShape

# D resamples until its feature map is at most this side (8 at 32 px, 7 at 28 px, 8 at 64 px).
D_FINAL_SIDE = 8


def _conv(c_in: int, c_out: int, kernel: int, gain: float = 1.0) -> nn.Conv2d:
    """Conv with 'same' padding, Glorot-uniform weights (given gain) and zero bias."""
    conv = nn.Conv2d(c_in, c_out, kernel, 1, kernel // 2)
    nn.init.xavier_uniform_(conv.weight, gain)
    nn.init.zeros_(conv.bias)  # type: ignore[arg-type]  # Conv2d(bias=True) always has one
    return conv


def _up(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class UpBlock(nn.Module):
    """x -> BN, ReLU, up x2, conv3, BN, ReLU, conv3;  shortcut: up x2, conv1 (learnable: it resamples)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out)
        self.conv1, self.conv2 = _conv(c_in, c_out, 3, math.sqrt(2)), _conv(c_out, c_out, 3, math.sqrt(2))
        self.act1, self.act2 = nn.ReLU(), nn.ReLU()
        self.shortcut = _conv(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(_up(self.act1(self.bn1(x))))
        h = self.conv2(self.act2(self.bn2(h)))
        return h + self.shortcut(_up(x))


class OptimizedBlock(nn.Module):
    """D's first block: conv3, ReLU, conv3, avgpool (no ReLU on the image);  shortcut: avgpool, conv1."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1, self.conv2 = _conv(c_in, c_out, 3, math.sqrt(2)), _conv(c_out, c_out, 3, math.sqrt(2))
        # Activation modules, not F.relu: regularizers such as dropout hook into them.
        self.act = nn.ReLU()
        self.shortcut = _conv(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = F.avg_pool2d(self.conv2(self.act(self.conv1(x))), 2)
        return h + self.shortcut(F.avg_pool2d(x, 2))


class DownBlock(nn.Module):
    """x -> ReLU, conv3, ReLU, conv3, (avgpool);  shortcut: conv1, (avgpool) where it resamples or the
    channels change, else the identity."""

    def __init__(self, c_in: int, c_out: int, down: bool = True):
        super().__init__()
        self.down = down
        self.conv1, self.conv2 = _conv(c_in, c_in, 3, math.sqrt(2)), _conv(c_in, c_out, 3, math.sqrt(2))
        self.act1, self.act2 = nn.ReLU(), nn.ReLU()
        self.shortcut: nn.Module = _conv(c_in, c_out, 1) if down or c_in != c_out else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(self.act2(self.conv1(self.act1(x))))
        s = self.shortcut(x)
        if self.down:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class ResnetGenerator(nn.Module):
    """Linear to (width, s, s), up-blocks to the image side, BN, ReLU, conv3x3, tanh."""

    def __init__(self, image_shape: ImageShape, latent_dim: int, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        self.base = BASE[size]
        self.width = width
        self.project = nn.Linear(latent_dim, width * self.base * self.base)
        nn.init.xavier_uniform_(self.project.weight)
        nn.init.zeros_(self.project.bias)
        self.blocks = nn.Sequential(*[UpBlock(width, width) for _ in range(upsamplings(size))])
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(), _conv(width, channels, 3), nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        h = self.project(z).view(z.shape[0], self.width, self.base, self.base)
        return self.out(self.blocks(h))


def down_blocks(size: int) -> int:
    """Average-pooling halvings until the side is at most ``D_FINAL_SIDE``: 2 at 28 and 32 px, 3 at 64."""
    n = 0
    while size > D_FINAL_SIDE:
        size, n = size // 2, n + 1
    return n


class ResnetDiscriminator(nn.Module):
    """Optimized block, down-blocks to ``D_FINAL_SIDE``, two plain blocks, ReLU, global sum pooling,
    linear logit."""

    def __init__(self, image_shape: ImageShape, width: int = 64):
        super().__init__()
        channels, size, _ = image_shape
        upsamplings(size)  # raises on a side the generator does not support, with the same message
        blocks: list[nn.Module] = [OptimizedBlock(channels, width)]
        blocks += [DownBlock(width, width) for _ in range(down_blocks(size) - 1)]
        blocks += [DownBlock(width, width, down=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.act = nn.ReLU()
        self.head = nn.Linear(width, 1)
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features (ReLU, then sum over positions), for feature-matching objectives."""
        return self.act(self.blocks(x)).sum(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)


def build(image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    width = default_width(image_shape)
    return ResnetGenerator(image_shape, latent_dim, width), ResnetDiscriminator(image_shape, width)


@hookimpl
def register_architectures(register: RegisterArchitecture) -> None:
    register(ArchitectureSpec(
        name="resnet",
        summary="SNGAN CIFAR ResNet (G: 3 residual up-blocks, 2 from 7x7 at 28 px; D: optimized, down and "
                "2 plain blocks, sum pooling); narrower than the paper, spectral norm only as the regularizer",
        reference="Miyato et al. 2018, Spectral Normalization for GANs, ICLR (appendix B)",
        build=build, resolutions=(28, 32, 64), provides=frozenset({"discriminator-features", "generator-batch-norm"}),
        channels_last=True,
    ))
