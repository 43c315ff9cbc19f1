"""The GAN objectives of Goodfellow et al. (2014), written on logits for numerical stability.

With D(x) = sigmoid(l(x)):  log D = -softplus(-l)  and  log(1 - D) = -softplus(l).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganbench.hookspecs import Register, hookimpl
from ganbench.specs import LossSpec


class MinimaxLoss:
    """The original saturating game: D maximises E[log D(x)] + E[log(1 - D(G(z)))],
    G minimises E[log(1 - D(G(z)))]. G's gradient vanishes when D rejects fakes confidently.
    """

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return -F.softplus(fake_logits).mean()


class NonSaturatingLoss(MinimaxLoss):
    """Same discriminator; G maximises E[log D(G(z))] instead, which keeps strong early gradients."""

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return F.softplus(-fake_logits).mean()


_GOODFELLOW = "Goodfellow et al. 2014, Generative Adversarial Nets, NeurIPS"


@hookimpl
def register_losses(register: Register) -> None:
    register(LossSpec("minimax", "Saturating minimax objective E[log D(x)] + E[log(1 - D(G(z)))]",
                      _GOODFELLOW, MinimaxLoss))
    register(LossSpec("non-saturating", "Generator maximises log D(G(z)) (the -log D trick)",
                      _GOODFELLOW, NonSaturatingLoss))
