"""The shipped domain feature extractors, one per kind of data, each a small CNN trained offline by
``ganbench extractor train --dataset ...`` (``ganbench extractor list`` shows them).

- ``fashion-mnist-cnn``: 10-class Fashion-MNIST classifier, 128-d features (``extractor.py``).
- ``shapes-cnn``: the same network family trained on the procedural ``shapes`` train split (28 px,
  luminance) with a multi-label target: which of the five shape kinds are visible (BCE), 128-d.
- ``stacked-fashion-mnist-cnn``: no weights of its own; the Fashion-MNIST CNN applied to each of the
  three channels of a stacked image, features concatenated (384-d, R then G then B). Its version
  is derived from the Fashion-MNIST weights' hash, so it changes whenever they do.

A version is the first 12 hex digits of a SHA-256, and FIDs compare only within one name@version.
This table (names, weights, versions, channels) imports neither torch nor torch-fidelity: a suite is
planned from it, and only the processes that score import the adapters (``extractor.py``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase

WEIGHTS_DIR = Path(__file__).parent / "weights"

FASHION_NAME = "fashion-mnist-cnn"
FASHION_WEIGHTS = WEIGHTS_DIR / f"{FASHION_NAME}.pt"

SHAPES_NAME = "shapes-cnn"
SHAPES_WEIGHTS = WEIGHTS_DIR / f"{SHAPES_NAME}.pt"
SHAPES_N_CLASSES = 5  # len(ganbench.data.shapes.KINDS)
SHAPES_MEAN, SHAPES_STD = 0.212, 0.246  # shapes train split (28 px, 1 channel) pixel statistics in [0, 1]

STACKED_NAME = "stacked-fashion-mnist-cnn"
_STACKED_SALT = "stacked"


@dataclass(frozen=True)
class DomainExtractor:
    """One shipped extractor. ``dataset`` is the data its weights were trained on (``ganbench
    extractor train --dataset``); ``weights`` is the file its version hashes; ``salt``, when set,
    marks an extractor that reuses another's weights (its version hashes their hash and the salt)."""

    name: str
    dataset: str
    feature_dim: int
    in_channels: int  # channels it expects; 1-channel extractors also take RGB (as luminance)
    weights: Path
    adapter: str = field(repr=False)  # its torch-fidelity adapter class, in ganbench.metrics.extractor
    accuracy: str = ""  # what the metadata's test_accuracy measures
    salt: str = ""

    @property
    def metadata_path(self) -> Path:
        """Training metadata (``test_accuracy`` and the rest), written beside the weights."""
        return self.weights.with_suffix(".json")

    def accepts(self, channels: int) -> bool:
        """Whether images with this many channels can be scored (1-channel extractors take RGB too)."""
        return channels == self.in_channels or (self.in_channels == 1 and channels == 3)

    @property
    def extractor_class(self) -> type[FeatureExtractorBase]:
        """The torch-fidelity adapter. Imported on first use: this table is read while a suite is planned,
        in a process that never scores and so never imports torch-fidelity (docs/performance.md, "Start-up")."""
        cls: type[FeatureExtractorBase] = getattr(importlib.import_module("ganbench.metrics.extractor"), self.adapter)
        return cls

    def ensure_registered(self) -> None:
        """Register with torch-fidelity (once per process)."""
        from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

        if self.name not in FEATURE_EXTRACTORS_REGISTRY:  # torch-fidelity refuses a second registration
            register_feature_extractor(self.name, self.extractor_class)

    def version(self) -> str:
        digest = hashlib.sha256(self.weights.read_bytes()).hexdigest()
        if self.salt:
            digest = hashlib.sha256(f"{digest}+{self.salt}".encode()).hexdigest()
        return digest[:12]

    def weights_version(self) -> str:
        """``version()`` under the name ``ganbench.metrics.extractor`` uses."""
        return self.version()

    def metadata(self) -> dict[str, Any]:
        """The training metadata, or {} where the weights ship without it."""
        path = self.metadata_path
        return dict(json.loads(path.read_text())) if path.exists() else {}


EXTRACTORS: dict[str, DomainExtractor] = {
    e.name: e for e in (
        DomainExtractor(FASHION_NAME, "fashion-mnist", 128, 1, FASHION_WEIGHTS, "FashionCnnExtractor",
                        accuracy="top-1 of 10 classes, held-out split"),
        DomainExtractor(SHAPES_NAME, "shapes", 128, 1, SHAPES_WEIGHTS, "ShapesCnnExtractor",
                        accuracy="mean per-kind accuracy of 5 visible-kind labels, reference split"),
        DomainExtractor(STACKED_NAME, "stacked-fashion-mnist", 384, 3, FASHION_WEIGHTS,
                        "StackedFashionCnnExtractor", accuracy=f"per channel: that of {FASHION_NAME}",
                        salt=_STACKED_SALT),
    )
}

# Datasets whose extractor can be retrained by ``ganbench extractor train --dataset``.
TRAINABLE = {"fashion-mnist": FASHION_NAME, "shapes": SHAPES_NAME}


def get(name: str) -> DomainExtractor:
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise KeyError(f"unknown feature extractor {name!r}; shipped: {', '.join(EXTRACTORS)}") from None
