"""ganbench's conformance kit for plugin authors: run it in your plugin's CI.

    from ganbench.testing import assert_conforms
    assert_conforms("my-plugin")          # entry-point or distribution name; raises on any failure

or, one pytest test per check, in a test module:

    from ganbench.testing import conformance_test
    test_conformance = conformance_test("my-plugin")

or with no code at all: ``ganbench check-plugin my-plugin``, or ``pytest --ganbench-plugin my-plugin``.

It checks on tiny data, in seconds, that the plugin loads cleanly and that each component it
registers builds, respects the shapes, ranges and dtypes of its hooks, is deterministic under a
seed, trains a few steps without NaN, resumes from a checkpoint to identical weights, and carries
a summary and a reference (``ganbench.testing.kit`` has the checks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ganbench import plugins
from ganbench.plugins import Catalog
from ganbench.testing.kit import Check, ConformanceError, component_checks, registered_by

__all__ = ["Check", "ConformanceError", "Outcome", "assert_conforms", "checks", "conformance_test", "run_checks"]


def checks(plugin: str, catalog: Catalog | None = None) -> list[Check]:
    """Every check of ``plugin`` (its entry-point or distribution name), the loading check first."""
    catalog = catalog if catalog is not None else plugins.load(strict=False)
    found = [info for info in catalog.plugins if plugin in (info.name, info.distribution)]
    components = list(registered_by(catalog, plugin))

    def loads() -> None:
        if not found:
            installed = ", ".join(sorted(i.name for i in catalog.plugins if i.distribution != "ganbench")) or "none"
            raise ConformanceError(f"plugin {plugin!r} is not installed (third-party plugins: {installed}); "
                                   f"pip install it and check its [project.entry-points.ganbench]")
        names = {plugin, *(info.name for info in found)}
        problems = [p for p in catalog.problems if any(f"plugin {name} " in p for name in names)]
        if problems:
            raise ConformanceError(problems[0])
        if not components:
            raise ConformanceError(f"plugin {plugin!r} registers no component (is its hook named register_...?)")

    out = [Check("plugin", plugin, "loads", loads)]
    for _, registered in components:
        out += component_checks(registered, catalog)
    return out


@dataclass(frozen=True)
class Outcome:
    check: Check
    ok: bool
    detail: str
    seconds: float


def run_checks(plugin: str, catalog: Catalog | None = None,
               on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run every check; a failure is recorded with its reason, the other checks still run."""
    outcomes = []
    for check in checks(plugin, catalog):
        start = time.perf_counter()
        try:
            check.run()
            ok, detail = True, ""
        except ConformanceError as exc:
            ok, detail = False, str(exc)
        except Exception as exc:  # a component that crashes fails its check; the others still run
            ok, detail = False, f"{check.kind} {check.component}: {type(exc).__name__}: {exc}"
        outcome = Outcome(check, ok, detail, time.perf_counter() - start)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def assert_conforms(plugin: str, catalog: Catalog | None = None) -> None:
    """Raise ConformanceError listing every failed check of ``plugin``."""
    failed = [o for o in run_checks(plugin, catalog) if not o.ok]
    if failed:
        raise ConformanceError("; ".join(f"{o.check.id}: {o.detail}" for o in failed))


def conformance_test(plugin: str) -> Any:
    """A pytest test function parametrized with one case per check of ``plugin``."""
    import pytest

    cases = checks(plugin)

    @pytest.mark.parametrize("check", cases, ids=[c.id for c in cases])
    def test_conformance(check: Check) -> None:
        check.run()

    return test_conformance
