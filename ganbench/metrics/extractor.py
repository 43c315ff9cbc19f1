"""The shipped Fashion-MNIST feature extractor, a small CNN classifier trained on Fashion-MNIST's train
split, and the torch-fidelity adapters of every shipped domain extractor. The CNN family they share
is in ``cnn.py`` and the table of them in ``extractors.py``; neither imports torch-fidelity.

InceptionV3 needs downloaded weights and runs ~9 img/s on a CPU; this network runs thousands per
second offline. Its 128-d penultimate layer is the FID/KID/PR feature space. FIDs computed with it
are only comparable with FIDs computed with the same weights (the version is their hash).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

from ganbench.metrics.cnn import (  # the network family, here too for the callers that imported it from here
    _MEAN,
    _STD,
    FashionCnn,
    SmallCnn,
    fold_batch_norm,
    load_network,
    pool_before_relu,
    preprocess,
    weights_version,
)
from ganbench.metrics.extractors import (
    FASHION_NAME,
    FASHION_WEIGHTS,
    SHAPES_MEAN,
    SHAPES_N_CLASSES,
    SHAPES_STD,
    SHAPES_WEIGHTS,
    STACKED_NAME,
)

__all__ = ["NAME", "WEIGHTS", "CnnExtractor", "FashionCnn", "FashionCnnExtractor", "ShapesCnnExtractor", "SmallCnn",
           "StackedFashionCnnExtractor", "ensure_registered", "fold_batch_norm", "load_network", "pool_before_relu",
           "preprocess", "weights_version"]
NAME = FASHION_NAME
WEIGHTS = FASHION_WEIGHTS


class CnnExtractor(FeatureExtractorBase):
    """torch-fidelity adapter for a ``SmallCnn``: features ``penultimate`` (128-d, for FID/KID/PR) and
    ``logits``. Subclasses name their weights, class count and input normalisation."""

    WEIGHTS: ClassVar[Path] = WEIGHTS
    N_CLASSES: ClassVar[int] = 10
    MEAN: ClassVar[float] = _MEAN
    STD: ClassVar[float] = _STD

    def __init__(self, name: str, features_list: list[str],
                 feature_extractor_weights_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, features_list)
        path = Path(feature_extractor_weights_path) if feature_extractor_weights_path else self.WEIGHTS
        # Batch norm folded into the convs and channels_last, oneDNN's fast layout: 3.7x faster on a
        # CPU than the plain network at batch 500; the features agree to 1e-6 (float rounding).
        self.net = pool_before_relu(fold_batch_norm(load_network(path, self.N_CLASSES)))
        self.net = self.net.to(memory_format=torch.channels_last)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        x = preprocess(x.to(torch.uint8), self.MEAN, self.STD).contiguous(memory_format=torch.channels_last)
        feats = self.net.features(x)
        out = {"penultimate": feats, "logits": self.net.head(feats)}
        return tuple(out[name].float() for name in self.features_list)

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return ("penultimate", "logits")

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        return "logits" if metric == "isc" else "penultimate"

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> Tensor:
        return torch.zeros(1, 1, 28, 28, dtype=torch.uint8)


class FashionCnnExtractor(CnnExtractor):
    """The Fashion-MNIST CNN (``fashion-mnist-cnn``): ``CnnExtractor``'s defaults."""


class ShapesCnnExtractor(CnnExtractor):
    """``shapes-cnn``: features ``penultimate`` (128-d) and ``logits`` (5 independent per-kind logits)."""

    WEIGHTS = SHAPES_WEIGHTS
    N_CLASSES = SHAPES_N_CLASSES
    MEAN = SHAPES_MEAN
    STD = SHAPES_STD


class StackedFashionCnnExtractor(CnnExtractor):
    """``stacked-fashion-mnist-cnn``: each channel of a uint8 (N, 3, H, W) image through the
    Fashion-MNIST CNN (``CnnExtractor``'s defaults). Features ``penultimate`` (384-d: the three
    128-d vectors, R, G, B) and ``logits`` (1000-d joint log-probabilities of mode 100*c0 + 10*c1 + c2)."""

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"{STACKED_NAME} expects (N, 3, H, W) images, got {tuple(x.shape)}")
        n, _, h, w = x.shape
        channels = preprocess(x.to(torch.uint8).reshape(n * 3, 1, h, w))  # image i, channel c -> row 3i+c
        channels = channels.contiguous(memory_format=torch.channels_last)
        feats = self.net.features(channels)
        out: dict[str, Tensor] = {"penultimate": feats.reshape(n, 3 * feats.shape[1])}
        if "logits" in self.features_list:
            logp = F.log_softmax(self.net.head(feats), dim=1).reshape(n, 3, -1)
            joint = logp[:, 0, :, None, None] + logp[:, 1, None, :, None] + logp[:, 2, None, None, :]
            out["logits"] = joint.reshape(n, -1)
        return tuple(out[name].float() for name in self.features_list)

    @staticmethod
    def get_dummy_input_for_compile() -> Tensor:
        return torch.zeros(1, 3, 28, 28, dtype=torch.uint8)


@cache
def ensure_registered() -> None:
    """Register with torch-fidelity once per process."""
    if NAME not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(NAME, FashionCnnExtractor)
