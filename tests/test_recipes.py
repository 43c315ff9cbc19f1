"""Recipes: methods of the literature as entries, with their own optimiser and critic steps."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ganbench import plugins
from ganbench.builtin.suites import SUITES_DIR
from ganbench.plugins import Catalog
from ganbench.runspec import run_id
from ganbench.specs import RecipeSpec, incompatibility
from ganbench.suites import SuiteError, expand, load_suite, load_suite_file
from ganbench.training.optimizers import build_optimizers
from ganbench.training.trainer import build_networks
from tests.conftest import write_plugin
from tests.test_suites import SMOKE_RECIPES

PAPERS = {"dcgan": "Radford", "lsgan": "Mao", "wgan": "Arjovsky", "wgan-gp": "Gulrajani", "sngan": "Miyato",
          "rasgan": "Jolicoeur-Martineau"}


def test_builtin_recipes_state_their_settings(builtin_catalog: Catalog) -> None:
    assert set(PAPERS) <= set(builtin_catalog.names("recipes"))
    for name, author in PAPERS.items():
        recipe = builtin_catalog.spec("recipes", name)
        assert author in recipe.reference
        # The summary states the method's own settings: its optimiser and its critic steps.
        assert {"adam": "Adam", "rmsprop": "RMSProp"}[recipe.optimizer] in recipe.summary, name
        steps = recipe.d_steps_per_g_step
        assert f"{steps} D step" in recipe.summary or f"{steps} critic steps" in recipe.summary, name
    wgan = builtin_catalog.spec("recipes", "wgan")
    assert (wgan.loss, wgan.regularizer, wgan.optimizer, wgan.lr_discriminator, wgan.d_steps_per_g_step) == \
        ("wasserstein", "weight-clipping", "rmsprop", 5e-5, 5)
    gp = builtin_catalog.spec("recipes", "wgan-gp")
    assert (gp.regularizer, gp.lr_generator, gp.beta1, gp.beta2, gp.d_steps_per_g_step) == \
        ("gradient-penalty", 1e-4, 0.0, 0.9, 5)
    sn = builtin_catalog.spec("recipes", "sngan")
    assert (sn.loss, sn.regularizer, sn.lr_generator, sn.beta1, sn.beta2) == ("hinge", "spectral-norm", 2e-4, 0.0, 0.9)


def test_list_recipes_command() -> None:
    from ganbench.cli import main

    result = CliRunner().invoke(main, ["list", "recipes"])
    assert result.exit_code == 0, result.output
    assert "wgan-gp" in result.output and "Gulrajani et al. 2017" in result.output


def test_quick_suite_adds_recipes_and_marks_those_it_already_has(builtin_catalog: Catalog) -> None:
    suite = load_suite("quick", builtin_catalog)
    specs = expand(suite, builtin_catalog, "cpu")
    by_entry = {s.entry: s for s in specs if s.seed == 0}
    # The baseline is DCGAN's recipe, and the least-squares and RaSGAN entries are LSGAN and RaSGAN as
    # published: marked, not run twice.
    assert by_entry["dcgan (dcgan/non-saturating/none)"].recipe == "dcgan"
    assert "lsgan (dcgan/least-squares/none)" in by_entry and "dcgan/least-squares/none" not in by_entry
    wgan = by_entry["wgan (dcgan/wasserstein/weight-clipping)"]
    assert (wgan.optimizer, wgan.lr_generator, wgan.d_steps_per_g_step) == ("rmsprop", 5e-5, 5)
    gp = by_entry["wgan-gp (dcgan/wasserstein/gradient-penalty)"]
    assert (gp.optimizer, gp.beta1, gp.beta2, gp.d_steps_per_g_step) == ("adam", 0.0, 0.9, 5)
    # Equal budgets in generator steps and samples for every entry, recipes included.
    assert {(s.generator_steps, s.batch_size, s.fid_samples) for s in specs} == {(192, 32, 2000)}
    assert len(specs) == len(by_entry) * len(suite.seeds)


def test_optimizer_is_part_of_the_run_id(builtin_catalog: Catalog) -> None:
    spec = expand(load_suite("smoke", builtin_catalog), builtin_catalog, "cpu")[0]
    context = {"ganbench": "x"}
    assert run_id(spec, context) != run_id(replace(spec, optimizer="rmsprop"), context)


def test_optimizers_are_built_by_name(builtin_catalog: Catalog) -> None:
    spec = replace(expand(load_suite("smoke", builtin_catalog), builtin_catalog, "cpu")[0], beta1=0.0, beta2=0.9)
    g, d = build_networks(spec, builtin_catalog, torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    opt_g, opt_d = build_optimizers(spec, g, d)
    assert isinstance(opt_g, torch.optim.Adam) and opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    opt_g, opt_d = build_optimizers(replace(spec, optimizer="rmsprop", lr_discriminator=5e-5), g, d)
    assert isinstance(opt_d, torch.optim.RMSprop) and opt_d.param_groups[0]["lr"] == 5e-5
    assert opt_d.param_groups[0]["momentum"] == 0
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'"):
        build_optimizers(replace(spec, optimizer="sgd"), g, d)


def test_wasserstein_requires_a_lipschitz_constraint(builtin_catalog: Catalog) -> None:
    def reason(regularizer: str) -> str | None:
        return incompatibility(builtin_catalog.spec("architectures", "dcgan"),
                               builtin_catalog.spec("losses", "wasserstein"),
                               builtin_catalog.spec("regularizers", regularizer),
                               providers={"lipschitz": ["gradient-penalty", "spectral-norm", "weight-clipping"]})

    assert reason("none") == ("wasserstein requires a Lipschitz constraint on the discriminator, which neither "
                              "dcgan nor the regularizer provides (regularizers that do: gradient-penalty, "
                              "spectral-norm, weight-clipping)")
    assert reason("ema") is not None
    for constraint in ("gradient-penalty", "spectral-norm", "weight-clipping"):
        assert reason(constraint) is None
        assert "lipschitz" in builtin_catalog.spec("regularizers", constraint).provides


def test_unknown_recipe_names_the_file_and_the_known_ones(builtin_catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text((SUITES_DIR / "smoke.toml").read_text().replace(SMOKE_RECIPES, 'recipes = ["wgn"]'))
    with pytest.raises(SuiteError, match=rf"{path}: unknown recipe 'wgn' \(registered: dcgan, "):
        expand(load_suite_file(path), builtin_catalog, "cpu")


RECIPE_PLUGIN = textwrap.dedent('''
    from ganbench import RecipeSpec, hookimpl

    @hookimpl
    def register_recipes(register):
        register(RecipeSpec("hinge-sn-ttur", "Hinge + SN with TTUR (D lr 4e-4)", "test", loss="hinge",
                            regularizer="spectral-norm", lr_generator=1e-4, lr_discriminator=4e-4))
        register(RecipeSpec("broken", "an unknown optimiser", "test", loss="hinge", regularizer="none",
                            optimizer="sgd"))
''')


def test_plugins_register_recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path, "ganbench-ttur", "ganbench_ttur", RECIPE_PLUGIN)))
    catalog = plugins.load(allow={"ganbench_ttur_ep"})
    recipe = catalog.get("recipes", "hinge-sn-ttur")
    assert recipe.plugin.distribution == "ganbench-ttur" and isinstance(recipe.spec, RecipeSpec)
    assert recipe.spec.overrides() == {"lr_generator": 1e-4, "lr_discriminator": 4e-4}
    # The bad one fails in the plugin's hook, is reported with the plugin's name, and the host carries on.
    assert any("ganbench-ttur" in p and "optimizer 'sgd' is not one of adam, rmsprop" in p for p in catalog.problems)


def test_readme_recipe_table_lists_every_builtin_recipe(builtin_catalog: Catalog) -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text()
    table = text[text.index("| recipe | components |"):]
    table = table[:table.index("\n\n")]
    assert sorted(line.split("`")[1] for line in table.splitlines()[2:]) == builtin_catalog.names("recipes")
