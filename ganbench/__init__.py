"""ganbench: a fair, reproducible benchmark for GAN architectures, losses and regularizers."""

from __future__ import annotations

from ganbench.hookspecs import hookimpl
from ganbench.specs import (
    ArchitectureSpec,
    DataRequest,
    DatasetSpec,
    ImageData,
    LossSpec,
    PointData,
    RecipeSpec,
    Regularizer,
    RegularizerSpec,
    SuiteSpec,
)

__version__ = "0.3.0"

__all__ = [
    "ArchitectureSpec",
    "DataRequest",
    "DatasetSpec",
    "ImageData",
    "LossSpec",
    "PointData",
    "RecipeSpec",
    "Regularizer",
    "RegularizerSpec",
    "SuiteSpec",
    "__version__",
    "hookimpl",
]
