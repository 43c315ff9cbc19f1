"""FID, KID, precision/recall (torch-fidelity) and density/coverage on one set of features.

KID is torch-fidelity's, on its subsets, with the kernels computed once (``metrics/kid.py``).

Features come from a torch-fidelity feature extractor, computed in memory (no PNG round trip). The
reference split's features are cached on disk under a key made of the dataset content hash, split,
sample count, extractor name and version, so each worker process (and each later suite) reuses them.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset
from torch_fidelity.defaults import DEFAULTS
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor

from ganbench import integrity
from ganbench.metrics import kid as kernel_distance
from ganbench.metrics import memo
from ganbench.metrics.registry import batch_size, ensure_registered, extractor_version
from ganbench.store import atomic_write_bytes
from ganbench.training.seeding import global_rng_untouched

PRC_NEIGHBOURHOOD = 3  # k of torch-fidelity's improved precision/recall (Kynkäänniemi et al. 2019)
DC_NEIGHBOURHOOD = 5  # k of density/coverage, as recommended by Naeem et al. 2020
KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000
PRC_BATCH = int(DEFAULTS["prc_batch_size"])  # torch-fidelity computes distances in blocks of this many


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


@cache
def _network(feature_extractor: str, cuda: bool) -> torch.nn.Module:
    """torch-fidelity's extractor in its FID layer, built once per process (not once per scoring)."""
    ensure_registered(feature_extractor)
    layer = FEATURE_EXTRACTORS_REGISTRY[feature_extractor].get_default_feature_layer_for_metric("fid")
    with global_rng_untouched():  # built in whichever run needs it first: its init must not shift that run's draws
        net: torch.nn.Module = create_feature_extractor(feature_extractor, [layer], cuda=cuda, verbose=False)
    return net


@torch.inference_mode()
def extract(images: Tensor, feature_extractor: str, cuda: bool = False) -> Tensor:
    """float32 features (N, D) of uint8 images in the extractor's FID layer.

    Batches go straight from the tensor to the network: torch-fidelity's DataLoader would index and
    collate every image one at a time, which cost as much as the network on a CPU."""
    if images.dtype != torch.uint8:
        raise TypeError("images must be uint8")
    net = _network(feature_extractor, cuda)
    device = torch.device("cuda" if cuda else "cpu")
    chunks = [net(batch.to(device))[0].float().cpu() for batch in images.split(batch_size(feature_extractor))]
    return torch.cat(chunks) if chunks else torch.empty(0)


