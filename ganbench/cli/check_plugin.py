"""`ganbench check-plugin NAME`: the conformance kit from the command line."""

from __future__ import annotations

import click

from ganbench import plugins
from ganbench.testing import Outcome, run_checks


@click.command("check-plugin")
@click.argument("name")
def check_plugin(name: str) -> None:
    """Check an installed plugin (entry-point or distribution name) against ganbench's contract:
    each component builds, keeps its hooks' shapes, ranges and dtypes, is deterministic under a
    seed, trains a few steps without NaN and resumes from a checkpoint to the same weights.
    Exit code 1 if a check fails."""
    catalog = plugins.load(strict=False)
    if not any(name in (info.name, info.distribution) for info in catalog.plugins):
        installed = ", ".join(sorted(i.name for i in catalog.plugins if i.distribution != "ganbench")) or "none"
        click.echo(f"Error: plugin {name!r} is not installed (third-party plugins: {installed})", err=True)
        raise SystemExit(2)

    def show(outcome: Outcome) -> None:
        mark = "ok  " if outcome.ok else "FAIL"
        line = f"{mark} {outcome.check.id} ({outcome.seconds:.1f} s)"
        click.echo(line + (f": {outcome.detail}" if outcome.detail else ""))

    outcomes = run_checks(name, catalog, on_outcome=show)
    failed = sum(not o.ok for o in outcomes)
    click.echo(f"{name}: {len(outcomes) - failed} of {len(outcomes)} checks passed")
    if failed:
        raise SystemExit(1)
