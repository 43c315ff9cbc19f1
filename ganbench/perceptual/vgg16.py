"""torchvision's VGG16 (Simonyan & Zisserman 2015) with ImageNet weights, as used by Johnson et al. 2016
for perceptual losses, from a local file only: nothing is ever downloaded.

The file is ``$GANBENCH_VGG16_WEIGHTS`` when set (it must then exist), else torchvision's own download
in the torch hub cache (``<torch.hub.get_dir()>/checkpoints/vgg16-397923af.pth``) when present. Only the
``features.*`` tensors are read, so a file holding just those works too.

Features at ``relu1_2`` (64 ch), ``relu2_2`` (128), ``relu3_3`` (256) and ``relu4_3`` (512): full, 1/2,
1/4 and 1/8 resolution (28 px -> 28, 14, 7, 3). Input: [-1, 1] images (N, 1 or 3, H, W); grayscale is
repeated to RGB, then the ImageNet per-channel normalisation is applied. The network saw 224 px photos;
on 28 px images its deeper layers see only a few pixels, which is why the small domain network is the
default.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
from torch import Tensor, nn

from ganbench.metrics.inception_weights import ExtractorUnavailable

NAME = "vgg16"
ENV_VAR = "GANBENCH_VGG16_WEIGHTS"
HUB_FILE = "vgg16-397923af.pth"  # torchvision's VGG16_Weights.IMAGENET1K_V1 file name
LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
_TAPS = (3, 8, 15, 22)  # indices of those ReLUs in torchvision's vgg16().features
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class WeightsUnavailable(ExtractorUnavailable):
    """No VGG16 weights file; the message says how to provide one. A subclass of the InceptionV3 one
    so the CLI already prints it as a one-line user error."""


def hub_file() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / HUB_FILE


def locate_weights() -> Path:
    """``$GANBENCH_VGG16_WEIGHTS``, else the torch hub cache file; raises WeightsUnavailable."""
    if value := os.environ.get(ENV_VAR):
        path = Path(value).expanduser()
        if not path.is_file():
            raise WeightsUnavailable(f"{ENV_VAR}={value} is not a file: point it at torchvision's {HUB_FILE}")
        return path
    if (path := hub_file()).is_file():
        return path
    raise WeightsUnavailable(f"no VGG16 weights (nothing is downloaded): set {ENV_VAR}=/path/to/{HUB_FILE} "
                             f"or put that file at {path}")


def available() -> tuple[bool, str]:
    """(True, the weights file) or (False, a one-line reason naming ``$GANBENCH_VGG16_WEIGHTS``)."""
    try:
        return True, str(locate_weights())
    except WeightsUnavailable as err:
        return False, str(err)


def weights_version(path: Path | None = None) -> str:
    """The first 12 hex digits of the weights file's sha256 (reads the whole ~530 MB file)."""
    digest = hashlib.sha256()
    with open(path or locate_weights(), "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:12]


class Vgg16Features(nn.Module):
    """VGG16's conv layers up to ``relu4_3``; ``features`` returns the four ``LAYERS``."""

    mean: Tensor
    std: Tensor

    def __init__(self, body: nn.Sequential) -> None:
        super().__init__()
        self.body = body
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1))

    def features(self, x: Tensor) -> list[Tensor]:
        """[-1, 1] images (N, 1 or 3, H, W) -> [relu1_2, relu2_2, relu3_3, relu4_3]."""
        if x.dim() != 4 or x.shape[1] not in (1, 3) or min(x.shape[-2:]) < 8:
            raise ValueError(f"{NAME}: expected images (N, 1 or 3, H >= 8, W >= 8), got {tuple(x.shape)}")
        x = ((x.expand(-1, 3, -1, -1) + 1) / 2 - self.mean) / self.std
        out = []
        for index, layer in enumerate(self.body):
            x = layer(x)
            if index in _TAPS:
                out.append(x)
        return out

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)[-1]


def load_network(path: Path | None = None) -> Vgg16Features:
    """The frozen VGG16 feature network (eval mode, CPU) from ``path`` or ``locate_weights()``.

    Built on the meta device and filled from the file: no 138M-parameter random initialisation and no
    draw from the global RNG."""
    from torchvision.models import vgg16  # imported here: torchvision is slow to import and rarely needed

    path = path or locate_weights()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # not a torch file, or one that needs code to unpickle
        raise WeightsUnavailable(f"{path}: not a VGG16 state dict ({type(err).__name__}: {err})") from err
    with torch.device("meta"):
        body = vgg16().features[: _TAPS[-1] + 1]
    for layer in body:
        if isinstance(layer, nn.ReLU):
            layer.inplace = False  # the tapped activations must not be overwritten
    keys = {f"features.{name}": name for name in body.state_dict()}
    missing = sorted(k for k in keys if k not in state)
    if missing:
        raise WeightsUnavailable(f"{path}: not torchvision's VGG16 state dict (no {', '.join(missing[:2])}, ...)")
    body.load_state_dict({name: state[key].float() for key, name in keys.items()}, assign=True)
    return Vgg16Features(body).requires_grad_(False).eval()
