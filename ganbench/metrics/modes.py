"""Mode coverage on data whose modes are known (Stacked MNIST protocol, Metz et al. 2017;
Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN)).

For stacked Fashion-MNIST each channel is classified by the shipped Fashion-MNIST CNN and the
three classes form one of 1,000 modes. Coverage is the number of modes hit at least once; the KL
divergence KL(p || uniform) = sum_m p_m log(p_m * M) is 0 for a generator that hits every mode
equally often and log M for one that hits a single mode.
"""

from __future__ import annotations

import math
from functools import cache

import torch
from torch import Tensor

from ganbench.metrics.cnn import FashionCnn, load_network, preprocess
from ganbench.training.seeding import global_rng_untouched

STACKED_MODES = 1000


@cache
def _classifier() -> FashionCnn:
    with global_rng_untouched():  # see fidelity._network
        return load_network()


@torch.no_grad()
def classify(images: Tensor) -> Tensor:
    """Fashion-MNIST class of each uint8 (N, 1, H, W) image."""
    net = _classifier()
    return torch.cat([net(preprocess(images[i: i + 1000].cpu())).argmax(1) for i in range(0, len(images), 1000)])


def stacked_modes(images: Tensor) -> Tensor:
    """Mode id 100*c0 + 10*c1 + c2 of each uint8 (N, 3, H, W) stacked image."""
    classes = [classify(images[:, c: c + 1]) for c in range(3)]
    return 100 * classes[0] + 10 * classes[1] + classes[2]


def coverage(modes: Tensor, n_modes: int, quality: bool = False) -> dict[str, float]:
    """Modes hit and KL(p || uniform) over the samples that belong to a mode (id >= 0). With
    ``quality``, also the percentage of samples that belong to one (for 2-D mixtures: within 3 std of
    a centre; Srivastava et al. 2017, Lin et al. 2018); no such samples gives KL NaN."""
    assigned = modes[modes >= 0]
    counts = torch.bincount(assigned, minlength=n_modes).double()
    out = {"modes_covered": float((counts > 0).sum()), "mode_kl": math.nan}
    if len(assigned):
        p = counts / counts.sum()
        nonzero = p[p > 0]
        out["mode_kl"] = float((nonzero * torch.log(nonzero * n_modes)).sum())
    if quality:
        out["high_quality"] = 100.0 * len(assigned) / max(1, len(modes))
    return out
