"""CIFAR-10 from torchvision's ``cifar-10-batches-py`` folder, read locally and never downloaded.

The batches are pickles. A restricted unpickler admits only what plain NumPy arrays need, so a
tampered file cannot run code.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganbench.data.fashion_mnist import Split
from ganbench.data.idx import DataError

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar")}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as f:
            batch = _ArraysOnly(f, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: not a CIFAR-10 batch ({type(exc).__name__}: {exc})") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise DataError(f"{path}: expected (N, 3072) images and N labels, got {data.shape} and {len(labels)}")
    return data, labels


def find_folder(data_root: Path | None) -> Path:
    looked = []
    for candidate in (data_root, os.environ.get("GANBENCH_DATA")):
        if not candidate:
            continue
        for folder in (Path(candidate), Path(candidate) / FOLDER):
            looked.append(folder)
            if (folder / "test_batch").is_file():
                return folder
    where = ", ".join(map(str, looked)) or "nowhere: no --data-root or GANBENCH_DATA given"
    raise DataError(f"cifar10: no {FOLDER} folder found (looked in {where}); unpack CIFAR-10's python "
                    f"version and pass its parent folder with --data-root or GANBENCH_DATA")


def load_split(split: str, data_root: Path | None = None) -> Split:
    """``train``: the five training batches (50k); ``reference``: the test batch (10k)."""
    folder = find_folder(data_root)
    names = TRAIN_BATCHES if split == "train" else ("test_batch",)
    parts = [_read_batch(folder / name) for name in names]
    data = np.concatenate([d for d, _ in parts]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([labels for _, labels in parts])
    return Split(torch.from_numpy(data), torch.from_numpy(labels), str(folder))
