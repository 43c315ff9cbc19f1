"""Class-conditional networks: the labels of the next batch are bound before each call.

Binding (``set_labels``) instead of a second forward argument keeps every single-input contract
as it is: losses, regularizers (a gradient penalty calls ``D(x)`` on interpolates) and the
trainer call ``G(z)`` and ``D(x)`` on conditional and unconditional networks alike. The trainer
binds the fake labels before G and D see a fake batch and the real labels before D sees a real
one, and again before a discriminator penalty. A penalty that scores (a transform of) the fake
batch scores it under the fake labels with ``scored_as(discriminator, "fake")``: bCR compares
D(T(fake)) with D(fake), so both must see the same classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
        self._batches: dict[str, Tensor | None] = {}  # this step's "real" and "fake" labels, for penalties

    def set_labels(self, labels: Tensor | None) -> None:
        self._labels = labels

    def set_batch_labels(self, real: Tensor | None, fake: Tensor | None) -> None:
        """The labels of this step's real and fake batches, for ``scored_as`` (None: unbound)."""
        self._batches = {"real": real, "fake": fake}

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


def bind_batches(network: nn.Module, real: Tensor | None, fake: Tensor | None) -> None:
    """Tell a conditional network this step's real and fake labels (an unconditional one needs none)."""
    if isinstance(network, Conditional):
        network.set_batch_labels(real, fake)


@contextmanager
def scored_as(network: nn.Module, batch: str) -> Iterator[nn.Module]:
    """Within it, a conditional ``network`` scores under the labels of this step's ``batch``, "real" or
    "fake"; afterwards it is bound as before. An unconditional network is unchanged. For a
    discriminator penalty that scores fakes: ``with scored_as(discriminator, "fake"): discriminator(x)``."""
    if batch not in ("real", "fake"):
        raise ValueError(f"scored_as: batch must be 'real' or 'fake', not {batch!r}")
    if not isinstance(network, Conditional):
        yield network
        return
    if batch not in network._batches:
        raise RuntimeError(f"scored_as: no {batch} labels are bound to {type(network).__name__} this step")
    before = network._labels
    network.set_labels(network._batches[batch])
    try:
        yield network
    finally:
        network.set_labels(before)


def class_loss(discriminator: nn.Module, labels: Tensor) -> Tensor | None:
    """An auxiliary classifier's loss on the batch D just scored (AC-GAN); None for other D."""
    classify = getattr(discriminator, "class_loss", None)
    return classify(labels) if callable(classify) else None
