"""ganbench.testing: the conformance kit passes sound components and names what is wrong with broken ones."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ganbench import plugins
from ganbench.testing import ConformanceError, assert_conforms, checks, run_checks
from tests.conftest import write_plugin

HEADER = textwrap.dedent('''
    import os
    import torch
    from torch import nn
    from ganbench import ArchitectureSpec, LossSpec, Regularizer, RegularizerSpec, hookimpl
    from ganbench.builtin.architectures.dcgan import build as dcgan
    from ganbench.builtin.losses import NonSaturatingLoss
    from ganbench.builtin.regularizers import R1Penalty
''')

SOUND = HEADER + textwrap.dedent('''
    @hookimpl
    def register_architectures(register):
        register(ArchitectureSpec("my-dcgan", "DCGAN again", "Radford et al. 2016", dcgan,
                                  provides=frozenset({"discriminator-features"})))

    @hookimpl
    def register_losses(register):
        register(LossSpec("my-loss", "Non-saturating again", "Goodfellow et al. 2014", NonSaturatingLoss))

    @hookimpl
    def register_regularizers(register):
        register(RegularizerSpec("my-r1", "R1 again", "Mescheder et al. 2018", R1Penalty))
''')


def catalog_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str,
                 module: str = "ganbench_kit") -> plugins.Catalog:
    """A catalog with the plugin ``source`` installed as distribution ganbench-kit (a module name of
    its own per source: Python caches imported modules)."""
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path, "ganbench-kit", module, source)))
    return plugins.load(allow=None, use_env=False, strict=False)


def test_sound_components_pass_every_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = catalog_with(tmp_path, monkeypatch, SOUND)
    outcomes = run_checks("ganbench-kit", catalog)
    assert [o.check.id for o in outcomes if not o.ok] == []
    ids = {o.check.id for o in outcomes}
    for component in ("architecture:my-dcgan", "loss:my-loss", "regularizer:my-r1"):
        assert {f"{component}:{name}" for name in ("describes-itself", "trains", "deterministic", "resumes")} <= ids
    assert {"plugin:ganbench-kit:loads", "architecture:my-dcgan:shapes", "loss:my-loss:outputs",
            "regularizer:my-r1:augment", "regularizer:my-r1:conditional"} <= ids  # a penalty: under classes too
    assert_conforms("ganbench_kit_ep", catalog)  # the entry-point name works too


BROKEN = {
    "no-tanh": ('''
        class Triple(nn.Module):
            def forward(self, x):
                return 3 * x

        def build(shape, latent_dim):
            g, d = dcgan(shape, latent_dim)
            return nn.Sequential(g, Triple()), d

        @hookimpl
        def register_architectures(register):
            register(ArchitectureSpec("bad", "s", "r", build))
        ''', "architecture:bad:shapes", "architecture bad: G(z) leaves [-1, 1]"),
    "wide-logits": ('''
        class Wide(nn.Module):
            def __init__(self, d):
                super().__init__()
                self.d = d
            def forward(self, x):
                return self.d(x)[:, None]

        def build(shape, latent_dim):
            g, d = dcgan(shape, latent_dim)
            return g, Wide(d)

        @hookimpl
        def register_architectures(register):
            register(ArchitectureSpec("bad", "s", "r", build))
        ''', "architecture:bad:shapes", "architecture bad: D(x) gave shape (4, 1), expected (4,)"),
    "unseeded-init": ('''
        def build(shape, latent_dim):
            g, d = dcgan(shape, latent_dim)
            with torch.no_grad():
                entropy = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
                for p in g.parameters():
                    p.add_(torch.randn(p.shape, generator=entropy))
            return g, d

        @hookimpl
        def register_architectures(register):
            register(ArchitectureSpec("bad", "s", "r", build))
        ''', "architecture:bad:deterministic-build", "architecture bad: two builds under the same seed differ"),
    "view-in-channels-last": ('''
        class Viewing(nn.Module):
            """D's convs, then .view() on the feature map: fails once the weights are channels_last."""
            def __init__(self, shape):
                super().__init__()
                self.convs = nn.Sequential(nn.Conv2d(shape[0], 8, 4, 2, 1), nn.LeakyReLU(0.2))
                self.head = nn.Linear(8 * (shape[1] // 2) ** 2, 1)
            def forward(self, x):
                h = self.convs(x)
                return self.head(h.view(h.shape[0], -1)).squeeze(1)

        def build(shape, latent_dim):
            g, _ = dcgan(shape, latent_dim)
            return g, Viewing(shape)

        @hookimpl
        def register_architectures(register):
            register(ArchitectureSpec("bad", "s", "r", build, channels_last=True))
        ''', "architecture:bad:shapes", "architecture bad: RuntimeError: view size is not compatible"),
    "nan-loss": ('''
        class NanLoss(NonSaturatingLoss):
            def generator_loss(self, fake_logits, real_logits):
                return fake_logits.mean() * float("nan")

        @hookimpl
        def register_losses(register):
            register(LossSpec("bad", "s", "r", NanLoss))
        ''', "loss:bad:outputs", "loss bad: generator_loss() is nan on random logits"),
    "nan-loss-training": ('''
        class NanLoss(NonSaturatingLoss):
            def generator_loss(self, fake_logits, real_logits):
                return fake_logits.mean() * float("nan")

        @hookimpl
        def register_losses(register):
            register(LossSpec("bad", "s", "r", NanLoss))
        ''', "loss:bad:trains", "dcgan/bad/none: loss bad: generator_loss() returned nan at the first "
                                 "step (a broken component, not a divergence)"),
    "crop": ('''
        class Crop(Regularizer):
            def augment(self, images):
                return images[..., 2:-2, 2:-2]

        @hookimpl
        def register_regularizers(register):
            register(RegularizerSpec("bad", "s", "r", Crop))
        ''', "regularizer:bad:augment", "regularizer bad: augment() must keep shape and dtype (4, 1, 28, 28)"),
    "state-not-saved": ('''
        class Counting(R1Penalty):
            """Its weight grows with every step, and the count is not in its checkpoint state."""
            def __init__(self):
                super().__init__()
                self.steps = 0
            def discriminator_penalty(self, discriminator, real, fake, real_logits, fake_logits):
                self.steps += 1
                return self.steps * super().discriminator_penalty(discriminator, real, fake, real_logits, fake_logits)

        @hookimpl
        def register_regularizers(register):
            register(RegularizerSpec("bad", "s", "r", Counting))
        ''', "regularizer:bad:resumes", "regularizer bad in dcgan/non-saturating/bad: a run resumed from its "
                                        "checkpoint ends with other weights"),
    "half-batch-penalty": ('''
        class HalfBatch(Regularizer):
            """Scores half the real batch: fine for an unconditional D, which needs no labels; a
            conditional D has the whole batch's classes bound, so the call is an error there."""
            def discriminator_penalty(self, discriminator, real, fake, real_logits, fake_logits):
                return discriminator(real[: len(real) // 2]).square().mean()

        @hookimpl
        def register_regularizers(register):
            register(RegularizerSpec("bad", "s", "r", HalfBatch))
        ''', "regularizer:bad:conditional", "regularizer bad: RuntimeError: ProjectionDiscriminator: 8 labels are "
                                            "bound for a batch of 4"),
    "os-noise": ('''
        class Noisy(Regularizer):
            def augment(self, images):
                g = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
                return images + 0.1 * torch.randn(images.shape, generator=g)

        @hookimpl
        def register_regularizers(register):
            register(RegularizerSpec("bad", "s", "r", Noisy))
        ''', "regularizer:bad:augment", "regularizer bad: augment() differs under the same seed"),
    "no-reference": ('''
        @hookimpl
        def register_regularizers(register):
            register(RegularizerSpec("bad", "does nothing", "", Regularizer))
        ''', "regularizer:bad:describes-itself", "regularizer bad: reference is empty"),
    "executor-drops-a-run": ('''
        from ganbench import ExecutorSpec

        class Forgetful:
            def run(self, plan, finish):
                pass  # never calls finish: the run would vanish from the tables

        @hookimpl
        def register_executors(register):
            register(ExecutorSpec("bad", "s", "r", lambda options: Forgetful()))
        ''', "executor:bad:runs-a-plan", "executor bad: RuntimeError: the executor returned no record for 1 run(s)"),
    "misspelled-hook": ('''
        @hookimpl
        def register_regularisers(register):
            register(RegularizerSpec("bad", "s", "r", Regularizer))
        ''', "plugin:ganbench-kit:loads", "plugin ganbench_kit_misspelled_hook_ep (ganbench-kit 0.1.0): unknown hook "
                                          "register_regularisers (did you mean register_regularizers?) ignored"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_component_fails_the_check_that_names_it(case: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    body, check_id, message = BROKEN[case]
    module = f"ganbench_kit_{case.replace('-', '_')}"
    catalog = catalog_with(tmp_path, monkeypatch, HEADER + textwrap.dedent(body), module)
    outcome = next(o for o in run_checks("ganbench-kit", catalog) if o.check.id == check_id)
    assert not outcome.ok and outcome.detail.startswith(message), outcome.detail
    with pytest.raises(ConformanceError) as failed:
        assert_conforms("ganbench-kit", catalog)
    assert f"{check_id}: {outcome.detail}" in str(failed.value)


def test_check_plugin_command_and_pytest_option(tmp_path: Path) -> None:
    """The command exits 0 on a sound plugin, 1 on a broken one, 2 on one not installed; the pytest
    plugin turns each check into a test."""
    sound = write_plugin(tmp_path / "sound", "ganbench-kit", "ganbench_kit", SOUND)
    env = {**os.environ, "PYTHONPATH": str(sound)}
    env.pop("GANBENCH_LOAD_PLUGINS", None)
    done = subprocess.run([sys.executable, "-m", "ganbench", "check-plugin", "ganbench-kit"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ganbench-kit: 18 of 18 checks passed"
    missing = subprocess.run([sys.executable, "-m", "ganbench", "check-plugin", "ganbench-nothing"], env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.startswith("Error: plugin 'ganbench-nothing' is not installed")
    source, _, _ = BROKEN["crop"]
    broken = write_plugin(tmp_path / "broken", "ganbench-kit", "ganbench_kit", HEADER + textwrap.dedent(source))
    env["PYTHONPATH"] = str(broken)
    failed = subprocess.run([sys.executable, "-m", "ganbench", "check-plugin", "ganbench-kit"], env=env,
                            capture_output=True, text=True)
    assert failed.returncode == 1 and "FAIL regularizer:bad:augment" in failed.stdout
    env["PYTHONPATH"] = str(sound)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ganbench-plugin",
                            "ganbench-kit", str(tmp_path / "sound")], env=env, capture_output=True, text=True,
                           cwd=tmp_path)
    assert tests.returncode == 0 and "18 passed" in tests.stdout, tests.stdout[-2000:]


def test_a_plugin_registering_nothing_fails_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = catalog_with(tmp_path, monkeypatch, "x = 1\n", "ganbench_kit_empty")
    [loads] = checks("ganbench-kit", catalog)
    with pytest.raises(ConformanceError, match="plugin 'ganbench-kit' registers no component"):
        loads.run()


def test_the_builtin_datasets_metrics_and_local_executor_pass_the_kit(builtin_catalog: plugins.Catalog) -> None:
    """The kit holds plugins to what ganbench's own components do (those that need no local files)."""
    from ganbench.testing.kit import dataset_checks, executor_checks, metric_checks

    cases = [check for name in ("fashion-mnist", "stacked-fashion-mnist", "shapes", "ring-8", "grid-25")
             for check in dataset_checks(builtin_catalog.spec("datasets", name))]
    cases += [check for name in builtin_catalog.names("metrics")
              for check in metric_checks(builtin_catalog.spec("metrics", name), builtin_catalog)]
    cases += executor_checks(builtin_catalog.spec("executors", "local"))  # ray's: tests/test_ray.py
    failed = []
    for check in cases:
        try:
            check.run()
        except ConformanceError as exc:
            failed.append(f"{check.id}: {exc}")
    assert failed == [] and len(cases) >= 20


def test_a_view_in_a_channels_last_architecture_is_named_as_the_layout(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """PyTorch's own message says only "use .reshape()"; the kit adds where the layout came from, in the
    first check (shapes, run in the declared layout) and in training. Without channels_last the same
    code passes: the layout is the cause."""
    body = textwrap.dedent(BROKEN["view-in-channels-last"][0])
    catalog = catalog_with(tmp_path, monkeypatch, HEADER + body, "ganbench_kit_view_cl")
    failed = {o.check.id: o.detail for o in run_checks("ganbench-kit", catalog) if not o.ok}
    hint = "architecture bad declares channels_last=True, so its networks must use .reshape() or nn.Flatten"
    assert hint in failed["architecture:bad:shapes"] and hint in failed["architecture:bad:trains"], failed
    contiguous = catalog_with(tmp_path / "plain", monkeypatch, HEADER + body.replace(", channels_last=True", ""),
                              "ganbench_kit_view_plain")
    outcomes = run_checks("ganbench-kit", contiguous)
    assert "architecture:bad:trains" in {o.check.id for o in outcomes}
    assert [o.check.id for o in outcomes if not o.ok] == []
