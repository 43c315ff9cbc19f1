"""Feature extractors by name: the shipped domain CNNs and InceptionV3 from a local file.

One table answers what the scoring code needs: registration with torch-fidelity, the version FIDs
are tied to, whether the weights are there, which channel counts it reads, and a batch size.
Only registration imports torch-fidelity: ``ganbench run`` plans (versions, weights, channels) without
it, and its workers, which score, have it imported already (docs/performance.md, "Start-up").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ganbench.metrics import extractors, inception_weights


class Extractor(Protocol):
    def ensure_registered(self) -> None: ...

    def version(self) -> str: ...

    def accepts(self, channels: int) -> bool: ...


@dataclass(frozen=True)
class InceptionExtractor:
    """InceptionV3 (``inception.py``): grey is repeated to RGB; the weights must be on disk."""

    def ensure_registered(self) -> None:
        from ganbench.metrics import inception  # torch-fidelity's adapter: imported by the processes that score

        inception.ensure_registered()

    def version(self) -> str:
        return inception_weights.weights_version()

    def accepts(self, channels: int) -> bool:
        return channels in (1, 3)


EXTRACTORS: dict[str, Extractor] = {**extractors.EXTRACTORS, inception_weights.NAME: InceptionExtractor()}
# Reads any 1- or 3-channel image (as luminance): the default where a dataset's own cannot.
FALLBACK = extractors.FASHION_NAME
# Images per forward pass. Small batches keep a CNN's activations in cache: 64 extracted 2,000
# Fashion-MNIST images 3x faster than 500 on a 2-core CPU (docs/performance.md). InceptionV3 at
# 299 px needs 64 anyway, or GBs of activations.
BATCH_SIZES: dict[str, int] = {}
DEFAULT_BATCH_SIZE = 64


class UnknownExtractor(Exception):
    """A feature extractor name nobody provides; the message lists those that exist."""


def names() -> list[str]:
    return list(EXTRACTORS)


def get(name: str) -> Extractor:
    if name not in EXTRACTORS:
        raise UnknownExtractor(f"unknown feature extractor {name!r} (available: {', '.join(names())})")
    return EXTRACTORS[name]


def check_available(name: str) -> None:
    """Raise a one-line error if ``name`` is unknown or its weights file is missing (without
    registering it with torch-fidelity, which the planning process never imports)."""
    get(name).version()  # reads the weights: InceptionV3 looks for its file first


def ensure_registered(name: str) -> None:
    get(name).ensure_registered()


def extractor_version(name: str) -> str:
    return get(name).version()


def accepts(name: str, channels: int) -> bool:
    return get(name).accepts(channels)


def batch_size(name: str) -> int:
    return BATCH_SIZES.get(name, DEFAULT_BATCH_SIZE)
