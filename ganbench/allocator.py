"""Keep freed memory in the process instead of handing it back to the kernel (glibc's malloc).

glibc serves each allocation above a threshold (128 KB at first, raised as such blocks are freed, up
to 32 MB) with its own ``mmap`` and unmaps it on free, and hands the top of the heap back once more
than twice that is free. A CPU run allocates and frees the same multi-megabyte activations batch
after batch, so each one came back as fresh pages that the kernel zeroes on first touch: drawing a
ResNet generator's 2,000 samples in a fresh process took 1.65 s instead of 1.22 s, StyleGAN-lite's
2.5 s instead of 1.3 s (docs/performance.md). With both thresholds at 1 GB the freed blocks stay in
the heap and are reused; a process's memory stays at its peak instead of shrinking between batches.

Only where and how memory is obtained changes, not one value computed: PyTorch aligns every
buffer to 64 bytes whichever way it came (tests/test_allocator.py trains a run both ways).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
KEEP_BYTES = 1 << 30


@cache
def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds to ``KEEP_BYTES``, once per process. False where the C
    library has no ``mallopt`` (not glibc: macOS, Windows), which keeps its own allocator's ways."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