def cache_key(dataset_sha256: str, split: str, count: int, feature_extractor: str) -> str:
    """What decides the reference features: data content, split, sample count, extractor and version."""
    parts = [dataset_sha256, split, str(count), feature_extractor, extractor_version(feature_extractor)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def reference_features(images: Tensor, feature_extractor: str, dataset_sha256: str, cache_dir: Path | None,
                       cuda: bool = False, split: str = "reference") -> Tensor:
    """Features of the reference images, from ``cache_dir/<cache_key>.pt`` when it is there."""
    key = cache_key(dataset_sha256, split, int(images.shape[0]), feature_extractor)
    path = cache_dir / f"{key}.pt" if cache_dir else None
    if path is not None and path.is_file():
        try:
            cached: Tensor = torch.load(io.BytesIO(integrity.unseal(path)), map_location="cpu", weights_only=True)
            if cached.shape[0] == images.shape[0]:
                return cached
        except integrity.Damaged as exc:  # recomputed below, never reused
            integrity.set_aside(path, str(exc))
    feats = extract(images, feature_extractor, cuda)
    if path is not None:
        buffer = io.BytesIO()
        torch.save(feats, buffer)
        atomic_write_bytes(path, integrity.seal(buffer.getvalue()))  # concurrent workers may race: last rename wins
        atomic_write_bytes(path.with_suffix(".json"), json.dumps({
            "feature_extractor": feature_extractor, "version": extractor_version(feature_extractor),
            "count": int(images.shape[0])}).encode())
    return feats


def density_coverage(fake: Tensor, real: Tensor, k: int = DC_NEIGHBOURHOOD) -> dict[str, float]:
    """Naeem et al. 2020. With r_i the distance from real X_i to its k-th nearest real neighbour:
    density = 1/(kM) sum_j sum_i 1[|Y_j - X_i| < r_i] (1 on matching distributions, may exceed 1);
    coverage = 1/N sum_i 1[min_j |Y_j - X_i| < r_i] (in [0, 1]).
    The balls are open (strict <), as in the authors' ``prdc`` package: a fake on a boundary is outside."""
    real, fake = real.double(), fake.double()
    # k + 1: each point is its own nearest. The radii depend on the reference alone: once per worker.
    radii = memo.reference_value("dc-radii", real, lambda: kth_nearest(torch.cdist(real, real), k + 1), k)
    inside = torch.cdist(fake, real) < radii.unsqueeze(0)  # (M, N)
    return {"density": float(inside.sum() / (k * fake.shape[0])),
            "coverage": float(inside.any(0).double().mean())}


def precision_recall(fake: Tensor, real: Tensor, k: int = PRC_NEIGHBOURHOOD) -> tuple[float, float]:
    """torch-fidelity's improved precision and recall (Kynkäänniemi et al. 2019): the share of fakes
    inside some real sample's k-NN ball, and of reals inside some fake's (closed balls).

    Computed op for op as torch-fidelity's ``calculate_precision_recall_part`` does for up to
    ``prc_batch_size`` samples a side, so the values are the same to the bit (tests/test_metrics.py),
    except that the real radii depend on the reference alone and are computed once per worker, and
    that the fake-real distances are computed once for both directions (torch-fidelity's
    ``calculate_precision_recall_full`` transposes them too). Larger inputs, which torch-fidelity
    splits into batches, go to torch-fidelity itself."""
    if max(len(fake), len(real)) > PRC_BATCH:
        out = prc_features_to_metric(fake, real, prc_neighborhood=k, save_cpu_ram=True, verbose=False)
        return float(out["precision"]), float(out["recall"])
    fake_radii = kth_nearest(torch.cdist(fake, fake), k + 1)
    real_radii = memo.reference_value("prc-radii", real, lambda: kth_nearest(torch.cdist(real, real), k + 1), k)
    between = torch.cdist(fake, real)  # (fakes, reals)
    recall = (between <= fake_radii.unsqueeze(1)).any(dim=0).float().mean().item()
    precision = (between <= real_radii).any(dim=1).float().mean().item()
    return float(precision), float(recall)


def kth_nearest(distances: Tensor, k: int) -> Tensor:
    """Each row's k-th smallest distance: ``distances.kthvalue(k, dim=1).values``, the same values
    (the same elements are selected), from a partial top-k, which is 4-5x faster on a CPU for k << n."""
    return distances.topk(k, dim=1, largest=False).values[:, k - 1]


def fidelity_from_features(fake: Tensor, real: Tensor, kid: bool = True, prc: bool = True) -> dict[str, float]:
    """FID (+ KID, precision/recall, density/coverage) of generated vs real features."""
    stats = [fid_features_to_statistics(f.double()) for f in (fake, real)]
    scores = {"fid": float(fid_statistics_to_metric(stats[0], stats[1], verbose=False)["frechet_inception_distance"])}
    if kid:
        size = min(KID_SUBSET_SIZE, len(fake), len(real))
        scores["kid"], scores["kid_std"] = kernel_distance.kid(fake, real, KID_SUBSETS, size)
    if prc:
        scores["precision"], scores["recall"] = precision_recall(fake, real)
        scores.update(density_coverage(fake, real))
    return scores


def fidelity(fake: Tensor, real: Tensor, feature_extractor: str, cuda: bool = False, kid: bool = True,
             prc: bool = True, real_features: Tensor | None = None) -> dict[str, float]:
    """Scores of ``fake`` against ``real`` (both uint8 NCHW) in the extractor's feature space."""
    real_f = real_features if real_features is not None else extract(real, feature_extractor, cuda)
    return fidelity_from_features(extract(fake, feature_extractor, cuda), real_f, kid=kid, prc=prc)


def protocol(feature_extractor: str, fake_count: int, real_count: int, split: str = "reference") -> dict[str, Any]:
    """What the fidelity scores depend on besides the samples: stored beside them in every record."""
    return {"feature_extractor": f"{feature_extractor}@{extractor_version(feature_extractor)}",
            "samples": fake_count, "reference_samples": real_count, "reference_split": split,
            "kid_subsets": KID_SUBSETS, "kid_subset_size": min(KID_SUBSET_SIZE, fake_count, real_count),
            "prc_neighbourhood": PRC_NEIGHBOURHOOD, "dc_neighbourhood": DC_NEIGHBOURHOOD}
