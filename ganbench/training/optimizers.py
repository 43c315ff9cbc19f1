"""The optimisers a run may name (``RunSpec.optimizer``), one table instead of a chain of ifs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from ganbench.runspec import RunSpec
from ganbench.specs import OPTIMIZERS

Factory = Callable[[Iterable[nn.Parameter], float, RunSpec], torch.optim.Optimizer]


def _adam(params: Iterable[nn.Parameter], lr: float, spec: RunSpec) -> torch.optim.Optimizer:
    # fused: one kernel over all parameters, the same update (to float rounding) at a third of the
    # per-parameter loop's time on a CPU; on a GPU it also saves a launch per parameter and operation.
    return torch.optim.Adam(params, lr=lr, betas=(spec.beta1, spec.beta2), fused=True)


def _rmsprop(params: Iterable[nn.Parameter], lr: float, spec: RunSpec) -> torch.optim.Optimizer:
    # As WGAN's reference code (PyTorch's RMSprop defaults: alpha 0.99, no momentum); betas unused.
    return torch.optim.RMSprop(params, lr=lr)


FACTORIES: dict[str, Factory] = {"adam": _adam, "rmsprop": _rmsprop}
assert tuple(FACTORIES) == OPTIMIZERS  # the names recipes and suites may use


def build_optimizers(spec: RunSpec, generator: nn.Module,
                     discriminator: nn.Module) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(G's, D's) optimiser of the run's kind, each with its own learning rate."""
    try:
        factory = FACTORIES[spec.optimizer]
    except KeyError:
        raise ValueError(f"unknown optimizer {spec.optimizer!r} (known: {', '.join(OPTIMIZERS)})") from None
    return (factory(generator.parameters(), spec.lr_generator, spec),
            factory(discriminator.parameters(), spec.lr_discriminator, spec))
