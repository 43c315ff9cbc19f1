"""Where one quick-suite run's evaluation goes: each stage of its final scoring, and one curve point,
timed alone in this process (the median of --repeats), after training the run as the suite does.

    python3 scripts/eval_breakdown.py [--entry dcgan] [--repeats 5]

``--entry``: a quick-suite entry or recipe name, e.g. dcgan, resnet/non-saturating/none. Alone on a
core these are lower bounds: beside a concurrent training run (a 2-worker suite) each stage is slower.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GANBENCH_SYSTEM_DATA", "0")
os.environ.setdefault("GANBENCH_LOAD_PLUGINS", "")

import torch

from ganbench import plugins
from ganbench.execute import dataset_splits, feature_extractor
from ganbench.metrics import kid
from ganbench.metrics.fidelity import (
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    density_coverage,
    extract,
    fidelity_from_features,
    precision_recall,
    reference_features,
)
from ganbench.metrics.score import applies
from ganbench.metrics.spectrum import spectral_curves
from ganbench.specs import ScoreInput
from ganbench.suites import expand, load_suite
from ganbench.training.seeding import seed_everything
from ganbench.training.trainer import run_kind, sample, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entry", default="dcgan")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cpu = torch.device("cpu")
    catalog = plugins.load()
    specs = [s for s in expand(load_suite("quick", catalog), catalog, "cpu")
             if args.entry in (s.entry, s.entry.split(" ")[0]) and s.seed == 0]
    if not specs:
        raise SystemExit(f"error: no quick-suite entry named {args.entry!r}")
    spec = specs[0]
    data = dataset_splits(spec.dataset, None, spec.resolution, spec.channels)
    seed_everything(spec.seed, cpu)
    started = time.perf_counter()
    generator = train(spec, catalog, data.train, cpu, evaluate_last=False, labels=data.train_labels).evaluated
    print(f"{spec.entry}, seed {spec.seed}: trained {spec.generator_steps} steps in "
          f"{time.perf_counter() - started:.2f} s")
    kind = run_kind(spec, catalog)
    extractor = feature_extractor(spec, data)
    dataset = catalog.spec("datasets", spec.dataset)
    real = data.reference[: spec.fid_samples]
    cache = Path(tempfile.mkdtemp())
    real_f = reference_features(real, extractor, data.sha256, cache)
    real_curve_f = reference_features(real[: spec.curve_fid_samples], extractor, data.sha256, cache)
    times: dict[str, list[float]] = {}

    def timed(name: str, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = work(*args, **kwargs)
        times.setdefault(name, []).append(time.perf_counter() - start)
        return out

    table = [m for m in catalog.metric_table() if m.name != "fidelity" and applies(m, kind, dataset, spec.channels)]
    for _ in range(args.repeats):
        fake = timed(f"final: draw {spec.fid_samples} samples", sample, generator, spec.fid_samples,
                     spec.latent_dim, spec.seed, cpu, kind)
        fake_f = timed("final: feature network", extract, fake, extractor)
        size = min(KID_SUBSET_SIZE, len(fake_f), len(real_f))
        timed("final: FID", fidelity_from_features, fake_f, real_f, kid=False, prc=False)
        timed("final: KID", kid.kid, fake_f, real_f, KID_SUBSETS, size)
        between = timed("final: fake-real distances (both below)", torch.cdist, fake_f, real_f)
        timed("final: precision/recall", precision_recall, fake_f, real_f, between=between)
        timed("final: density/coverage", density_coverage, fake_f, real_f, between=between)
        inputs = ScoreInput(fake, real, dataset, spec.channels, extractor, functools.partial(tuple, (fake_f, real_f)),
                            None, kind.eval_labels(0, fake.shape[0]), None)
        for metric in table:
            timed(f"final: metric {metric.name}", metric.compute, inputs)
        timed("final: picture", kind.picture, fake, real)
        timed("final: recorded spectrum", spectral_curves, fake, real)
        curve = timed(f"curve point: draw {spec.curve_fid_samples} samples", sample, generator,
                      spec.curve_fid_samples, spec.latent_dim, spec.seed, cpu, kind)
        curve_f = timed("curve point: feature network", extract, curve, extractor)
        timed("curve point: FID", fidelity_from_features, curve_f, real_curve_f, kid=False, prc=False)
    final = sum(statistics.median(v) for k, v in times.items() if k.startswith("final"))
    for name, values in times.items():
        print(f"  {name:40s} {1000 * statistics.median(values):8.1f} ms")
    print(f"  {'final scoring, sum of the medians':40s} {1000 * final:8.1f} ms")


if __name__ == "__main__":
    main()
