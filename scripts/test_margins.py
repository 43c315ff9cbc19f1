"""The spread behind the test suite's bounds on measured values (docs/testing.md).

The tests assert on values measured on real Fashion-MNIST images: spectral scores of degraded
images, FID/KID/PR/density/coverage of real and blurred sets. Those values move with the data
(bundled 10k subset vs the full 60k/10k set, and which 1,000 or 2,000 images) and, less, with the
CPU's kernels. This prints each value over several disjoint windows of each source, so every
bound in the tests can be set from a measured spread. Run it once per CPU kernel set, e.g.

    python3 scripts/test_margins.py
    ATEN_CPU_CAPABILITY=default python3 scripts/test_margins.py   # no SIMD kernels
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
from scipy import linalg
from torchvision.transforms.functional import gaussian_blur

from ganbench.data import system
from ganbench.data.fashion_mnist import load_split
from ganbench.metrics import extractor
from ganbench.metrics.fidelity import fidelity
from ganbench.metrics.spectrum import spectral_scores


def noisy(images: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    noise = std * torch.randn(images.shape, generator=gen, dtype=torch.float64)
    return (images.double() + noise).round().clamp(0, 255).to(torch.uint8)


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    return gaussian_blur(images, kernel_size=9, sigma=sigma)


def checkerboard(images: torch.Tensor, amplitude: float) -> torch.Tensor:
    size = images.shape[-1]
    sign = 1 - 2 * ((torch.arange(size).view(-1, 1) + torch.arange(size).view(1, -1)) % 2)
    return (images.double() + amplitude * sign).round().clamp(0, 255).to(torch.uint8)


def spectral_row(train: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    """The values tests/test_spectrum.py asserts on, for one (train, reference) pair of 1,000 each."""
    cases = {"real": train, "noise 10": noisy(train, 10), "noise 25": noisy(train, 25),
             "checker 2": checkerboard(train, 2), "blur 1": blur(train, 1.0)}
    cases["blur 1 + noise 10"] = noisy(cases["blur 1"], 10)
    cases["blur 1 + noise 30"] = noisy(cases["blur 1"], 30)
    s = {name: spectral_scores(images, reference) for name, images in cases.items()}
    return {
        "real blur": s["real"]["blur_score"], "real noise": s["real"]["noise_score"],
        "real LSD": s["real"]["log_spectral_distance"], "real Lap": s["real"]["laplacian_ratio"],
        "n10 noise": s["noise 10"]["noise_score"], "n25 noise": s["noise 25"]["noise_score"],
        "n10 blur": s["noise 10"]["blur_score"], "n25 blur": s["noise 25"]["blur_score"],
        "n25 blur-real": s["noise 25"]["blur_score"] - s["real"]["blur_score"],
        "b1 blur": s["blur 1"]["blur_score"], "b1+n10 blur": s["blur 1 + noise 10"]["blur_score"],
        "b1+n30 blur": s["blur 1 + noise 30"]["blur_score"], "b1+n30 noise": s["blur 1 + noise 30"]["noise_score"],
        "n25 Lap": s["noise 25"]["laplacian_ratio"], "b1+n30 Lap": s["blur 1 + noise 30"]["laplacian_ratio"],
        "checker noise": s["checker 2"]["noise_score"], "checker blur": s["checker 2"]["blur_score"],
    }


def fidelity_row(train: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    """The values tests/test_metrics.py asserts on, for one pair of 2,000 each."""
    real = fidelity(train, reference, extractor.NAME)
    blurred = fidelity(blur(train, 1.5), reference, extractor.NAME)
    fid_2 = fidelity(blur(train, 2.0), reference, extractor.NAME, kid=False, prc=False)["fid"]
    return {"FID": real["fid"], "KID": real["kid"], "precision": real["precision"], "recall": real["recall"],
            "density": real["density"], "coverage": real["coverage"], "b1.5 coverage": blurred["coverage"],
            "b1.5 density": blurred["density"], "b2 FID": fid_2}


def stacked_row(root: Path | None) -> dict[str, float]:
    """What tests/test_datasets.py and tests/test_extractors.py assert of stacked Fashion-MNIST and shapes."""
    from ganbench.data import shapes, stacked
    from ganbench.metrics.extractors import EXTRACTORS
    from ganbench.metrics.modes import STACKED_MODES, coverage, stacked_modes
    from ganbench.metrics.spectrum import radial_frequencies, rapsd

    images, truth, _ = stacked.load_split("reference", root)
    real = coverage(stacked_modes(images), STACKED_MODES)
    name = "stacked-fashion-mnist-cnn"
    net = EXTRACTORS[name].extractor_class(name, ["penultimate"]).eval()

    def features(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([net(x[i: i + 500])[0] for i in range(0, len(x), 500)]).double()

    def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
        mu, cov = a.mean(0) - b.mean(0), (torch.cov(a.T), torch.cov(b.T))
        covmean = linalg.sqrtm(cov[0].numpy() @ cov[1].numpy()).real
        return float(mu @ mu + cov[0].trace() + cov[1].trace() - 2 * float(covmean.trace()))

    train, _, _ = stacked.load_split("train", root)
    ref = features(images[:1000])
    fakes = train[:500]
    high = radial_frequencies(28) > 0.25
    fashion = load_split("reference", root).images
    gray = shapes.render(1000, 28, 1, shapes.SEEDS["reference"])
    return {"stacked real modes": real["modes_covered"], "stacked real KL": real["mode_kl"],
            "stacked classifier agreement": float((stacked_modes(images[:2000]) == truth[:2000]).float().mean()),
            "stacked FID real": frechet(features(train[:1000]), ref),
            "stacked FID blur / real": frechet(features(blur(fakes, 1.0)), ref) / frechet(features(train[:1000]), ref),
            "stacked FID copies / real": frechet(features(fakes[:, :1].expand(-1, 3, -1, -1).contiguous()), ref)
            / frechet(features(train[:1000]), ref),
            "shapes / fashion top band": float(rapsd(gray)[high].sum() / rapsd(fashion[:1000])[high].sum())}


def windows(train: torch.Tensor, reference: torch.Tensor, size: int, count: int) -> list[tuple[torch.Tensor, ...]]:
    """``count`` (train, reference) pairs of ``size`` images: disjoint train windows, reference windows in turn."""
    refs = reference.shape[0] // size
    return [(train[k * size:(k + 1) * size], reference[(k % refs) * size:(k % refs + 1) * size])
            for k in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--parts", default="spectral,fidelity,stacked", help="comma-separated: which tables")
    args = parser.parse_args()
    os.environ[system.SWITCH] = "0"  # "bundled" is what a fresh machine has; the full set is named explicitly
    sources: dict[str, Path | None] = {"bundled": None}
    full = system.ROOT / "fashion-mnist"
    if (full / "train-images-idx3-ubyte.gz").is_file():
        sources["full"] = full
    print(f"torch {torch.__version__}, CPU kernels: {torch.backends.cpu.get_cpu_capability()}")
    parts = set(args.parts.split(","))
    for kind, size, row in (("spectral", 1000, spectral_row), ("fidelity", 2000, fidelity_row)):
        if kind not in parts:
            continue
        table: dict[str, list[float]] = {}
        for name, root in sources.items():
            train, reference = load_split("train", root).images, load_split("reference", root).images
            for k, (t, r) in enumerate(windows(train, reference, size, args.windows)):
                for key, value in row(t, r).items():
                    table.setdefault(key, []).append(value)
                print(f"{kind} {name} window {k} done", flush=True)
        labels = [f"{n}{k}" for n in sources for k in range(args.windows)]
        print(f"\n{kind} values ({size} vs {size}; windows: {', '.join(labels)})")
        print("| value | min | max | " + " | ".join(labels) + " |")
        for key, values in table.items():
            print(f"| {key} | {min(values):.4f} | {max(values):.4f} | " + " | ".join(f"{v:.4f}" for v in values) + " |")
    if "stacked" not in parts:
        return
    rows = {name: stacked_row(root) for name, root in sources.items()}
    print(f"\nstacked Fashion-MNIST and shapes ({', '.join(rows)})")
    print("| value | " + " | ".join(rows) + " |")
    for key in next(iter(rows.values())):
        print(f"| {key} | " + " | ".join(f"{row[key]:.4f}" for row in rows.values()) + " |")


if __name__ == "__main__":
    main()
