from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch

from ganbench.data import fashion_mnist
from ganbench.data.fashion_mnist import load_split
from ganbench.data.idx import DataError, read_idx, read_images


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


def test_bundled_subset_is_split_disjointly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fashion_mnist, "DEBIAN", tmp_path / "absent")
    monkeypatch.delenv("GANBENCH_DATA", raising=False)
    train, reference = load_split("train"), load_split("reference")
    assert train.images.shape == (8000, 1, 28, 28) and reference.images.shape == (2000, 1, 28, 28)
    assert train.source == "bundled:t10k[0:8000]" and reference.source == "bundled:t10k[8000:10000]"
    assert train.images.dtype == torch.uint8 and int(train.images.max()) == 255
    # All ten classes in both parts, roughly balanced.
    assert torch.bincount(reference.labels, minlength=10).min() > 150


def test_explicit_data_root_must_hold_the_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=f"{tmp_path}: no fashion-mnist IDX files"):
        load_split("train", tmp_path)


def test_full_set_from_a_data_root(tmp_path: Path) -> None:
    # A data root laid out like Debian's package, built from the bundled files.
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            source = fashion_mnist.BUNDLED / f"t10k-{kind}-ubyte.gz"
            (tmp_path / f"{split}-{kind}-ubyte.gz").write_bytes(source.read_bytes())
    train = load_split("train", tmp_path)
    assert train.images.shape == (10000, 1, 28, 28)
    assert train.source == str(tmp_path / "train-images-idx3-ubyte.gz")
