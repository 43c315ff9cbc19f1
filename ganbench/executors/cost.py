"""Longest runs first: a cost estimate per run, so that a pool of workers ends together.

Runs of one suite differ tenfold in cost (a 5-critic-step recipe on a ResNet against the DCGAN
baseline). Submitted in suite order, the expensive recipes come last and one worker finishes them
alone while the other idles. Ordering by estimated cost, longest first (Graham's LPT rule), keeps the
suite's wall time near the ideal of total work divided by the workers.

The estimate times a few forward/backward passes of each architecture's networks at the run's
shape and batch (a fraction of a second each, once per shape), times the number of network updates
(generator steps x (critic steps + 1)). Losses and regularizers are not timed: they change the cost
far less than the architecture and the critic steps do.
"""

from __future__ import annotations

import time
from functools import cache

import torch

from ganbench.runcontext import catalog, dataset_splits, incompatible
from ganbench.runspec import RunSpec
from ganbench.training.trainer import build_networks

_REPEATS = 1  # after a warm-up pass: the order needs ratios, not precise times


@cache
def update_seconds(architecture: str, dataset: str, data_root: str | None, resolution: int, channels: int,
                   latent_dim: int, batch_size: int) -> float:
    """Seconds of one G-and-D forward/backward pass at this shape and batch, on one CPU thread."""
    splits = dataset_splits(dataset, data_root, resolution, channels)
    data = splits.train
    spec_shape = RunSpec(suite="cost", dataset=dataset, architecture=architecture, loss="none", regularizer="none",
                         seed=0, resolution=resolution, channels=channels, latent_dim=latent_dim,
                         generator_steps=1, batch_size=batch_size, d_steps_per_g_step=1, lr_generator=0.0,
                         lr_discriminator=0.0, beta1=0.0, beta2=0.0, fid_samples=0, curve_points=0, device="cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the workers run
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            generator, discriminator = build_networks(spec_shape, catalog(), data)
            real = splits.kind.model_input(data[:batch_size])
            best = float("inf")
            for _ in range(_REPEATS + 1):  # the first pass pays for one-off allocations
                start = time.perf_counter()
                fake = generator(torch.randn(batch_size, latent_dim))
                (discriminator(fake).mean() + discriminator(real).mean()).backward()
                best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    return best


def estimated_seconds(spec: RunSpec, data_root: str | None) -> float:
    """Rough training cost of ``spec`` (0 for a run that will be skipped)."""
    if incompatible(spec) is not None:
        return 0.0
    try:
        per_update = update_seconds(spec.architecture, spec.dataset, data_root, spec.resolution, spec.channels,
                                    spec.latent_dim, spec.batch_size)
    except Exception:  # a broken architecture fails inside its run, with its reason; order it anywhere
        return 0.0
    return per_update * spec.generator_steps * (spec.d_steps_per_g_step + 1)


def longest_first(specs: list[RunSpec], data_root: str | None) -> list[RunSpec]:
    """``specs`` by estimated cost, most expensive first; ties keep the suite's order."""
    costs = [estimated_seconds(spec, data_root) for spec in specs]
    order = sorted(range(len(specs)), key=lambda i: -costs[i])
    return [specs[i] for i in order]
