"""Retrain the shipped domain feature extractors, reproducibly (`ganbench extractor train --dataset ...`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from ganbench.data import shapes
from ganbench.data.fashion_mnist import load_split
from ganbench.metrics.cnn import WEIGHTS, FashionCnn, SmallCnn, preprocess
from ganbench.metrics.extractors import SHAPES_MEAN, SHAPES_N_CLASSES, SHAPES_STD, SHAPES_WEIGHTS
from ganbench.store import atomic_write_bytes
from ganbench.training.seeding import seed_everything


def _update(loss: torch.Tensor, optim: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler) -> None:
    optim.zero_grad(set_to_none=True)
    loss.backward()
    optim.step()
    sched.step()


def _save(model: torch.nn.Module, out: Path) -> None:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    atomic_write_bytes(out, buffer.getvalue())


def _accuracy(model: FashionCnn, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), 1000):
            logits = model(preprocess(images[i: i + 1000]))
            correct += int((logits.argmax(1) == labels[i: i + 1000]).sum())
    return correct / len(images)


def train_extractor(data_root: Path | None = None, out: Path = WEIGHTS, epochs: int = 3,
                    seed: int = 0, batch_size: int = 128) -> dict[str, object]:
    """Train on the train split, report accuracy on the held-out split; write weights + metadata."""
    seed_everything(seed, torch.device("cpu"))
    train, test = load_split("train", data_root), load_split("reference", data_root)
    model = FashionCnn()
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        optim, max_lr=3e-3, total_steps=epochs * ((len(train.images) + batch_size - 1) // batch_size))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train.images), generator=gen)
        for i in range(0, len(order), batch_size):
            idx = order[i: i + batch_size]
            images = train.images[idx]
            # Random horizontal flips make features less sensitive to left/right garment pose.
            flip = torch.rand(len(idx), generator=gen) < 0.5
            images[flip] = images[flip].flip(-1)
            loss = F.cross_entropy(model(preprocess(images)), train.labels[idx])
            _update(loss, optim, sched)
    _save(model, out)
    meta: dict[str, object] = {
        "train_source": train.source, "test_source": test.source, "epochs": epochs, "seed": seed,
        "batch_size": batch_size, "test_accuracy": round(_accuracy(model, test.images, test.labels), 4),
        "torch": torch.__version__,
    }
    atomic_write_bytes(out.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode())
    return meta


SHAPES_EPOCHS = 8


def _dihedral(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random flips and transposes (the 8 symmetries of the square): none changes a shape's kind."""
    images = images.clone()
    for dims in ((-1,), (-2,)):
        pick = torch.rand(len(images), generator=gen) < 0.5
        images[pick] = images[pick].flip(dims)
    pick = torch.rand(len(images), generator=gen) < 0.5
    images[pick] = images[pick].transpose(-1, -2)
    return images


def shapes_accuracy(model: SmallCnn, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean per-kind accuracy (logit > 0 vs visible) and exact-match rate (all five kinds right)."""
    model.eval()
    hits = []
    with torch.no_grad():
        for i in range(0, len(images), 1000):
            logits = model(preprocess(images[i: i + 1000], SHAPES_MEAN, SHAPES_STD))
            hits.append((logits > 0) == labels[i: i + 1000])
    right = torch.cat(hits)
    return float(right.float().mean()), float(right.all(1).float().mean())


def train_shapes_extractor(out: Path = SHAPES_WEIGHTS, epochs: int = SHAPES_EPOCHS, seed: int = 0,
                           batch_size: int = 128, count: int | None = None) -> dict[str, object]:
    """Train ``shapes-cnn`` on the shapes train split (28 px, 1 channel) to predict which kinds are
    visible (multi-label BCE); report accuracy on the reference split; write weights + metadata.

    ``count`` trains on the first ``count`` train images and tests on the first ``count`` reference
    images (quick checks only; the shipped weights use the full splits)."""
    seed_everything(seed, torch.device("cpu"))
    n_train = shapes.TRAIN_COUNT if count is None else min(count, shapes.TRAIN_COUNT)
    n_test = shapes.REFERENCE_COUNT if count is None else min(count, shapes.REFERENCE_COUNT)
    images, labels = shapes.render_labelled(n_train, 28, 1, shapes.SEEDS["train"])
    test_images, test_labels = shapes.render_labelled(n_test, 28, 1, shapes.SEEDS["reference"])
    targets = labels.float()
    model = SmallCnn(SHAPES_N_CLASSES)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        optim, max_lr=3e-3, total_steps=epochs * ((n_train + batch_size - 1) // batch_size))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n_train, generator=gen)
        for i in range(0, n_train, batch_size):
            idx = order[i: i + batch_size]
            batch = _dihedral(images[idx], gen)
            logits = model(preprocess(batch, SHAPES_MEAN, SHAPES_STD))
            loss = F.binary_cross_entropy_with_logits(logits, targets[idx])
            _update(loss, optim, sched)
    _save(model, out)
    per_label, exact = shapes_accuracy(model, test_images, test_labels)
    meta: dict[str, object] = {
        "train_source": f"procedural:shapes[train, seed {shapes.SEEDS['train']}, first {n_train}, 28px, 1ch]",
        "test_source": f"procedural:shapes[reference, seed {shapes.SEEDS['reference']}, first {n_test}, 28px, 1ch]",
        "target": f"visible kinds {list(shapes.KINDS)} (multi-label, BCE)",
        "epochs": epochs, "seed": seed, "batch_size": batch_size,
        "test_accuracy": round(per_label, 4),  # mean per-kind accuracy
        "test_exact_match": round(exact, 4),
        "torch": torch.__version__,
    }
    atomic_write_bytes(out.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode())
    return meta
