"""Suites are data: TOML files naming a dataset, a baseline, a budget and seeds.

``expand`` turns a suite and the catalog into RunSpecs: one factor at a time around the baseline
(the baseline entry, then each other registered architecture, loss and regularizer in its place),
or the full matrix of every combination, plus the recipes the suite lists (methods of the
literature with their own optimiser settings). ``select`` narrows the expansion with the CLI filters.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.datakinds import kind_of
from ganbench.plugins import SINGULAR, Catalog, UnknownComponent
from ganbench.runspec import RunSpec
from ganbench.specs import OPTIMIZERS

FACTORS = (("architecture", "architectures"), ("loss", "losses"), ("regularizer", "regularizers"))


class SuiteError(Exception):
    """A suite file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    dataset: str
    resolution: int
    channels: int
    latent_dim: int
    seeds: tuple[int, ...]
    baseline: dict[str, str]
    budget: dict[str, Any]
    optimizer: dict[str, float]
    evaluation: dict[str, Any]
    path: Path
    recipes: tuple[str, ...] = ()
    conditionings: tuple[str, ...] = ()  # each gives one class-conditional entry: the baseline conditioned
    vary: tuple[str, ...] = ("architecture", "loss", "regularizer")  # the factors varied one at a time
    stacks: tuple[str, ...] = ()  # regularizer stacks (``r1+ema``), each one entry: the baseline with it
    # [components]: the values each varied factor takes (kind -> names; a kind not listed: every
    # registered one); ``optional`` names may be absent (a plugin's), and then give no entry.
    components: tuple[tuple[str, tuple[str, ...]], ...] = ()
    optional: tuple[str, ...] = ()

    def values(self, kind: str, catalog: Catalog) -> list[str]:
        """The names factor ``kind`` takes in the one-factor expansion."""
        listed = dict(self.components).get(kind)
        if listed is None:
            return catalog.names(kind)
        for name in listed:
            if name not in catalog.components[kind] and name not in self.optional:
                raise SuiteError(f"{self.path}: components.{kind}: unknown {SINGULAR[kind]} {name!r} "
                                 f"(registered: {', '.join(catalog.names(kind))}; list a plugin's in "
                                 f"components.optional)")
        return [name for name in listed if name in catalog.components[kind]]

    def absent(self, catalog: Catalog) -> list[str]:
        """The optional components this catalog lacks (their entries are left out)."""
        known = {name for kind, _ in self.components for name in catalog.components[kind]}
        return [name for name in self.optional if name not in known]


_SCHEMA: dict[str, dict[str, type]] = {
    "baseline": {"architecture": str, "loss": str, "regularizer": str},
    "budget": {"generator_steps": int, "batch_size": int, "d_steps_per_g_step": int},
    "optimizer": {"lr_generator": float, "lr_discriminator": float, "beta1": float, "beta2": float},
    "evaluation": {"fid_samples": int, "curve_points": int},
}
# Optional keys and their defaults (0 = off).
_OPTIONAL: dict[str, dict[str, tuple[type, Any]]] = {
    "budget": {"budget_seconds": (float, 0.0)},
    "optimizer": {"name": (str, "adam")},
    "evaluation": {"eval_points": (int, 0), "curve_fid_samples": (int, 500), "feature_extractor": (str, ""),
                   "mode_samples": (int, 0)},
}
_TOP: dict[str, type] = {"name": str, "description": str, "dataset": str, "latent_dim": int}
# Image suites need both; point datasets (ring-8, grid-25) have no resolution or channels.
_TOP_OPTIONAL: dict[str, tuple[type, Any]] = {"resolution": (int, 0), "channels": (int, 0)}


