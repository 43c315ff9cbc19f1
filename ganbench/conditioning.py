"""Class-conditional networks: the labels of the next batch are bound before each call.

Binding (``set_labels``) instead of a second forward argument keeps every single-input contract
as it is: losses, regularizers (a gradient penalty calls ``D(x)`` on interpolates) and the
trainer call ``G(z)`` and ``D(x)`` on conditional and unconditional networks alike. The trainer
binds the fake labels before G and D see a fake batch and the real labels before D sees a real
one, and again before a discriminator penalty, so penalties see the real labels.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Conditional(nn.Module):
    """A network conditioned on class labels in [0, n_classes). With no labels bound it uses
    ``evenly(n)``, the classes in turn: what an evaluation pass (batch-norm statistics of an
    average, say) should see. Labels of another batch size are an error, never reused."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes
        self._labels: Tensor | None = None  # not a buffer: labels are per batch, not state

    def set_labels(self, labels: Tensor | None) -> None:
        self._labels = labels

    def labels(self, count: int, device: torch.device) -> Tensor:
        """The bound labels for a batch of ``count``."""
        if self._labels is None:
            return evenly(count, self.n_classes).to(device)
        if self._labels.shape[0] != count:
            raise RuntimeError(f"{type(self).__name__}: {self._labels.shape[0]} labels are bound for a batch of "
                               f"{count}")
        return self._labels


def evenly(count: int, n_classes: int, start: int = 0) -> Tensor:
    """Labels ``start .. start + count - 1`` mod ``n_classes``: every class equally often (to within
    one), and the first n of a longer run are the n-run."""
    return torch.arange(start, start + count) % n_classes


def one_hot(labels: Tensor, n_classes: int, dtype: torch.dtype) -> Tensor:
    return nn.functional.one_hot(labels, n_classes).to(dtype)


def bind(network: nn.Module, labels: Tensor | None) -> None:
    """Bind ``labels`` to a conditional network (an unconditional one has nothing to bind)."""
    if isinstance(network, Conditional):
        network.set_labels(labels)


def class_loss(discriminator: nn.Module, labels: Tensor) -> Tensor | None:
    """An auxiliary classifier's loss on the batch D just scored (AC-GAN); None for other D."""
    classify = getattr(discriminator, "class_loss", None)
    return classify(labels) if callable(classify) else None
