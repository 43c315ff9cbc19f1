"""The conformance checks: what every component a plugin registers must do, on tiny data in seconds.

Each check is a plain function that raises ``ConformanceError`` with a one-line reason. Training
checks run the real trainer (ganbench's own loop, its first-step contract checks included) for a
few generator steps on the bundled Fashion-MNIST subset (or ring-8 points), with built-in partners
for the other factors: the baseline ``dcgan``/``non-saturating``/``none``, or the first built-in
partner the component declares itself compatible with.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganbench.conditioning import Conditional
from ganbench.datakinds import kind_of, prepare_images
from ganbench.plugins import Catalog, Registered
from ganbench.runspec import RunSpec
from ganbench.specs import (
    IMAGES,
    POINTS,
    ArchitectureSpec,
    ConditioningSpec,
    DataRequest,
    DatasetSpec,
    ExecutorOptions,
    ExecutorSpec,
    LossSpec,
    MetricSpec,
    RecipeSpec,
    RegularizerSpec,
    ScoreInput,
    SuiteSpec,
    incompatibility,
)
from ganbench.stacking import overrides_in
from ganbench.training.checks import ComponentError
from ganbench.training.trainer import TrainResult, in_layout, layout_hint, train

CPU = torch.device("cpu")
STEPS = 6  # generator steps of a training check; the resume check saves at step 4 and resumes at 5
BATCH = 8
LATENT = 16


class ConformanceError(AssertionError):
    """A component does not meet ganbench's contract; the message says what and where."""


@dataclass(frozen=True)
class Check:
    """One check of one component: ``run()`` returns quietly or raises ConformanceError."""

    kind: str
    component: str
    name: str
    run: Callable[[], None]

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.component}:{self.name}"


def fail(message: str) -> None:
    raise ConformanceError(message)


# --- data and runs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TinyData:
    train: Tensor
    labels: Tensor | None


def tiny_images(resolution: int = 28, channels: int = 1) -> TinyData:
    from ganbench.data.fashion_mnist import load_split

    split = load_split("train")  # the embedded subset unless a full copy is installed
    return TinyData(prepare_images(split.images[:512], resolution, channels), split.labels[:512])


def tiny_points(catalog: Catalog) -> TinyData:
    ring = catalog.spec("datasets", "ring-8")
    return TinyData(kind_of(ring).prepare(ring.load(DataRequest("train")), 0, 0)[:512], None)


def tiny_spec(images: bool, **fields: Any) -> RunSpec:
    """A run of STEPS generator steps at batch BATCH: 28 px grayscale Fashion-MNIST, or ring-8 points."""
    spec = RunSpec(suite="conformance", dataset="fashion-mnist" if images else "ring-8", architecture="dcgan",
                   loss="non-saturating", regularizer="none", seed=0, resolution=28 if images else 0,
                   channels=1 if images else 0, latent_dim=LATENT,
                   generator_steps=STEPS, batch_size=BATCH, d_steps_per_g_step=1, lr_generator=2e-4,
                   lr_discriminator=2e-4, beta1=0.5, beta2=0.999, fid_samples=64, curve_points=2, device="cpu")
    return dataclasses.replace(spec, **fields)


def run(spec: RunSpec, catalog: Catalog, data: TinyData, checkpoint: Path | None = None) -> TrainResult:
    labels = data.labels if spec.conditioning else None
    try:
        return train(spec, catalog, data.train, CPU, checkpoint=checkpoint,
                     checkpoint_every=4 if checkpoint else 0, labels=labels)
    except ComponentError as exc:  # the trainer's first-step contract checks, named as they are
        raise ConformanceError(f"{spec.entry}: {exc}") from None
    except RuntimeError as exc:
        hint = layout_hint(catalog.spec("architectures", spec.architecture), exc)
        if not hint:
            raise
        raise ConformanceError(f"{spec.entry}: RuntimeError: {exc}{hint}") from None


def completed(result: TrainResult, what: str) -> None:
    if result.status != "completed":
        fail(f"{what}: the run ended {result.status}: {result.reason}")
    for name, curve in (("D loss", result.curve_d_loss), ("G loss", result.curve_g_loss),
                        ("generator-side term", result.curve_g_penalty)):
        if not all(math.isfinite(v) for v in curve):
            fail(f"{what}: non-finite {name} in {curve}")