# Bounds beyond the sign, each (lowest, highest) inclusive, for values a typo or a unit slip would make
# meaningless (beta1 = 1.5), impossible to score (fid_samples = 1) or endless (generator_steps = 1e12).
_BOUNDS: dict[str, tuple[float, float]] = {
    "latent_dim": (1, 4096), "resolution": (8, 1024),
    "budget.generator_steps": (1, 10_000_000), "budget.batch_size": (1, 65_536), "budget.d_steps_per_g_step": (1, 100),
    "optimizer.lr_generator": (1e-8, 1.0), "optimizer.lr_discriminator": (1e-8, 1.0),
    "optimizer.beta1": (0.0, 0.999999), "optimizer.beta2": (0.0, 0.999999),
    # k-NN metrics need more samples than neighbours (density/coverage: 5), FID more than a handful.
    "evaluation.fid_samples": (16, 1_000_000), "evaluation.curve_fid_samples": (16, 1_000_000),
    "evaluation.curve_points": (1, 10_000), "evaluation.eval_points": (0, 1_000),
    "evaluation.mode_samples": (0, 10_000_000),
}
# Values that are positive but may also be 0 (Adam's beta1 = 0 in WGAN-GP).
_MAY_BE_ZERO = {"optimizer.beta1", "optimizer.beta2"}
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a suite name becomes part of file names


def _value(path: Path, name: str, value: Any, kind: type, positive: bool) -> Any:
    ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
    if not ok or isinstance(value, bool):
        raise SuiteError(f"{path}: {name} must be {kind.__name__}, got {value!r}")
    if kind is float and not math.isfinite(value):
        raise SuiteError(f"{path}: {name} must be a finite number, got {value!r}")
    positive = positive and name not in _MAY_BE_ZERO
    if kind in (int, float) and (value <= 0 if positive else value < 0):
        raise SuiteError(f"{path}: {name} must be {'positive' if positive else 'non-negative'}, got {value!r}")
    low, high = _BOUNDS.get(name, (-math.inf, math.inf))
    if kind in (int, float) and not low <= value <= high:
        raise SuiteError(f"{path}: {name} must be between {low:g} and {high:g}, got {value!r}")
    return kind(value)


