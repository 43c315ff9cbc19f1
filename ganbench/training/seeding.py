"""One place to make a process deterministic."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int, device: torch.device) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA); on CPU use one thread and deterministic kernels.

    One thread because reductions split across threads may add in a different order; pinning it
    makes a CPU run bit-for-bit repeatable on the same machine and torch build.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.cuda.manual_seed_all(seed)
        # GPU runs are seeded but not promised bit-identical: some CUDA kernels have no
        # deterministic variant, so only warn about them.
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available; ``cuda`` without a GPU is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, not {name!r}")
    return torch.device(name)
