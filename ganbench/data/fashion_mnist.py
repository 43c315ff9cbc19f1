"""MNIST-layout datasets (IDX files): Fashion-MNIST and MNIST, read from local folders only.

Fashion-MNIST falls back to the 10k test split bundled in the package, divided once by index:
images 0-7999 train, 8000-9999 are the reference for FID. With the full set on disk, training
uses the 60k train split and scoring the 10k test split. MNIST has no bundled copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

from ganbench.data.idx import DataError, read_images, read_labels
from ganbench.data.system import system_folder

BUNDLED = Path(__file__).parent / "bundled"
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


def find_root(subfolder: str, data_root: Path | None, system: Path | None) -> tuple[Path | None, list[Path]]:
    """The folder holding a full IDX set, and every folder looked in.

    Tried in order: ``data_root`` and ``$GANBENCH_DATA`` (each as is and with ``subfolder``), then the
    system location (None when ``GANBENCH_SYSTEM_DATA=0``). A folder the user named explicitly must
    hold the files.
    """
    looked: list[Path] = []
    for candidate, explicit in ((data_root, True), (os.environ.get("GANBENCH_DATA"), True), (system, False)):
        if not candidate:
            continue
        folder = Path(candidate)
        for sub in (folder, folder / subfolder):
            looked.append(sub)
            if _find(sub, _FILES["train"]) and _find(sub, _FILES["test"]):
                return sub, looked
        if explicit:
            raise DataError(f"{folder}: no {subfolder} IDX files ({_FILES['train']}.gz, {_FILES['test']}.gz and "
                            f"their labels) found there or in {folder / subfolder}")
    return None, looked


def full_root(data_root: Path | None) -> Path | None:
    """The folder holding the full Fashion-MNIST set, if any."""
    return find_root("fashion-mnist", data_root, system_folder("fashion-mnist"))[0]


def _split_files(root: Path, split: str) -> Split:
    if split not in ("train", "reference"):
        raise ValueError(f"unknown split {split!r}")
    images, labels, path = _read(root, _FILES["train" if split == "train" else "test"])
    return Split(images, labels, str(path))


def load_split(split: str, data_root: Path | None = None) -> Split:
    """Fashion-MNIST ``train`` (what GANs learn from) or ``reference`` (held out, for FID)."""
    root = full_root(data_root)
    if root is not None:
        return _split_files(root, split)
    if split not in ("train", "reference"):
        raise ValueError(f"unknown split {split!r}")
    images, labels, _ = _read(BUNDLED, _FILES["test"])
    part = slice(0, BUNDLED_TRAIN) if split == "train" else slice(BUNDLED_TRAIN, None)
    return Split(images[part], labels[part], f"bundled:t10k[{part.start}:{part.stop or len(images)}]")


def load_mnist_split(split: str, data_root: Path | None = None) -> Split:
    """MNIST from a local folder; ganbench never downloads it."""
    root, looked = find_root("mnist", data_root, system_folder("mnist"))
    if root is None:
        where = ", ".join(str(p) for p in looked)
        raise DataError(f"mnist: no MNIST IDX files found (looked in {where}); put {_FILES['train']}.gz, "
                        f"{_FILES['test']}.gz and their label files in a folder and pass --data-root or set "
                        f"GANBENCH_DATA")
    return _split_files(root, split)
