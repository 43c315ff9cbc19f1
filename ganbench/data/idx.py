"""A strict reader for the IDX format of (Fashion-)MNIST, plain or gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch
from torch import Tensor


class DataError(Exception):
    """A data file is missing or malformed; the message names the file."""


_UBYTE = 0x08


def read_idx(path: Path) -> Tensor:
    """Return the uint8 array stored in ``path`` (``.gz`` is decompressed)."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(f"{path}: IDX header says {shape} ({expected} bytes), file holds "
                        f"{len(raw) - header} bytes")
    array = np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header).reshape(shape)
    return torch.from_numpy(array.copy())


def read_images(path: Path) -> Tensor:
    """IDX images (N, H, W) -> uint8 (N, 1, H, W)."""
    array = read_idx(path)
    if array.dim() != 3:
        raise DataError(f"{path}: expected images of shape (N, H, W), got {tuple(array.shape)}")
    return array.unsqueeze(1)


def read_labels(path: Path, count: int) -> Tensor:
    labels = read_idx(path)
    if labels.dim() != 1 or labels.shape[0] != count:
        raise DataError(f"{path}: expected {count} labels, got shape {tuple(labels.shape)}")
    return labels.long()
