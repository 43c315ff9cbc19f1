"""Data kinds: each kind answers every "images or points" question, and nothing else asks it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import ganbench
from ganbench.datakinds import IMAGES, KINDS, POINTS, Shape, kind_of
from ganbench.plugins import Catalog
from ganbench.specs import DATA_KINDS, ImageData, PointData

# The four tests the code used to tell images from points by, before the kinds owned the question.
KIND_TESTS = re.compile(r'kind == "(images|points)"|isinstance\([^)]*PointData\)|dtype == torch\.uint8|dim\(\) == 4')


def test_every_declared_kind_has_an_object_and_every_dataset_one(builtin_catalog: Catalog) -> None:
    assert set(KINDS) == set(DATA_KINDS)
    for name in builtin_catalog.names("datasets"):
        dataset = builtin_catalog.spec("datasets", name)
        assert kind_of(dataset).name == dataset.kind


def test_only_the_kinds_tell_images_from_points() -> None:
    package = Path(ganbench.__file__).parent
    offenders = [f"{path.relative_to(package)}:{number}: {line.strip()}"
                 for path in sorted(package.rglob("*.py")) if path.name != "datakinds.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1) if KIND_TESTS.search(line)]
    assert offenders == []


def test_images_prepare_resize_and_round_trip() -> None:
    rgb = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    gray = IMAGES.prepare(ImageData(rgb, "test"), 28, 1)
    assert gray.shape == (4, 1, 28, 28) and gray.dtype == torch.uint8
    unit = IMAGES.model_input(gray)
    assert float(unit.min()) >= -1.0 and float(unit.max()) <= 1.0
    assert torch.equal(IMAGES.samples(unit), gray)  # model space and back is exact on uint8 levels
    with pytest.raises(TypeError, match="must load ImageData"):
        IMAGES.prepare(PointData(torch.zeros(3, 2), "test"), 28, 1)


def test_points_build_only_with_point_networks(builtin_catalog: Catalog) -> None:
    points = torch.randn(16, 2)
    mlp, dcgan = (builtin_catalog.spec("architectures", name) for name in ("mlp", "dcgan"))
    g, d = POINTS.build_networks(mlp, Shape(0, 0, 8), points)
    assert g(torch.randn(5, 8)).shape == (5, 2) and d(points[:5]).shape == (5,)
    assert POINTS.unsupported(dcgan, 28) == "dcgan does not support points data"
    assert POINTS.unsupported(mlp, 28) is None
    assert IMAGES.unsupported(dcgan, 48) == "dcgan supports 28, 32, 64 px images, not 48"
    assert POINTS.picture(points, points).startswith(b"\x89PNG")
    assert IMAGES.picture(torch.zeros(4, 1, 28, 28, dtype=torch.uint8), torch.zeros(0)).startswith(b"\x89PNG")


def test_modes_are_defined_on_the_datasets_own_channels(builtin_catalog: Catalog) -> None:
    stacked = builtin_catalog.spec("datasets", "stacked-fashion-mnist")
    assert IMAGES.modes_defined(stacked, 3) and not IMAGES.modes_defined(stacked, 1)
    assert POINTS.modes_defined(builtin_catalog.spec("datasets", "ring-8"), 0)
    assert not IMAGES.modes_defined(builtin_catalog.spec("datasets", "cifar10"), 3)  # no mode classifier
