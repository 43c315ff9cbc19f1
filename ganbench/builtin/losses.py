"""Built-in GAN objectives, written on logits for numerical stability.

With D(x) = sigmoid(l(x)):  log D = -softplus(-l)  and  log(1 - D) = -softplus(l).
Each class states its math; ``generator_loss`` receives real logits (detached) for relativistic
objectives, which set ``needs_real_logits`` to get them from the updated D on a fresh real batch;
feature-based objectives set ``uses_features``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganbench.hookspecs import RegisterLoss, hookimpl
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


class LeastSquaresLoss:
    """LSGAN with the 0-1 coding (a=0, b=c=1): D minimises 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2],
    G minimises 1/2 E[(D(G(z)) - 1)^2], on raw discriminator outputs."""

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return 0.5 * ((real_logits - 1).square().mean() + fake_logits.square().mean())

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return 0.5 * (fake_logits - 1).square().mean()


class WassersteinLoss:
    """WGAN critic: D minimises E[D(G(z))] - E[D(x)], G minimises -E[D(G(z))]. The critic's value
    estimates the Wasserstein-1 distance (up to a factor K) only if D is K-Lipschitz. The paper
    enforces this by clipping every critic weight to [-0.01, 0.01] after each update
    (``weight-clipping``); the gradient penalty (Gulrajani et al. 2017) and spectral normalisation
    (Miyato et al. 2018) came later as alternatives. Without any, D's outputs can grow unboundedly."""

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return fake_logits.mean() - real_logits.mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return -fake_logits.mean()


class HingeLoss:
    """Geometric GAN: D minimises E[relu(1 - D(x))] + E[relu(1 + D(G(z)))], G minimises -E[D(G(z))]."""

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return -fake_logits.mean()


class RelativisticAverageLoss:
    """RaGAN (standard form): with r = C(x) - E[C(G(z))] and f = C(G(z)) - E[C(x)],
    D minimises -E[log sigmoid(r)] - E[log(1 - sigmoid(f))], and G the same with roles swapped:
    -E[log sigmoid(f)] - E[log(1 - sigmoid(r))]. G's loss depends on C(x): ``needs_real_logits``
    asks the trainer for the updated D's logits on a fresh real batch, as the authors' code does."""

    needs_real_logits = True

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        r = real_logits - fake_logits.mean()
        f = fake_logits - real_logits.mean()
        return F.softplus(-r).mean() + F.softplus(f).mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        r = real_logits - fake_logits.mean()
        f = fake_logits - real_logits.mean()
        return F.softplus(-f).mean() + F.softplus(r).mean()


class FeatureMatchingLoss(NonSaturatingLoss):
    """D plays the usual game; G instead matches the mean of D's penultimate features on real
    data: G minimises || E[f(x)] - E[f(G(z))] ||_2^2. The trainer calls ``feature_loss``."""

    uses_features = True

    def feature_loss(self, fake_features: Tensor, real_features: Tensor) -> Tensor:
        return (real_features.mean(0) - fake_features.mean(0)).square().sum()


_GOODFELLOW = "Goodfellow et al. 2014, Generative Adversarial Nets, NeurIPS"


@hookimpl
def register_losses(register: RegisterLoss) -> None:
    register(LossSpec("minimax", "Saturating minimax objective E[log D(x)] + E[log(1 - D(G(z)))]",
                      _GOODFELLOW, MinimaxLoss))
    register(LossSpec("non-saturating", "Generator maximises log D(G(z)) (the -log D trick)",
                      _GOODFELLOW, NonSaturatingLoss))
    register(LossSpec("least-squares", "Least-squares (LSGAN) objective with 0-1 targets",
                      "Mao et al. 2017, Least Squares Generative Adversarial Networks, ICCV",
                      LeastSquaresLoss))
    register(LossSpec("wasserstein", "Wasserstein critic objective (needs a Lipschitz constraint: weight clipping "
                      "in the paper, or gradient penalty / spectral norm)",
                      "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN, ICML", WassersteinLoss,
                      requires=frozenset({"lipschitz"})))
    register(LossSpec("hinge", "Hinge loss for D, -D(G(z)) for G",
                      "Lim & Ye 2017, Geometric GAN, arXiv:1705.02894", HingeLoss))
    register(LossSpec("relativistic-average", "Relativistic average standard GAN (RaSGAN)",
                      "Jolicoeur-Martineau 2019, The relativistic discriminator, ICLR",
                      RelativisticAverageLoss))
    register(LossSpec("feature-matching", "G matches the mean of D's penultimate features on real data",
                      "Salimans et al. 2016, Improved Techniques for Training GANs, NeurIPS",
                      FeatureMatchingLoss))
