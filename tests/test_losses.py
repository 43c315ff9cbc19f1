"""Closed-form checks of each objective on known logits: value and gradient sign."""

from __future__ import annotations

import math

import pytest
import torch

from ganbench.plugins import Catalog

LOG2 = math.log(2.0)
L = torch.tensor


def value_and_grads(loss_fn, real: list[float], fake: list[float]) -> tuple[float, torch.Tensor, torch.Tensor]:  # type: ignore[no-untyped-def]
    r = L(real, requires_grad=True)
    f = L(fake, requires_grad=True)
    value = loss_fn(r, f)
    value.backward()
    return float(value.detach()), r.grad, f.grad  # type: ignore[return-value]


# name -> (D loss at logits real=0, fake=0; G loss at fake=0, real=0)
AT_ZERO = {
    "minimax": (2 * LOG2, -LOG2),
    "non-saturating": (2 * LOG2, LOG2),
    "least-squares": (0.5, 0.5),
    "wasserstein": (0.0, 0.0),
    "hinge": (2.0, 0.0),
    "relativistic-average": (2 * LOG2, 2 * LOG2),
    "feature-matching": (2 * LOG2, LOG2),
}


@pytest.mark.parametrize("name", sorted(AT_ZERO))
def test_values_at_zero_logits(builtin_catalog: Catalog, name: str) -> None:
    loss = builtin_catalog.spec("losses", name).factory()
    zeros = torch.zeros(8)
    d_expected, g_expected = AT_ZERO[name]
    assert float(loss.discriminator_loss(zeros, zeros)) == pytest.approx(d_expected, abs=1e-6)
    assert float(loss.generator_loss(zeros, zeros)) == pytest.approx(g_expected, abs=1e-6)


@pytest.mark.parametrize("name", sorted(AT_ZERO))
def test_gradient_signs(builtin_catalog: Catalog, name: str) -> None:
    """Descending D's loss raises real logits and lowers fake ones; descending G's raises fake ones.

    Logits lie in (0, 1), where even the least-squares targets (1 for real, 0 for fake) agree."""
    loss = builtin_catalog.spec("losses", name).factory()
    _, real_grad, fake_grad = value_and_grads(loss.discriminator_loss, [0.3, 0.6], [0.1, 0.4])
    assert (real_grad < 0).all() and (fake_grad > 0).all()
    f = L([0.1, 0.4], requires_grad=True)
    loss.generator_loss(f, L([0.3, 0.6])).backward()
    assert (f.grad < 0).all()


def test_known_values_away_from_zero(builtin_catalog: Catalog) -> None:
    spec = builtin_catalog.spec
    real, fake = L([2.0, 0.5]), L([-1.0, 1.5])
    # Hinge: relu(1-2)=0, relu(1-0.5)=0.5 -> 0.25; relu(1-1)=0, relu(1+1.5)=2.5 -> 1.25.
    assert float(spec("losses", "hinge").factory().discriminator_loss(real, fake)) == pytest.approx(1.5)
    # Wasserstein: E[fake] - E[real] = 0.25 - 1.25.
    assert float(spec("losses", "wasserstein").factory().discriminator_loss(real, fake)) == pytest.approx(-1.0)
    # LSGAN: 0.5 * (mean((r-1)^2) + mean(f^2)) = 0.5 * (0.625 + 1.625).
    assert float(spec("losses", "least-squares").factory().discriminator_loss(real, fake)) == pytest.approx(1.125)
    # Non-saturating G: mean softplus(-f).
    expected = (math.log1p(math.exp(1.0)) + math.log1p(math.exp(-1.5))) / 2
    assert float(spec("losses", "non-saturating").factory().generator_loss(fake, real)) == pytest.approx(expected)
    # Relativistic average D: r = real - mean(fake) = [1.75, 0.25], f = fake - mean(real) = [-2.25, 0.25].
    sp = lambda x: math.log1p(math.exp(x))  # noqa: E731
    expected = (sp(-1.75) + sp(-0.25)) / 2 + (sp(-2.25) + sp(0.25)) / 2
    got = float(spec("losses", "relativistic-average").factory().discriminator_loss(real, fake))
    assert got == pytest.approx(expected)


def test_feature_matching_matches_feature_means(builtin_catalog: Catalog) -> None:
    loss = builtin_catalog.spec("losses", "feature-matching").factory()
    assert loss.uses_features
    real = L([[1.0, 2.0], [3.0, 4.0]])
    fake = L([[0.0, 0.0], [2.0, 2.0]], requires_grad=True)
    value = loss.feature_loss(fake, real)
    assert float(value.detach()) == pytest.approx((2 - 1) ** 2 + (3 - 1) ** 2)
    value.backward()
    assert (fake.grad < 0).all()  # raising the fake features moves their mean towards the real one


def test_only_relativistic_losses_ask_for_fresh_real_logits(builtin_catalog: Catalog) -> None:
    """The trainer draws an extra real batch for G only for these, so no other loss's stream moves."""
    asking = {name for name in builtin_catalog.names("losses")
              if getattr(builtin_catalog.spec("losses", name).factory(), "needs_real_logits", False)}
    assert asking == {"relativistic-average"}