def _check(path: Path, where: str, table: dict[str, Any], schema: dict[str, type],
           optional: dict[str, tuple[type, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind in schema.items():
        if key not in table:
            raise SuiteError(f"{path}: missing {where}{key}")
        out[key] = _value(path, where + key, table[key], kind, positive=True)
    for key, (kind, default) in (optional or {}).items():
        out[key] = _value(path, where + key, table[key], kind, positive=False) if key in table else default
    unknown = set(table) - set(out)
    if where and unknown:
        raise SuiteError(f"{path}: unknown key {where}{sorted(unknown)[0]}")
    return out


def load_suite_file(path: Path) -> Suite:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"{path}: no such suite file") from None
    except IsADirectoryError:
        raise SuiteError(f"{path}: a folder, not a suite file") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{path}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path}: invalid TOML: {exc}") from None
    top = _check(path, "", data, _TOP, _TOP_OPTIONAL)
    if not SAFE_NAME.match(top["name"]):
        raise SuiteError(f"{path}: name {top['name']!r} must be letters, digits, '-', '_' or '.' (it names files)")
    if top["channels"] not in (0, 1, 3):
        raise SuiteError(f"{path}: channels must be 1 (grayscale) or 3 (RGB), got {top['channels']}")
    tables: dict[str, Any] = {}
    for name, schema in _SCHEMA.items():
        table = data.get(name)
        if not isinstance(table, dict):
            raise SuiteError(f"{path}: missing [{name}] table")
        tables[name] = _check(path, f"{name}.", table, schema, _OPTIONAL.get(name))
    known = {*_TOP, *_TOP_OPTIONAL, *_SCHEMA, "seeds", "recipes", "conditionings", "vary", "stacks",
             "reference", "components", "note"}
    unknown_keys = sorted(set(data) - known)
    if unknown_keys:  # a misspelled key (conditioning for conditionings) would silently do nothing
        raise SuiteError(f"{path}: unknown key {unknown_keys[0]} (known: {', '.join(sorted(known))})")
    seeds = data.get("seeds")
    if not isinstance(seeds, list) or not seeds or not all(type(s) is int and s >= 0 for s in seeds):
        raise SuiteError(f"{path}: seeds must be a non-empty list of non-negative integers")
    if len(set(seeds)) != len(seeds):
        raise SuiteError(f"{path}: seeds must not repeat")
    recipes = data.get("recipes", [])
    distinct = isinstance(recipes, list) and len(set(map(str, recipes))) == len(recipes)
    if not distinct or not all(isinstance(r, str) for r in recipes):
        raise SuiteError(f"{path}: recipes must be a list of distinct recipe names (`ganbench list recipes`)")
    conditionings = data.get("conditionings", [])
    if not isinstance(conditionings, list) or not all(isinstance(c, str) for c in conditionings) \
            or len(set(conditionings)) != len(conditionings):
        raise SuiteError(f"{path}: conditionings must be a list of distinct conditioning names "
                         f"(`ganbench list conditionings`)")
    stacks = data.get("stacks", [])
    if not isinstance(stacks, list) or not all(isinstance(x, str) and "+" in x for x in stacks) \
            or len(set(stacks)) != len(stacks):
        raise SuiteError(f"{path}: stacks must be a list of distinct regularizer stacks such as \"r1+ema\"")
    vary = data.get("vary", [factor for factor, _ in FACTORS])
    factors = [factor for factor, _ in FACTORS]
    if not isinstance(vary, list) or not all(isinstance(v, str) and v in factors for v in vary):
        raise SuiteError(f"{path}: vary must list factors among {', '.join(factors)}, got {vary!r}")
    if tables["optimizer"]["name"] not in OPTIMIZERS:
        raise SuiteError(f"{path}: optimizer.name must be one of {', '.join(OPTIMIZERS)}, "
                         f"got {tables['optimizer']['name']!r}")
    components, optional = _components(path, data.get("components", {}))
    return Suite(seeds=tuple(seeds), path=path, recipes=tuple(recipes), conditionings=tuple(conditionings),
                 vary=tuple(vary), stacks=tuple(stacks), components=components, optional=optional, **top, **tables)


def _components(path: Path, table: object) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """The [components] table: lists of distinct names per kind, and ``optional`` among them."""
    if not isinstance(table, dict):
        raise SuiteError(f"{path}: components must be a table of name lists")
    lists: dict[str, tuple[str, ...]] = {}
    for key, names in table.items():
        if key not in (*(kind for _, kind in FACTORS), "optional"):
            raise SuiteError(f"{path}: unknown key components.{key} (known: architectures, losses, regularizers, "
                             f"optional)")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise SuiteError(f"{path}: components.{key} must be a list of distinct names")
        lists[key] = tuple(names)
    optional = lists.pop("optional", ())
    stray = [name for name in optional if not any(name in names for names in lists.values())]
    if stray:
        raise SuiteError(f"{path}: components.optional names {stray[0]!r}, which no components list holds")
    return tuple(lists.items()), optional


def suite_note(name: str, catalog: Catalog) -> str:
    """A registered suite's ``note``: what its tables can and cannot show, for the report ("" if none)."""
    if name not in catalog.components["suites"]:
        return ""
    try:
        note = tomllib.loads(catalog.spec("suites", name).path.read_text(encoding="utf-8")).get("note", "")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ""  # the report still draws; `ganbench run` names a broken suite file
    return note if isinstance(note, str) else ""


def load_suite(name: str, catalog: Catalog) -> Suite:
    """A suite registered (by ganbench or a plugin) under ``name``."""
    if name not in catalog.components["suites"]:
        raise SuiteError(f"unknown suite {name!r} (registered: {', '.join(catalog.names('suites'))}; "
                         f"use --suite-file for your own)")
    return load_suite_file(catalog.spec("suites", name).path)


MATRICES = ("ofat", "full")


def _recipe_entry(suite: Suite, catalog: Catalog, name: str) -> dict[str, Any]:
    """The RunSpec fields of recipe ``name`` in this suite: its components and settings."""
    if name not in catalog.components["recipes"]:
        raise SuiteError(f"{suite.path}: unknown recipe {name!r} (registered: {', '.join(catalog.names('recipes'))})")
    recipe = catalog.spec("recipes", name)
    entry = {"architecture": recipe.architecture or suite.baseline["architecture"], "loss": recipe.loss,
             "regularizer": recipe.regularizer, **recipe.overrides()}
    for factor, kind in FACTORS:
        try:
            catalog.get(kind, entry[factor])
        except UnknownComponent as exc:
            raise SuiteError(f"{suite.path}: recipe {name} needs {SINGULAR[kind]} {entry[factor]!r}: {exc}") from None
    return entry


def expand(suite: Suite, catalog: Catalog, device: str, matrix: str = "ofat",
           compute_dtype: str = "fp32") -> list[RunSpec]:
    """Every entry of the suite on every seed: one factor at a time around the baseline (``ofat``),
    or every combination of registered components (``full``), then the suite's recipes.

    A recipe whose components and settings equal an entry already expanded (``lsgan`` is the
    least-squares entry of a suite with DCGAN's optimiser) marks that entry instead of repeating it.
    """
    dataset = catalog.spec("datasets", suite.dataset)
    if kind_of(dataset).sized and not (suite.resolution and suite.channels):
        raise SuiteError(f"{suite.path}: resolution and channels must be positive for image dataset {dataset.name}")
    for factor, kind in FACTORS:
        catalog.get(kind, suite.baseline[factor])
    optimizer = {key: value for key, value in suite.optimizer.items() if key != "name"}
    shared = {**suite.budget, **optimizer, **suite.evaluation, "optimizer": suite.optimizer["name"]}
    entries: list[dict[str, Any]] = [dict(suite.baseline)]
    if matrix == "full":
        entries += [dict(architecture=a, loss=loss, regularizer=r)
                    for a, loss, r in itertools.product(*(catalog.names(kind) for _, kind in FACTORS))]
    elif matrix == "ofat":
        for factor, kind in FACTORS:
            if factor in suite.vary:
                entries += [{**suite.baseline, factor: value} for value in suite.values(kind, catalog)]
    else:
        raise SuiteError(f"unknown matrix {matrix!r} (choose from {', '.join(MATRICES)})")
    for name in suite.conditionings:
        if name not in catalog.components["conditionings"]:
            raise SuiteError(f"{suite.path}: unknown conditioning {name!r} "
                             f"(registered: {', '.join(catalog.names('conditionings')) or 'none'})")
        entries.append({**suite.baseline, "conditioning": name})
    for stack in suite.stacks:
        try:
            catalog.get("regularizers", stack)
        except UnknownComponent as exc:
            raise SuiteError(f"{suite.path}: stacks: {exc}") from None
        entries.append({**suite.baseline, "regularizer": stack})
    settings = [{**shared, **entry} for i, entry in enumerate(entries) if entry not in entries[:i]]
    for name in suite.recipes:
        recipe = {**shared, **_recipe_entry(suite, catalog, name)}
        same = next((s for s in settings if s == recipe), None)  # not yet marked, so no "recipe" key
        if same is not None:
            same["recipe"] = name
        else:
            settings.append({**recipe, "recipe": name})
    return [
        RunSpec(suite=suite.name, dataset=suite.dataset, seed=seed, resolution=suite.resolution,
                channels=suite.channels, latent_dim=suite.latent_dim, device=device, compute_dtype=compute_dtype,
                **entry)
        for entry in settings
        for seed in suite.seeds
    ]


def select(specs: list[RunSpec], catalog: Catalog, architectures: tuple[str, ...] = (),
           losses: tuple[str, ...] = (), regularizers: tuple[str, ...] = ()) -> list[RunSpec]:
    """Keep the specs whose components are among those named (an empty filter keeps all)."""
    wanted = {"architecture": architectures, "loss": losses, "regularizer": regularizers}
    for (factor, kind) in FACTORS:
        for name in wanted[factor]:
            catalog.get(kind, name)
    return [s for s in specs if all(not names or getattr(s, factor) in names for factor, names in wanted.items())]
