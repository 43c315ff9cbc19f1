from __future__ import annotations

import re
from pathlib import Path

import pytest

from ganbench.builtin.suites import SUITES_DIR
from ganbench.plugins import Catalog, UnknownComponent
from ganbench.suites import SuiteError, expand, load_suite, load_suite_file, select

SMOKE_RECIPES = 'recipes = ["dcgan", "wgan"]'


def test_builtin_suites_load(builtin_catalog: Catalog) -> None:
    assert {"quick", "smoke", "standard"} <= set(builtin_catalog.names("suites"))
    quick = load_suite("quick", builtin_catalog)
    assert quick.seeds == (0, 1, 2)
    assert quick.baseline == {"architecture": "dcgan", "loss": "non-saturating", "regularizer": "none"}
    assert quick.budget["generator_steps"] * quick.budget["batch_size"] >= 5_000


def test_one_factor_at_a_time_expansion(builtin_catalog: Catalog) -> None:
    suite = load_suite("quick", builtin_catalog)
    specs = expand(suite, builtin_catalog, "cpu")
    a, losses, r = (len(builtin_catalog.names(k)) for k in ("architectures", "losses", "regularizers"))
    entries = 1 + (a - 1) + (losses - 1) + (r - 1)
    added = [s for s in specs if s.recipe in ("wgan", "wgan-gp", "sngan")]  # recipes the expansion lacked
    assert len(specs) - len(added) == entries * len(suite.seeds) == 75 and len(added) == 9
    assert specs[0].entry == "dcgan (dcgan/non-saturating/none)"  # the baseline first: DCGAN's recipe
    entries_seen = {(s.architecture, s.loss, s.regularizer) for s in specs if s not in added}
    assert {("dcgan", "minimax", "none"), ("dcgan", "non-saturating", "none"), ("mlp", "non-saturating", "none"),
            ("dcgan", "non-saturating", "spectral-norm"), ("stylegan-lite", "non-saturating", "none"),
            ("dcgan", "hinge", "none"), ("dcgan", "non-saturating", "r1")} <= entries_seen
    baseline = ("dcgan", "non-saturating", "none")
    assert all(sum(a != b for a, b in zip(e, baseline, strict=True)) <= 1 for e in entries_seen)
    # Same budget and seeds for every entry.
    assert {(s.generator_steps, s.batch_size, s.fid_samples) for s in specs} == {(192, 32, 2000)}
    assert sorted(s.seed for s in specs if s.entry == "mlp/non-saturating/none") == [0, 1, 2]


