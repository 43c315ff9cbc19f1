from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
import torch

from ganbench.data import fashion_mnist, system
from ganbench.data.fashion_mnist import load_split
from ganbench.data.idx import DataError, read_idx, read_images

from .conftest import bundled_split


def idx_bytes(shape: tuple[int, ...], fill: int = 7, magic: bytes = b"\x00\x00\x08") -> bytes:
    header = magic + bytes([len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)
    count = 1
    for d in shape:
        count *= d
    return header + bytes([fill]) * count


def test_reads_plain_and_gzipped(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(idx_bytes((2, 3, 4)))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes((2, 3, 4))))
    for name in ("a", "a.gz"):
        array = read_idx(tmp_path / name)
        assert array.shape == (2, 3, 4) and array.dtype == torch.uint8 and int(array[1, 2, 3]) == 7


@pytest.mark.parametrize("content, message", [
    (idx_bytes((2, 3, 4), magic=b"\x00\x00\x0d"), "bad magic"),
    (idx_bytes((2, 3, 4))[:-5], r"says \(2, 3, 4\) \(24 bytes\), file holds 19 bytes"),
    (b"\x00\x00\x08\x03\x00", "truncated IDX header"),
    (b"", "bad magic"),
])
def test_malformed_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_wrong_shape_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes((5,)))
    with pytest.raises(DataError, match=r"expected images of shape \(N, H, W\), got \(5,\)"):
        read_images(path)
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "missing.gz")


def test_bundled_subset_is_split_disjointly() -> None:
    train, reference = load_split("train"), load_split("reference")  # the suite runs with system data off
    assert train.images.shape == (8000, 1, 28, 28) and reference.images.shape == (2000, 1, 28, 28)
    assert train.source == "bundled:t10k[0:8000]" and reference.source == "bundled:t10k[8000:10000]"
    assert train.images.dtype == torch.uint8 and int(train.images.max()) == 255
    # All ten classes in both parts, roughly balanced.
    assert torch.bincount(reference.labels, minlength=10).min() > 150


def full_set_folder(folder: Path) -> Path:
    """A folder laid out like Debian's package, built from the bundled files (10k "train" images)."""
    folder.mkdir(parents=True)
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            source = fashion_mnist.BUNDLED / f"t10k-{kind}-ubyte.gz"
            (folder / f"{split}-{kind}-ubyte.gz").write_bytes(source.read_bytes())
    return folder


@pytest.fixture
def fake_system_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A machine with Debian's dataset-fashion-mnist installed (at a temporary system root)."""
    monkeypatch.setattr(system, "ROOT", tmp_path)
    return full_set_folder(tmp_path / "fashion-mnist")


def test_system_data_is_used_unless_switched_off(monkeypatch: pytest.MonkeyPatch, fake_system_data: Path) -> None:
    monkeypatch.setenv(system.SWITCH, "1")
    assert load_split("train").source == str(fake_system_data / "train-images-idx3-ubyte.gz")
    monkeypatch.setenv(system.SWITCH, "0")
    assert load_split("train").source == "bundled:t10k[0:8000]"
    monkeypatch.setenv(system.SWITCH, "yes")
    with pytest.raises(DataError, match=r"GANBENCH_SYSTEM_DATA='yes': use 1 .* or 0"):
        load_split("train")


def test_fixtures_refuse_system_data(monkeypatch: pytest.MonkeyPatch, fake_system_data: Path) -> None:
    """The suite's data fixtures fail, rather than silently test on whatever the machine has."""
    assert os.environ[system.SWITCH] == "0"  # set by conftest for the whole session
    assert bundled_split("train").source == "bundled:t10k[0:8000]"
    monkeypatch.setenv(system.SWITCH, "1")
    with pytest.raises(RuntimeError, match="not the bundled subset: the suite is not hermetic"):
        bundled_split("train")


def test_session_fixtures_hold_the_bundled_split(real_train: torch.Tensor, real_reference: torch.Tensor) -> None:
    bundled = load_split("train", None).images, load_split("reference", None).images
    assert torch.equal(real_train, bundled[0]) and torch.equal(real_reference, bundled[1])
    assert real_train.shape[0] == fashion_mnist.BUNDLED_TRAIN and real_reference.shape[0] == 2000


def test_explicit_data_root_must_hold_the_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=f"{tmp_path}: no fashion-mnist IDX files"):
        load_split("train", tmp_path)


def test_full_set_from_a_data_root(tmp_path: Path) -> None:
    root = full_set_folder(tmp_path / "fm")
    train = load_split("train", root)
    assert train.images.shape == (10000, 1, 28, 28)
    assert train.source == str(root / "train-images-idx3-ubyte.gz")


@pytest.mark.full_data
def test_full_set_is_read_whole(monkeypatch: pytest.MonkeyPatch, full_fashion_mnist: Path) -> None:
    """Debian's package, where installed: 60k train and 10k reference images, 6,000 and 1,000 per class."""
    monkeypatch.setenv(system.SWITCH, "1")
    train, reference = load_split("train"), load_split("reference")
    assert train.source == str(full_fashion_mnist / "train-images-idx3-ubyte.gz")
    assert train.images.shape == (60000, 1, 28, 28) and reference.images.shape == (10000, 1, 28, 28)
    assert torch.bincount(train.labels).tolist() == [6000] * 10
    assert torch.bincount(reference.labels).tolist() == [1000] * 10
