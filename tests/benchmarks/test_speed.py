"""Speed benchmarks (pytest-benchmark).

The default test run executes each once with benchmarking disabled (``--benchmark-disable`` in
pyproject's addopts), so they stay correct; their assertions hold either way. For numbers:

    python3 -m pytest tests/benchmarks -n 0 --benchmark-enable --benchmark-only --benchmark-json=bench.json
    python3 scripts/bench_ratios.py bench.json

docs/performance.md has the figures, with the machine and the date.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from typing import Any

import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture

from ganbench.execute import dataset_splits
from ganbench.leaderboard import runs_table, summary_table
from ganbench.metrics import spectrum
from ganbench.metrics.extractor import NAME as FASHION_CNN
from ganbench.metrics.fidelity import extract, fidelity_from_features
from ganbench.plugins import Catalog
from ganbench.training.trainer import train
from tests.benchmarks.bare import bare_train
from tests.test_trainer import CPU, tiny_spec

STEPS = 10  # generator steps per timed call: one "training step" is the call's time / STEPS
ROUNDS = 5


def images_spec(**changes: Any) -> Any:
    """The quick suite's shape: 28 px Fashion-MNIST, batch 32, latent 100, one critic step."""
    shape: dict[str, Any] = {"generator_steps": STEPS, "batch_size": 32, "latent_dim": 100, "d_steps_per_g_step": 1,
                             "curve_points": 1}
    return tiny_spec(**{**shape, **changes})


@pytest.fixture(scope="module")
def ring() -> torch.Tensor:
    return dataset_splits("ring-8", None, 28, 1).train


