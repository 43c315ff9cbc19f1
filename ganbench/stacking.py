"""Stacked regularizers: one entry that combines several, ``r1+ema+diffaugment``, as modern recipes do.

A stack is named by its members joined with ``+`` (registered names are kebab-case, so ``+`` never
occurs in one). Members act in the order written: ``wrap`` and ``augment`` compose left to right,
penalties and generator-side terms add up, and every member sees every call. The combined spec
unions what the members provide, the traits they give and the networks they train against, and keeps
only the data kinds all of them support; the host checks each member's declared incompatibilities
against the others' traits as it does an architecture's.

What a stack cannot mean is an error, not a skip: a member named twice, ``none`` inside a stack, or
two members that each choose the generator that is scored (two weight averages: which one counts?).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ganbench.specs import DATA_KINDS, Regularizer, RegularizerSpec

SEPARATOR = "+"


class StackError(ValueError):
    """A regularizer stack that cannot mean anything; the message names the stack."""


def is_stack(name: str) -> bool:
    return SEPARATOR in name


def members(name: str) -> list[str]:
    return name.split(SEPARATOR)


def overrides(regularizer: Regularizer, method: str) -> bool:
    """Whether ``regularizer`` (or, for a stack, any member) implements ``method`` itself."""
    if isinstance(regularizer, Stack):
        return any(overrides(member, method) for member in regularizer.members)
    return overrides_in(type(regularizer), method)


def check(name: str, specs: Sequence[RegularizerSpec]) -> None:
    """Raise StackError when the stack ``name`` of these member specs cannot be run as one entry."""
    names = [spec.name for spec in specs]
    if "" in members(name):
        raise StackError(f"regularizer stack {name!r} has an empty member (write a+b, no stray '+')")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StackError(f"regularizer stack {name!r} names {twice[0]} twice")
    if "none" in names:
        raise StackError(f"regularizer stack {name!r} includes none: leave it out")
    choosers = [spec.name for spec in specs if _chooses_scored_generator(spec)]
    if len(choosers) > 1:
        raise StackError(f"regularizer stack {name!r}: {' and '.join(choosers)} each choose the generator "
                         f"that is scored; stack at most one of them")


def _chooses_scored_generator(spec: RegularizerSpec) -> bool:
    factory = spec.factory
    if isinstance(factory, type):
        return overrides_in(factory, "eval_generator")
    try:  # a factory function: ask one instance (construction is cheap; a broken one fails its runs later)
        return overrides(factory(), "eval_generator")
    except Exception:
        return False


def overrides_in(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Regularizer, method)


def combine(name: str, specs: Sequence[RegularizerSpec]) -> RegularizerSpec:
    """One RegularizerSpec standing for the stack (after ``check``)."""
    incompatible: dict[str, str] = {}
    for spec in specs:  # a trait any member cannot work with rules the stack out
        for trait, reason in spec.incompatible.items():
            incompatible.setdefault(trait, f"{spec.name}: {reason}")
    kinds = frozenset(DATA_KINDS).intersection(*(spec.data_kinds for spec in specs))
    traits = frozenset().union(*(spec.traits for spec in specs))
    # A member's guarantee holds only if no member gives a trait that voids it (spectral norm under
    # batch norm); the stack keeps each member's voiding traits for the architecture's to hit too.
    voided_by: dict[str, str] = {}
    provides: set[str] = set()
    for spec in specs:
        if not traits & set(spec.voided_by):
            provides |= spec.provides
        voided_by.update({trait: f"{spec.name}: {why}" for trait, why in spec.voided_by.items()})
    return RegularizerSpec(
        name=name,
        summary="; ".join(f"{spec.name}: {spec.summary}" for spec in specs),
        reference="; ".join(spec.reference for spec in specs if spec.reference not in ("", "-")) or "-",
        factory=lambda: Stack([(spec.name, spec.factory()) for spec in specs]),
        incompatible=incompatible,
        data_kinds=kinds,
        provides=frozenset(provides),
        traits=traits,
        voided_by=voided_by,
        networks=frozenset().union(*(spec.networks for spec in specs)),
    )


def _add(total: Tensor | None, term: Tensor | None) -> Tensor | None:
    if term is None:
        return total
    return term if total is None else total + term


class Stack(Regularizer):
    """Several regularizers acting as one, in order."""

    def __init__(self, named: Sequence[tuple[str, Regularizer]]) -> None:
        self.names = [name for name, _ in named]
        self.members = [member for _, member in named]

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        for member in self.members:
            generator, discriminator = member.wrap(generator, discriminator)
        return generator, discriminator

    def set_progress(self, step: int, total: int) -> None:
        for member in self.members:
            member.set_progress(step, total)

    def augment(self, images: Tensor) -> Tensor:
        for member in self.members:
            images = member.augment(images)
        return images

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor | None:
        total: Tensor | None = None
        for member in self.members:
            total = _add(total, member.discriminator_penalty(discriminator, real, fake, real_logits, fake_logits))
        return total

    def generator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor | None:
        total: Tensor | None = None
        for member in self.members:
            total = _add(total, member.generator_penalty(discriminator, real, fake))
        return total

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        for member in self.members:
            member.after_discriminator_step(discriminator)

    def after_generator_step(self, generator: nn.Module) -> None:
        for member in self.members:
            member.after_generator_step(generator)

    def prepare_eval(self, generator: nn.Module, latent_dim: int, batch_size: int, device: torch.device) -> None:
        for member in self.members:
            member.prepare_eval(generator, latent_dim, batch_size, device)

    def eval_generator(self, generator: nn.Module) -> nn.Module:
        for member in self.members:  # at most one member changes it (``check``)
            generator = member.eval_generator(generator)
        return generator

    def state_dict(self) -> dict[str, Any]:
        return {name: member.state_dict() for name, member in zip(self.names, self.members, strict=True)}

    def load_state_dict(self, state: dict[str, Any], generator: nn.Module) -> None:
        for name, member in zip(self.names, self.members, strict=True):
            member.load_state_dict(state[name], generator)
