"""Plugin host: built-ins and entry-point plugins register components through the same hooks."""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType, SimpleNamespace
from typing import Any, cast

import pluggy

from ganbench import hookspecs, stacking
from ganbench.specs import (
    DATA_KINDS,
    NAME_RE,
    ArchitectureSpec,
    ComponentSpec,
    ConditioningSpec,
    DatasetSpec,
    ExecutorSpec,
    LossSpec,
    MetricSpec,
    RecipeSpec,
    RegularizerSpec,
    SuiteSpec,
)

ENTRY_POINT_GROUP = "ganbench"
DEFAULT_PLUGINS = (
    "ganbench.builtin.architectures.mlp",
    "ganbench.builtin.architectures.dcgan",
    "ganbench.builtin.architectures.resnet",
    "ganbench.builtin.architectures.stylegan",
    "ganbench.builtin.losses",
    "ganbench.builtin.regularizers",
    "ganbench.builtin.datasets",
    "ganbench.builtin.suites",
    "ganbench.builtin.recipes",
    "ganbench.builtin.metrics",
    "ganbench.builtin.conditionings",
    "ganbench.builtin.executors",
)
# hook name -> (component kind, spec class)
KINDS: dict[str, tuple[str, type]] = {
    "register_architectures": ("architectures", ArchitectureSpec),
    "register_losses": ("losses", LossSpec),
    "register_regularizers": ("regularizers", RegularizerSpec),
    "register_datasets": ("datasets", DatasetSpec),
    "register_suites": ("suites", SuiteSpec),
    "register_recipes": ("recipes", RecipeSpec),
    "register_metrics": ("metrics", MetricSpec),
    "register_conditionings": ("conditionings", ConditioningSpec),
    "register_executors": ("executors", ExecutorSpec),
}
HOOK_NAMES = sorted(KINDS)
SINGULAR = {"architectures": "architecture", "losses": "loss", "regularizers": "regularizer",
            "datasets": "dataset", "suites": "suite", "recipes": "recipe",
            "metrics": "metric", "conditionings": "conditioning",
            "executors": "executor"}
# Metric columns are CSV column names: snake_case.
COLUMN_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class PluginError(Exception):
    """A plugin could not be loaded or registered something invalid."""


# Built-in components under their old names, with what they are now called.
RENAMED = {
    ("regularizers", "perceptual"): "renamed feature-statistics in ganbench 0.9.0 (unpaired Gatys-style "
                                    "feature statistics, not a paired perceptual loss)",
    ("regularizers", "perceptual-vgg16"): "renamed feature-statistics-vgg16 in ganbench 0.9.0",
}


class UnknownComponent(Exception):
    """A component name that no loaded plugin registered."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str


@dataclass(frozen=True)
class Registered:
    spec: ComponentSpec
    plugin: PluginInfo


@dataclass
class Catalog:
    """Every registered component by kind and name, plus the plugins and problems met loading them."""

    components: dict[str, dict[str, Registered]] = field(
        default_factory=lambda: {kind: {} for kind, _ in KINDS.values()}
    )
    plugins: list[PluginInfo] = field(default_factory=list)
    hooks: dict[str, list[str]] = field(default_factory=dict)  # plugin name -> hooks it implements
    problems: list[str] = field(default_factory=list)

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def get(self, kind: str, name: str) -> Registered:
        """The component registered as ``name``; for regularizers also a stack, ``r1+ema`` (``ganbench.stacking``)."""
        if kind == "regularizers" and stacking.is_stack(name):
            return self._stack(name)
        try:
            return self.components[kind][name]
        except KeyError:
            if (kind, name) in RENAMED:
                raise UnknownComponent(f"unknown {SINGULAR[kind]} {name!r}: {RENAMED[kind, name]}") from None
            known = ", ".join(self.names(kind)) or "none"
            raise UnknownComponent(f"unknown {SINGULAR[kind]} {name!r} (known: {known})") from None

    def parts(self, kind: str, name: str) -> list[Registered]:
        """The registered components ``name`` stands for: a stack's members, else the one component."""
        if kind == "regularizers" and stacking.is_stack(name):
            return [self.get(kind, member) for member in stacking.members(name)]
        return [self.get(kind, name)]

    def _stack(self, name: str) -> Registered:
        if "" in stacking.members(name):
            raise UnknownComponent(f"regularizer stack {name!r} has an empty member (write a+b, no stray '+')")
        parts = self.parts("regularizers", name)
        specs = [cast(RegularizerSpec, part.spec) for part in parts]
        try:
            stacking.check(name, specs)
        except stacking.StackError as exc:
            raise UnknownComponent(str(exc)) from None
        info = PluginInfo(name, "+".join(dict.fromkeys(p.plugin.distribution for p in parts)),
                          "+".join(p.plugin.version for p in parts))
        return Registered(stacking.combine(name, specs), info)

    def spec(self, kind: str, name: str) -> Any:
        return self.get(kind, name).spec

    def metric_table(self) -> list[MetricSpec]:
        """The registered metrics in registration order (built-ins first): the order of every table's columns."""
        return [reg.spec for reg in self.components["metrics"].values() if isinstance(reg.spec, MetricSpec)]


def _builtin_info(module: str) -> PluginInfo:
    from ganbench import __version__

    return PluginInfo(module, "ganbench", __version__)


def _entry_point_info(ep: EntryPoint) -> PluginInfo:
    dist = ep.dist
    if dist is None:
        return PluginInfo(ep.name, "unknown", "unknown")
    return PluginInfo(ep.name, dist.metadata["Name"] or dist.name, dist.version)


