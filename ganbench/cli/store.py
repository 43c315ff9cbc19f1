"""`ganbench store verify`: check every record, checkpoint and cached feature file of a store."""

from __future__ import annotations

from pathlib import Path

import click

from ganbench import integrity


def damaged_files(root: Path) -> tuple[int, list[tuple[Path, str]]]:
    """(files checked, [(file, why)]) for the records (``*.json``), checkpoints (``*.ckpt``) and cached
    features (``features/*.pt``) under ``root``."""
    checked, damaged = 0, []
    for path in sorted(root.glob("*.json")):
        checked += 1
        try:
            integrity.read_record(path)
        except integrity.Damaged as exc:
            damaged.append((path, str(exc)))
    for path in [*sorted(root.glob("*.ckpt")), *sorted((root / "features").glob("*.pt"))]:
        checked += 1
        try:
            integrity.unseal(path)
        except integrity.Damaged as exc:
            damaged.append((path, str(exc)))
    return checked, damaged


@click.group("store")
def store() -> None:
    """Inspect the run store (.ganbench/runs by default)."""


@store.command("verify")
@click.option("--store", "root", type=click.Path(file_okay=False, path_type=Path), default=Path(".ganbench/runs"),
              show_default=True, help="The store to check.")
@click.option("--set-aside", is_flag=True, help="Move each damaged file to <name>.damaged, so that it is recomputed.")
def verify(root: Path, set_aside: bool) -> None:
    """Check every file's checksum; exit 1 if any is damaged. `ganbench run` sets a damaged file aside
    and recomputes it by itself when it meets one."""
    if not root.is_dir():
        raise click.BadParameter(f"{root} is not a folder", param_hint="--store")
    checked, damaged = damaged_files(root)
    for path, why in damaged:
        if set_aside:
            integrity.set_aside(path, why)
        else:
            click.echo(f"damaged: {why}")
    click.echo(f"{root}: {checked} files checked, {len(damaged)} damaged", err=True)
    if damaged:
        raise SystemExit(1)
