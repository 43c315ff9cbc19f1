"""`ganbench extractor train` and `ganbench extractor list`: the shipped FID feature extractors,
rebuilt reproducibly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ganbench.metrics.extractor import weights_version
from ganbench.metrics.extractors import EXTRACTORS, TRAINABLE


@click.group()
def extractor() -> None:
    """The domain feature extractors used for FID/KID/precision-recall."""


@extractor.command("train")
@click.option("--dataset", type=click.Choice(sorted(TRAINABLE)), default="fashion-mnist", show_default=True,
              help="Which extractor to train: fashion-mnist-cnn or shapes-cnn.")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the full Fashion-MNIST IDX files (default: $GANBENCH_DATA, then Debian's).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the weights (metadata goes beside them as .json)  "
                   "[default: the shipped weights of the dataset's extractor]")
@click.option("--epochs", type=click.IntRange(min=1),
              help="[default: 3 for fashion-mnist, 8 for shapes]")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--count", type=click.IntRange(min=1),
              help="shapes only: train on the first COUNT train images, test on the first COUNT reference "
                   "images (quick checks; not for shipped weights).")
def train_command(dataset: str, data_root: Path | None, out: Path | None, epochs: int | None, seed: int,
                  count: int | None) -> None:
    """Train a domain CNN on its dataset's train split (1 thread, seeded: same bytes every time)."""
    from ganbench.metrics import train_extractor as trainer

    out = out or EXTRACTORS[TRAINABLE[dataset]].weights
    if dataset == "shapes":
        if data_root is not None:
            raise click.UsageError("--data-root: the shapes dataset is procedural and reads no files")
        meta = trainer.train_shapes_extractor(out, epochs=epochs or trainer.SHAPES_EPOCHS, seed=seed, count=count)
    else:
        if count is not None:
            raise click.UsageError("--count is only for --dataset shapes")
        meta = trainer.train_extractor(data_root, out, epochs=epochs or 3, seed=seed)
    click.echo(json.dumps(meta, indent=2))
    click.echo(f"wrote {out} (version {weights_version(out)})")


@extractor.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(as_json: bool) -> None:
    """List the shipped extractors: name, training dataset, feature dimension, version, test accuracy."""
    rows: list[dict[str, Any]] = []
    for e in EXTRACTORS.values():
        rows.append({"name": e.name, "dataset": e.dataset, "feature_dim": e.feature_dim, "in_channels": e.in_channels,
                     "version": e.version() if e.weights.exists() else None,
                     "test_accuracy": e.metadata().get("test_accuracy"), "accuracy_measures": e.accuracy})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'name':<27} {'dataset':<23} {'dim':>4} {'version':<12} test accuracy")
    for row in rows:
        acc = "-" if row["test_accuracy"] is None else f"{row['test_accuracy']:.4f}"
        version = row["version"] or "no weights"
        click.echo(f"{row['name']:<27} {row['dataset']:<23} {row['feature_dim']:>4} {version:<12} "
                   f"{acc:<13} ({row['accuracy_measures']})")
