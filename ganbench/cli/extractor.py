"""`ganbench extractor train`: rebuild the shipped FID feature extractor reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ganbench.metrics.extractor import WEIGHTS, weights_version


@click.group()
def extractor() -> None:
    """The domain feature extractor used for FID/KID/precision-recall."""


@extractor.command("train")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the full Fashion-MNIST IDX files (default: $GANBENCH_DATA, then Debian's).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=WEIGHTS, show_default=True,
              help="Where to write the weights (metadata goes beside them as .json).")
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def train_command(data_root: Path | None, out: Path, epochs: int, seed: int) -> None:
    """Train the Fashion-MNIST CNN on the train split (1 thread, seeded: same bytes every time)."""
    from ganbench.metrics.train_extractor import train_extractor

    meta = train_extractor(data_root, out, epochs=epochs, seed=seed)
    click.echo(json.dumps(meta, indent=2))
    click.echo(f"wrote {out} (version {weights_version(out)})")
