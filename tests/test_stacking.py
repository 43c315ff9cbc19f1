"""Stacked regularizers: ``r1+ema+diffaugment`` as one entry."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch
from torch import nn

import ganbench
from ganbench import Regularizer, RegularizerSpec, execute
from ganbench.plugins import Catalog, PluginInfo, Registered, UnknownComponent
from ganbench.specs import incompatibility
from ganbench.stacking import Stack, overrides
from ganbench.suites import SuiteError, expand, load_suite_file
from ganbench.training.trainer import train
from tests.test_trainer import CPU, tiny_spec, weights

SUITES_DIR = Path(__file__).resolve().parents[1] / "ganbench" / "suites"


class AddOne(Regularizer):
    def __init__(self) -> None:
        self.calls = 0

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        return images + 1

    def discriminator_penalty(self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                              real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return torch.tensor(2.0)

    def after_generator_step(self, generator: nn.Module) -> None:
        self.calls += 1

    def state_dict(self) -> dict[str, int]:
        return {"calls": self.calls}

    def load_state_dict(self, state: dict[str, int], generator: nn.Module) -> None:
        self.calls = state["calls"]


class Double(Regularizer):
    def augment(self, images: torch.Tensor) -> torch.Tensor:
        return images * 2

    def generator_penalty(self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return torch.tensor(3.0)


def test_members_act_in_order_and_their_terms_add_up() -> None:
    stack = Stack([("add-one", AddOne()), ("double", Double())])
    x = torch.zeros(2, 1, 4, 4)
    assert torch.equal(stack.augment(x), torch.full_like(x, 2.0))  # (0 + 1) * 2, not 0 * 2 + 1
    assert torch.equal(Stack([("double", Double()), ("add-one", AddOne())]).augment(x), torch.ones_like(x))
    d = nn.Identity()
    assert float(stack.discriminator_penalty(d, x, x, x, x)) == 2.0  # type: ignore[arg-type]
    assert float(stack.generator_penalty(d, x, x)) == 3.0  # type: ignore[arg-type]
    assert Stack([("add-one", AddOne())]).generator_penalty(d, x, x) is None
    assert overrides(stack, "generator_penalty") and not overrides(Stack([("a", AddOne())]), "generator_penalty")
    stack.after_generator_step(d)
    restored = Stack([("add-one", AddOne()), ("double", Double())])
    restored.load_state_dict(stack.state_dict(), d)
    assert stack.state_dict() == {"add-one": {"calls": 1}, "double": {}} == restored.state_dict()


def test_the_catalog_resolves_a_stack_into_one_spec(builtin_catalog: Catalog) -> None:
    stack = builtin_catalog.get("regularizers", "r1+spectral-norm+diffaugment")
    spec = stack.spec
    assert isinstance(spec, RegularizerSpec) and spec.name == "r1+spectral-norm+diffaugment"
    assert spec.provides == {"lipschitz"} and spec.data_kinds == {"images"}  # diffaugment is images-only
    assert spec.summary.startswith("r1: R1") and "Miyato" in spec.reference and "Zhao" in spec.reference
    assert stack.plugin.distribution == "ganbench"
    assert [p.spec.name for p in builtin_catalog.parts("regularizers", spec.name)] == ["r1", "spectral-norm",
                                                                                        "diffaugment"]
    assert isinstance(spec.factory(), Stack)


@pytest.mark.parametrize(("name", "message"), [
    ("ema+ema", "regularizer stack 'ema+ema' names ema twice"),
    ("none+r1", "regularizer stack 'none+r1' includes none: leave it out"),
    ("r1+", "regularizer stack 'r1+' has an empty member"),
    ("r1+emaa", "unknown regularizer 'emaa' (known: average, batch-norm,"),
    ("ema+average", "regularizer stack 'ema+average': ema and average each choose the generator that is scored"),
])
def test_a_stack_that_cannot_mean_anything_is_refused(builtin_catalog: Catalog, name: str, message: str) -> None:
    catalog = dataclasses.replace(builtin_catalog, components={k: dict(v) for k, v in
                                                               builtin_catalog.components.items()})

    class Average(Regularizer):
        def eval_generator(self, generator: nn.Module) -> nn.Module:
            return generator

    catalog.components["regularizers"]["average"] = Registered(
        RegularizerSpec("average", "another weight average", "-", Average), PluginInfo("x", "ganbench-x", "1"))
    with pytest.raises(UnknownComponent) as caught:
        catalog.get("regularizers", name)
    assert str(caught.value).startswith(message)


def test_members_declared_incompatibilities_are_checked_against_each_other() -> None:
    """batch-norm gives D the batchnorm-discriminator trait, which r1 declares incompatible; wasserstein
    requires a Lipschitz D, which a stack provides when any member does."""
    skip = execute.incompatible(tiny_spec(regularizer="batch-norm+r1"))
    assert skip is not None and skip.startswith("r1 is incompatible with batch-norm (batchnorm-discriminator)")
    assert execute.incompatible(tiny_spec(loss="wasserstein", regularizer="ema")) is not None
    assert execute.incompatible(tiny_spec(loss="wasserstein", regularizer="ema+spectral-norm")) is None
    points = execute.incompatible(tiny_spec(dataset="ring-8", architecture="mlp", regularizer="r1+diffaugment"))
    assert points == "diffaugment does not support points data"


@pytest.mark.parametrize("bound", ["spectral-norm", "weight-clipping"])
def test_batch_norm_in_d_voids_a_weight_bound_so_the_critic_is_not_lipschitz(builtin_catalog: Catalog,
                                                                           bound: str) -> None:
    """Spectral norm and clipping bound D's weights; batch norm between them divides by the batch's std,
    which no weight bound limits. So their stack with batch-norm provides no Lipschitz D, and the
    Wasserstein critic, which needs one, is skipped with the reason; each alone still provides it."""
    assert execute.incompatible(tiny_spec(loss="wasserstein", regularizer=bound)) is None
    for stack in (f"{bound}+batch-norm", f"batch-norm+{bound}"):
        assert builtin_catalog.spec("regularizers", stack).provides == frozenset()
        skip = execute.incompatible(tiny_spec(loss="wasserstein", regularizer=stack))
        assert skip is not None and "a Lipschitz constraint on the discriminator" in skip, skip
        assert skip.endswith(f"{bound}'s is voided by batch-norm (batchnorm-discriminator): batch norm divides by "
                             "each batch's std, which no bound on the weights limits"), skip
        # The stack as one spec (what a plugin or ganbench list sees) says the same of itself.
        alone = incompatibility(builtin_catalog.spec("architectures", "dcgan"),
                                builtin_catalog.spec("losses", "wasserstein"),
                                builtin_catalog.spec("regularizers", stack))
        assert alone is not None and alone.endswith(f"{stack} gives its own D batchnorm-discriminator: {bound}: "
                                                    "batch norm divides by each batch's std, which no bound on "
                                                    "the weights limits"), alone
    assert execute.incompatible(tiny_spec(regularizer=f"{bound}+batch-norm")) is None  # it still runs
    # An architecture whose own D has batch norm voids the bound too.
    arch = dataclasses.replace(builtin_catalog.spec("architectures", "dcgan"),
                               traits=frozenset({"batchnorm-discriminator"}))
    reg = builtin_catalog.spec("regularizers", bound)
    why = incompatibility(arch, builtin_catalog.spec("losses", "wasserstein"), reg)
    assert why is not None and why.endswith(f"{bound}'s is voided by dcgan (batchnorm-discriminator): batch norm "
                                            "divides by each batch's std, which no bound on the weights limits")


def test_a_stack_trains_as_its_members_do(builtin_catalog: Catalog, real_train: torch.Tensor,
                                          tmp_path: Path) -> None:
    """EMA only chooses the scored generator, so r1+ema trains exactly as r1 alone, and scores the
    average; a stack checkpoints each member's state and resumes to the same weights."""
    spec = tiny_spec(regularizer="r1", generator_steps=12)
    alone = train(spec, builtin_catalog, real_train, CPU)
    stacked_spec = dataclasses.replace(spec, regularizer="r1+ema")
    stacked = train(stacked_spec, builtin_catalog, real_train, CPU)
    assert stacked.curve_d_loss == alone.curve_d_loss and stacked.curve_g_loss == alone.curve_g_loss
    live, scored = weights(stacked.generator), weights(stacked.evaluated)
    assert all(torch.equal(live[k], v) for k, v in weights(alone.generator).items())
    assert not all(torch.equal(live[k], scored[k]) for k in live)  # the EMA copy is what is scored
    ckpt = tmp_path / "stack.ckpt"
    train(stacked_spec, builtin_catalog, real_train, CPU, checkpoint=ckpt, checkpoint_every=8)
    resumed = train(stacked_spec, builtin_catalog, real_train, CPU, checkpoint=ckpt, checkpoint_every=8)
    assert resumed.resumed_from == 9
    assert all(torch.equal(scored[k], v) for k, v in weights(resumed.evaluated).items())


