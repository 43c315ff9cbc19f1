from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch_fidelity
from click.testing import CliRunner
from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_features_to_statistics, fid_statistics_to_metric
from torchvision.transforms.functional import gaussian_blur

from ganbench.data import shapes, stacked
from ganbench.metrics import extractor
from ganbench.metrics.extractors import EXTRACTORS, SHAPES_NAME, STACKED_NAME
from ganbench.metrics.fidelity import TensorImages
from ganbench.training.seeding import process_settings_kept

# Published leaderboards cite these: a change means new weights, so every FID made with them moves.
SHIPPED_VERSIONS = {
    "fashion-mnist-cnn": "daf23cec6a12",
    "shapes-cnn": "365ac4093a1d",
    "stacked-fashion-mnist-cnn": "55979a994914",
}


def blur(images: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    return gaussian_blur(images, kernel_size=9, sigma=sigma)


@torch.no_grad()
def features(name: str, images: torch.Tensor) -> torch.Tensor:
    net = EXTRACTORS[name].extractor_class(name, ["penultimate"]).eval()
    return torch.cat([net(images[i: i + 500])[0] for i in range(0, len(images), 500)]).double()


def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """torch-fidelity's FID of two feature sets (its own statistics and distance code)."""
    stats = fid_features_to_statistics(a), fid_features_to_statistics(b)
    return float(fid_statistics_to_metric(*stats, verbose=False)[KEY_METRIC_FID])


def calculate_fid(a: torch.Tensor, b: torch.Tensor, name: str) -> float:
    EXTRACTORS[name].ensure_registered()
    out = torch_fidelity.calculate_metrics(
        input1=TensorImages(a), input2=TensorImages(b), feature_extractor=name, fid=True, cuda=False,
        batch_size=500, verbose=False, cache=False, save_cpu_ram=True)
    return float(out[KEY_METRIC_FID])


def test_registry_lists_the_shipped_extractors_at_stable_versions() -> None:
    assert {n: e.version() for n, e in EXTRACTORS.items()} == SHIPPED_VERSIONS
    assert {e.name: (e.dataset, e.feature_dim, e.in_channels) for e in EXTRACTORS.values()} == {
        "fashion-mnist-cnn": ("fashion-mnist", 128, 1), "shapes-cnn": ("shapes", 128, 1),
        "stacked-fashion-mnist-cnn": ("stacked-fashion-mnist", 384, 3)}
    fashion = EXTRACTORS[extractor.NAME]
    assert fashion.weights == extractor.WEIGHTS and fashion.version() == extractor.weights_version()
    digest = hashlib.sha256(extractor.WEIGHTS.read_bytes()).hexdigest()
    assert EXTRACTORS[STACKED_NAME].version() == hashlib.sha256(f"{digest}+stacked".encode()).hexdigest()[:12]
    assert EXTRACTORS[SHAPES_NAME].accepts(1) and EXTRACTORS[SHAPES_NAME].accepts(3)
    assert EXTRACTORS[STACKED_NAME].accepts(3) and not EXTRACTORS[STACKED_NAME].accepts(1)
    for e in EXTRACTORS.values():
        assert e.weights.stat().st_size < 500_000
        assert e.metadata()["test_accuracy"] > 0.85
        e.ensure_registered()
        e.ensure_registered()  # idempotent


def test_the_inference_network_gives_the_trained_networks_features() -> None:
    """Batch norm folded: the same features to float rounding; max-pool before ReLU: to the bit."""
    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8)
    x = extractor.preprocess(images)
    with torch.no_grad():
        trained = extractor.load_network().features(x)
        folded = extractor.fold_batch_norm(extractor.load_network())
        swapped = extractor.pool_before_relu(extractor.fold_batch_norm(extractor.load_network()))
        assert [type(m).__name__ for m in swapped.body][:3] == ["Conv2d", "MaxPool2d", "ReLU"]
        assert torch.allclose(folded.features(x), trained, atol=1e-5)
        assert torch.equal(swapped.features(x), folded.features(x))


@pytest.mark.parametrize("name", list(EXTRACTORS))
def test_shipped_weights_load_and_give_features_of_the_stated_size(name: str) -> None:
    e = EXTRACTORS[name]
    images = torch.randint(0, 256, (4, e.in_channels, 28, 28), dtype=torch.uint8)
    net = e.extractor_class(name, ["penultimate", "logits"]).eval()
    with torch.no_grad():
        feats, logits = net(images)
    assert feats.shape == (4, e.feature_dim) and torch.isfinite(feats).all()
    assert logits.shape[0] == 4


def test_shapes_cnn_finds_the_kinds_in_fresh_reference_images() -> None:
    images, labels = shapes.render_labelled(2000, 28, 1, shapes.SEEDS["reference"])
    assert torch.equal(images, shapes.render(2000, 28, 1, shapes.SEEDS["reference"]))
    net = EXTRACTORS[SHAPES_NAME].extractor_class(SHAPES_NAME, ["logits"]).eval()
    with torch.no_grad():
        logits = net(images)[0]
    assert logits.shape == (2000, len(shapes.KINDS))
    per_kind = ((logits > 0) == labels).float().mean(0)
    assert per_kind.mean() > 0.92 and per_kind.min() > 0.85, per_kind


