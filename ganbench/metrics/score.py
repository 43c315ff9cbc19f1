"""Score one run's final samples against the dataset's reference split, metric by metric."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from torch import Tensor

from ganbench.datakinds import DataKind
from ganbench.metrics.fidelity import extract, reference_features
from ganbench.metrics.version import METRICS_VERSION
from ganbench.specs import DatasetSpec, MetricSpec, ScoreInput


def applies(metric: MetricSpec, kind: DataKind, dataset: DatasetSpec, channels: int) -> bool:
    """Whether ``metric`` scores runs of ``kind`` on ``dataset`` trained with ``channels`` channels."""
    if not kind.names & metric.data_kinds:
        return False
    return not metric.needs_modes or kind.modes_defined(dataset, channels)


def score(fake: Tensor, real: Tensor, kind: DataKind, dataset: DatasetSpec, feature_extractor: str, channels: int,
          dataset_sha256: str, metrics: Sequence[MetricSpec], cache_dir: Path | None = None, cuda: bool = False,
          mode_fake: Tensor | None = None, fake_features: Tensor | None = None,
          fake_labels: Tensor | None = None,
          real_labels: Tensor | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every metric of the table that applies to this dataset, and the protocol they were computed under.

    Built-ins: FID/KID/precision-recall/density-coverage in the extractor's space and the spectral
    sharpness scores on images, mode coverage on datasets with known modes (points: no FID, since
    there is no image feature space). Modes are counted on ``mode_fake`` when given (a larger
    sample: the stacked protocol's 26,000), else on ``fake``. ``fake_features``: ``fake`` already
    through the extractor (the caller reuses them). A class-conditional run gives the class each fake
    was asked for (``fake_labels``) and the reference's classes (``real_labels``). A metric's values
    outside its declared columns are dropped: the columns are the schema. A metric that raises leaves
    its columns empty and its error in the protocol's ``metric_errors``; the run and the other metrics
    stand.
    """
    @cache
    def features() -> tuple[Tensor, Tensor]:
        if not feature_extractor:
            raise ValueError(f"dataset {dataset.name} has no feature extractor")
        real_f = reference_features(real, feature_extractor, dataset_sha256, cache_dir, cuda)
        fake_f = fake_features if fake_features is not None else extract(fake, feature_extractor, cuda)
        return fake_f, real_f

    def embed(images: Tensor, split: str) -> Tensor:
        if not feature_extractor:
            raise ValueError(f"dataset {dataset.name} has no feature extractor")
        if split:
            return reference_features(images, feature_extractor, dataset_sha256, cache_dir, cuda, split=split)
        return extract(images, feature_extractor, cuda)

    data = ScoreInput(fake, real, dataset, channels, feature_extractor, features, mode_fake, fake_labels, real_labels,
                      embed)
    values: dict[str, Any] = {}
    proto: dict[str, Any] = {"metrics_version": METRICS_VERSION, "samples": int(fake.shape[0]),
                             "reference_samples": int(real.shape[0]), "reference_split": "reference"}
    for metric in metrics:
        if metric.derive is not None or not applies(metric, kind, dataset, channels):
            continue
        try:
            scored, used = metric.compute(data)
        except Exception as exc:  # a plugin's metric must not fail the run: its columns stay empty
            proto.setdefault("metric_errors", {})[metric.name] = f"{type(exc).__name__}: {exc}"
            continue
        values.update({col.name: float(scored[col.name]) for col in metric.columns if col.name in scored})
        proto.update(used)
    return values, proto
