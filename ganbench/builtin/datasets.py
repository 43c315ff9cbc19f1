"""Built-in datasets. None downloads anything: data comes from the package or a local folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ganbench.data import cifar10, fashion_mnist, image_folder, shapes, stacked
from ganbench.data.fashion_mnist import Split
from ganbench.hookspecs import Register, hookimpl
from ganbench.metrics.modes import STACKED_MODES, stacked_modes
from ganbench.specs import DataRequest, DatasetSpec, ImageData

# Until per-dataset extractors exist (issue 6), every dataset is scored in the Fashion-MNIST CNN's
# feature space; its FIDs compare entries on one dataset, not datasets with each other.
EXTRACTOR = "fashion-mnist-cnn"


def _from_split(load: Callable[[str, Path | None], Split]) -> Callable[[DataRequest], ImageData]:
    """A loader for a labelled set read at its native size (the host resizes)."""

    def loader(request: DataRequest) -> ImageData:
        part = load(request.split, request.data_root)
        return ImageData(part.images, part.source)

    return loader


load_fashion_mnist = _from_split(fashion_mnist.load_split)
load_mnist = _from_split(fashion_mnist.load_mnist_split)
load_cifar10 = _from_split(cifar10.load_split)


def load_image_folder(request: DataRequest) -> ImageData:
    images, source = image_folder.load_split(request.split, request.data_root, request.resolution,
                                             request.channels)
    return ImageData(images, source)


def load_stacked(request: DataRequest) -> ImageData:
    images, _, source = stacked.load_split(request.split, request.data_root)
    return ImageData(images, source)


def load_shapes(request: DataRequest) -> ImageData:
    images = shapes.load_split(request.split, request.resolution, request.channels)
    return ImageData(images, f"procedural:shapes[{request.split}, seed {shapes.SEEDS[request.split]}]")


@hookimpl
def register_datasets(register: Register) -> None:
    register(DatasetSpec(
        name="fashion-mnist",
        summary="Zalando's 28x28 grayscale clothing images, 10 classes (bundled 10k subset offline)",
        reference="Xiao, Rasul & Vollgraf 2017, Fashion-MNIST, arXiv:1708.07747",
        load=load_fashion_mnist, feature_extractor=EXTRACTOR, image_shape=(1, 28, 28),
    ))
    register(DatasetSpec(
        name="mnist",
        summary="28x28 grayscale handwritten digits, from a local folder of IDX files",
        reference="LeCun et al. 1998, Gradient-based learning applied to document recognition, Proc. IEEE",
        load=load_mnist, feature_extractor=EXTRACTOR, image_shape=(1, 28, 28),
    ))
    register(DatasetSpec(
        name="cifar10",
        summary="32x32 colour images, 10 classes, from a local cifar-10-batches-py folder",
        reference="Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images, tech. report",
        load=load_cifar10, feature_extractor=EXTRACTOR, image_shape=(3, 32, 32),
    ))
    register(DatasetSpec(
        name="image-folder",
        summary="Your PNG/JPEG images (recursive), centre-cropped and resized; --data-root names the folder",
        reference="ganbench",
        load=load_image_folder, feature_extractor=EXTRACTOR, image_shape=(3, 32, 32),
    ))
    register(DatasetSpec(
        name="stacked-fashion-mnist",
        summary="Three Fashion-MNIST images as RGB channels: 1,000 modes, counted by the shipped classifier",
        reference="Metz et al. 2017, Unrolled GANs, ICLR (Stacked MNIST); Lin et al. 2018, PacGAN, NeurIPS",
        load=load_stacked, feature_extractor=EXTRACTOR, image_shape=(3, 28, 28),
        modes=stacked_modes, n_modes=STACKED_MODES,
    ))
    register(DatasetSpec(
        name="shapes",
        summary="Procedural crisp-edged polygons, discs, stripes, checkers and strokes (blur shows plainly)",
        reference="ganbench",
        load=load_shapes, feature_extractor=EXTRACTOR, image_shape=(1, 28, 28),
    ))
