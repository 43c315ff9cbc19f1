"""KID (Bińkowski et al. 2018) on torch-fidelity's subsets, with the kernels computed once.

torch-fidelity averages the unbiased MMD² with the cubic kernel k(x, y) = (x·y / d + 1)³ over 100
random subsets of 1,000 samples per side,

    MMD²(X, Y) = (Σ_{i≠j} k(x_i, x_j) + Σ_{i≠j} k(y_i, y_j)) / (m(m − 1)) − 2 Σ_{i,j} k(x_i, y_j) / m²,

and builds three fresh 1000×1000 kernel matrices in float32 for each subset: 300 matrix products,
most of a quick run's evaluation time on a CPU. Here the three kernel matrices of all samples are
built once, in float64, and each subset's sums are w_aᵀ K w_b with w the subset's 0/1 indicator.
The subsets are torch-fidelity's (the same ``RandomState(2020)`` choices, drawn in the same order),
so the value differs from torch-fidelity's only by its float32 rounding (about 1e-8;
tests/test_metrics.py holds it to 1e-7).
"""

from __future__ import annotations

import numpy as np
from torch import Tensor
from torch_fidelity.defaults import DEFAULTS

from ganbench.metrics import memo

SEED = int(DEFAULTS["rng_seed"])
DEGREE = int(DEFAULTS["kid_kernel_poly_degree"])
COEF0 = float(DEFAULTS["kid_kernel_poly_coef0"])
BLOCK = 128  # kernel rows built at a time: 128 x 2,000 float64 is 2 MB, about a core's L2 cache


def _poly(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x·y / d + 1)³ for every pair of rows.

    The cube as two in-place products: numpy's ``** 3`` on float64 calls pow() per element, which took
    6x as long as the matrix product itself (the values agree to float64 rounding)."""
    base = x @ y.T
    base /= x.shape[1]
    base += COEF0
    out = base.copy()
    for _ in range(DEGREE - 1):
        out *= base
    return out


def _indicators(rng: np.random.RandomState, sizes: tuple[int, int], subsets: int,
                subset_size: int) -> tuple[np.ndarray, np.ndarray]:
    """One 0/1 row per subset and side, drawn exactly as torch-fidelity draws its subsets."""
    w = np.zeros((subsets, sizes[0])), np.zeros((subsets, sizes[1]))
    for i in range(subsets):
        for side in (0, 1):
            w[side][i, rng.choice(sizes[side], subset_size, replace=False)] = 1.0
    return w


def _weighted_rows(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w @ K`` for K = k(x, y), K built ``BLOCK`` rows at a time.

    The whole matrix (32 MB at 2,000 x 2,000) went through memory five times to be scaled, shifted and
    cubed; a block is cubed while it is in cache (a run's KID: 103 -> 90 ms). The sums are the same up
    to float64 rounding (the products are added block by block: about 1e-15 relative in KID)."""
    weighted = np.zeros((w.shape[0], len(y)))
    for start in range(0, len(x), BLOCK):
        weighted += w[:, start:start + BLOCK] @ _poly(x[start:start + BLOCK], y)
    return weighted


def _within(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Σ_{i≠j} k(x_i, x_j) over each subset (one row of ``w`` per subset).

    K = k(x, x) is symmetric, so only the blocks on and right of the diagonal are built: each block
    right of it stands for its mirror image too (counted twice), which halves the kernel work (a
    run's KID: 112 -> 80 ms on the AVX2 machine). The diagonal k(x_i, x_i) is taken out."""
    sums = np.zeros(w.shape[0])
    for start in range(0, len(x), BLOCK):
        stop = min(start + BLOCK, len(x))
        block = _poly(x[start:stop], x[start:])  # rows start:stop, columns start: (the diagonal block first)
        weighted = w[:, start:stop] @ block
        rows = np.arange(stop - start)
        diagonal = block[rows, rows]
        inside = stop - start
        sums += np.einsum("si,si->s", weighted[:, :inside], w[:, start:stop]) - w[:, start:stop] @ diagonal
        sums += 2 * np.einsum("si,si->s", weighted[:, inside:], w[:, stop:])
    return sums


def kid(fake: Tensor, real: Tensor, subsets: int, subset_size: int) -> tuple[float, float]:
    """Mean and standard deviation of the unbiased MMD² over ``subsets`` random subsets.

    The subsets and the real-real sums depend only on the sizes and the real features: a worker
    computes them once per reference (``memo``), which is a third of the kernel work."""
    x, y = fake.cpu().double().numpy(), real.cpu().double().numpy()
    sizes = (len(x), len(y))
    wx, wy = memo.reference_value(
        "kid-subsets", real[:0], lambda: _indicators(np.random.RandomState(SEED), sizes, subsets, subset_size),
        sizes, subsets, subset_size)
    real_within = memo.reference_value("kid-real", real, lambda: _within(y, wy), sizes, subsets, subset_size)
    between = np.einsum("si,si->s", _weighted_rows(x, y, wx), wy)
    m = subset_size
    mmds = (_within(x, wx) + real_within) / (m * (m - 1)) - 2 * between / (m * m)
    return float(np.mean(mmds)), float(np.std(mmds))
