"""The structure score: FID after the same low-pass filter on both sides (ganbench.metrics.structure).

Its validation runs here in the domain extractor on the bundled data: structure-destroying
transforms of real images must score worse than blur σ = 1.5, and blur up to σ = 1.5 must move it
less than half as much as the mildest of them. scripts/validate_metrics.py repeats it in InceptionV3."""

from __future__ import annotations

import pytest
import torch

from ganbench.builtin.metrics import STRUCTURE
from ganbench.metrics import structure, transforms
from ganbench.metrics.fidelity import extract, fidelity_from_features
from ganbench.metrics.spectrum import spectral_scores

N = 2000
EXTRACTOR = "fashion-mnist-cnn"


@pytest.fixture(scope="module")
def scored(real_train: torch.Tensor, real_reference: torch.Tensor) -> dict[str, tuple[float, float, float]]:
    """name -> (FID, structure FID, blur score) of each validation case against the reference."""
    real, ref = real_train[:N], real_reference[:N]
    ref_plain, ref_low = extract(ref, EXTRACTOR), extract(structure.low_pass(ref), EXTRACTOR)
    cases = {"real": real, **{f"blur {s}": transforms.blur(real, s) for s in (0.5, 1.0, 1.5)},
             **{name: destroy(real) for name, destroy in transforms.STRUCTURE_DESTROYING.items()}}
    out = {}
    for name, fake in cases.items():
        plain = fidelity_from_features(extract(fake, EXTRACTOR), ref_plain, kid=False, prc=False)["fid"]
        low = fidelity_from_features(extract(structure.low_pass(fake), EXTRACTOR), ref_low, kid=False, prc=False)
        out[name] = (plain, low["fid"], spectral_scores(fake, ref)["blur_score"])
    return out


def test_the_structure_score_passes_its_validation(scored: dict[str, tuple[float, float, float]]) -> None:
    failures = structure.validation_failures(
        scored["real"][1], {s: scored[f"blur {s}"][1] for s in (0.5, 1.0, 1.5)},
        {name: scored[name][1] for name in transforms.STRUCTURE_DESTROYING})
    assert failures == []


def test_plain_fid_prefers_phase_noise_to_blur_and_structure_does_not(
        scored: dict[str, tuple[float, float, float]]) -> None:
    # Why the score exists: the domain FID scores a garment-free texture better than blurred garments.
    assert scored["phase randomised"][0] < scored["blur 1.5"][0]
    assert scored["phase randomised"][1] > 10 * scored["blur 1.5"][1]


def test_the_blur_score_keeps_its_validation(scored: dict[str, tuple[float, float, float]]) -> None:
    blur = [scored[name][2] for name in ("real", "blur 0.5", "blur 1.0", "blur 1.5")]
    assert abs(blur[0]) < 0.05 and blur == sorted(blur, reverse=True) and blur[-1] < -3.0


def test_phase_randomising_keeps_each_images_amplitude_spectrum(real_train: torch.Tensor) -> None:
    images = real_train[:8]
    out = transforms.phase_randomise(images)
    before, after = torch.fft.fft2(images.float()).abs(), torch.fft.fft2(out.float()).abs()
    # Rounding and clamping to uint8 perturb it a little; the structure is gone, not the spectrum.
    assert torch.corrcoef(torch.stack([before.flatten(), after.flatten()]))[0, 1] > 0.95
    assert not torch.equal(out, images)


def test_shuffled_patches_keep_each_images_pixels(real_train: torch.Tensor) -> None:
    images = real_train[:8]
    out = transforms.shuffle_patches(images, 7)
    assert torch.equal(out.flatten(1).sort(dim=1).values, images.flatten(1).sort(dim=1).values)
    assert not torch.equal(out, images)
    with pytest.raises(ValueError, match="does not divide"):
        transforms.shuffle_patches(images, 5)


def test_the_low_pass_filter_scales_with_the_image_and_fits_small_ones() -> None:
    assert structure.sigma_for(28) == pytest.approx(3.0) and structure.sigma_for(32) == pytest.approx(32 * 3 / 28)
    flat = torch.full((2, 1, 8, 8), 77, dtype=torch.uint8)
    assert torch.equal(structure.low_pass(flat), flat)  # a constant image passes unchanged, even at 8 px
    with pytest.raises(TypeError):
        structure.low_pass(flat.float())


def test_the_metric_caches_the_filtered_reference_by_its_own_split(real_train: torch.Tensor,
                                                                    real_reference: torch.Tensor) -> None:
    from ganbench.specs import ScoreInput

    asked: list[str] = []

    def embed(images: torch.Tensor, split: str) -> torch.Tensor:
        asked.append(split)
        return extract(images, EXTRACTOR)

    fake, real = transforms.blur(real_train[:500], 1.0), real_reference[:500]
    data = ScoreInput(fake, real, None, 1, EXTRACTOR, lambda: (fake, real), embed=embed)  # type: ignore[arg-type]
    values, proto = STRUCTURE.compute(data)
    assert asked == ["reference-low-pass-3.0000", ""]
    assert 0 < values["structure_fid"] < 1.0 and proto["structure_sigma"] == 3.0
