"""ganbench: a fair, reproducible benchmark for GAN architectures, losses and regularizers."""

from __future__ import annotations

from ganbench.hookspecs import hookimpl
from ganbench.specs import (
    ArchitectureSpec,
    Column,
    ConditioningSpec,
    DataRequest,
    DatasetSpec,
    ExecutorOptions,
    ExecutorSpec,
    ImageData,
    LossSpec,
    MetricSpec,
    PointData,
    RecipeSpec,
    Regularizer,
    RegularizerSpec,
    ScoreInput,
    SuiteSpec,
)

__version__ = "0.7.1"

__all__ = [
    "ArchitectureSpec",
    "Column",
    "ConditioningSpec",
    "DataRequest",
    "DatasetSpec",
    "ExecutorOptions",
    "ExecutorSpec",
    "ImageData",
    "LossSpec",
    "MetricSpec",
    "PointData",
    "RecipeSpec",
    "Regularizer",
    "RegularizerSpec",
    "ScoreInput",
    "SuiteSpec",
    "__version__",
    "hookimpl",
]
