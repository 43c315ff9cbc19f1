"""Feature extractors by name: the shipped domain CNNs and InceptionV3 from a local file.

One place answers what the scoring code needs: registration with torch-fidelity, the version FIDs
are tied to, whether the weights are there, and a batch size that suits the network.
"""

from __future__ import annotations

from ganbench.metrics import extractors, inception

# Reads any 1- or 3-channel image (as luminance): the default where a dataset's own cannot.
FALLBACK = extractors.extractor.NAME


class UnknownExtractor(Exception):
    """A feature extractor name nobody provides; the message lists those that exist."""


def names() -> list[str]:
    return [*extractors.EXTRACTORS, inception.NAME]


def _check_name(name: str) -> None:
    if name not in names():
        raise UnknownExtractor(f"unknown feature extractor {name!r} (available: {', '.join(names())})")


def check_available(name: str) -> None:
    """Raise a one-line error if ``name`` is unknown or its weights file is missing."""
    _check_name(name)
    if name == inception.NAME:
        inception.locate_weights()


def ensure_registered(name: str) -> None:
    _check_name(name)
    if name == inception.NAME:
        inception.ensure_registered()
    else:
        extractors.EXTRACTORS[name].ensure_registered()


def extractor_version(name: str) -> str:
    _check_name(name)
    return inception.weights_version() if name == inception.NAME else extractors.EXTRACTORS[name].version()


def accepts(name: str, channels: int) -> bool:
    """Whether images with this many channels can be scored (InceptionV3 repeats grey to RGB)."""
    _check_name(name)
    return channels in (1, 3) if name == inception.NAME else extractors.EXTRACTORS[name].accepts(channels)


def batch_size(name: str) -> int:
    """InceptionV3 at 299 px needs GBs of activations per 500 images on a CPU; the CNNs need little."""
    return 64 if name == inception.NAME else 500
