"""Which feature spaces share weights: a run must never be scored in a space its training optimised
against (Kynkäänniemi et al. 2023), whatever the two networks are called.

A space is the weights behind it. Two networks share a space when their weights files are the same
file content, or when any sizeable tensor of one state dict equals one of the other's (an encoder
initialised from the scoring classifier, or a classifier's layers reused under another name).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import torch

from ganbench import perceptual
from ganbench.metrics import extractors, inception_weights

# Tensors with fewer elements are not compared: a zero bias or a unit BatchNorm scale of the same
# width is common to unrelated networks.
MIN_SHARED_ELEMENTS = 1024


def weight_digests(path: Path) -> frozenset[str]:
    """SHA-256 of the file, and of each tensor of at least MIN_SHARED_ELEMENTS elements (its float32
    values and shape) when the file is a state dict; a TorchScript archive counts as one digest."""
    stat = path.stat()
    return _digests(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@cache
def _digests(path: str, size: int, mtime: int) -> frozenset[str]:
    """Keyed by size and time as well as the path: a file replaced in place is read again."""
    whole = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    out = {f"file:{whole}"}
    if inception_weights.is_torchscript(Path(path)):
        return frozenset(out)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # runs no code
    except Exception:  # not a state dict torch can read safely: the file digest alone
        return frozenset(out)
    tensors = state.values() if isinstance(state, dict) else ()
    for tensor in tensors:
        if isinstance(tensor, torch.Tensor) and tensor.numel() >= MIN_SHARED_ELEMENTS:
            values = tensor.detach().float().contiguous().numpy().tobytes()
            shape = ",".join(map(str, tensor.shape))
            out.add(f"tensor:{shape}:{hashlib.sha256(values).hexdigest()}")
    return frozenset(out)


def extractor_weights(name: str) -> Path | None:
    """The weights file behind a feature extractor, or None where ganbench does not know it."""
    if name in extractors.EXTRACTORS:
        return extractors.EXTRACTORS[name].weights
    if name == inception_weights.NAME:
        try:
            return inception_weights.locate_weights()
        except inception_weights.ExtractorUnavailable:  # absent: refused elsewhere, with the reason
            return None
    return None


def network_weights(name: str) -> Path | None:
    """The weights file behind a training (perceptual) network, or None where none is found."""
    known = perceptual.NETWORKS.get(name)
    if known is None:
        return None
    ready, where = known.available()
    return Path(where) if ready else None


def shared_space(network: str, extractor: str) -> str | None:
    """Why scoring in ``extractor`` would score in the space ``network`` trains against, or None."""
    if network == extractor:
        return f"{network} is that very network"
    trained, scored = network_weights(network), extractor_weights(extractor)
    if trained is None or scored is None:
        return None
    common = weight_digests(trained) & weight_digests(scored)
    if not common:
        return None
    if any(d.startswith("file:") for d in common):
        return f"{network}'s weights file ({trained}) is {extractor}'s ({scored})"
    return f"{network} shares {len(common)} weight tensor(s) with {extractor}"
