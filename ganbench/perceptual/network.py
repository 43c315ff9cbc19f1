"""The shipped perceptual network: the encoder of a denoising autoencoder trained on Fashion-MNIST.

A VGG-style stack (Simonyan & Zisserman 2015): two 3x3 convs + ReLU at 32 channels, 2x2 max pool,
two 3x3 convs + ReLU at 64, 2x2 max pool, one 3x3 conv + ReLU at 128; no batch norm, so a sample's
features never depend on the rest of its batch. Features are read at ``relu1_2`` (32 x 28 x 28),
``relu2_2`` (64 x 14 x 14) and ``relu3_1`` (128 x 7 x 7).

It is deliberately unlike the FID extractor (``ganbench.metrics.extractor.SmallCnn``, a supervised
classifier with batch norm and one conv per stage): a generator trained against this network's
statistics should not be tuning itself to the very features it is scored with. It learnt by
reconstruction, not labels: a decoder (discarded after training) rebuilt clean images from the
encoder's ``relu3_1`` features of noisy ones (Vincent et al. 2008, denoising autoencoders), which keeps
the features sensitive to edges and texture, i.e. to blur.

Input: model-space images in [-1, 1], (N, 1 or 3, H, W), as the generator outputs them. Three
channels are turned into one by Rec. 601 luma (a weighted mean, so [-1, 1] stays [-1, 1]). The net is
fully convolutional: any H, W from 4 up run, but it was trained on 28 x 28 only (32 x 32 is close).
The weights are stored as float16 to keep the file small and run as float32.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import Tensor, nn

from ganbench.data.luminance import luminance

NAME = "fashion-mnist-vgg-dae"
WEIGHTS = Path(__file__).parent / "weights" / f"{NAME}.pt"
LAYERS = ("relu1_2", "relu2_2", "relu3_1")


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]


class VggEncoder(nn.Module):
    """1 -> 32 -> 32, pool, 64 -> 64, pool, 128 (3x3 convs + ReLU); ``features`` returns the output of
    each stage (``LAYERS``), ``forward`` the last one."""

    def __init__(self) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(*_conv(1, 32), *_conv(32, 32))
        self.stage2 = nn.Sequential(nn.MaxPool2d(2), *_conv(32, 64), *_conv(64, 64))
        self.stage3 = nn.Sequential(nn.MaxPool2d(2), *_conv(64, 128))

    def features(self, x: Tensor) -> list[Tensor]:
        """[-1, 1] images (N, 1 or 3, H, W) -> [relu1_2, relu2_2, relu3_1]."""
        if x.dim() != 4 or x.shape[1] not in (1, 3) or min(x.shape[-2:]) < 4:
            raise ValueError(f"{NAME}: expected images (N, 1 or 3, H >= 4, W >= 4), got {tuple(x.shape)}")
        if x.shape[1] == 3:
            x = luminance(x)
        out = [self.stage1(x)]
        out.append(self.stage2(out[-1]))
        out.append(self.stage3(out[-1]))
        return out

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)[-1]


class Decoder(nn.Module):
    """Training only: relu3_1 (128 x H/4 x W/4) -> the image (1 x H x W) in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv(128, 64), nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv(64, 32), nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(32, 1, 3, padding=1), nn.Tanh(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


def load_network(path: Path = WEIGHTS) -> VggEncoder:
    """The trained encoder: frozen (no parameter requires grad), eval mode, float32, on the CPU.

    Built on the meta device and filled from the file, so loading draws nothing from the global RNG
    (a training run's random streams stay as they were) and runs no code (``weights_only``)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    with torch.device("meta"):
        net = VggEncoder()
    net.load_state_dict({k: v.float() for k, v in state.items()}, assign=True)
    return net.requires_grad_(False).eval()


def weights_version(path: Path = WEIGHTS) -> str:
    """The first 12 hex digits of the weights file's sha256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