def _allowlist() -> set[str] | None:
    raw = os.environ.get("GANBENCH_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _strict() -> bool:
    return os.environ.get("GANBENCH_STRICT_PLUGINS", "") not in ("", "0")


class _Loader:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.catalog = Catalog()
        self.info: dict[str, PluginInfo] = {}

    def problem(self, message: str) -> None:
        if self.strict:
            raise PluginError(message)
        self.catalog.problems.append(message)

    def add(self, module: ModuleType, info: PluginInfo) -> None:
        unknown = self._unknown_hooks(module)
        if unknown:
            # Name each misspelled hook with the closest real one, and keep the plugin's valid hooks.
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, HOOK_NAMES, n=1)
                hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
            self.problem(f"plugin {info.name} ({info.distribution} {info.version}): unknown hook "
                         f"{', '.join(hints)} ignored")
            valid = {name: getattr(module, name) for name in HOOK_NAMES if self._is_hookimpl(module, name)}
            module = cast(ModuleType, SimpleNamespace(__name__=module.__name__, **valid))
        self.pm.register(module, info.name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(module)
            self.problem(f"plugin {info.name} ({info.distribution} {info.version}) skipped: {exc}")
            return
        self.info[info.name] = info
        self.catalog.plugins.append(info)
        self.catalog.hooks[info.name] = sorted(caller.name for caller in self.pm.get_hookcallers(module) or [])

    @staticmethod
    def _is_hookimpl(module: ModuleType, name: str) -> bool:
        return callable(getattr(module, name, None)) and hasattr(getattr(module, name), "ganbench_impl")

    def _unknown_hooks(self, module: ModuleType) -> list[str]:
        """Functions marked ``@hookimpl`` whose name is no ganbench hook."""
        return sorted(name for name in dir(module) if name not in HOOK_NAMES and self._is_hookimpl(module, name))

    def load_entry_points(self, eps: Iterable[EntryPoint], allow: set[str] | None) -> None:
        for ep in eps:
            if allow is not None and ep.name not in allow:
                continue
            info = _entry_point_info(ep)
            try:
                module = ep.load()
            except Exception as exc:  # any import-time failure of foreign code
                self.problem(f"plugin {ep.name} ({info.distribution} {info.version}) failed to load: "
                             f"{type(exc).__name__}: {exc}")
                continue
            if info.name in self.info:
                self.problem(f"plugin {ep.name} ({info.distribution}) skipped: name already taken")
                continue
            self.add(module, info)

    def collect(self) -> None:
        for hook_name, (kind, spec_cls) in KINDS.items():
            hook = getattr(self.pm.hook, hook_name)
            # get_hookimpls() is in registration order: built-ins first, so they keep their names.
            for impl in hook.get_hookimpls():
                info = self.info[impl.plugin_name]
                register = self._register_callback(kind, spec_cls, info)
                try:
                    impl.function(register=register)
                except PluginError:
                    raise
                except Exception as exc:
                    self.problem(f"plugin {info.name} ({info.distribution} {info.version}) raised in "
                                 f"{hook_name}: {type(exc).__name__}: {exc}")

    def _register_callback(self, kind: str, spec_cls: type, info: PluginInfo) -> Callable[[Any], None]:
        table = self.catalog.components[kind]

        def register(spec: Any) -> None:
            where = f"plugin {info.name} ({info.distribution} {info.version})"
            if not isinstance(spec, spec_cls):
                self.problem(f"{where} registered a {type(spec).__name__} in {kind}, "
                             f"expected {spec_cls.__name__}; ignored")
                return
            spec = cast(ComponentSpec, spec)
            if not NAME_RE.match(spec.name):
                self.problem(f"{where} registered {spec.name!r}: names are lowercase kebab-case; ignored")
                return
            if spec.name in table:
                first = table[spec.name].plugin
                self.problem(f"{where} registered {kind} {spec.name!r}, already registered by plugin "
                             f"{first.name} ({first.distribution}); ignored")
                return
            if isinstance(spec, DatasetSpec) and spec.kind not in DATA_KINDS:
                self.problem(f"{where} registered dataset {spec.name!r} of kind {spec.kind!r}; "
                             f"the kinds are {', '.join(DATA_KINDS)}; ignored")
                return
            if isinstance(spec, MetricSpec):
                clash = self._column_clash(spec)
                if clash:
                    self.problem(f"{where} registered metric {spec.name!r}: {clash}; ignored")
                    return
            table[spec.name] = Registered(spec, info)

        return register

    def _column_clash(self, metric: MetricSpec) -> str:
        """Why this metric's columns cannot join the tables ("" if they can)."""
        if not metric.columns:
            return "it has no columns"
        taken = {col.name: reg.spec.name for reg in self.catalog.components["metrics"].values()
                 if isinstance(reg.spec, MetricSpec) for col in reg.spec.columns}
        names = [col.name for col in metric.columns]
        for name in names:
            if not COLUMN_RE.match(name):
                return f"column {name!r} is not snake_case"
            if name in taken:
                return f"column {name!r} belongs to metric {taken[name]!r}"
            if names.count(name) > 1:
                return f"column {name!r} appears twice"
        return ""


def load(allow: set[str] | None = None, use_env: bool = True, strict: bool | None = None) -> Catalog:
    """Register the built-ins, then each allowed entry-point plugin; return the catalog.

    ``allow`` restricts third-party plugins to these entry-point names (empty set: built-ins only);
    with ``use_env`` the ``GANBENCH_LOAD_PLUGINS`` allowlist applies when ``allow`` is None.
    """
    loader = _Loader(_strict() if strict is None else strict)
    for module in DEFAULT_PLUGINS:
        loader.add(importlib.import_module(module), _builtin_info(module))
    if allow is None and use_env:
        allow = _allowlist()
    loader.load_entry_points(entry_points(group=ENTRY_POINT_GROUP), allow)
    loader.collect()
    return loader.catalog