@pytest.mark.parametrize("edit, message", [
    (("seeds = [0, 1]", "seeds = []"), "seeds must be a non-empty list"),
    (("generator_steps = 10", "generator_steps = -1"), "budget.generator_steps must be positive"),
    (("batch_size = 16", 'batch_size = "big"'), "budget.batch_size must be int"),
    (("[evaluation]", "[evaluatio]"), r"missing \[evaluation\] table"),
    (("name = ", "name = = "), "invalid TOML"),
    ((SMOKE_RECIPES, 'recipes = ["wgan", "wgan"]'), "recipes must be a list of distinct"),
    ((SMOKE_RECIPES, 'recipes = "wgan"'), "recipes must be a list of distinct"),
    (("[optimizer]", '[optimizer]\nname = "sgd"'), "optimizer.name must be one of adam, rmsprop, got 'sgd'"),
])
def test_bad_suite_files_name_the_file(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text((SUITES_DIR / "smoke.toml").read_text().replace(*edit))
    with pytest.raises(SuiteError, match=message) as info:
        load_suite_file(path)
    assert str(path) in str(info.value)


def test_unknown_suite_and_baseline(builtin_catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="unknown suite 'nope'"):
        load_suite("nope", builtin_catalog)
    path = tmp_path / "s.toml"
    path.write_text((SUITES_DIR / "smoke.toml").read_text().replace('"dcgan"', '"stylegan9"'))
    with pytest.raises(UnknownComponent, match="unknown architecture 'stylegan9'"):
        expand(load_suite_file(path), builtin_catalog, "cpu")


def test_full_matrix_and_filters(builtin_catalog: Catalog) -> None:
    suite = load_suite("smoke", builtin_catalog)
    full = expand(suite, builtin_catalog, "cpu", matrix="full")
    # Every combination (the dcgan recipe marks one of them), plus smoke's wgan recipe.
    assert len(full) == (6 * 7 * 14 + 1) * len(suite.seeds)
    assert len({s.entry for s in full}) == 589 and "dcgan (dcgan/non-saturating/none)" in {s.entry for s in full}
    part = select(full, builtin_catalog, architectures=("mlp", "resnet"), losses=("hinge",))
    assert len(part) == 2 * 1 * 14 * len(suite.seeds)
    assert {s.architecture for s in part} == {"mlp", "resnet"} and {s.loss for s in part} == {"hinge"}
    ofat = select(expand(suite, builtin_catalog, "cpu"), builtin_catalog, regularizers=("r1", "none"))
    assert sorted({s.entry for s in ofat}) == sorted(["dcgan-resize/non-saturating/none", "dcgan/feature-matching/none",
                                               "dcgan-no-bn/non-saturating/none",
                                               "dcgan/hinge/none", "dcgan/least-squares/none", "dcgan/minimax/none",
                                               "dcgan (dcgan/non-saturating/none)", "dcgan/non-saturating/r1",
                                               "dcgan/relativistic-average/none", "dcgan/wasserstein/none",
                                               "mlp/non-saturating/none", "resnet/non-saturating/none",
                                               "stylegan-lite/non-saturating/none"])
    with pytest.raises(UnknownComponent, match="unknown regularizer 'r2'"):
        select(full, builtin_catalog, regularizers=("r2",))
    with pytest.raises(SuiteError, match="unknown matrix 'half'"):
        expand(suite, builtin_catalog, "cpu", matrix="half")


def test_a_misspelled_suite_key_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text((SUITES_DIR / "conditional.toml").read_text().replace("conditionings =", "conditioning ="))
    with pytest.raises(SuiteError, match=rf"^{re.escape(str(path))}: unknown key conditioning \(known: "):
        load_suite_file(path)


def test_the_blur_suite_lists_its_entries_and_leaves_absent_plugins_out(builtin_catalog: Catalog) -> None:
    suite = load_suite("blur", builtin_catalog)
    assert suite.seeds == (0, 1, 2, 3, 4) and suite.absent(builtin_catalog) == ["dcgan-antialias", "focal-frequency"]
    specs = expand(suite, builtin_catalog, "cpu")
    entries = {s.entry for s in specs}
    assert entries == {
        "dcgan (dcgan/non-saturating/none)", "resnet/non-saturating/none", "stylegan-lite/non-saturating/none",
        "dcgan-no-bn/non-saturating/none", "dcgan/non-saturating/dropout", "dcgan/non-saturating/batch-norm",
        "dcgan/non-saturating/feature-statistics", "lsgan (dcgan/least-squares/none)",
        "wgan (dcgan/wasserstein/weight-clipping)", "wgan-gp (dcgan/wasserstein/gradient-penalty)",
        "sngan (dcgan/hinge/spectral-norm)", "dcgan/non-saturating/none/projection"}
    assert len(specs) == 5 * len(entries)


@pytest.mark.parametrize("components, message", [
    ('regularizers = ["dropout", "no-such"]', "components.regularizers: unknown regularizer 'no-such'"),
    ('regularizers = ["dropout"]\noptional = ["r1"]', "components.optional names 'r1', which no components list"),
    ('regularisers = ["dropout"]', "unknown key components.regularisers"),
    ('regularizers = "dropout"', "components.regularizers must be a list of distinct names"),
])
def test_bad_components_name_the_file_and_the_key(builtin_catalog: Catalog, tmp_path: Path, components: str,
                                                  message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text((SUITES_DIR / "smoke.toml").read_text() + f"\n[components]\n{components}\n")
    with pytest.raises(SuiteError, match=re.escape(message)) as info:
        expand(load_suite_file(path), builtin_catalog, "cpu")
    assert str(path) in str(info.value)


def test_only_the_quick_suite_says_what_its_table_cannot_show(builtin_catalog: Catalog) -> None:
    from ganbench.suites import suite_note

    assert "192-step" in suite_note("quick", builtin_catalog) and suite_note("no-such", builtin_catalog) == ""
