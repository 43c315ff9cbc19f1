"""ganbench: a fair, reproducible benchmark for GAN architectures, losses and regularizers."""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

__version__ = "0.10.0"

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

# The plugin API is imported on first use (PEP 562): the specs import torch, about 2 s on a 2-core CPU,
# which `ganbench --version`, a table command, or the start of the fork server (it imports torch
# itself, beside the main process) should not wait for.
_EXPORTS = {"hookimpl": "ganbench.hookspecs", **{name: "ganbench.specs" for name in __all__ if name[0].isupper()}}


if not TYPE_CHECKING:  # type checkers read the imports above, so that a misspelt name stays an error
    def __getattr__(name: str) -> object:
        if name not in _EXPORTS:
            raise AttributeError(f"module 'ganbench' has no attribute {name!r}")
        value = getattr(_importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # looked up once
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
