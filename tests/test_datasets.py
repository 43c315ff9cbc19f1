"""Every built-in dataset: shapes, dtypes, ranges, determinism, bad input, and a real smoke run."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ganbench.builtin.suites import SUITES_DIR
from ganbench.data import fashion_mnist
from ganbench.data.idx import DataError
from ganbench.metrics.spectrum import radial_frequencies, rapsd
from ganbench.plugins import Catalog
from ganbench.specs import DataRequest, ImageData


def mnist_folder(root: Path) -> Path:
    """An MNIST-layout folder (the bundled Fashion-MNIST files under MNIST's names)."""
    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            (root / f"{split}-{kind}-ubyte.gz").write_bytes(
                (fashion_mnist.BUNDLED / f"t10k-{kind}-ubyte.gz").read_bytes())
    return root


def cifar_folder(root: Path, per_batch: int = 20) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": list(rng.integers(0, 10, per_batch))}
        (folder / name).write_bytes(pickle.dumps(batch))
    return folder


def load(catalog: Catalog, name: str, split: str, root: Path | None = None, size: int = 28,
         channels: int = 1) -> torch.Tensor:
    return catalog.spec("datasets", name).load(DataRequest(split, root, size, channels)).images


def test_mnist_from_a_local_folder(builtin_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANBENCH_DATA", raising=False)
    root = mnist_folder(tmp_path / "data" / "mnist")
    images = load(builtin_catalog, "mnist", "train", tmp_path / "data")
    assert images.shape == (10000, 1, 28, 28) and images.dtype == torch.uint8
    monkeypatch.setenv("GANBENCH_DATA", str(root))
    assert load(builtin_catalog, "mnist", "reference").shape == (10000, 1, 28, 28)


def test_missing_mnist_says_where_it_looked(builtin_catalog: Catalog, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANBENCH_DATA", raising=False)
    with pytest.raises(DataError, match=r"mnist: no MNIST IDX files found \(looked in .*\); put .*--data-root"):
        load(builtin_catalog, "mnist", "train")
    with pytest.raises(DataError, match=f"{tmp_path}: no mnist IDX files"):
        load(builtin_catalog, "mnist", "train", tmp_path)


def test_cifar10_from_batches(builtin_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANBENCH_DATA", raising=False)
    cifar_folder(tmp_path)
    train = load(builtin_catalog, "cifar10", "train", tmp_path, 32, 3)
    reference = load(builtin_catalog, "cifar10", "reference", tmp_path, 32, 3)
    assert train.shape == (100, 3, 32, 32) and reference.shape == (20, 3, 32, 32)
    assert train.dtype == torch.uint8


def test_cifar10_bad_input(builtin_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANBENCH_DATA", raising=False)
    with pytest.raises(DataError, match="cifar10: no cifar-10-batches-py folder found"):
        load(builtin_catalog, "cifar10", "train", tmp_path)
    folder = cifar_folder(tmp_path)
    (folder / "data_batch_3").write_bytes((folder / "data_batch_3").read_bytes()[:100])
    with pytest.raises(DataError, match=f"{folder / 'data_batch_3'}: not a CIFAR-10 batch"):
        load(builtin_catalog, "cifar10", "train", tmp_path)

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned",))

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(DataError, match="refusing to load"):
        load(builtin_catalog, "cifar10", "reference", tmp_path)


def test_shapes_are_deterministic_crisp_and_sized(builtin_catalog: Catalog, real_reference: torch.Tensor) -> None:
    gray = load(builtin_catalog, "shapes", "reference", None, 28, 1)
    assert gray.shape == (10000, 1, 28, 28) and gray.dtype == torch.uint8
    assert torch.equal(gray, load(builtin_catalog, "shapes", "reference", None, 28, 1))
    assert int(gray.max()) >= 140 and int(gray.min()) < 60
    rgb = load(builtin_catalog, "shapes", "train", None, 32, 3)
    assert rgb.shape == (16000, 3, 32, 32)
    assert not torch.equal(load(builtin_catalog, "shapes", "train", None, 28, 1)[:100], gray[:100])
    # Hard edges: markedly more power above 0.25 cycles/px than Fashion-MNIST.
    high = radial_frequencies(28) > 0.25
    # Measured ratio 1.77 (bundled) and 1.73 (full set) by scripts/test_margins.py.
    assert rapsd(gray[:1000])[high].sum() > 1.5 * rapsd(real_reference[:1000])[high].sum()


def test_shapes_train_split_is_an_infinite_stream(builtin_catalog: Catalog) -> None:
    spec = builtin_catalog.spec("datasets", "shapes")
    assert spec.stream is not None
    request = DataRequest("train", None, 32, 3)
    drawn = spec.stream(request, 64, 0, 0)
    assert isinstance(drawn, ImageData) and drawn.labels is not None and drawn.labels.shape == (64,)
    first = drawn.images
    assert first.shape == (64, 3, 32, 32) and first.dtype == torch.uint8
    assert torch.equal(first, spec.stream(request, 64, 0, 0).images)  # deterministic
    # Another draw, another run seed: other images; none equals a reference or fixed-train image.
    assert not torch.equal(first, spec.stream(request, 64, 0, 1).images)
    assert not torch.equal(first, spec.stream(request, 64, 1, 0).images)
    fixed = torch.cat([load(builtin_catalog, "shapes", split, None, 32, 3)[:2000] for split in ("train", "reference")])
    assert not (first.flatten(1)[:, None] == fixed.flatten(1)[None]).all(-1).any()


def test_streamed_training_is_reproducible_and_never_repeats_a_batch(builtin_catalog: Catalog) -> None:
    from dataclasses import replace

    from ganbench.execute import train_stream
    from ganbench.suites import expand, load_suite
    from ganbench.training.trainer import train

    spec = replace(expand(load_suite("smoke", builtin_catalog), builtin_catalog, "cpu")[0], dataset="shapes",
                   generator_steps=6, batch_size=8)
    stream = train_stream(spec, None)
    assert stream is not None
    seen: list[torch.Tensor] = []

    def recording(count: int, draw: int) -> torch.Tensor:
        seen.append(stream(count, draw))
        return seen[-1]

    data = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)  # unused when streaming
    a = train(spec, builtin_catalog, data, torch.device("cpu"), stream=recording)
    b = train(spec, builtin_catalog, data, torch.device("cpu"), stream=stream)
    assert len(seen) == 6 and len({bytes(x.numpy()) for x in seen}) == 6
    # Streamed training is another protocol than sampling the hashed fixed split: another run id.
    from ganbench.execute import context

    assert context(spec, None)["train_split"] == "stream"
    assert "train_split" not in context(replace(spec, dataset="fashion-mnist"), None)
    for pa, pb in zip(a.generator.parameters(), b.generator.parameters(), strict=True):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize("dataset", ["mnist", "cifar10", "shapes", "image-folder", "stacked-fashion-mnist"])
def test_each_dataset_runs_a_smoke_suite(dataset: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    mnist_folder(data / "mnist")
    mnist_folder(data / "fashion-mnist")  # GANBENCH_DATA is explicit, so Fashion-MNIST must be there too
    cifar_folder(data, per_batch=80)
    image_tree(data / "images", count=100)  # image-folder searches GANBENCH_DATA; the rest are no images
    suite = tmp_path / "tiny.toml"
    channels = 3 if dataset in ("cifar10", "stacked-fashion-mnist") else 1
    suite.write_text((SUITES_DIR / "smoke.toml").read_text().replace('name = "smoke"', 'name = "tiny"')
                     # image-folder's tree holds 20 reference images: more fakes than that is refused
                     .replace("fid_samples = 128", f"fid_samples = {16 if dataset == 'image-folder' else 64}")
                     .replace("channels = 1", f"channels = {channels}"))
    proc = subprocess.run([sys.executable, "-m", "ganbench", "run", "--suite-file", str(suite), "--dataset", dataset,
                           "--matrix", "full", "--arch", "dcgan", "--loss", "hinge", "--reg", "none", "--seeds", "0"],
                          cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "GANBENCH_LOAD_PLUGINS": "", "GANBENCH_DATA": str(data)})
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(tmp_path / "leaderboards" / f"tiny-{dataset}-runs.csv")
    assert list(runs["status"]) == ["completed"] and runs["fid"].notna().all()
    assert runs["modes_covered"].notna().all() == (dataset == "stacked-fashion-mnist")


def image_tree(root: Path, count: int = 10, mode: str = "RGB") -> Path:
    from PIL import Image

    rng = np.random.default_rng(1)
    for i in range(count):
        sub = root / f"part{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        shape = (30 + i, 40) if mode == "L" else (30 + i, 40, 3)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(
            sub / f"img{i}.{'png' if i % 3 else 'jpg'}")
    return root


def test_image_folder_crops_resizes_and_splits(builtin_catalog: Catalog, tmp_path: Path) -> None:
    root = image_tree(tmp_path / "imgs")
    train = load(builtin_catalog, "image-folder", "train", root, 32, 3)
    reference = load(builtin_catalog, "image-folder", "reference", root, 32, 3)
    assert train.shape == (8, 3, 32, 32) and reference.shape == (2, 3, 32, 32) and train.dtype == torch.uint8
    assert load(builtin_catalog, "image-folder", "train", root, 28, 1).shape == (8, 1, 28, 28)
    assert torch.equal(train, load(builtin_catalog, "image-folder", "train", root, 32, 3))


def test_image_folder_bad_input(builtin_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANBENCH_DATA", raising=False)
    with pytest.raises(DataError, match="image-folder: no folder given; pass --data-root"):
        load(builtin_catalog, "image-folder", "train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=f"{tmp_path / 'empty'}: no PNG or JPEG images"):
        load(builtin_catalog, "image-folder", "train", tmp_path / "empty")
    root = image_tree(tmp_path / "broken")
    (root / "part0" / "zz.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=f"{root / 'part0' / 'zz.png'}: unreadable image"):
        for split in ("train", "reference"):  # as a run does; the file lands in one of them
            load(builtin_catalog, "image-folder", split, root)
    mixed = image_tree(tmp_path / "mixed", count=10)
    image_tree(mixed / "gray", count=10, mode="L")
    with pytest.raises(DataError, match="mixed grayscale and colour images"):
        load(builtin_catalog, "image-folder", "train", mixed)


def test_stacked_fashion_mnist_has_1000_countable_modes(builtin_catalog: Catalog) -> None:
    from ganbench.data import stacked
    from ganbench.metrics.modes import STACKED_MODES, coverage, stacked_modes

    images, truth, _ = stacked.load_split("reference", None)
    assert images.shape == (10000, 3, 28, 28) and images.dtype == torch.uint8
    assert torch.equal(images, load(builtin_catalog, "stacked-fashion-mnist", "reference", None, 28, 3))
    real = coverage(stacked_modes(images), STACKED_MODES)
    assert real["modes_covered"] >= 980 and real["mode_kl"] < 0.2, real  # measured 1000 and 0.053 .. 0.055
    assert coverage(truth, STACKED_MODES)["modes_covered"] >= 990
    # The classifier recovers the true mode of most stacked images (~0.89^3 with 89% per channel).
    assert float((stacked_modes(images[:2000]) == truth[:2000]).float().mean()) > 0.6  # measured 0.720 .. 0.726
    collapsed = coverage(stacked_modes(images[:1].expand(500, -1, -1, -1)), STACKED_MODES)
    assert collapsed["modes_covered"] == 1 and collapsed["mode_kl"] == pytest.approx(np.log(1000))


def test_stacked_suite_counts_modes_on_26000_samples(builtin_catalog: Catalog) -> None:
    """The VEEGAN/PacGAN protocol: modes counted on 26,000 generated samples, not on the 2,000 FID
    samples. A generator uniform over the 1,000 modes then covers 1000 (1 - e^-26) ~ all of them;
    on 2,000 samples it would cover only about 1000 (1 - e^-2) ~ 865."""
    from torch import nn

    from ganbench import execute
    from ganbench.metrics.modes import STACKED_MODES, coverage
    from ganbench.suites import expand, load_suite

    spec = expand(load_suite("stacked", builtin_catalog), builtin_catalog, "cpu")[0]
    assert spec.mode_samples == 26000 and spec.fid_samples == 2000

    class UniformModes(nn.Module):
        """Each channel a flat image at one of 10 grey levels, drawn uniformly: 1,000 equally likely modes."""

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            levels = torch.randint(0, 10, (z.shape[0], 3, 1, 1))
            return (levels.float() / 9 * 2 - 1).expand(-1, -1, 28, 28)

    def level_modes(images: torch.Tensor) -> torch.Tensor:
        levels = (images[:, :, 0, 0].float() / 255 * 9).round().long()
        return 100 * levels[:, 0] + 10 * levels[:, 1] + levels[:, 2]

    torch.manual_seed(0)
    fake = execute.mode_samples(spec, UniformModes(), torch.device("cpu"))
    assert fake is not None and fake.shape == (26000, 3, 28, 28) and fake.dtype == torch.uint8
    assert coverage(level_modes(fake), STACKED_MODES)["modes_covered"] >= 995
    # Point suites keep counting on their scored samples.
    ring = expand(load_suite("ring", builtin_catalog), builtin_catalog, "cpu")[0]
    assert ring.mode_samples == 0 and execute.mode_samples(ring, UniformModes(), torch.device("cpu")) is None
