"""`ganbench perceptual train` and `ganbench perceptual list`: the frozen networks behind the perceptual
regularizer, and a reproducible rebuild of the shipped one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ganbench.data.idx import DataError


@click.group()
def perceptual() -> None:
    """The feature networks of the perceptual (VGG-style) generator term."""


@perceptual.command("train")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the full Fashion-MNIST IDX files (default: $GANBENCH_DATA, then Debian's, then "
                   "the bundled 10k subset).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the weights (metadata goes beside them as .json)  [default: the shipped file]")
@click.option("--epochs", type=click.IntRange(min=1), help="[default: 1, as for the shipped weights]")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--count", type=click.IntRange(min=1),
              help="Use only the first COUNT images of each split (quick checks; not for shipped weights).")
def train_command(data_root: Path | None, out: Path | None, epochs: int | None, seed: int, count: int | None) -> None:
    """Train the denoising autoencoder whose encoder is fashion-mnist-vgg-dae (1 thread, seeded: same
    bytes every time)."""
    from ganbench.perceptual import network
    from ganbench.perceptual.train import EPOCHS, train_network

    out = out or network.WEIGHTS
    if out.is_dir():
        raise click.ClickException(f"--out {out}: is a folder; give a file name such as {out / network.WEIGHTS.name}")
    try:
        meta = train_network(data_root, out, epochs=epochs or EPOCHS, seed=seed, count=count)
    except DataError as err:
        raise click.ClickException(str(err)) from err
    except OSError as err:  # an unwritable --out, a full disk
        raise click.ClickException(f"{out}: {err.strerror or err}") from err
    click.echo(json.dumps(meta, indent=2))
    click.echo(f"wrote {out} (version {network.weights_version(out)})")


@perceptual.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--no-version", is_flag=True, help="Skip hashing the weights (VGG16's file is ~530 MB).")
def list_command(as_json: bool, no_version: bool) -> None:
    """List the perceptual networks: name, availability, weights file, version (sha256 prefix), layers."""
    from ganbench.perceptual import NETWORKS

    rows: list[dict[str, Any]] = []
    for net in NETWORKS.values():
        ok, where = net.available()
        rows.append({"name": net.name, "available": ok, "file": where if ok else None,
                     "version": net.version(Path(where)) if ok and not no_version else None,
                     "reason": None if ok else where, "layers": list(net.layers), "summary": net.summary})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        if row["available"]:
            click.echo(f"{row['name']:<22} {row['version'] or '-':<12} {row['file']}")
        else:
            click.echo(f"{row['name']:<22} {'unavailable':<12} {row['reason']}")
        click.echo(f"{'':<22} {'layers':<12} {', '.join(row['layers'])}")
