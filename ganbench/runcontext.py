"""What a run is besides its spec, and whether it can run: its data, its feature extractor, the
context that is part of its id, and the reasons it must not or cannot run.

Light on purpose (torch, but not torch-fidelity, torchvision or the metrics): ``ganbench run`` plans a
suite from these (run ids, skips, refusals) before its workers start, and each worker reads the same
functions (``execute.py`` runs the run).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import cast

import torch

import ganbench
from ganbench import featurespace, perceptual, plugins
from ganbench.datakinds import DataKind, kind_of
from ganbench.machine import machine_type
from ganbench.metrics import registry
from ganbench.metrics.version import METRICS_VERSION
from ganbench.plugins import Catalog, Registered
from ganbench.provenance import component_code
from ganbench.runspec import RunSpec
from ganbench.specs import DataRequest, ImageData, PointData, RegularizerSpec, incompatibility
from ganbench.training.trainer import run_kind


@dataclass(frozen=True)
class DatasetSplits:
    train: torch.Tensor
    reference: torch.Tensor
    source: str
    sha256: str
    feature_extractor: str
    kind: DataKind  # the dataset's; a class-conditional run's is labelled images (run_kind)
    train_labels: torch.Tensor | None = None  # int64 class per image, for datasets with labels
    reference_labels: torch.Tensor | None = None


@cache
def catalog() -> Catalog:
    """The catalog of this process (workers load plugins themselves, with the same env)."""
    return plugins.load()


@cache
def dataset_splits(name: str, data_root: str | None, resolution: int, channels: int) -> DatasetSplits:
    spec = catalog().spec("datasets", name)
    root = Path(data_root) if data_root else None
    train_data, reference = (spec.load(DataRequest(split, root, resolution, channels))
                             for split in ("train", "reference"))
    kind = kind_of(spec)
    try:
        train_images = kind.prepare(train_data, resolution, channels)
        reference_images = kind.prepare(reference, resolution, channels)
    except TypeError as exc:
        raise TypeError(f"dataset {name}: {exc}") from None
    digest = hashlib.sha256()
    for images in (train_images, reference_images):
        digest.update(images.numpy().tobytes())
    source = train_data.source if train_data.source == reference.source else \
        f"{train_data.source} | {reference.source}"
    return DatasetSplits(train_images, reference_images, source, digest.hexdigest()[:16],
                         spec.feature_extractor, kind, labels_of(train_data), labels_of(reference))


def labels_of(split: ImageData | PointData) -> torch.Tensor | None:
    return split.labels if isinstance(split, ImageData) else None


def context(spec: RunSpec, data_root: str | None) -> dict[str, str]:
    """Everything besides the spec that decides a run's result; part of its id."""
    data = dataset_splits(spec.dataset, data_root, spec.resolution, spec.channels)
    cat = catalog()
    extractor = feature_extractor(spec, data)
    out = {"ganbench": ganbench.__version__, "torch": torch.__version__, "dataset_sha256": data.sha256,
           "machine": machine_type(spec.device),  # a store shared by machines never mixes their records
           "feature_extractor": f"{extractor}@{registry.extractor_version(extractor)}" if extractor else "none",
           "metrics_version": str(METRICS_VERSION)}
    if training_networks(spec):  # retrained perceptual weights are another run
        out["training_networks"] = network_versions(spec)
    if cat.spec("datasets", spec.dataset).stream is not None:
        # Batches come from the stream, not the hashed fixed split: that must change the run id too.
        out["train_split"] = "stream"
    factors = [("architecture", "architectures"), ("loss", "losses"), ("regularizer", "regularizers"),
               ("dataset", "datasets")]
    if spec.conditioning:
        factors.append(("conditioning", "conditionings"))
        if data.train_labels is not None:  # the images' hash does not cover their classes
            out["labels_sha256"] = labels_digest(data)
    for factor, kind in factors:
        out[f"{factor}_plugin"] = "+".join(_provenance(part) for part in cat.parts(kind, getattr(spec, factor)))
    return out


