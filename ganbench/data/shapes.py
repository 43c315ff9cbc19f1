"""`shapes`: procedural images with crisp, aliased edges (polygons, discs, stripes, checker patches,
text-like strokes) at any size and channel count, deterministic from a seed.

Every edge is a hard step, so real images carry plenty of high-frequency power and any blur in a
generator's samples shows plainly in the spectrum. Training draws from an infinite stream: every
real batch is freshly rendered from a seed of its own (``stream``), so no image is seen twice. The
fixed ``train`` split is a 16k sample of the same distribution (for extractor training and for the
dataset hash); the reference split is a disjoint fixed sample.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import Tensor

TRAIN_COUNT, REFERENCE_COUNT = 16_000, 10_000
SEEDS = {"train": 0, "reference": 1_000_003}
STREAM_KEY = 7  # first word of every stream seed; the fixed splits use single-integer seeds
Seed = int | tuple[int, ...]  # numpy's default_rng takes either
KINDS = ("polygon", "disc", "stripes", "checker", "strokes")


def _convex_polygon(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    cx, cy = rng.uniform(0.3, 0.7, 2) * size
    radius = rng.uniform(0.15, 0.35) * size
    angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 7)))
    px, py = cx + radius * np.cos(angles), cy + radius * np.sin(angles)
    inside = np.ones_like(x, dtype=bool)
    for i in range(len(px)):
        j = (i + 1) % len(px)
        inside &= (px[j] - px[i]) * (y - py[i]) - (py[j] - py[i]) * (x - px[i]) >= 0
    return inside


def _patch(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    x0, y0 = rng.uniform(0, 0.5, 2) * size
    w, h = rng.uniform(0.3, 0.5, 2) * size
    return (x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)


def _strokes(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    points = rng.uniform(0.15, 0.85, (rng.integers(3, 5), 2)) * size
    half_width = rng.choice([0.6, 0.9]) * max(1.0, size / 28)
    mask = np.zeros_like(x, dtype=bool)
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        dx, dy = bx - ax, by - ay
        t = np.clip(((x - ax) * dx + (y - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        mask |= (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= half_width**2
    return mask


def _mask(kind: str, rng: np.random.Generator, x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    if kind == "polygon":
        return _convex_polygon(rng, x, y, size)
    if kind == "disc":
        cx, cy = rng.uniform(0.25, 0.75, 2) * size
        return (x - cx) ** 2 + (y - cy) ** 2 <= (rng.uniform(0.1, 0.3) * size) ** 2
    if kind == "strokes":
        return _strokes(rng, x, y, size)
    period = int(rng.integers(1, 3)) * max(1, size // 28) + 1
    cells = (x // period) % 2 == 0 if kind == "stripes" else ((x // period) + (y // period)) % 2 == 0
    if kind == "stripes" and rng.random() < 0.5:
        cells = (y // period) % 2 == 0
    return _patch(rng, x, y, size) & cells


def _render(count: int, size: int, channels: int, seed: Seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images, per image which KINDS still show at least one pixel (later shapes paint over earlier
    ones), and per image its class: the kind covering the most pixels (the last drawn when none
    shows). The labels draw nothing from ``rng``: the pixels depend on the seed alone."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    out = np.empty((count, channels, size, size), dtype=np.uint8)
    labels = np.zeros((count, len(KINDS)), dtype=bool)
    dominant = np.zeros(count, dtype=np.int64)
    for i in range(count):
        image = np.empty((channels, size, size), dtype=np.uint8)
        image[:] = rng.integers(0, 60, (channels, 1, 1))
        owner = np.full((size, size), -1, dtype=np.int64)  # kind index painted last at each pixel
        for _ in range(rng.integers(1, 4)):
            kind = int(rng.integers(len(KINDS)))
            mask = _mask(KINDS[kind], rng, x, y, size)
            image[:, mask] = rng.integers(140, 256, (channels, 1))
            owner[mask] = kind
        out[i] = image
        shown = owner[owner >= 0]
        labels[i, shown] = True
        dominant[i] = int(np.bincount(shown, minlength=len(KINDS)).argmax()) if shown.size else kind
    return out, labels, dominant


def render(count: int, size: int, channels: int, seed: Seed) -> Tensor:
    """``count`` uint8 images (count, channels, size, size): a dark background and 1-3 bright shapes."""
    return torch.from_numpy(_render(count, size, channels, seed)[0])


def render_classes(count: int, size: int, channels: int, seed: Seed) -> tuple[Tensor, Tensor]:
    """The images ``render`` draws (same pixels) and each one's class, the index in KINDS of the
    kind covering the most pixels (int64 (count,))."""
    images, _, dominant = _render(count, size, channels, seed)
    return torch.from_numpy(images), torch.from_numpy(dominant)


def render_labelled(count: int, size: int, channels: int, seed: int) -> tuple[Tensor, Tensor]:
    """The images ``render`` draws (same pixels) and a bool (count, len(KINDS)) tensor: which kinds
    are visible in each image. The first ``n`` images of any seed do not depend on ``count``."""
    images, labels, _ = _render(count, size, channels, seed)
    return torch.from_numpy(images), torch.from_numpy(labels)


def stream(count: int, size: int, channels: int, run_seed: int, draw: int) -> tuple[Tensor, Tensor]:
    """Draw number ``draw`` of a run's infinite train stream: ``count`` fresh images and their
    classes, seeded by (STREAM_KEY, run_seed, draw), so no two draws (and neither fixed split) share
    a seed."""
    return render_classes(count, size, channels, (STREAM_KEY, run_seed, draw))


def load_split(split: str, size: int, channels: int) -> tuple[Tensor, Tensor]:
    """A fixed split's images and classes."""
    if split not in SEEDS:
        raise ValueError(f"unknown split {split!r}")
    return render_classes(TRAIN_COUNT if split == "train" else REFERENCE_COUNT, size, channels, SEEDS[split])


def load_labelled_split(split: str, size: int, channels: int) -> tuple[Tensor, Tensor]:
    """``load_split``'s images and their visible-kind labels (see ``render_labelled``)."""
    if split not in SEEDS:
        raise ValueError(f"unknown split {split!r}")
    return render_labelled(TRAIN_COUNT if split == "train" else REFERENCE_COUNT, size, channels, SEEDS[split])
