"""The perceptual term and its networks: real images, real networks, no mocks."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from torchvision.transforms.functional import gaussian_blur

from ganbench.cli.perceptual import perceptual
from ganbench.perceptual import DEFAULT_WEIGHT, NETWORKS, PerceptualRegularizer, PerceptualTerm, network, vgg16
from ganbench.perceptual.train import train_network
from tests.conftest import bundled_split

SIGMAS = (0.5, 1.0, 1.5, 2.0, 3.0)


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    """512 bundled reference images in model space, [-1, 1]."""
    return bundled_split("reference").images[:512].float() / 127.5 - 1


@pytest.fixture(scope="module")
def term() -> PerceptualTerm:
    return PerceptualTerm(network.load_network().features)


@pytest.fixture
def no_vgg16(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine without VGG16 weights: no env var and an empty torch hub folder (returned)."""
    monkeypatch.delenv(vgg16.ENV_VAR, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub"


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    size = 2 * int(3 * sigma + 0.5) + 1
    return gaussian_blur(x, [size, size], [sigma, sigma])


def test_identical_batches_score_exactly_zero(term: PerceptualTerm, images: torch.Tensor) -> None:
    real = images[:128]
    fake = real.clone().requires_grad_(True)
    assert float(term(fake, real).detach()) == 0.0
    assert all(float(t) == 0.0 for t in term.layer_terms(real, real))


def test_term_grows_with_blur(term: PerceptualTerm, images: torch.Tensor) -> None:
    real = images[:256]
    paired = [float(term(blur(real, s), real)) for s in SIGMAS]
    assert 0 < paired[0] and all(a < b for a, b in pairwise(paired)), paired
    # Unpaired, as in GAN training: other real images score a floor (~0.01) that blur raises; a
    # 0.5 px blur is lost in that batch-to-batch noise, 1 px is not.
    other = images[256:]
    unpaired = [float(term(other, real))] + [float(term(blur(other, s), real)) for s in SIGMAS[1:]]
    assert all(a < b for a, b in pairwise(unpaired)), unpaired


def test_gradient_reaches_fake_only(term: PerceptualTerm, images: torch.Tensor) -> None:
    real = images[:64].clone().requires_grad_(True)
    fake = (0.5 * torch.randn(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))).requires_grad_(True)
    term(fake, real).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0 and torch.isfinite(fake.grad).all()
    assert real.grad is None


def test_shipped_network_loads_frozen() -> None:
    assert network.WEIGHTS.stat().st_size < 500_000
    meta = json.loads(network.WEIGHTS.with_suffix(".json").read_text())
    assert meta["network"] == network.NAME and meta["seed"] == 0
    net = network.load_network()
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    shapes = [tuple(f.shape) for f in net.features(torch.zeros(2, 1, 28, 28))]
    assert shapes == [(2, 32, 28, 28), (2, 64, 14, 14), (2, 128, 7, 7)]
    # RGB at 32 px goes through luma; same layers, larger maps.
    assert [tuple(f.shape) for f in net.features(torch.zeros(2, 3, 32, 32))][-1] == (2, 128, 8, 8)
    with pytest.raises(ValueError, match="expected images"):
        net.features(torch.zeros(2, 2, 28, 28))


def test_training_is_reproducible(tmp_path: Path) -> None:
    metas = [train_network(out=tmp_path / f"{name}.pt", epochs=1, count=64) for name in ("a", "b")]
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert metas[0] == metas[1] and metas[0]["train_images"] == 64
    assert json.loads((tmp_path / "a.json").read_text()) == metas[0]
    assert network.load_network(tmp_path / "a.pt").features(torch.zeros(1, 1, 28, 28))[0].shape[1] == 32


def test_vgg16_absent_says_why(no_vgg16: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok, reason = vgg16.available()
    assert not ok and vgg16.ENV_VAR in reason and "\n" not in reason
    assert NETWORKS["vgg16"].available() == (False, reason)
    with pytest.raises(vgg16.WeightsUnavailable, match=vgg16.ENV_VAR):
        PerceptualRegularizer("vgg16")
    monkeypatch.setenv(vgg16.ENV_VAR, str(no_vgg16 / "missing.pth"))
    ok, reason = vgg16.available()
    assert not ok and f"{vgg16.ENV_VAR}=" in reason


def test_vgg16_present_from_local_file(no_vgg16: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.models import vgg16 as torchvision_vgg16

    # A randomly initialised VGG16's conv weights stand in for the ImageNet file (the classifier,
    # 90% of the 528 MB, is never read).
    torch.manual_seed(0)
    state = {k: v for k, v in torchvision_vgg16().state_dict().items() if k.startswith("features.")}
    hub_file = no_vgg16 / "checkpoints" / vgg16.HUB_FILE
    hub_file.parent.mkdir(parents=True)
    torch.save(state, hub_file)
    assert vgg16.available() == (True, str(hub_file))
    hub_file.rename(no_vgg16 / "elsewhere.pth")
    monkeypatch.setenv(vgg16.ENV_VAR, str(no_vgg16 / "elsewhere.pth"))
    assert vgg16.locate_weights() == no_vgg16 / "elsewhere.pth"
    before = torch.get_rng_state()
    net = vgg16.load_network()
    assert torch.equal(torch.get_rng_state(), before)
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    feats = net.features(x)
    assert [tuple(f.shape) for f in feats] == [(2, 64, 28, 28), (2, 128, 14, 14), (2, 256, 7, 7), (2, 512, 3, 3)]
    # Grayscale is RGB with three equal channels.
    assert torch.allclose(feats[-1], net.features(x.expand(-1, 3, -1, -1))[-1])
    assert float(PerceptualTerm(net.features)(x, x)) == 0.0


def test_regularizer_is_weighted_term_and_leaves_global_rng(images: torch.Tensor, term: PerceptualTerm) -> None:
    real, fake = images[:64], images[64:128].clone().requires_grad_(True)
    before = torch.get_rng_state()
    reg = PerceptualRegularizer()
    penalty = reg.generator_penalty(torch.nn.Identity(), real, fake)
    assert torch.equal(torch.get_rng_state(), before)
    assert reg.weight == DEFAULT_WEIGHT
    assert torch.allclose(penalty, DEFAULT_WEIGHT * term(fake, real))
    penalty.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    with pytest.raises(Exception, match="unknown perceptual network"):
        PerceptualRegularizer("alexnet")


def test_cli_list_and_train(tmp_path: Path, no_vgg16: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(perceptual, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["fashion-mnist-vgg-dae"]["available"] and rows["fashion-mnist-vgg-dae"]["version"] == \
        network.weights_version()
    assert not rows["vgg16"]["available"] and vgg16.ENV_VAR in rows["vgg16"]["reason"]
    assert "unavailable" in runner.invoke(perceptual, ["list"]).output
    out = tmp_path / "net.pt"
    result = runner.invoke(perceptual, ["train", "--count", "32", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"version {network.weights_version(out)}" in result.output
    result = runner.invoke(perceptual, ["train", "--count", "32", "--out", str(tmp_path / "never.pt"),
                                       "--data-root", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
