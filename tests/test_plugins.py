from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ganbench import plugins
from ganbench.plugins import PluginError, UnknownComponent
from tests.conftest import write_plugin

DEMO = textwrap.dedent('''
    from ganbench import ArchitectureSpec, LossSpec, hookimpl
    from ganbench.builtin.architectures.mlp import build
    from ganbench.builtin.losses import NonSaturatingLoss

    @hookimpl
    def register_architectures(register):
        register(ArchitectureSpec("demo-mlp", "An MLP from a third party", "test", build))

    @hookimpl
    def register_losses(register):
        register(LossSpec("demo-loss", "Non-saturating again", "test", NonSaturatingLoss))
''')


def test_builtins_register_through_hooks(builtin_catalog: plugins.Catalog) -> None:
    assert builtin_catalog.names("architectures") == ["dcgan", "dcgan-no-bn", "dcgan-resize", "mlp", "resnet",
                                                      "stylegan-lite"]
    assert builtin_catalog.names("conditionings") == ["acgan", "cbn", "concat", "projection"]
    assert builtin_catalog.names("losses") == ["feature-matching", "hinge", "least-squares", "minimax",
                                               "non-saturating", "relativistic-average", "wasserstein"]
    assert builtin_catalog.names("regularizers") == ["batch-norm", "consistency", "diffaugment", "dropout", "ema",
                                                     "feature-statistics", "feature-statistics-vgg16",
                                                     "gradient-penalty", "instance-noise", "lecam", "none", "r1",
                                                     "spectral-norm", "weight-clipping"]
    assert builtin_catalog.names("datasets") == ["cifar10", "fashion-mnist", "grid-25", "image-folder", "mnist",
                                                 "ring-8", "shapes", "stacked-fashion-mnist"]
    assert builtin_catalog.problems == []
    assert {p.distribution for p in builtin_catalog.plugins} == {"ganbench"}


def test_unknown_component_names_the_known_ones(builtin_catalog: plugins.Catalog) -> None:
    with pytest.raises(UnknownComponent, match=r"unknown loss 'hinje' \(known: feature-matching, hinge, "):
        builtin_catalog.get("losses", "hinje")


def test_entry_point_plugin_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path, "ganbench-demo", "ganbench_demo", DEMO, "0.3.0")))
    catalog = plugins.load(allow=None, use_env=False)
    assert catalog.problems == []
    reg = catalog.get("architectures", "demo-mlp")
    assert (reg.plugin.name, reg.plugin.distribution, reg.plugin.version) == \
        ("ganbench_demo_ep", "ganbench-demo", "0.3.0")
    assert "demo-loss" in catalog.names("losses")
    # The allowlist keeps it out; naming it lets it in.
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "")
    assert "demo-mlp" not in plugins.load().names("architectures")
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "ganbench_demo_ep")
    assert "demo-mlp" in plugins.load().names("architectures")


