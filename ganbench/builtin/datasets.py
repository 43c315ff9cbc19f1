"""Built-in datasets."""

from __future__ import annotations

from pathlib import Path

from ganbench.data.fashion_mnist import load_split
from ganbench.hookspecs import Register, hookimpl
from ganbench.specs import DatasetSpec, ImageData


def load_fashion_mnist(split: str, data_root: Path | None) -> ImageData:
    part = load_split(split, data_root)
    return ImageData(part.images, part.source)


@hookimpl
def register_datasets(register: Register) -> None:
    register(DatasetSpec(
        name="fashion-mnist",
        summary="Zalando's 28x28 grayscale clothing images, 10 classes (bundled 10k subset offline)",
        reference="Xiao, Rasul & Vollgraf 2017, Fashion-MNIST, arXiv:1708.07747",
        load=load_fashion_mnist,
        feature_extractor="fashion-mnist-cnn",
        image_shape=(1, 28, 28),
    ))
