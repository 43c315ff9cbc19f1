"""FID, KID and precision/recall through torch-fidelity, computed in memory (no PNG round trip)."""

from __future__ import annotations

from typing import Any

import torch
import torch_fidelity
from torch import Tensor
from torch.utils.data import Dataset

from ganbench.metrics import extractor

EXTRACTORS = {extractor.NAME: extractor}


class TensorImages(Dataset[Tensor]):
    """uint8 (N, C, H, W) images as the Dataset torch-fidelity consumes."""

    def __init__(self, images: Tensor) -> None:
        if images.dtype != torch.uint8:
            raise TypeError("images must be uint8")
        self.images = images

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> Tensor:
        return self.images[index]


def extractor_version(name: str) -> str:
    return EXTRACTORS[name].weights_version()


def fidelity(fake: Tensor, real: Tensor, feature_extractor: str, cuda: bool = False,
             kid: bool = True, prc: bool = True) -> dict[str, float]:
    """Scores of ``fake`` against ``real`` (both uint8 NCHW) in the extractor's feature space."""
    EXTRACTORS[feature_extractor].ensure_registered()
    n = min(len(fake), len(real))
    kwargs: dict[str, Any] = dict(
        input1=TensorImages(fake), input2=TensorImages(real), feature_extractor=feature_extractor,
        fid=True, kid=kid, prc=prc, cuda=cuda, batch_size=500, verbose=False, cache=False,
        save_cpu_ram=True,  # no DataLoader worker processes: we already run one job per core
        kid_subset_size=min(1000, n),
    )
    out = torch_fidelity.calculate_metrics(**kwargs)
    scores = {"fid": float(out["frechet_inception_distance"])}
    if kid:
        scores["kid"] = float(out["kernel_inception_distance_mean"])
        scores["kid_std"] = float(out["kernel_inception_distance_std"])
    if prc:
        scores["precision"] = float(out["precision"])
        scores["recall"] = float(out["recall"])
    return scores
