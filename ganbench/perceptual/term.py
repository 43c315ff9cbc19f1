"""The perceptual term: fake and real batches compared in a frozen network's feature space, and the
generator-side regularizer that adds it to the G loss.

Perceptual losses (Johnson et al. 2016) compare feature maps of a pretrained network; style losses
(Gatys et al. 2016) compare their Gram matrices. A GAN's fakes have no paired real image, so here
*batch statistics* are compared. At layer l, with features F of shape (N, C, H, W):

    mu_l = (1 / (N H W)) sum_{n,h,w} F[n, :, h, w]                   per-channel mean, (C,)
    G_l  = (1 / N) sum_n F_n F_n^T / (C H W),  F_n = F[n] as (C, H W)   batch-averaged Gram, (C, C)

    term = sum_l  ||mu_l(fake) - mu_l(real)||^2 / (||mu_l(real)||^2 + eps)
                + ||G_l(fake)  - G_l(real)||_F^2 / (||G_l(real)||_F^2 + eps)

Per-layer normalisation: each squared difference is divided by the squared size of the real statistic,
i.e. the mean squared error relative to the real batch's own mean square. That makes every part
dimensionless and scale-free, so a layer with large activations (or a big Gram) does not outweigh the
others: a fake batch whose features are all zero scores exactly 1 per part, 2 per layer. The term is
exactly 0 when the batches are identical, and grows as the fake batch is blurred.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from ganbench.perceptual import network, vgg16
from ganbench.specs import Regularizer

FeaturesFn = Callable[[Tensor], list[Tensor]]
FeatureNetwork = network.VggEncoder | vgg16.Vgg16Features

# The weight times the term should be a fraction of the G loss, which is O(1) (log 2 ~ 0.69 for the
# non-saturating loss at D's chance level). Untrained generators (dcgan, dcgan-no-bn, mlp, resnet,
# stylegan-lite at 28 px) score 3.3 to 4.6 against 64 Fashion-MNIST images on the shipped network (one
# seed of stylegan-lite 10.5): each of the 6 parts is near 1, as for an all-zero batch (4.6). So 0.1
# starts the term near 0.45, a clear pull towards the real statistics that does not drown D's signal.
# Two independent real batches of 256 score ~0.01 and a 1 px blur ~0.3, so near convergence the term
# is ~0.001 to 0.03 and the adversarial loss does the work.
DEFAULT_WEIGHT = 0.1
DEFAULT_NETWORK = network.NAME


def batch_statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """(N, C, H, W) -> (per-channel mean over batch and space (C,), batch-averaged Gram (C, C)).

    The mean of the per-sample Grams F_n F_n^T / (C H W) equals one product over all N H W positions
    divided by N C H W, which is one matrix multiply."""
    n, c, h, w = features.shape
    flat = features.float().transpose(0, 1).reshape(c, n * h * w)
    return flat.mean(1), flat @ flat.T / (n * c * h * w)


class PerceptualTerm:
    """``term(fake, real)``: the scalar above, differentiable in ``fake``; ``real`` is a constant."""

    def __init__(self, features: FeaturesFn, eps: float = 1e-12) -> None:
        self.features = features
        self.eps = eps  # only guards 0 / 0 where a real layer is entirely zero

    def layer_terms(self, fake: Tensor, real: Tensor) -> list[Tensor]:
        """One term per layer (mean part + Gram part), in the network's layer order."""
        with torch.no_grad():
            real_stats = [batch_statistics(f) for f in self.features(real.detach())]
        terms = []
        for feats, (real_mean, real_gram) in zip(self.features(fake), real_stats, strict=True):
            mean, gram = batch_statistics(feats)
            terms.append((mean - real_mean).square().sum() / (real_mean.square().sum() + self.eps)
                         + (gram - real_gram).square().sum() / (real_gram.square().sum() + self.eps))
        return terms

    def __call__(self, fake: Tensor, real: Tensor) -> Tensor:
        return torch.stack(self.layer_terms(fake, real)).sum()


class NetworkUnavailable(vgg16.WeightsUnavailable):
    """A perceptual network's weights file is missing (a one-line user error)."""


def _shipped_weights() -> Path:
    if not network.WEIGHTS.is_file():
        raise NetworkUnavailable(f"{network.NAME}: {network.WEIGHTS} is missing; rebuild it with "
                                 "`ganbench perceptual train`")
    return network.WEIGHTS


@dataclass(frozen=True)
class PerceptualNetwork:
    """A frozen feature network the term can use: where its weights are (``locate`` raises
    ``WeightsUnavailable`` with a one-line reason), how to load them, and the weights' version."""

    name: str
    summary: str
    layers: tuple[str, ...]
    locate: Callable[[], Path]
    load: Callable[[Path], FeatureNetwork]
    version: Callable[[Path], str]

    def available(self) -> tuple[bool, str]:
        """(True, the weights file) or (False, why not)."""
        try:
            return True, str(self.locate())
        except vgg16.WeightsUnavailable as err:
            return False, str(err)


NETWORKS: dict[str, PerceptualNetwork] = {
    network.NAME: PerceptualNetwork(
        network.NAME, "VGG-style encoder of a denoising autoencoder trained on Fashion-MNIST (shipped, 28 px)",
        network.LAYERS, _shipped_weights, network.load_network, network.weights_version),
    vgg16.NAME: PerceptualNetwork(
        vgg16.NAME, f"torchvision VGG16, ImageNet weights from a local file (${vgg16.ENV_VAR} or the torch hub "
                    "cache; never downloaded)",
        vgg16.LAYERS, vgg16.locate_weights, vgg16.load_network, vgg16.weights_version),
}


def perceptual_network(name: str) -> PerceptualNetwork:
    if name not in NETWORKS:
        raise NetworkUnavailable(f"unknown perceptual network {name!r}; known: {', '.join(sorted(NETWORKS))}")
    return NETWORKS[name]


class PerceptualRegularizer(Regularizer):
    """Adds ``weight * PerceptualTerm(fake, real)`` to the generator loss, in the feature space of the
    frozen network ``network_name`` (see the module docstring for the math and the papers).

    The network's weights file is looked up at construction (a missing one fails before training);
    the network is loaded on the first generator step, on the fake batch's device. Loading draws
    nothing from the global RNG, so the run's random streams are those of the same run without it."""

    def __init__(self, network_name: str = DEFAULT_NETWORK, weight: float = DEFAULT_WEIGHT) -> None:
        self.spec = perceptual_network(network_name)
        self.weights = self.spec.locate()
        self.weight = weight
        self.network: nn.Module | None = None
        self.term: PerceptualTerm | None = None

    def _term_on(self, device: torch.device) -> PerceptualTerm:
        if self.term is None or self.network is None:
            net = self.spec.load(self.weights)
            self.network, self.term = net, PerceptualTerm(net.features)
        if next(self.network.parameters()).device != device:
            self.network.to(device)  # in place: the term's bound ``features`` follows
        return self.term

    def generator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        return self.weight * self._term_on(fake.device)(fake, real)
