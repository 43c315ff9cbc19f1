"""Retrain the shipped Fashion-MNIST feature extractor, reproducibly (`ganbench extractor train`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from ganbench.data.fashion_mnist import load_split
from ganbench.metrics.extractor import WEIGHTS, FashionCnn, preprocess
from ganbench.store import atomic_write_bytes
from ganbench.training.seeding import seed_everything


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
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            sched.step()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    atomic_write_bytes(out, buffer.getvalue())
    meta: dict[str, object] = {
        "train_source": train.source, "test_source": test.source, "epochs": epochs, "seed": seed,
        "batch_size": batch_size, "test_accuracy": round(_accuracy(model, test.images, test.labels), 4),
        "torch": torch.__version__,
    }
    atomic_write_bytes(out.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode())
    return meta
