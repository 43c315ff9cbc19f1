"""Perceptual loss terms for unconditional GAN training: fake and real batches compared through a
frozen network's feature statistics (``term``), with a small shipped domain network (``network``,
rebuilt by ``train``) and torchvision's VGG16 from a local file (``vgg16``). All offline."""

from __future__ import annotations

from ganbench.perceptual.term import (
    DEFAULT_NETWORK,
    DEFAULT_WEIGHT,
    NETWORKS,
    NetworkUnavailable,
    PerceptualNetwork,
    PerceptualRegularizer,
    PerceptualTerm,
    batch_statistics,
    perceptual_network,
)

__all__ = ["DEFAULT_NETWORK", "DEFAULT_WEIGHT", "NETWORKS", "NetworkUnavailable", "PerceptualNetwork",
           "PerceptualRegularizer", "PerceptualTerm", "batch_statistics", "perceptual_network"]
