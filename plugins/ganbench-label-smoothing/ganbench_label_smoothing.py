"""One-sided label smoothing: the discriminator's target for real images is 0.9 instead of 1.

Salimans et al. 2016, Improved Techniques for Training GANs, NeurIPS, section 3.4. Only the real
side is smoothed: smoothing fakes would pull D towards the generator's current samples.

    L_D = -E[0.9 log D(x) + 0.1 log(1 - D(x))] - E[log(1 - D(G(z)))]
    L_G = -E[log D(G(z))]   (non-saturating)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganbench import LossSpec, hookimpl

REAL_TARGET = 0.9


class LabelSmoothingLoss:
    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, REAL_TARGET))
        return real + F.softplus(fake_logits).mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return F.softplus(-fake_logits).mean()


@hookimpl
def register_losses(register):  # type: ignore[no-untyped-def]
    register(LossSpec(
        name="label-smoothing",
        summary="Non-saturating loss with one-sided label smoothing (real target 0.9)",
        reference="Salimans et al. 2016, Improved Techniques for Training GANs, NeurIPS",
        factory=LabelSmoothingLoss,
    ))