def test_shapes_labels_are_the_visible_kinds() -> None:
    images, labels = shapes.render_labelled(300, 28, 1, 7)
    assert labels.dtype == torch.bool and labels.shape == (300, len(shapes.KINDS))
    assert labels.sum(1).max() <= 3 and labels.any(1).float().mean() > 0.99
    # a prefix of a seed's images does not depend on how many are drawn
    first, first_labels = shapes.render_labelled(50, 28, 1, 7)
    assert torch.equal(first, images[:50]) and torch.equal(first_labels, labels[:50])


def test_shapes_fid_sees_blur() -> None:
    train = shapes.render(1000, 28, 1, shapes.SEEDS["train"])
    reference = shapes.render(1000, 28, 1, shapes.SEEDS["reference"])
    ref = features(SHAPES_NAME, reference)
    real = frechet(features(SHAPES_NAME, train), ref)
    blurred = frechet(features(SHAPES_NAME, blur(train)), ref)
    assert real < 1.0 and blurred > 20 * real, (real, blurred)


@pytest.fixture(scope="module")
def stacked_pair() -> tuple[torch.Tensor, torch.Tensor]:
    train, _, _ = stacked.load_split("train", None)
    reference, _, _ = stacked.load_split("reference", None)
    return train[:1000].clone(), reference[:1000].clone()


def test_stacked_extractor_concatenates_per_channel_fashion_features(
        stacked_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    images = stacked_pair[0][:16]
    feats = features(STACKED_NAME, images)
    assert feats.shape == (16, 384)
    for c in range(3):
        per_channel = features(extractor.NAME, images[:, c: c + 1].contiguous())
        assert torch.allclose(feats[:, 128 * c: 128 * (c + 1)], per_channel, atol=1e-5)
    net = EXTRACTORS[STACKED_NAME].extractor_class(STACKED_NAME, ["logits"]).eval()
    with torch.no_grad():
        joint = net(images)[0]
    assert joint.shape == (16, 1000) and torch.allclose(joint.exp().sum(1), torch.ones(16), atol=1e-4)
    with pytest.raises(ValueError, match="expects"):
        net(images[:, :1])


def test_stacked_fid_small_for_real_and_large_for_blurred_or_channel_copies(
        stacked_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    train, reference = stacked_pair
    feats, ref = features(STACKED_NAME, train), features(STACKED_NAME, reference)
    # through the torch-fidelity registry: the same number from the same features
    assert calculate_fid(train[:250], reference[:250], STACKED_NAME) == pytest.approx(
        frechet(feats[:250], ref[:250]), rel=1e-3)
    real = frechet(feats, ref)
    fakes = train[:500]  # fewer fakes: a larger sampling bias, which only raises their FIDs further
    blurred = frechet(features(STACKED_NAME, blur(fakes)), ref)
    # each channel is real, but the three are one image: only the joint (concatenated) features see it
    copies = frechet(features(STACKED_NAME, fakes[:, :1].expand(-1, 3, -1, -1).contiguous()), ref)
    # Measured (bundled, full set): real 1.93, 1.86; blurred 27x and copies 43x real on both.
    assert real < 3 and blurred > 10 * real and copies > 10 * real, (real, blurred, copies)


@pytest.fixture
def restore_torch_threading() -> Iterator[None]:
    """Training pins one thread (torch's and BLAS's) and deterministic kernels for the whole process; undo that."""
    with process_settings_kept():
        yield


@pytest.mark.usefixtures("restore_torch_threading")
def test_tiny_shapes_training_is_reproducible(tmp_path: Path) -> None:
    from ganbench.cli import main

    runner = CliRunner()
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run / "shapes-cnn.pt"
        result = runner.invoke(main, ["extractor", "train", "--dataset", "shapes", "--count", "256",
                                      "--epochs", "1", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"wrote {out} (version " in result.output
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    meta = json.loads(outs[0].with_suffix(".json").read_text())
    assert meta == json.loads(outs[1].with_suffix(".json").read_text())
    assert meta["epochs"] == 1 and "first 256" in meta["train_source"]


def test_train_rejects_count_for_fashion_mnist() -> None:
    from ganbench.cli import main

    result = CliRunner().invoke(main, ["extractor", "train", "--count", "10"])
    assert result.exit_code != 0 and "--count" in result.output


def test_extractor_list() -> None:
    from ganbench.cli import main

    result = CliRunner().invoke(main, ["extractor", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert {n: r["version"] for n, r in rows.items()} == SHIPPED_VERSIONS
    assert rows["shapes-cnn"]["test_accuracy"] == EXTRACTORS["shapes-cnn"].metadata()["test_accuracy"]
    text = CliRunner().invoke(main, ["extractor", "list"]).output
    assert all(name in text for name in EXTRACTORS)
