"""Fashion-MNIST: the full set when it is on disk, else the 10k test split bundled in the package.

The bundled split is divided once, by index: images 0-7999 train, 8000-9999 are the reference
for FID. With the full set, training uses the 60k train split and scoring the 10k test split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

from ganbench.data.idx import DataError, read_images, read_labels

BUNDLED = Path(__file__).parent / "bundled"
DEBIAN = Path("/usr/share/datasets/fashion-mnist")
BUNDLED_TRAIN = 8000
_FILES = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}


@dataclass(frozen=True)
class Split:
    images: Tensor  # uint8 (N, 1, 28, 28)
    labels: Tensor  # int64 (N,)
    source: str


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _read(folder: Path, stem: str) -> tuple[Tensor, Tensor, Path]:
    images_path = _find(folder, stem)
    if images_path is None:
        raise DataError(f"{folder / stem}[.gz]: no such file")
    labels_stem = stem.replace("images-idx3", "labels-idx1")
    labels_path = _find(folder, labels_stem)
    if labels_path is None:
        raise DataError(f"{folder / labels_stem}[.gz]: no such file")
    images = read_images(images_path)
    return images, read_labels(labels_path, images.shape[0]), images_path


def full_root(data_root: Path | None) -> Path | None:
    """The folder holding the full set: ``data_root``, then $GANBENCH_DATA, then Debian's package.

    A folder the user named explicitly must hold the files; the Debian path is optional.
    """
    for candidate, explicit in ((data_root, True), (os.environ.get("GANBENCH_DATA"), True), (DEBIAN, False)):
        if not candidate:
            continue
        folder = Path(candidate)
        for sub in (folder, folder / "fashion-mnist"):
            if _find(sub, _FILES["train"]) and _find(sub, _FILES["test"]):
                return sub
        if explicit:
            raise DataError(f"{folder}: no Fashion-MNIST IDX files ({_FILES['train']}.gz, "
                            f"{_FILES['test']}.gz) found there")
    return None


def load_split(split: str, data_root: Path | None = None) -> Split:
    """``split`` is ``train`` (what GANs learn from) or ``reference`` (held out, for FID)."""
    if split not in ("train", "reference"):
        raise ValueError(f"unknown split {split!r}")
    root = full_root(data_root)
    if root is not None:
        stem = _FILES["train" if split == "train" else "test"]
        images, labels, path = _read(root, stem)
        return Split(images, labels, str(path))
    images, labels, _ = _read(BUNDLED, _FILES["test"])
    part = slice(0, BUNDLED_TRAIN) if split == "train" else slice(BUNDLED_TRAIN, None)
    return Split(images[part], labels[part], f"bundled:t10k[{part.start}:{part.stop or len(images)}]")