def timed(benchmark: BenchmarkFixture, fn: Any, *args: Any) -> Any:
    return benchmark.pedantic(fn, args=args, rounds=ROUNDS, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("architecture", ["dcgan", "dcgan-resize", "resnet", "stylegan-lite"])
def test_step_per_architecture(benchmark: BenchmarkFixture, builtin_catalog: Catalog, real_train: torch.Tensor,
                               architecture: str) -> None:
    result = timed(benchmark, train, images_spec(architecture=architecture), builtin_catalog, real_train, CPU)
    assert result.status == "completed" and result.steps_done == STEPS


def test_step_mlp_on_points(benchmark: BenchmarkFixture, builtin_catalog: Catalog, ring: torch.Tensor) -> None:
    spec = images_spec(architecture="mlp", dataset="ring-8", batch_size=64, latent_dim=2)
    result = timed(benchmark, train, spec, builtin_catalog, ring, CPU)
    assert result.status == "completed" and result.steps_done == STEPS


@pytest.mark.parametrize("loss", ["non-saturating", "minimax", "least-squares", "hinge", "wasserstein",
                                  "relativistic-average", "feature-matching"])
def test_step_per_loss(benchmark: BenchmarkFixture, builtin_catalog: Catalog, real_train: torch.Tensor,
                       loss: str) -> None:
    result = timed(benchmark, train, images_spec(loss=loss), builtin_catalog, real_train, CPU)
    assert result.status == "completed" and result.steps_done == STEPS


# The harness against a bare loop: same networks, loss, optimiser, batch, seed and data order.
# The goal is harness speed >= 0.97x bare. Both are timed in alternating pairs inside one benchmark
# (harness first in one pair, bare first in the next): this VM's speed drifts by up to 20% between
# benchmarks run a minute apart, which no per-benchmark median cancels, while each pair's ratio sees
# the same moment. scripts/bench_ratios.py reports the median pair ratio. Each loop is about 2 s a
# call on a CPU, so that its one-off setup (building networks and optimisers) is as small a part of
# it as in a real run.
HARNESS_CASES: dict[str, dict[str, Any]] = {
    "dcgan-images": {"generator_steps": 4 * STEPS},
    "mlp-points": {"architecture": "mlp", "dataset": "ring-8", "batch_size": 64, "latent_dim": 2,
                   "generator_steps": 40 * STEPS}}
PAIRS = 9


@pytest.mark.parametrize("case", list(HARNESS_CASES))
def test_harness_against_bare_loop(benchmark: BenchmarkFixture, builtin_catalog: Catalog,
                                   real_train: torch.Tensor, ring: torch.Tensor, case: str) -> None:
    spec = images_spec(**HARNESS_CASES[case])
    data = ring if spec.dataset == "ring-8" else real_train
    ratios: list[float] = []
    nets: dict[str, tuple[torch.nn.Module, torch.nn.Module]] = {}

    def harness() -> tuple[torch.nn.Module, torch.nn.Module]:
        result = train(spec, builtin_catalog, data, CPU)
        return result.generator, result.discriminator

    def pair() -> None:
        seconds = {}
        for name in ("harness", "bare")[:: 1 if len(ratios) % 2 == 0 else -1]:
            start = time.perf_counter()
            nets[name] = harness() if name == "harness" else bare_train(spec, builtin_catalog, data)
            seconds[name] = time.perf_counter() - start
        ratios.append(seconds["bare"] / seconds["harness"])  # harness speed relative to bare

    benchmark.pedantic(pair, rounds=PAIRS, iterations=1, warmup_rounds=1)
    benchmark.extra_info["pair_ratios"] = ratios
    benchmark.extra_info["harness_speed_over_bare"] = statistics.median(ratios)
    # Both loops are the same computation: the benchmark compares like with like.
    for a, b in zip(nets["harness"], nets["bare"], strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


@pytest.fixture(scope="module")
def ten_thousand(real_train: torch.Tensor, real_reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """10,000 real images, and the same mirrored as the "generated" side (a different distribution)."""
    real = torch.cat([real_train, real_reference])[:10_000]
    assert real.shape[0] == 10_000
    return torch.flip(real, dims=[-1]), real


def test_evaluation_of_ten_thousand_samples(benchmark: BenchmarkFixture,
                                            ten_thousand: tuple[torch.Tensor, torch.Tensor]) -> None:
    fake, real = ten_thousand
    real_features = extract(real, FASHION_CNN)  # cached on disk in a real run

    def evaluate() -> dict[str, float]:
        return fidelity_from_features(extract(fake, FASHION_CNN), real_features)

    scores = benchmark.pedantic(evaluate, rounds=2, iterations=1)
    assert 0 < scores["fid"] < 50 and 0 < scores["precision"] <= 1 and 0 < scores["coverage"] <= 1


def test_spectral_scores_of_ten_thousand_samples(benchmark: BenchmarkFixture,
                                                 ten_thousand: tuple[torch.Tensor, torch.Tensor]) -> None:
    fake, real = ten_thousand
    scores = benchmark.pedantic(spectrum.spectral_scores, args=(fake, real), rounds=2, iterations=1)
    # A mirror image has the same radial spectrum: both scores are 0 up to float rounding.
    assert abs(scores["blur_score"]) < 1e-4 and abs(scores["noise_score"]) < 1e-4


def synthetic_records(entries: int, seeds: int) -> list[dict[str, Any]]:
    rng = random.Random(0)
    records = []
    for e in range(entries):
        entry = f"arch{e % 20}/loss{e // 20 % 10}/reg{e // 200}"
        arch, loss, reg = entry.split("/")
        for seed in range(seeds):
            fid = 20 + e % 37 + rng.gauss(0, 2)
            records.append({
                "run_id": f"{e}-{seed}", "entry": entry, "status": "completed", "reason": "",
                "spec": {"suite": "s", "dataset": "fashion-mnist", "architecture": arch, "loss": loss,
                         "regularizer": reg, "seed": seed, "generator_steps": 10, "batch_size": 4,
                         "d_steps_per_g_step": 1, "resolution": 28, "channels": 1, "latent_dim": 8,
                         "lr_generator": 1e-3, "lr_discriminator": 1e-3, "beta1": 0.5, "beta2": 0.999,
                         "fid_samples": 100, "device": "cpu"},
                "metrics": {"fid": fid, "kid": fid / 1000, "kid_std": 0.001, "precision": 0.5, "recall": 0.4,
                            "blur_score": -0.1 - e % 5 / 10},
                "context": {"ganbench": "0", "feature_extractor": "fe@1", "dataset_sha256": "abc"},
                "dataset_source": "bundled"})
    return records


def test_tables_from_ten_thousand_records(benchmark: BenchmarkFixture) -> None:
    records = synthetic_records(entries=400, seeds=25)
    assert len(records) == 10_000

    def tables() -> Any:
        runs = runs_table(records)
        return runs, summary_table(runs)

    runs, summary = benchmark.pedantic(tables, rounds=1, iterations=1)
    assert len(runs) == 10_000 and len(summary) == 400
    assert summary["rank"].min() == 1 and all(math.isfinite(v) for v in summary["fid_mean"])