def test_a_suite_lists_stacks_as_entries(builtin_catalog: Catalog, tmp_path: Path) -> None:
    text = (SUITES_DIR / "smoke.toml").read_text().replace('recipes = ["dcgan", "wgan"]',
                                                           'recipes = []\nvary = []\nstacks = ["r1+ema"]')
    path = tmp_path / "s.toml"
    path.write_text(text)
    specs = expand(load_suite_file(path), builtin_catalog, "cpu")
    assert sorted({s.entry for s in specs}) == ["dcgan/non-saturating/none", "dcgan/non-saturating/r1+ema"]
    for bad, message in (('stacks = ["r1"]', "stacks must be a list of distinct regularizer stacks"),
                         ('stacks = ["r1+r1"]', "stacks: regularizer stack 'r1+r1' names r1 twice")):
        path.write_text(text.replace('stacks = ["r1+ema"]', bad))
        with pytest.raises(SuiteError, match=re.escape(message)):
            expand(load_suite_file(path), builtin_catalog, "cpu")


def test_single_regularizers_keep_their_run_ids() -> None:
    """A one-member regularizer is not a stack: its provenance string, hence its run id, is as before."""
    context = execute.context(tiny_spec(regularizer="r1"), None)
    assert context["regularizer_plugin"] == f"ganbench=={ganbench.__version__}"
    stacked = execute.context(tiny_spec(regularizer="r1+ema"), None)
    assert stacked["regularizer_plugin"] == "+".join([context["regularizer_plugin"]] * 2)
