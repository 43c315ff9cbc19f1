"""The small CNN family behind the shipped feature extractors and the mode classifier: the network,
its input normalisation, and loading it for inference. No torch-fidelity here: the processes that only
classify or plan (mode counting, ``ganbench run``'s planning) never import it; the torch-fidelity
adapters are in ``extractor.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ganbench.data.luminance import luminance
from ganbench.metrics.extractors import FASHION_WEIGHTS

WEIGHTS = FASHION_WEIGHTS
_MEAN, _STD = 0.286, 0.353  # Fashion-MNIST train pixel statistics in [0, 1]


class SmallCnn(nn.Module):
    """3 conv blocks (32-64-128) on 1-channel 28x28 input -> global average pool (128-d features)
    -> ``n_classes`` logits."""

    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(128, n_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


FashionCnn = SmallCnn  # the Fashion-MNIST classifier is the 10-class member of the family


def preprocess(images: Tensor, mean: float = _MEAN, std: float = _STD) -> Tensor:
    """uint8 (N, 1 or 3, H, W) -> normalised float (N, 1, 28, 28)."""
    x = images.float() / 255.0
    if x.shape[1] == 3:
        x = luminance(x)
    if x.shape[-2:] != (28, 28):
        x = F.interpolate(x, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
    return (x - mean) / std


def load_network(path: Path = WEIGHTS, n_classes: int = 10) -> SmallCnn:
    """The trained classifier, in eval mode (``weights_only``: loading runs no code)."""
    net = SmallCnn(n_classes)
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval()


def fold_batch_norm(net: SmallCnn) -> SmallCnn:
    """The same eval-mode network with each BatchNorm folded into the conv before it."""
    layers, folded = list(net.body), []
    while layers:
        layer = layers.pop(0)
        norm = layers[0] if layers else None
        if isinstance(layer, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
            layer = fuse_conv_bn_eval(layer, norm)
            layers.pop(0)
        folded.append(layer)
    net.body = nn.Sequential(*folded)
    return net.eval()


def pool_before_relu(net: SmallCnn) -> SmallCnn:
    """The same network with each ReLU -> max-pool pair run as max-pool -> ReLU, the ReLU in place.

    max(relu(a), relu(b)) = relu(max(a, b)) exactly (ReLU is monotone), so the features are the same
    to the bit, and the ReLU reads a quarter of the values."""
    layers, swapped = list(net.body), []
    while layers:
        layer = layers.pop(0)
        if isinstance(layer, nn.ReLU) and layers and isinstance(layers[0], nn.MaxPool2d):
            swapped.append(layers.pop(0))
        swapped.append(nn.ReLU(inplace=True) if isinstance(layer, nn.ReLU) else layer)
    net.body = nn.Sequential(*swapped)
    return net.eval()


def weights_version(path: Path = WEIGHTS) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
