"""Score one run's final samples against the dataset's reference split."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from torch import Tensor
from torchvision.utils import save_image

from ganbench.data.points import scatter
from ganbench.metrics import spectrum
from ganbench.metrics.fidelity import extract, fidelity_from_features, protocol, reference_features
from ganbench.metrics.modes import coverage
from ganbench.specs import DatasetSpec

# Bumped whenever a metric's definition changes, so records scored the old way are never reused.
METRICS_VERSION = 3  # 3: density/coverage balls are open (distance < radius)


def score(fake: Tensor, real: Tensor, dataset: DatasetSpec, feature_extractor: str, channels: int,
          dataset_sha256: str, cache_dir: Path | None = None, cuda: bool = False,
          mode_fake: Tensor | None = None,
          fake_features: Tensor | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every metric that applies to this dataset, and the protocol they were computed under.

    Images: FID/KID/precision-recall/density-coverage in the extractor's space and the spectral
    sharpness scores (+ mode coverage on datasets with known modes). Points: mode coverage and the
    share of high-quality samples; no FID, since there is no image feature space. Modes are counted
    on ``mode_fake`` when given (a larger sample: the stacked protocol's 26,000), else on ``fake``.
    ``fake_features``: ``fake`` already through the extractor (the caller reuses them).
    """
    metrics: dict[str, Any] = {}
    proto: dict[str, Any] = {"metrics_version": METRICS_VERSION, "samples": int(fake.shape[0]),
                             "reference_samples": int(real.shape[0]), "reference_split": "reference"}
    if dataset.kind == "images":
        real_f = reference_features(real, feature_extractor, dataset_sha256, cache_dir, cuda)
        fake_f = fake_features if fake_features is not None else extract(fake, feature_extractor, cuda)
        metrics.update(fidelity_from_features(fake_f, real_f))
        metrics.update(spectrum.spectral_scores(fake, real))
        proto.update(protocol(feature_extractor, int(fake.shape[0]), int(real.shape[0])))
        proto.update(blur_band=list(spectrum.BLUR_BAND), noise_band=list(spectrum.NOISE_BAND))
    # Modes are defined on the dataset's own channels; a grayscale run of RGB data has none.
    if dataset.modes is not None and (dataset.kind == "points" or channels == dataset.image_shape[0]):
        counted = fake if mode_fake is None else mode_fake
        metrics.update(coverage(dataset.modes(counted), dataset.n_modes, quality=dataset.kind == "points"))
        proto["modes"] = f"{dataset.name}: {dataset.n_modes} modes" + (
            ", high quality = within 3 std of a centre" if dataset.kind == "points" else "")
        proto["mode_samples"] = int(counted.shape[0])
        proto["n_modes"] = dataset.n_modes
    return metrics, proto


def picture(fake: Tensor, real: Tensor, dataset: DatasetSpec) -> bytes:
    """PNG of the samples: an 8x8 grid of images, or a scatter plot of points over real points."""
    buffer = io.BytesIO()
    if dataset.kind == "points":
        save_image(scatter(fake, real).float() / 255.0, buffer, format="png")
    else:
        save_image(fake[:64].float() / 255.0, buffer, format="png", nrow=8)
    return buffer.getvalue()
