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


def density_coverage(fake: Tensor, real: Tensor, k: int = DC_NEIGHBOURHOOD,
                     between: Tensor | None = None) -> dict[str, float]:
    """Naeem et al. 2020. With r_i the distance from real X_i to its k-th nearest real neighbour:
    density = 1/(kM) sum_j sum_i 1[|Y_j - X_i| < r_i] (1 on matching distributions, may exceed 1);
    coverage = 1/N sum_i 1[min_j |Y_j - X_i| < r_i] (in [0, 1]).
    The balls are open (strict <), as in the authors' ``prdc`` package: a fake on a boundary is outside.

    Each fake-real pair is decided in float64, with the radii and the pair distances from one formula
    (``pair_distances``), so that a tie resolves as in ``prdc``: a fake at exactly a real's k-th
    neighbour's place is on the boundary, outside, and identical sets give density 1 exactly.
    ``between`` (float32 ``torch.cdist(fake, real)``, which precision/recall computes anyway;
    computed here when not given) decides every pair farther from its ball's boundary than float32
    rounding can move a distance (``_inside_counts``); only the pairs within that band are measured
    again in float64."""
    real64, fake64 = real.double(), fake.double()
    # k + 1: each point is its own nearest. The radii depend on the reference alone: once per worker.
    radii = memo.reference_value("dc-radii-direct", real64, lambda: direct_kth_nearest(real64, k + 1), k)
    if between is None:
        between = torch.cdist(fake.float(), real.float())
    counts = _inside_counts(fake64, real64, radii, between)  # (N,): fakes inside each real's ball
    return {"density": float(counts.sum() / (k * fake.shape[0])),
            "coverage": float((counts > 0).double().mean())}


_UNIT_ROUNDOFF = 2.0 ** -24  # float32
_BLOCK_ROWS = 256  # fake rows compared at a time: 256 x 2,000 float32 is 2 MB, about a core's L2 cache


def _inside_counts(fake: Tensor, real: Tensor, radii: Tensor, between: Tensor) -> Tensor:
    """For each real X_i, how many fakes Y_j have |Y_j - X_i| < r_i in float64, from float32 distances.

    The float32 distance d' of a pair (``torch.cdist``: sqrt(|x|^2 + |y|^2 - 2 x.y), one inner product
    of D + 2 terms) satisfies |d'^2 - d^2| <= e_i = 4 g (max_j |Y_j| + |X_i|)^2 + 4 u r_i^2, with
    g = (D + 2) u / (1 - (D + 2) u) and u float32's unit roundoff: twice the textbook bound on an
    inner product's rounding in any summation order, plus the square root's. So with
    delta_i = 2 e_i / r_i, d' < r_i - delta_i implies d < r_i and d' > r_i + delta_i implies d > r_i
    (the squares differ by more than e_i). The pairs in between, a few hundred of 4 million in a
    quick run, are measured again as sqrt(sum (y - x)^2) in float64."""
    if not bool(torch.isfinite(fake).all()):  # a bound needs finite norms: every pair in float64
        return (torch.cdist(fake, real) < radii).sum(0)
    width = fake.shape[1] + 2
    rounding = width * _UNIT_ROUNDOFF / (1 - width * _UNIT_ROUNDOFF)
    error = 4 * rounding * (fake.norm(dim=1).max() + real.norm(dim=1)) ** 2 + 4 * _UNIT_ROUNDOFF * radii ** 2
    delta = torch.where(radii > 0, 2 * error / radii, torch.inf)
    # Rounded outwards to float32, so the band only widens.
    low = torch.nextafter((radii - delta).float(), torch.tensor(-torch.inf))
    high = torch.nextafter((radii + delta).float(), torch.tensor(torch.inf))
    below = torch.zeros(len(real), dtype=torch.int32)  # pairs surely inside, per real
    up_to = torch.zeros(len(real), dtype=torch.int32)  # pairs not surely outside
    for start in range(0, len(fake), _BLOCK_ROWS):
        block = between[start:start + _BLOCK_ROWS]
        below += (block < low).sum(0, dtype=torch.int32)
        up_to += (block <= high).sum(0, dtype=torch.int32)
    columns = (up_to != below).nonzero().squeeze(1)  # reals with a pair in the band
    band = between[:, columns]
    rows, where = ((band >= low[columns]) & (band <= high[columns])).nonzero(as_tuple=True)
    cols = columns[where]
    distances = pair_distances(fake[rows], real[cols])
    return below.long().index_add_(0, cols, (distances < radii[cols]).long())


