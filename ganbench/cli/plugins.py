"""`ganbench plugins` and `ganbench list`."""

from __future__ import annotations

import json
from typing import Any

import click

from ganbench import plugins
from ganbench.plugins import KINDS
from ganbench.specs import DATA_KINDS


def _warn(catalog: plugins.Catalog) -> None:
    for problem in catalog.problems:
        click.echo(f"ganbench: warning: {problem}", err=True)


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """List loaded plugins: distribution, version and the components each registers."""
    catalog = plugins.load()
    _warn(catalog)
    rows: list[dict[str, Any]] = []
    for info in catalog.plugins:
        comps = {kind: sorted(name for name, reg in catalog.components[kind].items() if reg.plugin == info)
                 for kind, _ in KINDS.values()}
        rows.append({"name": info.name, "distribution": info.distribution, "version": info.version,
                     "hooks": catalog.hooks.get(info.name, []), "components": {k: v for k, v in comps.items() if v}})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in row["components"].items()) or "(nothing)"
        click.echo(f"{row['name']} ({row['distribution']} {row['version']}): {listed}")


@click.command("list")
@click.argument("kind", required=False, type=click.Choice([k for k, _ in KINDS.values()]))
def list_components(kind: str | None) -> None:
    """List registered components with their summaries and references."""
    catalog = plugins.load()
    _warn(catalog)
    for k in [kind] if kind else [k for k, _ in KINDS.values()]:
        click.echo(f"{k}:")
        for name in catalog.names(k):
            reg = catalog.get(k, name)
            click.echo(f"  {name:<16} {reg.spec.summary}  [{reg.spec.reference}] ({reg.plugin.distribution})")
            declared = declarations(reg.spec)
            if declared:
                click.echo(f"  {'':<16} {declared}")


# What a component declares about the others, in the order a reader checks a pairing.
DECLARED = ("data_kinds", "provides", "requires", "traits", "networks", "incompatible")


def declarations(spec: Any) -> str:
    """``provides: lipschitz; incompatible with: batchnorm-discriminator`` etc.: the fields that decide
    which pairings run or are skipped; a data kind list only where it is not every kind."""
    parts = []
    for field in DECLARED:
        value = getattr(spec, field, None)
        if not value or (field == "data_kinds" and set(value) == set(DATA_KINDS)):
            continue
        label = {"incompatible": "incompatible with", "data_kinds": "data", "networks": "trains against"}.get(
            field, field)
        parts.append(f"{label}: {', '.join(sorted(value))}")
    return "; ".join(parts)
