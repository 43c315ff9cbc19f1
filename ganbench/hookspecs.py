"""Hook specifications. Plugins implement these with ``from ganbench import hookimpl``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("ganbench")
hookimpl = pluggy.HookimplMarker("ganbench")

Register = Callable[[Any], None]


@hookspec
def register_architectures(register: Register) -> None:
    """Call ``register(ArchitectureSpec(...))`` once per architecture the plugin provides."""


@hookspec
def register_losses(register: Register) -> None:
    """Call ``register(LossSpec(...))`` once per GAN objective the plugin provides."""


@hookspec
def register_regularizers(register: Register) -> None:
    """Call ``register(RegularizerSpec(...))`` once per regularizer the plugin provides."""


@hookspec
def register_datasets(register: Register) -> None:
    """Call ``register(DatasetSpec(...))`` once per dataset the plugin provides."""


@hookspec
def register_suites(register: Register) -> None:
    """Call ``register(SuiteSpec(...))`` once per suite file the plugin provides."""


@hookspec
def register_recipes(register: Register) -> None:
    """Call ``register(RecipeSpec(...))`` once per method (components + its own training settings)."""


@hookspec
def register_metrics(register: Register) -> None:
    """Call ``register(MetricSpec(...))`` once per metric; its columns join every table and report."""