def pair_distances(a: Tensor, b: Tensor) -> Tensor:
    """|a_i - b_i| for each row pair, as sqrt(sum((a - b)^2)): the one formula behind density's radii
    and its re-measured pairs, so that equal points give equal distances to the bit."""
    return (a - b).square().sum(1).sqrt()


_SPARE = 8  # neighbours beyond the k-th taken from the matrix-product distances as candidates
_CANDIDATE_BLOCK = 4096  # candidate pairs measured at a time: 4,096 x 2,048 float64 is 64 MB


def direct_kth_nearest(points: Tensor, k: int) -> Tensor:
    """Each point's k-th smallest distance to the points (itself included, at 0), by ``pair_distances``.

    ``torch.cdist`` (a matrix product: |x|^2 + |y|^2 - 2 x.y) picks k + 8 candidates per point; their
    distances are measured again directly. A point whose candidates might miss a nearer neighbour,
    where the (k + 8)-th cdist distance lies within cdist's float64 rounding bound (as in
    ``_inside_counts``) of the k-th direct one, is measured against every point."""
    n, width = points.shape
    count = min(k + _SPARE, n)
    approx, nearest = torch.cdist(points, points).topk(count, dim=1, largest=False)
    rows = torch.arange(n).repeat_interleave(count)
    measured = _measure(points, rows, nearest.reshape(-1)).view(n, count)
    kth = measured.kthvalue(k, dim=1).values
    if count == n:
        return kth
    unit = 2.0 ** -53  # float64
    rounding = (width + 2) * unit / (1 - (width + 2) * unit)
    norms = points.norm(dim=1)
    error = 4 * rounding * (norms.max() + norms) ** 2 + 4 * unit * approx[:, -1] ** 2
    lowest_left_out = (approx[:, -1] ** 2 - error).clamp(min=0).sqrt()  # no point outside is nearer
    for row in (lowest_left_out <= kth).nonzero().squeeze(1).tolist():
        everyone = _measure(points, torch.full((n,), row), torch.arange(n))
        kth[row] = everyone.kthvalue(k).values
    return kth


def _measure(points: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    # Candidate minus point, as a fake minus a real in _inside_counts: the same operands in the same order.
    parts = [pair_distances(points[cols[s:s + _CANDIDATE_BLOCK]], points[rows[s:s + _CANDIDATE_BLOCK]])
             for s in range(0, len(rows), _CANDIDATE_BLOCK)]
    return torch.cat(parts)


def precision_recall(fake: Tensor, real: Tensor, k: int = PRC_NEIGHBOURHOOD,
                     between: Tensor | None = None) -> tuple[float, float]:
    """torch-fidelity's improved precision and recall (Kynkäänniemi et al. 2019): the share of fakes
    inside some real sample's k-NN ball, and of reals inside some fake's (closed balls).

    Computed op for op as torch-fidelity's ``calculate_precision_recall_part`` does for up to
    ``prc_batch_size`` samples a side, so the values are the same to the bit (tests/test_metrics.py),
    except that the real radii depend on the reference alone and are computed once per worker, and
    that the fake-real distances are computed once for both directions (torch-fidelity's
    ``calculate_precision_recall_full`` transposes them too). Larger inputs, which torch-fidelity
    splits into batches, go to torch-fidelity itself. ``between``: ``torch.cdist(fake, real)``, when
    the caller has it."""
    if max(len(fake), len(real)) > PRC_BATCH:
        out = prc_features_to_metric(fake, real, prc_neighborhood=k, save_cpu_ram=True, verbose=False)
        return float(out["precision"]), float(out["recall"])
    fake_radii = kth_nearest(torch.cdist(fake, fake), k + 1)
    real_radii = memo.reference_value("prc-radii", real, lambda: kth_nearest(torch.cdist(real, real), k + 1), k)
    if between is None:
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
        between = torch.cdist(fake, real)  # fake-real distances, for both
        scores["precision"], scores["recall"] = precision_recall(fake, real, between=between)
        scores.update(density_coverage(fake, real, between=between))
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