def test_plugins_command_lists_installed_plugin(tmp_path: Path) -> None:
    root = write_plugin(tmp_path, "ganbench-demo", "ganbench_demo", DEMO, "0.3.0")
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("GANBENCH_LOAD_PLUGINS")
    out = subprocess.run([sys.executable, "-m", "ganbench", "plugins", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["ganbench_demo_ep"]["distribution"] == "ganbench-demo"
    assert rows["ganbench_demo_ep"]["version"] == "0.3.0"
    assert rows["ganbench_demo_ep"]["components"] == {"architectures": ["demo-mlp"], "losses": ["demo-loss"]}
    assert rows["ganbench.builtin.datasets"]["components"] == {
        "datasets": ["cifar10", "fashion-mnist", "grid-25", "image-folder", "mnist", "ring-8", "shapes",
                     "stacked-fashion-mnist"]}
    assert rows["ganbench_demo_ep"]["hooks"] == ["register_architectures", "register_losses"]


BROKEN = {
    "import": ("raise ImportError('no module named torchgan')", r"failed to load: ImportError: no module"),
    "hook": ("from ganbench import hookimpl\n@hookimpl\ndef register_losses(register):\n    1 / 0\n",
             r"raised in register_losses: ZeroDivisionError"),
    "misspelled": ("from ganbench import hookimpl\n@hookimpl\ndef register_lossess(register):\n    pass\n",
                   r"unknown hook register_lossess \(did you mean register_losses\?\) ignored"),
    "duplicate": ("from ganbench import hookimpl, LossSpec\nfrom ganbench.builtin.losses import MinimaxLoss\n"
                  "@hookimpl\ndef register_losses(register):\n"
                  "    register(LossSpec('minimax', 's', 'r', MinimaxLoss))\n",
                  r"registered losses 'minimax', already registered by plugin ganbench.builtin.losses"),
    "wrongtype": ("from ganbench import hookimpl\n@hookimpl\ndef register_losses(register):\n"
                  "    register('hinge')\n", r"registered a str in losses, expected LossSpec"),
    "metriccolumn": ("from ganbench import hookimpl, Column, MetricSpec\n@hookimpl\ndef register_metrics(register):\n"
                     "    register(MetricSpec('my-fid', 's', 'r', (Column('fid', 'FID'),), lambda data: ({}, {})))\n",
                     r"registered metric 'my-fid': column 'fid' belongs to metric 'fidelity'; ignored"),
    "datakind": ("from ganbench import hookimpl, DatasetSpec\n@hookimpl\ndef register_datasets(register):\n"
                 "    register(DatasetSpec('voxels', 's', 'r', print, '', (1, 8, 8), kind='voxels'))\n",
                 r"registered dataset 'voxels' of kind 'voxels'; the kinds are images, points; ignored"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_plugin_is_reported_and_skipped(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, message = BROKEN[kind]
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path, f"ganbench-bad{kind}", f"ganbench_bad{kind}", source)))
    catalog = plugins.load(allow=None, use_env=False, strict=False)
    assert len(catalog.problems) == 1
    problem = catalog.problems[0]
    assert f"ganbench_bad{kind}_ep" in problem and f"ganbench-bad{kind}" in problem
    assert "\n" not in problem
    import re
    assert re.search(message, problem), problem
    # Everything built in is still there.
    assert catalog.names("losses") == plugins.load(allow=set()).names("losses")
    assert catalog.spec("losses", "minimax").factory.__module__ == "ganbench.builtin.losses"
    with pytest.raises(PluginError):
        plugins.load(allow=None, use_env=False, strict=True)


EXAMPLE = Path(__file__).parent.parent / "plugins" / "ganbench-label-smoothing"


def test_pip_installed_example_plugin_is_discovered_and_benchmarkable(tmp_path: Path) -> None:
    """A real `pip install` of the example distribution into a private target folder."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), str(EXAMPLE)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("GANBENCH_LOAD_PLUGINS")
    out = subprocess.run([sys.executable, "-m", "ganbench", "list", "losses"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "label-smoothing" in out and "(ganbench-label-smoothing)" in out
    code = ("from ganbench import plugins; import torch; c = plugins.load(); "
            "loss = c.spec('losses', 'label-smoothing').factory(); "
            "print(float(loss.discriminator_loss(torch.zeros(4), torch.zeros(4))))")
    value = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                 check=True).stdout)
    # At logit 0, D = 0.5: BCE against 0.9 is log 2, and the fake side adds log 2.
    assert value == pytest.approx(2 * 0.6931472, rel=1e-6)


def test_every_hook_is_documented() -> None:
    """docs/plugins.md has a row for every hook a plugin can implement."""
    from ganbench import hookspecs

    text = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("register_")]
    assert set(hooks) == set(plugins.KINDS)
    assert [h for h in hooks if f"| `{h}(register)` |" not in text] == []


LOSS_PLUGIN = textwrap.dedent('''
    import torch.nn.functional as F
    from ganbench import LossSpec, hookimpl

    SMOOTH = {smooth}


    class Smoothed:
        def discriminator_loss(self, real_logits, fake_logits):
            return F.softplus(-real_logits).mean() * SMOOTH + F.softplus(fake_logits).mean()

        def generator_loss(self, fake_logits, real_logits):
            return F.softplus(-fake_logits).mean()


    @hookimpl
    def register_losses(register):
        register(LossSpec("smoothed", "Scaled real term", "test", Smoothed))
''')


def test_edited_plugin_with_the_same_version_is_rerun_not_reused(tmp_path: Path) -> None:
    """The run id hashes the plugin's installed source, not only its version."""
    from ganbench.builtin.suites import SUITES_DIR

    site = tmp_path / "site"
    write_plugin(site, "ganbench-smoothed", "ganbench_smoothed", LOSS_PLUGIN.format(smooth=0.9))
    suite = tmp_path / "tiny.toml"
    suite.write_text((SUITES_DIR / "smoke.toml").read_text().replace('name = "smoke"', 'name = "tiny"')
                     .replace("generator_steps = 10", "generator_steps = 2").replace("seeds = [0, 1]", "seeds = [0]")
                     .replace("fid_samples = 128", "fid_samples = 64"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GANBENCH_LOAD_PLUGINS")
    args = [sys.executable, "-m", "ganbench", "run", "--suite-file", str(suite), "--arch", "dcgan", "--reg", "none",
            "--loss", "non-saturating", "--loss", "smoothed"]

    def run() -> dict[str, str]:
        proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return {entry: ("reused" if "(reused" in line else "ran") for entry in ("dcgan/smoothed/none", "dcgan (")
                for line in proc.stderr.splitlines() if entry in line}

    assert run() == {"dcgan/smoothed/none": "ran", "dcgan (": "ran"}
    assert run() == {"dcgan/smoothed/none": "reused", "dcgan (": "reused"}
    (site / "ganbench_smoothed.py").write_text(LOSS_PLUGIN.format(smooth=0.5))  # same version 0.1.0
    assert run() == {"dcgan/smoothed/none": "ran", "dcgan (": "reused"}


def test_misspelled_hook_names_the_closest_and_keeps_the_valid_ones(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    source = DEMO + "\n@hookimpl\ndef register_regularisers(register):\n    pass\n"
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path, "ganbench-typo", "ganbench_typo", source)))
    catalog = plugins.load(allow=None, use_env=False, strict=False)
    assert catalog.problems == ["plugin ganbench_typo_ep (ganbench-typo 0.1.0): unknown hook register_regularisers "
                                "(did you mean register_regularizers?) ignored"]
    assert "demo-mlp" in catalog.names("architectures") and "demo-loss" in catalog.names("losses")
    assert catalog.hooks["ganbench_typo_ep"] == ["register_architectures", "register_losses"]


def test_every_spec_field_and_regularizer_method_is_documented() -> None:
    """docs/plugins.md names every field a plugin can set and every method a regularizer can override."""
    import dataclasses as dc

    from ganbench.specs import (
        ArchitectureSpec,
        Column,
        ConditioningSpec,
        DatasetSpec,
        ExecutorSpec,
        LossSpec,
        MetricSpec,
        RecipeSpec,
        Regularizer,
        RegularizerSpec,
        SuiteSpec,
    )

    text = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()
    missing = [f"{cls.__name__}.{f.name}" for cls in (ArchitectureSpec, LossSpec, RegularizerSpec, DatasetSpec,
                                                       SuiteSpec, RecipeSpec, MetricSpec, Column, ConditioningSpec,
                                                       ExecutorSpec)
               for f in dc.fields(cls) if f.name not in text]
    methods = [name for name in vars(Regularizer) if not name.startswith("_")]
    missing += [f"Regularizer.{name}" for name in methods if f"{name}(" not in text]
    assert len(methods) == 11 and missing == []


EVERY_HOOK = textwrap.dedent('''
    """A plugin implementing every hook and setting every field of every spec by keyword."""
    from pathlib import Path

    from ganbench import (ArchitectureSpec, Column, ConditioningSpec, DatasetSpec, ExecutorSpec, LossSpec, MetricSpec,
                          RecipeSpec, RegularizerSpec, SuiteSpec, hookimpl)
    from ganbench.builtin.architectures.dcgan import build
    from ganbench.builtin.architectures.mlp import build_points
    from ganbench.builtin.conditionings import build_projection
    from ganbench.builtin.datasets import _from_split
    from ganbench.builtin.losses import HingeLoss
    from ganbench.builtin.regularizers import R1Penalty
    from ganbench.data.fashion_mnist import load_split
    from ganbench.metrics.modes import classify

    SUITE = Path(__file__).with_name("every_suite.toml")


    def brightness(data):
        return {"brightness": float(data.fake.float().mean())}, {"samples": int(data.fake.shape[0])}


    @hookimpl
    def register_architectures(register):
        register(ArchitectureSpec(name="every-arch", summary="DCGAN's networks", reference="Radford et al. 2016",
                                  build=build, traits=frozenset({"every-trait"}), resolutions=(28, 32),
                                  build_points=build_points, provides=frozenset({"discriminator-features"}),
                                  channels_last=True))

    @hookimpl
    def register_losses(register):
        register(LossSpec(name="every-loss", summary="Hinge again", reference="Lim & Ye 2017", factory=HingeLoss,
                          incompatible={"no-such-trait": "never met"}, data_kinds=frozenset({"images", "points"}),
                          requires=frozenset(), networks=frozenset()))

    @hookimpl
    def register_regularizers(register):
        register(RegularizerSpec(name="every-reg", summary="R1 again", reference="Mescheder et al. 2018",
                                 factory=R1Penalty, incompatible={"batchnorm-discriminator": "per-sample penalty"},
                                 data_kinds=frozenset({"images", "points"}), provides=frozenset(),
                                 traits=frozenset(), networks=frozenset(), voided_by={}))

    @hookimpl
    def register_datasets(register):
        register(DatasetSpec(name="every-data", summary="Fashion-MNIST again", reference="Xiao et al. 2017",
                             load=_from_split(load_split), feature_extractor="fashion-mnist-cnn",
                             image_shape=(1, 28, 28), kind="images", modes=classify, n_modes=10, stream=None,
                             n_classes=10, classify=classify))

    @hookimpl
    def register_suites(register):
        register(SuiteSpec(name="every-suite", summary="A tiny suite of this plugin's components",
                           reference="test", path=SUITE))

    @hookimpl
    def register_recipes(register):
        register(RecipeSpec(name="every-recipe", summary="every-loss with every-reg, Adam 1e-4, betas 0, 0.9",
                            reference="test", loss="every-loss", regularizer="every-reg", architecture="every-arch",
                            optimizer="adam", lr_generator=1e-4, lr_discriminator=1e-4, beta1=0.0, beta2=0.9,
                            d_steps_per_g_step=1))

    @hookimpl
    def register_metrics(register):
        register(MetricSpec(name="every-metric", summary="Mean pixel value of the samples", reference="test",
                            columns=(Column(name="brightness", label="bright", digits=1, lower_is_better=None,
                                            spread=True, signed=False, delta="", aggregate=True, best=None,
                                            rank=0, rank_label="", stability=False, headline=True, x_axis=0,
                                            y_axis=0, role=""),),
                            compute=brightness, data_kinds=frozenset({"images"}), needs_modes=False, derive=None))

    @hookimpl
    def register_conditionings(register):
        register(ConditioningSpec(name="every-cond", summary="Projection again", reference="Miyato & Koyama 2018",
                                  build=build_projection, requires=frozenset({"discriminator-features"}),
                                  labelled_features=False))

    class InProcess:
        """Runs every task here, one after the other."""

        def run(self, plan, finish):
            from ganbench.executors.local import run_task

            for task in plan.tasks:
                finish(task.run_id, run_task(task, plan.settings))

    @hookimpl
    def register_executors(register):
        register(ExecutorSpec(name="every-executor", summary="In this process",
                              reference="ganbench's local executor, inline",
                              factory=lambda options: InProcess(), imports=("json",), install="-",
                              takes_address=False))
''')
EVERY_SUITE = (Path(__file__).parent.parent / "ganbench" / "suites" / "smoke.toml").read_text().replace(
    'name = "smoke"', 'name = "every-suite"').replace('dataset = "fashion-mnist"', 'dataset = "every-data"').replace(
    'recipes = ["dcgan", "wgan"]', 'recipes = ["every-recipe"]\nconditionings = ["every-cond"]\nvary = []')


def test_every_hook_and_spec_field_works_from_a_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Meta-test: one entry-point plugin implements every hook and sets every field of every spec, and
    passes the conformance kit. A new hook or field fails here until the plugin above uses it."""
    import dataclasses as dc

    from ganbench.specs import (
        ArchitectureSpec,
        Column,
        ConditioningSpec,
        DatasetSpec,
        ExecutorSpec,
        LossSpec,
        MetricSpec,
        RecipeSpec,
        RegularizerSpec,
        SuiteSpec,
    )
    from ganbench.testing import run_checks

    for hook in plugins.KINDS:
        assert f"def {hook}(register)" in EVERY_HOOK, f"no test plugin implements {hook}"
    unset = [f"{cls.__name__}.{f.name}" for cls in (ArchitectureSpec, LossSpec, RegularizerSpec, DatasetSpec,
                                                     SuiteSpec, RecipeSpec, MetricSpec, Column, ConditioningSpec,
                                                     ExecutorSpec)
             for f in dc.fields(cls) if f"{f.name}=" not in EVERY_HOOK]
    assert unset == []
    root = write_plugin(tmp_path, "ganbench-every", "ganbench_every", EVERY_HOOK)
    (root / "every_suite.toml").write_text(EVERY_SUITE)
    monkeypatch.syspath_prepend(str(root))
    catalog = plugins.load(allow=None, use_env=False, strict=True)
    for kind, _ in plugins.KINDS.values():
        name = f"every-{plugins.SINGULAR[kind].replace('architecture', 'arch').replace('regularizer', 'reg')}"
        name = name.replace("every-dataset", "every-data").replace("every-conditioning", "every-cond")
        assert catalog.get(kind, name).plugin.distribution == "ganbench-every", kind
    outcomes = run_checks("ganbench-every", catalog)
    assert [(o.check.id, o.detail) for o in outcomes if not o.ok] == []
    kinds = {o.check.kind for o in outcomes}
    assert kinds == {"plugin", "architecture", "loss", "regularizer", "dataset", "suite", "recipe", "metric",
                     "conditioning", "executor"}


def test_list_shows_what_decides_a_pairing(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ganbench list` prints each component's declarations under its summary: what it provides,
    requires and cannot run with, its traits, the networks it trains against, and its data kinds."""
    from click.testing import CliRunner

    from ganbench.cli import main

    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "")
    regs = CliRunner().invoke(main, ["list", "regularizers"]).output.splitlines()
    after = {line.split()[0]: regs[i + 1].strip() for i, line in enumerate(regs[:-1]) if line.startswith("  ")
             and not line.startswith("   ")}
    assert after["gradient-penalty"] == "provides: lipschitz; incompatible with: batchnorm-discriminator"
    assert after["batch-norm"] == "data: images; traits: batchnorm-discriminator"
    assert after["feature-statistics"] == "data: images; trains against: fashion-mnist-vgg-dae"
    assert not after["dropout"].startswith(("data", "provides", "traits"))  # declares nothing: no second line
    losses = CliRunner().invoke(main, ["list", "losses"]).output
    assert "wasserstein" in losses and "requires: lipschitz" in losses


def test_a_renamed_built_in_is_named_under_its_new_name(builtin_catalog: plugins.Catalog) -> None:
    """`perceptual` matched unpaired feature statistics, not Johnson et al.'s paired loss: renamed in 0.9.0."""
    with pytest.raises(UnknownComponent) as caught:
        builtin_catalog.get("regularizers", "perceptual")
    assert str(caught.value) == ("unknown regularizer 'perceptual': renamed feature-statistics in ganbench 0.9.0 "
                                 "(unpaired Gatys-style feature statistics, not a paired perceptual loss)")
    summary = builtin_catalog.spec("regularizers", "feature-statistics").summary
    assert summary.startswith("Gatys-style feature statistics on G, unpaired") and "Not Johnson" in summary
