"""Hook specifications. Plugins implement these with ``from ganbench import hookimpl``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from ganbench.specs import (
    ArchitectureSpec,
    ConditioningSpec,
    DatasetSpec,
    ExecutorSpec,
    LossSpec,
    MetricSpec,
    RecipeSpec,
    RegularizerSpec,
    SuiteSpec,
)

hookspec = pluggy.HookspecMarker("ganbench")
hookimpl = pluggy.HookimplMarker("ganbench")

Register = Callable[[Any], None]
# Each hook's callback takes one spec type (tox's ToxEnvRegister is the model): mypy checks a plugin's
# register(...) calls when it annotates its hook with these.
RegisterArchitecture = Callable[[ArchitectureSpec], None]
RegisterLoss = Callable[[LossSpec], None]
RegisterRegularizer = Callable[[RegularizerSpec], None]
RegisterDataset = Callable[[DatasetSpec], None]
RegisterSuite = Callable[[SuiteSpec], None]
RegisterRecipe = Callable[[RecipeSpec], None]
RegisterMetric = Callable[[MetricSpec], None]
RegisterConditioning = Callable[[ConditioningSpec], None]
RegisterExecutor = Callable[[ExecutorSpec], None]


@hookspec
def register_architectures(register: RegisterArchitecture) -> None:
    """Call ``register(ArchitectureSpec(...))`` once per architecture the plugin provides."""


@hookspec
def register_losses(register: RegisterLoss) -> None:
    """Call ``register(LossSpec(...))`` once per GAN objective the plugin provides."""


@hookspec
def register_regularizers(register: RegisterRegularizer) -> None:
    """Call ``register(RegularizerSpec(...))`` once per regularizer the plugin provides."""


@hookspec
def register_datasets(register: RegisterDataset) -> None:
    """Call ``register(DatasetSpec(...))`` once per dataset the plugin provides."""


@hookspec
def register_suites(register: RegisterSuite) -> None:
    """Call ``register(SuiteSpec(...))`` once per suite file the plugin provides."""


@hookspec
def register_recipes(register: RegisterRecipe) -> None:
    """Call ``register(RecipeSpec(...))`` once per method (components + its own training settings)."""


@hookspec
def register_metrics(register: RegisterMetric) -> None:
    """Call ``register(MetricSpec(...))`` once per metric; its columns join every table and report."""


@hookspec
def register_conditionings(register: RegisterConditioning) -> None:
    """Call ``register(ConditioningSpec(...))`` once per way of conditioning G and D on class labels."""


@hookspec
def register_executors(register: RegisterExecutor) -> None:
    """Call ``register(ExecutorSpec(...))`` once per engine that runs a suite's runs (``--executor``)."""