def _provenance(registered: Registered) -> str:
    """distribution==version of one component, plus its code hash for a third-party plugin."""
    info = registered.plugin
    out = f"{info.distribution}=={info.version}"
    if info.distribution != "ganbench":  # an edited plugin never reuses the old code's records
        out += f"#{component_code(registered.spec)}"
    return out


def labels_digest(data: DatasetSplits) -> str:
    digest = hashlib.sha256()
    for labels in (data.train_labels, data.reference_labels):
        digest.update(b"-" if labels is None else labels.numpy().tobytes())
    return digest.hexdigest()[:16]


def training_networks(spec: RunSpec) -> list[str]:
    """The pretrained networks this run's loss and regularizer train against (a perceptual loss's)."""
    cat = catalog()
    return sorted(cat.spec("losses", spec.loss).networks | cat.spec("regularizers", spec.regularizer).networks)


def scored_in_trained_space(spec: RunSpec, extractor: str) -> str | None:
    """Why ``spec`` must not run, scored in ``extractor``: training optimised against that network or
    one sharing its weights, which would inflate its FID (Kynkäänniemi et al. 2023); else None."""
    if not extractor:
        return None
    for network in training_networks(spec):
        shared = featurespace.shared_space(network, extractor)
        if shared is not None:
            return (f"{spec.entry} trains against {network}, and its FID would be computed in {extractor}: {shared}; "
                    f"score it in another space (--extractor) or drop the entry")
    return None


def network_versions(spec: RunSpec) -> str:
    """name@version of each training network ganbench knows the weights of (a plugin's own: name)."""
    parts = []
    for name in training_networks(spec):
        known = perceptual.NETWORKS.get(name)
        ready, where = known.available() if known else (False, "")
        parts.append(f"{name}@{known.version(Path(where))}" if known and ready else name)
    return ",".join(parts)


def feature_extractor(spec: RunSpec, data: DatasetSplits) -> str:
    """The suite's (or --extractor's) choice, else the dataset's default; "" for point data. A default
    that cannot read the run's channels (the stacked CNN on a grayscale run) gives way to the
    Fashion-MNIST CNN; an explicit choice never changes silently (it fails the run instead)."""
    if not data.kind.has_features:
        return ""
    if spec.feature_extractor:
        return spec.feature_extractor
    return data.feature_extractor if registry.accepts(data.feature_extractor, spec.channels) \
        else registry.FALLBACK


def incompatible(spec: RunSpec) -> str | None:
    """The declared reason this combination cannot run, if any."""
    cat = catalog()
    arch = cat.spec("architectures", spec.architecture)
    kind = run_kind(spec, cat)
    if spec.conditioning and not cat.spec("conditionings", spec.conditioning).labelled_features \
            and getattr(cat.spec("losses", spec.loss).factory(), "uses_features", False):
        return (f"{spec.loss} matches D's features, which carry no class under {spec.conditioning}: "
                f"G would get no class signal")
    for name in training_networks(spec):
        known = perceptual.NETWORKS.get(name)
        ready, why = known.available() if known else (True, "")
        if not ready:
            return why
    # A stack's members go in one by one, so each one's incompatibilities meet the others' traits.
    regularizers = [cast(RegularizerSpec, part.spec) for part in cat.parts("regularizers", spec.regularizer)]
    return kind.unsupported(arch, spec.resolution) or incompatibility(
        arch, cat.spec("losses", spec.loss), *regularizers, data_kind=kind.names, providers=providers())


@cache
def providers() -> dict[str, list[str]]:
    """Requirement -> the registered regularizers that provide it, to name them in skip reasons."""
    out: dict[str, list[str]] = {}
    for name in catalog().names("regularizers"):
        for need in catalog().spec("regularizers", name).provides:
            out.setdefault(need, []).append(name)
    return out
