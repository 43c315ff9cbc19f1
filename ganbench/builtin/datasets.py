"""Built-in datasets. None downloads anything: data comes from the package or a local folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ganbench.data import cifar10, fashion_mnist, image_folder, points, shapes, stacked
from ganbench.data.fashion_mnist import Split
from ganbench.hookspecs import RegisterDataset, hookimpl
from ganbench.metrics.modes import STACKED_MODES, stacked_modes
from ganbench.metrics.modes import classify as fashion_class
from ganbench.specs import POINTS, DataRequest, DatasetSpec, ImageData, PointData

# Each dataset's default FID feature space (`ganbench extractor list`). Data with no domain CNN of its
# own (mnist, cifar10, your images) uses the Fashion-MNIST CNN on luminance; `--extractor inception-v3`
# gives the standard 2048-d FID where its weights file is installed. FIDs compare entries on one
# dataset and extractor version, never datasets with each other.
EXTRACTOR = "fashion-mnist-cnn"


def _from_split(load: Callable[[str, Path | None], Split]) -> Callable[[DataRequest], ImageData]:
    """A loader for a labelled set read at its native size (the host resizes)."""

    def loader(request: DataRequest) -> ImageData:
        part = load(request.split, request.data_root)
        return ImageData(part.images, part.source, part.labels)

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
    images, classes = shapes.load_split(request.split, request.resolution, request.channels)
    what = "train: a fresh stream per run" if request.split == "train" else \
        f"{request.split}, seed {shapes.SEEDS[request.split]}"
    return ImageData(images, f"procedural:shapes[{what}]", classes)


def stream_shapes(request: DataRequest, count: int, run_seed: int, draw: int) -> ImageData:
    images, classes = shapes.stream(count, request.resolution, request.channels, run_seed, draw)
    return ImageData(images, "procedural:shapes[train stream]", classes)


def _point_loader(name: str) -> Callable[[DataRequest], PointData]:
    def loader(request: DataRequest) -> PointData:
        seed = points.SEEDS.get(request.split)
        return PointData(points.load_split(name, request.split), f"procedural:{name}[{request.split}, seed {seed}]")

    return loader


@hookimpl
def register_datasets(register: RegisterDataset) -> None:
    register(DatasetSpec(
        name="fashion-mnist",
        summary="Zalando's 28x28 grayscale clothing images, 10 classes (bundled 10k subset offline)",
        reference="Xiao, Rasul & Vollgraf 2017, Fashion-MNIST, arXiv:1708.07747",
        load=load_fashion_mnist, feature_extractor=EXTRACTOR, image_shape=(1, 28, 28),
        n_classes=10, classify=fashion_class,
    ))
    register(DatasetSpec(
        name="mnist",
        summary="28x28 grayscale handwritten digits, from a local folder of IDX files",
        reference="LeCun et al. 1998, Gradient-based learning applied to document recognition, Proc. IEEE",
        load=load_mnist, feature_extractor=EXTRACTOR, image_shape=(1, 28, 28), n_classes=10,
    ))
    register(DatasetSpec(
        name="cifar10",
        summary="32x32 colour images, 10 classes, from a local cifar-10-batches-py folder",
        reference="Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images, tech. report",
        load=load_cifar10, feature_extractor=EXTRACTOR, image_shape=(3, 32, 32), n_classes=10,
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
        load=load_stacked, feature_extractor="stacked-fashion-mnist-cnn", image_shape=(3, 28, 28),
        modes=stacked_modes, n_modes=STACKED_MODES,
    ))
    register(DatasetSpec(
        name="shapes",
        summary="Procedural crisp-edged polygons, discs, stripes, checkers and strokes (blur shows plainly); "
                "class: the kind covering the most pixels",
        reference="ganbench",
        load=load_shapes, feature_extractor="shapes-cnn", image_shape=(1, 28, 28), stream=stream_shapes,
        n_classes=len(shapes.KINDS),
    ))
    for name, summary in (("ring-8", "8 Gaussians on the unit circle, std 0.01 (2-D points)"),
                          ("grid-25", "25 Gaussians on the grid {-4, -2, 0, 2, 4}^2, std 0.05 (2-D points)")):
        register(DatasetSpec(
            name=name, summary=summary,
            reference="Lin et al. 2018, PacGAN, NeurIPS (after Metz et al. 2017; Srivastava et al. 2017, VEEGAN)",
            load=_point_loader(name), feature_extractor="", image_shape=(2, 1, 1), kind=POINTS,
            modes=points.MIXTURES[name].assign, n_modes=len(points.MIXTURES[name].centers),
        ))
