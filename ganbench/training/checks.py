"""Contract checks on a run's first step: a component that returns the wrong shape or a non-finite
value fails the run with a reason that names it and its hook, instead of surfacing as a shape error
deep inside a network or as a "diverged" entry that looks like an unstable method.

They run once (the first generator step of a fresh run), so they cost one host sync per run.
"""

from __future__ import annotations

import math

from torch import Tensor


class ComponentError(Exception):
    """A component broke its contract; the message names the component, the hook and what was wrong."""


def same_shape(what: str, out: Tensor, like: Tensor) -> None:
    """``out`` must have ``like``'s shape (``what`` = "regularizer X: augment()", say)."""
    if tuple(out.shape) != tuple(like.shape):
        raise ComponentError(f"{what} returned shape {tuple(out.shape)}, expected {tuple(like.shape)}")
    if not out.is_floating_point():
        raise ComponentError(f"{what} returned {out.dtype}, expected a floating-point tensor")


def logits(what: str, out: Tensor, batch: int) -> None:
    """One logit per sample: shape (N,)."""
    if tuple(out.shape) != (batch,):
        raise ComponentError(f"{what} returned shape {tuple(out.shape)}, expected ({batch},): one logit per sample")


def finite_scalar(what: str, out: Tensor | None, optional: bool = False) -> None:
    """A finite scalar (``optional``: None is allowed, as for a penalty)."""
    if out is None:
        if optional:
            return
        raise ComponentError(f"{what} returned None, expected a scalar tensor")
    if not isinstance(out, Tensor) or out.numel() != 1:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise ComponentError(f"{what} returned {shape}, expected a scalar tensor")
    value = float(out.detach())
    if not math.isfinite(value):
        raise ComponentError(f"{what} returned {value} at the first step (a broken component, not a divergence)")
