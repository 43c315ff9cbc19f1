"""`image-folder`: any folder of PNG/JPEG images (searched recursively), centre-cropped to a square
and resized to the suite's resolution, in grayscale or RGB.

Files are sorted by path; every fifth one (index % 5 == 0) is the held-out reference split, the
rest train, so the split is stable when files are added elsewhere in the order.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from ganbench.data.idx import DataError

SUFFIXES = {".png", ".jpg", ".jpeg"}
REFERENCE_EVERY = 5


def find_folder(data_root: Path | None) -> Path:
    root = data_root or (Path(os.environ["GANBENCH_DATA"]) if os.environ.get("GANBENCH_DATA") else None)
    if root is None:
        raise DataError("image-folder: no folder given; pass --data-root DIR (a folder of PNG/JPEG images)")
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    return root


def _files(root: Path) -> list[Path]:
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{root}: no PNG or JPEG images in this folder or below it")
    return files


def _load(path: Path, size: int, mode: str) -> tuple[np.ndarray, str]:
    try:
        with Image.open(path) as image:
            image.load()
            source_mode = image.mode
            w, h = image.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            square = image.crop((left, top, left + side, top + side)).convert(mode)
            resized = square.resize((size, size), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path}: unreadable image ({exc})") from None
    array = np.asarray(resized, dtype=np.uint8)
    return (array[None] if mode == "L" else array.transpose(2, 0, 1)), source_mode


def load_split(split: str, data_root: Path | None, size: int, channels: int) -> tuple[Tensor, str]:
    if split not in ("train", "reference"):
        raise ValueError(f"unknown split {split!r}")
    root = find_folder(data_root)
    files = _files(root)
    chosen = [f for i, f in enumerate(files) if (i % REFERENCE_EVERY == 0) == (split == "reference")]
    if not chosen:
        raise DataError(f"{root}: too few images for a {split} split ({len(files)} found)")
    mode = "L" if channels == 1 else "RGB"
    arrays: list[np.ndarray] = []
    modes: dict[str, Path] = {}  # "gray"/"colour" -> first file seen in that mode
    for path in chosen:
        array, source_mode = _load(path, size, mode)
        kind = "gray" if source_mode in ("1", "L", "LA", "I", "I;16", "F") else "colour"
        modes.setdefault(kind, path)
        arrays.append(array)
    if len(modes) > 1:
        raise DataError(f"{root}: mixed grayscale and colour images (e.g. {modes['gray']} and {modes['colour']}); "
                        f"convert them to one mode first")
    return torch.from_numpy(np.stack(arrays)), f"{root}[{split}: {len(chosen)} files]"