def weights(module: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    wa, wb = weights(a), weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def training_checks(kind: str, name: str, spec: RunSpec, catalog: Catalog, data: Callable[[], TinyData]) -> list[Check]:
    """Trains without NaN; is deterministic under a seed; resumes from a checkpoint to the same result."""
    what = f"{kind} {name} in {spec.entry}"

    def trains() -> None:
        completed(run(spec, catalog, data()), what)

    def deterministic() -> None:
        tiny = data()
        a, b = run(spec, catalog, tiny), run(spec, catalog, tiny)
        completed(a, what)
        if not (same_weights(a.generator, b.generator) and same_weights(a.discriminator, b.discriminator)):
            fail(f"{what}: two runs with seed {spec.seed} gave different weights (draw random numbers from "
                 f"torch's seeded generators only)")
        if a.curve_d_loss != b.curve_d_loss or a.curve_g_loss != b.curve_g_loss:
            fail(f"{what}: two runs with seed {spec.seed} gave different losses")

    def resumes() -> None:
        tiny = data()
        whole = run(spec, catalog, tiny)
        with tempfile.TemporaryDirectory() as folder:
            ckpt = Path(folder) / "run.ckpt"
            run(spec, catalog, tiny, checkpoint=ckpt)  # leaves the step-4 checkpoint behind
            if not ckpt.exists():
                fail(f"{what}: no checkpoint was written")
            resumed = run(spec, catalog, tiny, checkpoint=ckpt)
        completed(resumed, what)
        if resumed.resumed_from != 5:
            fail(f"{what}: resumed from step {resumed.resumed_from}, expected 5")
        if not (same_weights(whole.evaluated, resumed.evaluated)
                and same_weights(whole.discriminator, resumed.discriminator)):
            fail(f"{what}: a run resumed from its checkpoint ends with other weights than an uninterrupted one "
                 f"(state_dict()/load_state_dict() must carry all state)")
        if whole.curve_g_loss != resumed.curve_g_loss or whole.curve_g_penalty != resumed.curve_g_penalty:
            fail(f"{what}: a resumed run logs other losses than an uninterrupted one")

    return [Check(kind, name, "trains", trains), Check(kind, name, "deterministic", deterministic),
            Check(kind, name, "resumes", resumes)]


def describes_itself(kind: str, spec: Any) -> Check:
    def check() -> None:
        for field in ("summary", "reference"):
            text = getattr(spec, field)
            if not isinstance(text, str) or not text.strip() or text.strip() == "-":
                fail(f"{kind} {spec.name}: {field} is empty; give a one-line {field}")
            if "\n" in text:
                fail(f"{kind} {spec.name}: {field} spans lines; the tables print it on one")

    return Check(kind, spec.name, "describes-itself", check)


# --- partners: built-in components a checked one can run with -------------------------------------

def partner_run(catalog: Catalog, data_kinds: frozenset[str], **fixed: str) -> tuple[RunSpec, Callable[[], TinyData]]:
    """A tiny spec using ``fixed`` components plus the first built-in partners that are compatible."""
    images = IMAGES in data_kinds
    archs = ["dcgan", "dcgan-no-bn", "resnet"] if images else ["mlp"]
    losses = ["non-saturating", "hinge", "wasserstein"]
    regs = ["none", "spectral-norm", "r1"]
    data = (lambda: tiny_images()) if images else (lambda: tiny_points(catalog))
    kinds = IMAGES if images else POINTS
    for arch in [fixed["architecture"]] if "architecture" in fixed else archs:
        for loss in [fixed["loss"]] if "loss" in fixed else losses:
            for reg in [fixed["regularizer"]] if "regularizer" in fixed else regs:
                specs = [catalog.spec("losses", loss), catalog.spec("regularizers", reg)]
                if incompatibility(catalog.spec("architectures", arch), *specs, data_kind=kinds) is None:
                    return tiny_spec(images, architecture=arch, loss=loss, regularizer=reg), data
    raise ConformanceError(f"no built-in partners run with {fixed} (every pairing is declared incompatible)")


def when_partnered(kind: str, name: str, catalog: Catalog, data_kinds: frozenset[str], **fixed: str) -> list[Check]:
    try:
        spec, data = partner_run(catalog, data_kinds, **fixed)
    except ConformanceError as exc:
        reason = str(exc)

        def no_partner() -> None:
            fail(f"{kind} {name}: {reason}")

        return [Check(kind, name, "trains", no_partner)]
    return training_checks(kind, name, spec, catalog, data)


# --- per kind -------------------------------------------------------------------------------------

def architecture_checks(spec: ArchitectureSpec, catalog: Catalog) -> list[Check]:
    sides = [r for r in spec.resolutions if r in (28, 32)] or list(spec.resolutions[:1])

    def shapes() -> None:
        for side in sides:
            for channels in (1, 3):
                torch.manual_seed(0)
                # In the layout the architecture trains in, so a channels_last one that cannot is named here.
                generator, discriminator = (in_layout(spec, net) for net in spec.build((channels, side, side), LATENT))
                try:
                    network_contract(spec.name, generator, discriminator, (channels, side, side), spec.provides)
                except RuntimeError as exc:
                    if not layout_hint(spec, exc):
                        raise
                    fail(f"architecture {spec.name}: RuntimeError: {exc}{layout_hint(spec, exc)}")
        if spec.build_points is not None:
            generator, discriminator = spec.build_points(2, LATENT)
            network_contract(spec.name, generator, discriminator, (2,), frozenset())

    def deterministic() -> None:
        shape = (1, sides[0], sides[0])
        built = []
        for _ in range(2):
            torch.manual_seed(0)
            built.append(spec.build(shape, LATENT))
        if not (same_weights(built[0][0], built[1][0]) and same_weights(built[0][1], built[1][1])):
            fail(f"architecture {spec.name}: two builds under the same seed differ (initialise from torch's RNG)")

    kinds = spec.data_kinds
    checks = [describes_itself("architecture", spec), Check("architecture", spec.name, "shapes", shapes),
              Check("architecture", spec.name, "deterministic-build", deterministic)]
    if 28 in spec.resolutions or IMAGES not in kinds:
        checks += when_partnered("architecture", spec.name, catalog, kinds, architecture=spec.name)
    return checks


def network_contract(name: str, generator: nn.Module, discriminator: nn.Module, shape: tuple[int, ...],
                     provides: frozenset[str]) -> None:
    """G: (N, latent) -> (N, *shape), float, images in [-1, 1]; D: (N, *shape) -> (N,) finite logits."""
    z = torch.randn(4, LATENT)
    with torch.no_grad():
        out = generator.eval()(z)
        if tuple(out.shape) != (4, *shape) or not out.is_floating_point():
            fail(f"architecture {name}: G(z) gave {out.dtype} {tuple(out.shape)}, expected float {(4, *shape)}")
        if not bool(torch.isfinite(out).all()):
            fail(f"architecture {name}: G(z) has non-finite values")
        if len(shape) == 3:  # far-out latents too: a fresh G's small weights can hide an unbounded output
            largest = max(float(out.abs().max()), float(generator(100 * z).abs().max()))
            if largest > 1 + 1e-5:
                fail(f"architecture {name}: G(z) leaves [-1, 1] (max |x| = {largest:.3f}); end in tanh")
        logits = discriminator.eval()(out)
        if tuple(logits.shape) != (4,):
            fail(f"architecture {name}: D(x) gave shape {tuple(logits.shape)}, expected (4,): one logit per sample")
        if not bool(torch.isfinite(logits).all()):
            fail(f"architecture {name}: D(x) has non-finite values")
        if "discriminator-features" in provides:
            features = getattr(discriminator, "features", None)
            head = getattr(discriminator, "head", None)
            if not callable(features) or not isinstance(head, nn.Linear):
                fail(f"architecture {name}: provides discriminator-features but D lacks features(x) or a linear head")
            assert callable(features) and isinstance(head, nn.Linear)
            if not torch.allclose(head(features(out)).flatten(), logits, atol=1e-5):
                fail(f"architecture {name}: D(x) != head(features(x)), as discriminator-features promises")


def loss_checks(spec: LossSpec, catalog: Catalog) -> list[Check]:
    def outputs() -> None:
        torch.manual_seed(0)
        real, fake = torch.randn(8, requires_grad=True), torch.randn(8, requires_grad=True)
        loss = spec.factory()
        for hook, value in (("discriminator_loss", loss.discriminator_loss(real, fake)),
                            ("generator_loss", loss.generator_loss(fake, real.detach()))):
            if not isinstance(value, Tensor) or value.numel() != 1 or not value.is_floating_point():
                fail(f"loss {spec.name}: {hook}() must return a float scalar tensor, got {value!r:.60}")
            if not math.isfinite(float(value.detach())):
                fail(f"loss {spec.name}: {hook}() is {float(value.detach())} on random logits")
            grads = torch.autograd.grad(value, [fake], allow_unused=True)
            if grads[0] is None or not bool(torch.isfinite(grads[0]).all()) or float(grads[0].abs().sum()) == 0:
                fail(f"loss {spec.name}: {hook}() gives no finite, non-zero gradient to the fake logits")

    checks = [describes_itself("loss", spec), Check("loss", spec.name, "outputs", outputs)]
    if getattr(spec.factory(), "uses_features", False):
        checks = checks[:1]  # a feature objective has no logit losses to call on their own
    return checks + when_partnered("loss", spec.name, catalog, spec.data_kinds, loss=spec.name)


def regularizer_checks(spec: RegularizerSpec, catalog: Catalog) -> list[Check]:
    def augment() -> None:
        shape = (4, 1, 28, 28) if IMAGES in spec.data_kinds else (4, 2)
        x = torch.rand(shape) * 2 - 1
        outs = []
        for _ in range(2):
            torch.manual_seed(0)
            outs.append(spec.factory().augment(x))
        out = outs[0]
        if not isinstance(out, Tensor) or tuple(out.shape) != shape or out.dtype != x.dtype:
            fail(f"regularizer {spec.name}: augment() must keep shape and dtype {shape} {x.dtype}")
        if not torch.equal(outs[0], outs[1]):
            fail(f"regularizer {spec.name}: augment() differs under the same seed")

    def conditional() -> None:
        # A penalty's D calls score under the real classes unless made inside scored_as(D, "fake")
        # (docs/plugins.md): a penalty must run under a class-conditional D, whose calls need labels.
        run_spec, data = partner_run(catalog, spec.data_kinds, regularizer=spec.name, architecture="dcgan")
        completed(run(dataclasses.replace(run_spec, conditioning="projection"), catalog, data()),
                  f"regularizer {spec.name} under a projection D")

    partnered = when_partnered("regularizer", spec.name, catalog, spec.data_kinds, regularizer=spec.name)
    checks = [describes_itself("regularizer", spec), Check("regularizer", spec.name, "augment", augment), *partnered]
    penalises = overrides_in(spec.factory, "discriminator_penalty") if isinstance(spec.factory, type) else True
    if IMAGES in spec.data_kinds and penalises and incompatibility(
            catalog.spec("architectures", "dcgan"), spec, data_kind=IMAGES) is None:
        checks.append(Check("regularizer", spec.name, "conditional", conditional))
    return checks


def dataset_checks(spec: DatasetSpec) -> list[Check]:
    native = spec.image_shape

    kind = kind_of(spec)
    side = native[1] if kind.sized else 0

    def split(name: str) -> tuple[Tensor, Tensor | None]:
        """The split as its kind prepares it for training (a wrong type or shape is refused there)."""
        loaded = spec.load(DataRequest(name, None, side or 28, native[0]))
        try:
            prepared = kind.prepare(loaded, side, native[0])
        except (TypeError, ValueError) as exc:
            raise ConformanceError(f"dataset {spec.name}: load({name!r}): {exc}") from None
        return prepared, getattr(loaded, "labels", None)

    def loads() -> None:
        for name in ("train", "reference"):
            data, labels = split(name)
            if data.shape[0] < 2:
                fail(f"dataset {spec.name}: the {name} split is empty")
            if spec.n_classes and (labels is None or int(labels.min()) < 0 or int(labels.max()) >= spec.n_classes):
                fail(f"dataset {spec.name}: n_classes is {spec.n_classes} but the {name} labels are missing "
                     f"or out of range")

    def deterministic() -> None:
        if not torch.equal(split("train")[0], split("train")[0]):
            fail(f"dataset {spec.name}: two loads of the train split differ")

    def modes() -> None:
        samples = split("reference")[0][:64]
        if spec.modes is not None:
            ids = spec.modes(samples)
            if tuple(ids.shape) != (samples.shape[0],) or int(ids.min()) < -1 or int(ids.max()) >= spec.n_modes:
                fail(f"dataset {spec.name}: modes() must give one id in [-1, {spec.n_modes}) per sample")
        if spec.classify is not None:
            classes = spec.classify(samples)
            if tuple(classes.shape) != (samples.shape[0],) or int(classes.min()) < 0 \
                    or int(classes.max()) >= spec.n_classes:
                fail(f"dataset {spec.name}: classify() must give one class in [0, {spec.n_classes}) per sample")

    checks = [describes_itself("dataset", spec), Check("dataset", spec.name, "loads", loads),
              Check("dataset", spec.name, "deterministic", deterministic)]
    if spec.modes is not None or spec.classify is not None:
        checks.append(Check("dataset", spec.name, "modes-and-classes", modes))
    return checks


def metric_checks(spec: MetricSpec, catalog: Catalog) -> list[Check]:
    # A metric of modes is computed where modes are defined: stacked Fashion-MNIST's 1,000.
    dataset, channels = ("stacked-fashion-mnist", 3) if spec.needs_modes else ("fashion-mnist", 1)

    def derives() -> None:
        assert spec.derive is not None
        others = {column.name: 1.0 for metric in catalog.metric_table() for column in metric.columns}
        got = spec.derive(others, {"n_modes": 10})
        if not set(got) <= {column.name for column in spec.columns} or \
                not all(isinstance(v, float | int) for v in got.values()):
            fail(f"metric {spec.name}: derive() must return {{column: float}} for its columns "
                 f"{[c.name for c in spec.columns]}, got {got!r}")

    def embed(images: Tensor, split: str) -> Tensor:
        """A fixed stand-in feature space for other images: 2x2 average pools of each channel."""
        return torch.nn.functional.adaptive_avg_pool2d(images.float(), 2).flatten(1)

    def computes() -> None:
        data = tiny_images(28, channels)
        fake, real = data.train[:64], data.train[64:128]
        generator = torch.Generator().manual_seed(0)
        features = (torch.randn(64, 8, generator=generator), torch.randn(64, 8, generator=generator))
        values = []
        for _ in range(2):
            inputs = ScoreInput(fake=fake, real=real, dataset=catalog.spec("datasets", dataset), channels=channels,
                                feature_extractor="fashion-mnist-cnn", features=lambda: features,
                                embed=embed,
                                fake_labels=data.labels[:64] if data.labels is not None else None,
                                real_labels=data.labels[64:128] if data.labels is not None else None)
            scored, protocol = spec.compute(inputs)
            # A column may be left out where it does not apply (high_quality on images); no other keys.
            if not scored or not set(scored) <= {column.name for column in spec.columns}:
                fail(f"metric {spec.name}: compute() gave {sorted(scored)}, expected values for its columns "
                     f"{[c.name for c in spec.columns]}")
            if not all(isinstance(v, float | int) for v in scored.values()) or not isinstance(protocol, dict):
                fail(f"metric {spec.name}: compute() must return ({{column: float}}, {{protocol}})")
            values.append(scored)
        if values[0] != values[1] and not all(math.isnan(values[0][k]) and math.isnan(values[1][k])
                                              for k in values[0] if values[0][k] != values[1][k]):
            fail(f"metric {spec.name}: two computations on the same input differ")

    if spec.derive is not None:  # computed by the tables, never scored
        return [describes_itself("metric", spec), Check("metric", spec.name, "derives", derives)]
    return [describes_itself("metric", spec)] + (
        [Check("metric", spec.name, "computes", computes)] if IMAGES in spec.data_kinds else [])


def conditioning_checks(spec: ConditioningSpec, catalog: Catalog) -> list[Check]:
    archs = [n for n in ("dcgan", "resnet") if spec.requires <= catalog.spec("architectures", n).provides]

    def builds() -> None:
        if not archs:
            fail(f"conditioning {spec.name}: no built-in architecture provides {sorted(spec.requires)}")
        generator, discriminator = spec.build(catalog.spec("architectures", archs[0]), (1, 28, 28), LATENT, 10)
        for net, role in ((generator, "G"), (discriminator, "D")):
            if not isinstance(net, Conditional):
                fail(f"conditioning {spec.name}: {role} must be a ganbench.conditioning.Conditional")
        labels = torch.arange(4) % 10
        generator.set_labels(labels)  # type: ignore[operator]
        discriminator.set_labels(labels)  # type: ignore[operator]
        network_contract(f"{archs[0]} under {spec.name}", generator, discriminator, (1, 28, 28), frozenset())

    checks = [describes_itself("conditioning", spec), Check("conditioning", spec.name, "builds", builds)]
    if archs:
        run_spec = tiny_spec(True, architecture=archs[0], conditioning=spec.name)
        checks += training_checks("conditioning", spec.name, run_spec, catalog, tiny_images)
    return checks


def suite_checks(spec: SuiteSpec, catalog: Catalog) -> list[Check]:
    def expands() -> None:
        from ganbench.suites import SuiteError, expand, load_suite_file

        try:
            specs = expand(load_suite_file(spec.path), catalog, "cpu")
        except SuiteError as exc:
            fail(f"suite {spec.name}: {exc}")
        if not specs:
            fail(f"suite {spec.name}: expands to no run")

    return [describes_itself("suite", spec), Check("suite", spec.name, "expands", expands)]


def recipe_checks(spec: RecipeSpec, catalog: Catalog) -> list[Check]:
    arch = spec.architecture or "dcgan"

    def resolves() -> None:
        for kind, name in (("architectures", arch), ("losses", spec.loss), ("regularizers", spec.regularizer)):
            try:
                catalog.get(kind, name)
            except Exception as exc:
                fail(f"recipe {spec.name}: {exc}")

    checks = [describes_itself("recipe", spec), Check("recipe", spec.name, "resolves", resolves)]
    try:
        fixed = {"architecture": arch, "loss": spec.loss, "regularizer": spec.regularizer}
        run_spec, data = partner_run(catalog, catalog.spec("architectures", arch).data_kinds, **fixed)
    except Exception:
        return checks
    run_spec = dataclasses.replace(run_spec, recipe=spec.name, **spec.overrides())
    return checks + training_checks("recipe", spec.name, run_spec, catalog, data)


def executor_checks(spec: ExecutorSpec) -> list[Check]:
    """An executor runs a real one-run plan (2 generator steps of dcgan on Fashion-MNIST): one record,
    under the planner's run id, completed and in the store, as the local executor gives it."""

    def runs_a_plan() -> None:
        from ganbench.planner import Settings, drive, plan
        from ganbench.store import RunStore

        run_spec = tiny_spec(True, latent_dim=100, generator_steps=2)
        with tempfile.TemporaryDirectory() as tmp:
            the_plan = plan([run_spec], Settings(None, Path(tmp) / "store"))
            executor = spec.factory(ExecutorOptions(device="cpu", workers=1))
            if not callable(getattr(executor, "run", None)):
                fail(f"executor {spec.name}: factory returned {type(executor).__name__}, with no run(plan, finish)")
            records = drive(the_plan, executor)
            (rid,) = the_plan.ids
            if len(records) != 1 or records[0].get("run_id") != rid:
                fail(f"executor {spec.name}: gave {len(records)} record(s), not one with the planner's run id")
            if records[0].get("status") != "completed":
                fail(f"executor {spec.name}: the run ended {records[0].get('status')}: {records[0].get('reason')}")
            if RunStore(Path(tmp) / "store").lookup(rid) is None:
                fail(f"executor {spec.name}: the run's record never reached the store")

    return [describes_itself("executor", spec), Check("executor", spec.name, "runs-a-plan", runs_a_plan)]


def component_checks(registered: Registered, catalog: Catalog) -> list[Check]:
    spec = registered.spec
    if isinstance(spec, ArchitectureSpec):
        return architecture_checks(spec, catalog)
    if isinstance(spec, LossSpec):
        return loss_checks(spec, catalog)
    if isinstance(spec, RegularizerSpec):
        return regularizer_checks(spec, catalog)
    if isinstance(spec, DatasetSpec):
        return dataset_checks(spec)
    if isinstance(spec, MetricSpec):
        return metric_checks(spec, catalog)
    if isinstance(spec, ConditioningSpec):
        return conditioning_checks(spec, catalog)
    if isinstance(spec, SuiteSpec):
        return suite_checks(spec, catalog)
    if isinstance(spec, RecipeSpec):
        return recipe_checks(spec, catalog)
    if isinstance(spec, ExecutorSpec):
        return executor_checks(spec)
    raise TypeError(f"no checks for {type(spec).__name__}")


def registered_by(catalog: Catalog, plugin: str) -> Iterator[tuple[str, Registered]]:
    """Every (kind, component) the plugin registered; ``plugin`` is its entry-point or distribution name."""
    for kind, table in catalog.components.items():
        for registered in table.values():
            if plugin in (registered.plugin.name, registered.plugin.distribution):
                yield kind, registered
