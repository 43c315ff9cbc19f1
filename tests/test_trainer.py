from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from typing import Any, ClassVar

import pytest
import torch

from ganbench import LossSpec, Regularizer, RegularizerSpec, plugins
from ganbench.builtin.losses import NonSaturatingLoss, RelativisticAverageLoss
from ganbench.datakinds import IMAGES
from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec
from ganbench.training import trainer
from ganbench.training.checks import ComponentError
from ganbench.training.trainer import sample, train

CPU = torch.device("cpu")


def tiny_spec(**changes: object) -> RunSpec:
    spec = RunSpec(suite="test", dataset="fashion-mnist", architecture="dcgan", loss="non-saturating",
                   regularizer="none", seed=0, resolution=28, channels=1, latent_dim=16, generator_steps=8,
                   batch_size=16, d_steps_per_g_step=2, lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.5,
                   beta2=0.999, fid_samples=64, curve_points=4, device="cpu")
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_same_seed_gives_identical_weights(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    for arch, reg in (("dcgan", "none"), ("mlp", "spectral-norm")):
        spec = tiny_spec(architecture=arch, regularizer=reg)
        a, b = train(spec, builtin_catalog, real_train, CPU), train(spec, builtin_catalog, real_train, CPU)
        wa, wb = weights(a.generator), weights(b.generator)
        assert wa.keys() == wb.keys()
        assert all(torch.equal(wa[k], wb[k]) for k in wa)
        assert all(torch.equal(x, y) for x, y in zip(weights(a.discriminator).values(),
                                                     weights(b.discriminator).values(), strict=True))
        assert a.curve_d_loss == b.curve_d_loss and a.curve_g_loss == b.curve_g_loss
        assert torch.equal(sample(a.generator, 32, 16, 0, CPU, IMAGES), sample(b.generator, 32, 16, 0, CPU, IMAGES))
        c = train(dataclasses.replace(spec, seed=1), builtin_catalog, real_train, CPU)
        assert not torch.equal(weights(c.generator)[next(iter(wa))], wa[next(iter(wa))])


def test_opted_in_architectures_train_in_channels_last(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    """dcgan and resnet declare ``channels_last``: every 4-D weight is in that layout after training, with
    spectral norm's wrapped weights too, and samples come out in the usual layout; stylegan-lite does not."""
    for arch, reg in (("dcgan", "none"), ("dcgan", "spectral-norm"), ("resnet", "none"), ("stylegan-lite", "none")):
        result = train(tiny_spec(architecture=arch, regularizer=reg, generator_steps=2), builtin_catalog, real_train,
                       CPU)
        convs = [p for net in (result.generator, result.discriminator) for p in net.parameters() if p.dim() == 4]
        assert convs
        # A weight with one channel on dim 1, or a 1x1 kernel, is in both layouts; the others tell them apart.
        in_layout = [p.is_contiguous(memory_format=torch.channels_last) for p in convs
                     if p.shape[1] > 1 and p.shape[2] * p.shape[3] > 1]
        assert in_layout and (all(in_layout) if arch != "stylegan-lite" else not any(in_layout)), (arch, reg)
        assert sample(result.generator, 8, 16, 0, CPU, IMAGES).is_contiguous()


def test_budget_and_curves_are_recorded(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    result = train(tiny_spec(), builtin_catalog, real_train, CPU)
    assert result.status == "completed" and result.steps_done == 8
    assert result.images_seen == 8 * 2 * 16  # generator steps x D steps x batch
    assert result.curve_step == [2, 4, 6, 8]
    assert all(math.isfinite(v) for v in result.curve_d_loss + result.curve_g_loss)


class NanAtStep3(NonSaturatingLoss):
    def __init__(self) -> None:
        self.calls = 0

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        loss = super().generator_loss(fake_logits, real_logits)
        return loss * float("nan") if self.calls >= 3 else loss



def test_non_finite_loss_stops_the_run_as_diverged(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    catalog = dataclasses.replace(builtin_catalog, components={k: dict(v) for k, v in
                                                                builtin_catalog.components.items()})
    info = plugins.PluginInfo("nan", "test", "0")
    catalog.components["losses"]["nan-at-3"] = plugins.Registered(
        LossSpec("nan-at-3", "s", "r", NanAtStep3), info)
    reads: list[int] = []
    read_losses = trainer._read_losses

    def counted(unread: list[torch.Tensor], step: int, *args: Any) -> str | None:
        reads.append(step)
        return read_losses(unread, step, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer, "_read_losses", counted)
        result = train(tiny_spec(loss="nan-at-3"), catalog, real_train, CPU)
        fine = train(tiny_spec(), builtin_catalog, real_train, CPU)
    assert result.status == "diverged"
    assert result.steps_done == 3 and result.images_seen == 3 * 2 * 16  # not the steps run after it
    assert result.reason == "non-finite generator loss at generator step 3"
    # Losses are read once per curve window (2 steps here), never per step: no host sync in the loop.
    assert reads == [2, 4, 2, 4, 6, 8] and fine.status == "completed"


def test_generator_outputs_lie_in_unit_range(builtin_catalog: Catalog) -> None:
    for arch in builtin_catalog.names("architectures"):
        gen, disc = builtin_catalog.spec("architectures", arch).build((1, 28, 28), 16)
        images = gen(torch.randn(5, 16))
        assert images.shape == (5, 1, 28, 28)
        assert images.min() >= -1 and images.max() <= 1
        assert disc(images).shape == (5,)


def test_twenty_steps_of_every_architecture_and_loss_stay_finite(builtin_catalog: Catalog,
                                                                  real_train: torch.Tensor) -> None:
    for arch in builtin_catalog.names("architectures"):
        for loss in builtin_catalog.names("losses"):
            spec = tiny_spec(architecture=arch, loss=loss, generator_steps=20, batch_size=8, d_steps_per_g_step=1,
                             curve_points=2)
            result = train(spec, builtin_catalog, real_train, CPU)
            assert result.status == "completed", (arch, loss, result.reason)
            assert all(math.isfinite(v) for v in result.curve_d_loss + result.curve_g_loss), (arch, loss)


def test_every_regularizer_trains(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    for reg in builtin_catalog.names("regularizers"):
        if reg == "feature-statistics-vgg16":  # no VGG16 weights on a test machine: skipped, see test_training_networks
            continue
        spec = tiny_spec(regularizer=reg, generator_steps=6, curve_points=1)
        result = train(spec, builtin_catalog, real_train, CPU)
        assert result.status == "completed" and math.isfinite(result.curve_d_loss[-1]), reg
        images = sample(result.evaluated, 8, 16, 0, CPU, IMAGES)
        assert images.shape == (8, 1, 28, 28) and images.dtype == torch.uint8
    # EMA scores its averaged copy, everything else the trained generator itself.
    ema = train(tiny_spec(regularizer="ema", generator_steps=3), builtin_catalog, real_train, CPU)
    assert ema.evaluated is not ema.generator


def test_ema_is_scored_with_standing_statistics_and_leaves_training_alone(builtin_catalog: Catalog,
                                                                          real_train: torch.Tensor) -> None:
    """The averaged G gets batch-norm statistics of its own, at every curve point and at the end,
    and computing them changes nothing in training: the live G matches a run without the EMA."""
    spec = tiny_spec(generator_steps=6, eval_points=2)
    seen: list[dict[str, torch.Tensor]] = []

    def record(generator: torch.nn.Module) -> float:
        seen.append(weights(generator))
        return 0.0

    ema = train(dataclasses.replace(spec, regularizer="ema"), builtin_catalog, real_train, CPU, evaluate=record)
    plain = train(spec, builtin_catalog, real_train, CPU, evaluate=record)
    live, averaged = weights(ema.generator), weights(ema.evaluated)
    assert all(torch.equal(live[k], v) for k, v in weights(plain.generator).items())
    stats = [k for k in averaged if k.endswith("running_mean") or k.endswith("running_var")]
    assert stats and not any(torch.equal(live[k], averaged[k]) for k in stats)
    # The standing statistics average 16 batches, whatever the live G has counted.
    counts = [k for k in averaged if k.endswith("num_batches_tracked")]
    assert all(int(averaged[k]) == 16 for k in counts)
    assert all(int(seen[1][k]) == 16 for k in counts)  # the curve point at the last step, too


class RecordingRelativistic(RelativisticAverageLoss):
    """Records the real logits each side of the game receives."""

    seen: ClassVar[dict[str, list[torch.Tensor]]] = {"d": [], "g": []}

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        self.seen["d"].append(real_logits.detach().clone())
        return super().discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
        self.seen["g"].append(real_logits.detach().clone())
        return super().generator_loss(fake_logits, real_logits)


def test_relativistic_generator_step_sees_the_updated_d_on_a_fresh_real_batch(
        builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    """As in the authors' code: after the D update, G's loss compares its fakes with D's output on a
    new real batch. Other losses draw no extra batch, so their streams (and results) are unchanged."""
    catalog = dataclasses.replace(builtin_catalog, components={k: dict(v) for k, v in
                                                                builtin_catalog.components.items()})
    catalog.components["losses"]["recording-ra"] = plugins.Registered(
        LossSpec("recording-ra", "s", "r", RecordingRelativistic), plugins.PluginInfo("t", "t", "0"))
    draws: list[int] = []

    def stream(count: int, draw: int) -> torch.Tensor:
        draws.append(draw)
        return real_train[draw * count:(draw + 1) * count]

    RecordingRelativistic.seen = {"d": [], "g": []}
    result = train(tiny_spec(loss="recording-ra", generator_steps=1, d_steps_per_g_step=1), catalog,
                   real_train, CPU, stream=stream)
    assert draws == [0, 1]  # the D step's batch, then a fresh one for the G step
    with torch.no_grad():  # after one G step, result.discriminator is the D the G step saw
        expected = result.discriminator(IMAGES.model_input(stream(16, 1)))
    (g_real,), (d_real,) = RecordingRelativistic.seen["g"], RecordingRelativistic.seen["d"]
    assert torch.allclose(g_real, expected)
    assert not torch.allclose(g_real, d_real)
    # A loss without needs_real_logits draws only the D steps' batches.
    draws.clear()
    train(tiny_spec(generator_steps=2, d_steps_per_g_step=2), builtin_catalog, real_train, CPU, stream=stream)
    assert draws == [0, 1, 2, 3]


def test_weight_clipping_keeps_every_critic_weight_in_the_box(builtin_catalog: Catalog,
                                                             real_train: torch.Tensor) -> None:
    """WGAN's constraint: after every D step each D parameter is clamped to [-0.01, 0.01]."""
    spec = tiny_spec(loss="wasserstein", regularizer="weight-clipping", generator_steps=3)
    result = train(spec, builtin_catalog, real_train, CPU)
    assert result.status == "completed"
    params = list(result.discriminator.parameters())
    assert all(float(p.detach().abs().max()) <= 0.01 for p in params)
    # The initial weights exceed c, so the clamp acted.
    assert any(float(p.detach().abs().max()) == pytest.approx(0.01) for p in params)


class NanFromTheStart(NonSaturatingLoss):
    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return super().discriminator_loss(real_logits, fake_logits) * float("nan")


class CroppingAugment(Regularizer):
    def augment(self, images: torch.Tensor) -> torch.Tensor:
        return images[..., 2:-2, 2:-2]  # drops the border: the discriminator would fail deep inside


class TwoLogits(Regularizer):
    def wrap(self, generator: torch.nn.Module, discriminator: torch.nn.Module) -> tuple[torch.nn.Module,
                                                                                      torch.nn.Module]:
        class Twice(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = discriminator

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.inner(x).unsqueeze(1).repeat(1, 2)

        return generator, Twice()


@pytest.mark.parametrize("kind, name, spec, reason", [
    ("losses", "nan-loss", LossSpec("nan-loss", "s", "r", NanFromTheStart),
     "loss nan-loss: discriminator_loss() returned nan at the first step (a broken component, not a divergence)"),
    ("regularizers", "crop", RegularizerSpec("crop", "s", "r", CroppingAugment),
     "regularizer crop: augment() returned shape (16, 1, 24, 24), expected (16, 1, 28, 28)"),
    ("regularizers", "two-logits", RegularizerSpec("two-logits", "s", "r", TwoLogits),
     "architecture dcgan: discriminator returned shape (16, 2), expected (16,): one logit per sample"),
])
def test_a_broken_component_fails_naming_itself_not_as_a_divergence(
        builtin_catalog: Catalog, real_train: torch.Tensor, kind: str, name: str, spec: Any, reason: str) -> None:
    catalog = dataclasses.replace(builtin_catalog, components={k: dict(v) for k, v in
                                                                builtin_catalog.components.items()})
    catalog.components[kind][name] = plugins.Registered(spec, plugins.PluginInfo("bad", "test", "0"))
    factor = {"losses": "loss", "regularizers": "regularizer"}[kind]
    with pytest.raises(ComponentError) as caught:
        train(tiny_spec(**{factor: name}), catalog, real_train, CPU)
    assert str(caught.value) == reason


class ZeroTerm(Regularizer):
    def generator_penalty(self, discriminator: torch.nn.Module, real: torch.Tensor,
                          fake: torch.Tensor) -> torch.Tensor:
        return fake.sum() * 0.0


class BrightnessTerm(Regularizer):
    def generator_penalty(self, discriminator: torch.nn.Module, real: torch.Tensor,
                          fake: torch.Tensor) -> torch.Tensor:
        assert fake.requires_grad and not real.requires_grad
        return 10.0 * (fake.mean() - real.mean()).square()


def test_generator_side_term_is_added_and_logged_apart(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    catalog = dataclasses.replace(builtin_catalog, components={k: dict(v) for k, v in
                                                                builtin_catalog.components.items()})
    info = plugins.PluginInfo("terms", "test", "0")
    for name, cls in (("zero-term", ZeroTerm), ("brightness-term", BrightnessTerm)):
        catalog.components["regularizers"][name] = plugins.Registered(RegularizerSpec(name, "s", "r", cls), info)
    plain = train(tiny_spec(), catalog, real_train, CPU)
    zero = train(tiny_spec(regularizer="zero-term"), catalog, real_train, CPU)
    pulled = train(tiny_spec(regularizer="brightness-term"), catalog, real_train, CPU)
    assert plain.curve_g_penalty == [] and zero.curve_g_penalty == [0.0] * 4
    # A zero term changes nothing (no extra random draws); a real one changes G and is logged apart.
    assert all(torch.equal(a, b) for a, b in zip(weights(plain.generator).values(), weights(zero.generator).values(),
                                                 strict=True))
    assert zero.curve_g_loss == plain.curve_g_loss
    assert len(pulled.curve_g_penalty) == 4 and all(0 < v < 10 for v in pulled.curve_g_penalty)
    assert any(not torch.equal(a, b) for a, b in zip(weights(plain.generator).values(),
                                                     weights(pulled.generator).values(), strict=True))


def test_a_run_process_does_its_numpy_and_scipy_math_on_one_thread() -> None:
    """The metrics' BLAS calls (KID's kernels, FID's covariances) must not start a thread per core: in a
    pool of one run per core each such call waits on a core the other run keeps busy."""
    code = ("import json, scipy.linalg, torch; from threadpoolctl import threadpool_info\n"
            "from ganbench.training.seeding import seed_everything\n"
            "pools = lambda: sorted(p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas')\n"
            "before = pools(); seed_everything(0, torch.device('cpu'))\n"
            "print(json.dumps([before, pools()]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "", "MKL_NUM_THREADS": ""})
    before, after = json.loads(out.stdout.splitlines()[-1])
    assert len(after) >= 2  # NumPy's and SciPy's own OpenBLAS
    if len(os.sched_getaffinity(0)) > 1:
        assert max(before) > 1  # else the test could not tell
    assert after == [1] * len(after)


def test_process_settings_kept_gives_the_caller_its_threads_back() -> None:
    """``ganbench perceptual train``'s function trains inside its caller's process: torch's threads,
    the BLAS pools and their environment variables are the caller's again afterwards."""
    code = ("import json, os, scipy.linalg, torch; from threadpoolctl import threadpool_info\n"
            "from ganbench.training.seeding import process_settings_kept, seed_everything\n"
            "state = lambda: [torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),\n"
            "    sorted(p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'),\n"
            "    os.environ.get('OPENBLAS_NUM_THREADS')]\n"
            "before = state()\n"
            "with process_settings_kept():\n"
            "    seed_everything(0, torch.device('cpu')); inside = state()\n"
            "print(json.dumps([before, inside, state()]))")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    before, inside, after = json.loads(out.stdout.splitlines()[-1])
    assert inside[0] == 1 and inside[1] is True and set(inside[2]) == {1} and inside[3] == "1"
    assert after == before
    if len(os.sched_getaffinity(0)) > 1:
        assert before[0] > 1 and max(before[2]) > 1 and before[3] is None  # else the test could not tell
