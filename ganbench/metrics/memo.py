"""Memoise what a metric computes from the reference side alone.

Every run of a suite is scored against the same reference images and features, so their share of
a metric (the real-real KID kernel, the real k-NN radii, the real spectrum) is the same for each
run. A worker process computes it once and reuses it for the runs it scores after. Keys are the
reference content (a hash of its bytes), so a different reference never reuses a stale value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from torch import Tensor

T = TypeVar("T")
_CACHE: dict[tuple[Hashable, ...], Any] = {}
_LIMIT = 64  # entries per process: a few references x a few metrics


def content_key(tensor: Tensor) -> str:
    """A hash of the tensor's dtype, shape and bytes (~1 ms per MB)."""
    data = tensor.detach().cpu().contiguous()
    digest = hashlib.sha1(f"{data.dtype}{tuple(data.shape)}".encode())
    digest.update(data.numpy().tobytes())
    return digest.hexdigest()


def reference_value(what: str, reference: Tensor, compute: Callable[[], T], *extra: Hashable) -> T:
    """``compute()``'s value for this reference content (and ``extra``), computed once per process."""
    key = (what, content_key(reference), *extra)
    if key not in _CACHE:
        if len(_CACHE) >= _LIMIT:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = compute()
    value: T = _CACHE[key]
    return value
