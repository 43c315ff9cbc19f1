"""One place to make a process deterministic."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from ganbench.allocator import keep_freed_memory

# NumPy's and SciPy's OpenBLAS (the metrics' KID kernels, FID's covariances and eigenvalues) read
# this when they load; one already loaded is limited by threadpool_limits below.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """NumPy's and SciPy's BLAS on one thread in this process, as torch's ops are.

    Their pools start one thread per core, whatever ``torch.set_num_threads`` says. With one run per
    core, each run's metrics then wait on a thread that the core's other run keeps busy: 30-50 ms
    per covariance in a 2-worker suite instead of 2 ms. One thread also leaves no split of a BLAS
    reduction that could differ from one process to the next."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = "1"
    threadpool_limits(limits=1, user_api="blas")


@contextlib.contextmanager
def process_settings_kept() -> Iterator[None]:
    """On exit, put back what ``seed_everything`` pins for the whole process: torch's threads and
    deterministic kernels, the BLAS threads and their environment variables. For callers that train
    inside a process that goes on (``ganbench perceptual train``'s function, tests)."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    variables = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    try:
        with threadpool_limits(limits=None, user_api="blas"):  # restores the pools' sizes on exit
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
        for name, value in variables.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def global_rng_untouched() -> Iterator[None]:
    """Put torch's global RNG streams (CPU and every GPU) back as they were on exit.

    For what a process builds once and caches, such as a scoring network, whose layers draw their
    initial weights from the global RNG before the trained ones are loaded: built inside a run, after
    its seeding, that draw would shift every later draw of that run (StyleGAN-lite's sampling noise)
    in the one process that happened to build it first, so a record would depend on which runs came
    before it in its worker."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        yield


def seed_everything(seed: int, device: torch.device) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA); on CPU use one thread and deterministic kernels.

    One thread because reductions split across threads may add in a different order; pinning it
    makes a CPU run bit-for-bit repeatable on the same machine and torch build. NumPy's and SciPy's
    BLAS, which score every run on the CPU whatever the device, get one thread on every device.
    The process also keeps the memory it frees (``allocator.py``: faster, and no value changes); that
    one setting is not put back by ``process_settings_kept``.
    """
    one_blas_thread()
    keep_freed_memory()
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
