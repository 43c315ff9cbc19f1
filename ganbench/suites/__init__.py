"""Suites are data: TOML files naming a dataset, a baseline, a budget and seeds.

``expand`` turns a suite and the catalog into RunSpecs, one factor at a time around the baseline:
the baseline entry, then each other registered architecture, loss and regularizer in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec

SUITES_DIR = Path(__file__).parent
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
    budget: dict[str, int]
    optimizer: dict[str, float]
    evaluation: dict[str, int]
    path: Path


_SCHEMA: dict[str, dict[str, type]] = {
    "baseline": {"architecture": str, "loss": str, "regularizer": str},
    "budget": {"generator_steps": int, "batch_size": int, "d_steps_per_g_step": int},
    "optimizer": {"lr_generator": float, "lr_discriminator": float, "beta1": float, "beta2": float},
    "evaluation": {"fid_samples": int, "curve_points": int},
}
_TOP: dict[str, type] = {"name": str, "description": str, "dataset": str, "resolution": int, "channels": int,
                         "latent_dim": int}


def _check(path: Path, where: str, table: dict[str, Any], schema: dict[str, type]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind in schema.items():
        if key not in table:
            raise SuiteError(f"{path}: missing {where}{key}")
        value = table[key]
        ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
        if not ok or isinstance(value, bool):
            raise SuiteError(f"{path}: {where}{key} must be {kind.__name__}, got {value!r}")
        if kind in (int, float) and value <= 0:
            raise SuiteError(f"{path}: {where}{key} must be positive, got {value!r}")
        out[key] = kind(value)
    return out


def load_suite_file(path: Path) -> Suite:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SuiteError(f"{path}: no such suite file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path}: invalid TOML: {exc}") from None
    top = _check(path, "", data, _TOP)
    tables: dict[str, Any] = {}
    for name, schema in _SCHEMA.items():
        table = data.get(name)
        if not isinstance(table, dict):
            raise SuiteError(f"{path}: missing [{name}] table")
        tables[name] = _check(path, f"{name}.", table, schema)
    seeds = data.get("seeds")
    if not isinstance(seeds, list) or not seeds or not all(type(s) is int and s >= 0 for s in seeds):
        raise SuiteError(f"{path}: seeds must be a non-empty list of non-negative integers")
    if len(set(seeds)) != len(seeds):
        raise SuiteError(f"{path}: seeds must not repeat")
    return Suite(seeds=tuple(seeds), path=path, **top, **tables)


def builtin_suites() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


def load_suite(name: str) -> Suite:
    path = SUITES_DIR / f"{name}.toml"
    if not path.is_file():
        raise SuiteError(f"unknown suite {name!r} (built-in: {', '.join(builtin_suites())}; "
                         f"use --suite-file for your own)")
    return load_suite_file(path)


def expand(suite: Suite, catalog: Catalog, device: str) -> list[RunSpec]:
    """One factor at a time around the baseline over every registered component, on every seed."""
    catalog.get("datasets", suite.dataset)
    for factor, kind in FACTORS:
        catalog.get(kind, suite.baseline[factor])
    entries = [dict(suite.baseline)]
    for factor, kind in FACTORS:
        for value in catalog.names(kind):
            entry = {**suite.baseline, factor: value}
            if entry not in entries:
                entries.append(entry)
    return [
        RunSpec(suite=suite.name, dataset=suite.dataset, seed=seed, resolution=suite.resolution,
                channels=suite.channels, latent_dim=suite.latent_dim, device=device,
                **entry, **suite.budget, **suite.optimizer, **suite.evaluation)  # type: ignore[arg-type]
        for entry in entries
        for seed in suite.seeds
    ]
