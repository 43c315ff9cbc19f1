"""Built-in regularizers: none, and spectral normalisation of the discriminator."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganbench.hookspecs import Register, hookimpl
from ganbench.specs import Regularizer, RegularizerSpec

_WEIGHTED = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


class SpectralNorm(Regularizer):
    """Divides every discriminator weight W by its largest singular value sigma(W), estimated by
    one power iteration per forward pass, so each layer (and D) is 1-Lipschitz.
    """

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        for module in list(discriminator.modules()):
            if isinstance(module, _WEIGHTED):
                spectral_norm(module)
        return generator, discriminator


@hookimpl
def register_regularizers(register: Register) -> None:
    register(RegularizerSpec("none", "No regularization (the baseline)", "-", Regularizer))
    register(RegularizerSpec(
        "spectral-norm", "Spectral normalisation of every discriminator layer",
        "Miyato et al. 2018, Spectral Normalization for GANs, ICLR", SpectralNorm))
