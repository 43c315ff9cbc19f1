"""Component specs: the frozen dataclasses plugins hand to ``register``, and component protocols."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor, nn

NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# (channels, height, width)
ImageShape = tuple[int, int, int]


class ArchitectureBuilder(Protocol):
    def __call__(self, image_shape: ImageShape, latent_dim: int) -> tuple[nn.Module, nn.Module]:
        """Return ``(generator, discriminator)``.

        The generator maps ``z`` of shape (N, latent_dim) to images (N, C, H, W) in [-1, 1];
        the discriminator maps images to one logit per sample, shape (N,).
        """
        ...


class PointArchitectureBuilder(Protocol):
    def __call__(self, point_dim: int, latent_dim: int) -> tuple[nn.Module, nn.Module]:
        """Return ``(generator, discriminator)`` for ``point_dim``-dimensional points.

        The generator maps ``z`` (N, latent_dim) to points (N, point_dim) with an unbounded (linear)
        output; the discriminator maps points to one logit per sample, shape (N,).
        """
        ...


class GanLoss(Protocol):
    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Scalar loss the discriminator minimises."""
        ...

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        """Scalar loss the generator minimises. ``real_logits`` are detached: D's output on a fresh
        real batch after the D update when the loss sets ``needs_real_logits = True`` (relativistic
        objectives), else the last D step's, which such losses ignore."""
        ...


class Regularizer:
    """Optional steps into the training loop; every default is a no-op.

    Subclass and override what the regularizer needs: wrap the networks before the optimizers
    are built, transform every discriminator input (augmentation, noise), add a discriminator
    penalty or a generator-side term, act after a discriminator or generator step, or choose (and
    prepare) which generator is evaluated.
    """

    def wrap(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        return generator, discriminator

    def set_progress(self, step: int, total: int) -> None:
        """Called before generator step ``step`` (1-based) of ``total``, for annealed schedules."""

    def augment(self, images: Tensor) -> Tensor:
        """Applied, differentiably, to every batch (real and fake) the discriminator sees."""
        return images

    def discriminator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor,
                              real_logits: Tensor, fake_logits: Tensor) -> Tensor | None:
        """Added to the discriminator loss; ``real``/``fake`` are the (augmented) D inputs. A conditional
        D scores under the real batch's classes here; score the fake batch (or a transform of it)
        inside ``with ganbench.conditioning.scored_as(discriminator, "fake"):``, under its own."""
        return None

    def generator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor | None:
        """Added to the generator loss each generator step (None: no term). ``fake`` is the augmented
        generated batch with its gradient; ``real`` the last critic step's augmented real batch,
        detached; ``discriminator`` may be called (its gradients are cleared before its next step).
        Logged apart from the G loss: ``g_penalty`` in the curves, ``final_g_penalty`` in the tables."""
        return None

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """Called right after every discriminator optimizer step (weight clipping acts here)."""

    def after_generator_step(self, generator: nn.Module) -> None:
        """Called right after every generator optimizer step (a weight average updates here)."""

    def prepare_eval(self, generator: nn.Module, latent_dim: int, batch_size: int,
                     device: torch.device) -> None:
        """Called before every evaluation (each point of the training curve and the final score),
        with what it takes to run the generator: its latent size, the training batch size and the
        device. An EMA recomputes its batch-norm statistics here. It may draw random numbers only
        from a private ``torch.Generator``, so the training streams stay as they were."""

    def eval_generator(self, generator: nn.Module) -> nn.Module:
        """The generator whose samples are scored (after ``prepare_eval``)."""
        return generator

    def state_dict(self) -> dict[str, Any]:
        """State to checkpoint (tensors, numbers, containers of them); stateless by default."""
        return {}

    def load_state_dict(self, state: dict[str, Any], generator: nn.Module) -> None:
        """Restore ``state_dict()`` output; ``generator`` is the freshly built, restored generator."""


@dataclass(frozen=True)
class ImageData:
    """One split of a dataset: uint8 images (N, C, H, W) plus where they came from, and the class of
    each image (int64 (N,), in [0, n_classes)) for datasets with labels."""

    images: Tensor
    source: str
    labels: Tensor | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise TypeError(f"ImageData needs a uint8 (N, C, H, W) tensor, got {self.images.dtype} "
                            f"{tuple(self.images.shape)}")
        if self.labels is not None and (self.labels.dtype != torch.int64 or
                                        tuple(self.labels.shape) != (self.images.shape[0],)):
            raise TypeError(f"ImageData labels must be int64 ({self.images.shape[0]},), got {self.labels.dtype} "
                            f"{tuple(self.labels.shape)}")


@dataclass(frozen=True)
class PointData:
    """One split of a point dataset: float32 points (N, D) plus where they came from."""

    points: Tensor
    source: str

    def __post_init__(self) -> None:
        if self.points.dtype != torch.float32 or self.points.dim() != 2:
            raise TypeError(f"PointData needs a float32 (N, D) tensor, got {self.points.dtype} "
                            f"{tuple(self.points.shape)}")


# What a dataset kind needs from the other components.
# The data kinds' names (ganbench.datakinds has one object per kind); components declare these.
IMAGES, POINTS, LABELLED_IMAGES = "images", "points", "labelled-images"
DATA_KINDS = (IMAGES, POINTS)


@dataclass(frozen=True)
class ArchitectureSpec:
    """``traits`` describe the networks, e.g. ``batchnorm-discriminator``; losses and regularizers
    name the traits they cannot work with. ``resolutions`` lists supported image sides.
    An architecture that also works on 2-D point data (``ring-8``, ``grid-25``) gives ``build_points``."""

    name: str
    summary: str
    reference: str
    build: ArchitectureBuilder
    traits: frozenset[str] = frozenset()
    resolutions: tuple[int, ...] = (28, 32)
    build_points: PointArchitectureBuilder | None = None
    provides: frozenset[str] = frozenset()  # guarantees other components may require, e.g. "lipschitz"
    # Train in channels_last, oneDNN's fast layout for convolutions (and cuDNN's for tensor cores): 15-19%
    # faster for the built-in DCGAN and ResNet on a CPU (docs/performance.md). Opt in only when the
    # networks' code is layout-agnostic: ``.view()`` on a conv feature map fails in channels_last.
    channels_last: bool = False

    @property
    def data_kinds(self) -> frozenset[str]:
        return frozenset({IMAGES, POINTS} if self.build_points else {IMAGES})


@dataclass(frozen=True)
class LossSpec:
    """``incompatible`` maps an architecture trait to the reason this loss cannot run with it;
    ``requires`` names guarantees (see ``REQUIREMENTS``) that the architecture or the regularizer
    must provide, e.g. the Wasserstein critic needs a Lipschitz constraint."""

    name: str
    summary: str
    reference: str
    factory: Callable[[], GanLoss]
    incompatible: Mapping[str, str] = field(default_factory=dict)
    data_kinds: frozenset[str] = frozenset(DATA_KINDS)
    requires: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()  # pretrained networks training optimises against (see below)


@dataclass(frozen=True)
class RegularizerSpec:
    """``incompatible`` maps an architecture trait to the reason this regularizer cannot run with it;
    ``data_kinds`` the kinds of data it works on (image augmentations only work on images);
    ``traits`` the traits it gives the networks it wraps (batch norm in D: ``batchnorm-discriminator``),
    checked against the other components' ``incompatible`` like an architecture's."""

    name: str
    summary: str
    reference: str
    factory: Callable[[], Regularizer]
    incompatible: Mapping[str, str] = field(default_factory=dict)
    data_kinds: frozenset[str] = frozenset(DATA_KINDS)
    provides: frozenset[str] = frozenset()  # e.g. "lipschitz" for spectral norm, GP, weight clipping
    traits: frozenset[str] = frozenset()
    # Traits of the networks under which what it ``provides`` no longer holds, each with the reason: batch
    # norm in D voids the layer-norm bound of spectral norm and weight clipping. It still runs.
    voided_by: Mapping[str, str] = field(default_factory=dict)
    # Pretrained networks the regularizer trains G (or D) against, named as feature extractors are
    # (a perceptual loss's VGG16: "vgg16"). A run never scores in the space of one of them.
    networks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DataRequest:
    """What a run asks of a dataset: the ``train`` or ``reference`` split, where the user keeps data
    (``None``: the dataset's own defaults), and the suite's image side and channel count. A loader may
    return another size; the host resizes."""

    split: str
    data_root: Path | None = None
    resolution: int = 28
    channels: int = 1


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: ``load(DataRequest)`` returns one split as uint8 images (``kind="images"``) or as
    float points (``kind="points"``, with ``image_shape`` = (D, 1, 1)).

    ``feature_extractor`` names the torch-fidelity feature extractor used for its FID (empty for
    points: no FID); ``image_shape`` is the native shape. Datasets with known modes give
    ``modes(samples) -> mode ids`` and ``n_modes``; runs then report mode coverage. A mode id of -1
    means the sample is near no mode (points further than 3 std from every centre).

    A labelled dataset gives ``n_classes`` and labels in each split's ``ImageData`` (and in what its
    stream returns), so conditional runs can train on it; ``classify(samples) -> class ids`` (a shipped
    classifier, never one training used) lets conditional runs report class accuracy.
    """

    name: str
    summary: str
    reference: str
    load: Callable[[DataRequest], ImageData | PointData]
    feature_extractor: str
    image_shape: ImageShape
    kind: str = IMAGES
    modes: Callable[[Tensor], Tensor] | None = None
    n_modes: int = 0
    # An infinite train split: stream(request, count, run_seed, draw) gives ``count`` fresh uint8
    # training images (a Tensor, or ImageData with their labels) for draw number ``draw`` of a run;
    # then ``load`` gives the reference split and a fixed train sample that only identifies the data
    # (it is hashed into run ids).
    stream: Callable[[DataRequest, int, int, int], Tensor | ImageData] | None = None
    n_classes: int = 0
    classify: Callable[[Tensor], Tensor] | None = None


class ConditioningBuilder(Protocol):
    def __call__(self, architecture: ArchitectureSpec, image_shape: ImageShape, latent_dim: int,
                 n_classes: int) -> tuple[nn.Module, nn.Module]:
        """Return ``(generator, discriminator)``, both ``ganbench.conditioning.Conditional``: the
        labels of the next batch are bound with ``set_labels(labels)`` before each call, so G maps
        z (N, latent_dim) to images of those classes and D scores images as those classes."""
        ...


@dataclass(frozen=True)
class ConditioningSpec:
    """A way to condition G and D on class labels (concatenation, projection, conditional batch norm,
    an auxiliary classifier). ``build`` makes the conditional pair from an architecture; ``requires``
    names what the architecture must provide (``ARCHITECTURE_OFFERS``), else runs are skipped with
    the reason. ``labelled_features``: D's ``features(x)`` depend on the bound labels, so a
    feature-matching objective still trains G on its class; without it such pairings are skipped."""

    name: str
    summary: str
    reference: str
    build: ConditioningBuilder
    requires: frozenset[str] = frozenset()
    labelled_features: bool = False


@dataclass(frozen=True)
class ExecutorOptions:
    """What ``ganbench run`` tells an executor: ``workers`` None means the executor's own default
    (one per core locally; the cluster's resources on Ray)."""

    device: str = "cpu"  # the runs' device: "cpu" or "cuda"
    workers: int | None = None
    runs_per_gpu: int = 1  # on CUDA: runs sharing one GPU
    address: str | None = None  # the cluster to connect to (``--address``), for executors that take one


@dataclass(frozen=True)
class ExecutorSpec:
    """An engine that runs a suite's planned runs: ``factory(options)`` returns an object with
    ``run(plan, finish)`` (``ganbench.planner.Executor``), built cheaply (connect inside ``run``).
    ``imports`` are the Python modules it needs, checked before any run with ``install`` as the hint;
    ``takes_address``: it accepts ``--address``."""

    name: str
    summary: str
    reference: str
    factory: Callable[[ExecutorOptions], Any]
    imports: tuple[str, ...] = ()
    install: str = ""
    takes_address: bool = False


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: a TOML file (see ``ganbench/suites/quick.toml``) that names a dataset, baseline,
    budget, optimizer, evaluation and seeds."""

    name: str
    summary: str
    reference: str
    path: Path


# What a recipe may set besides its components: the optimiser and the critic steps.
OPTIMIZERS = ("adam", "rmsprop")


@dataclass(frozen=True)
class RecipeSpec:
    """A method of the literature as one entry: components plus the training settings that are part
    of the method (its optimiser, learning rates, betas and critic steps per generator step).

    ``architecture`` "" means the suite's baseline architecture, so one recipe serves image and
    point suites alike. Settings left ``None`` keep the suite's. The budget in generator steps stays
    the suite's, so a recipe with 5 critic steps sees 5x the discriminator updates (the tables show
    critic steps and images seen).
    """

    name: str
    summary: str
    reference: str
    loss: str
    regularizer: str
    architecture: str = ""
    optimizer: str | None = None  # one of OPTIMIZERS
    lr_generator: float | None = None
    lr_discriminator: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    d_steps_per_g_step: int | None = None

    def __post_init__(self) -> None:
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ValueError(f"recipe {self.name}: optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")

    def overrides(self) -> dict[str, Any]:
        """The RunSpec fields this recipe sets."""
        keys = ("optimizer", "lr_generator", "lr_discriminator", "beta1", "beta2", "d_steps_per_g_step")
        return {key: getattr(self, key) for key in keys if getattr(self, key) is not None}


@dataclass(frozen=True)
class Column:
    """One number a metric writes into each run's row: its CSV ``name``, the ``label`` printed over it,
    its decimals, and which way is better (None: neither, or nearest 0, e.g. the blur score). ``spread``: tables
    print mean ± std over seeds; ``signed``: printed with its sign; ``delta``: the summary compares it
    with the suite's baseline under this column prefix (Welch over seeds, Holm over entries);
    ``aggregate`` False: kept per run only (no summary mean); ``best``: sorting puts values nearest it first."""

    name: str
    label: str
    digits: int = 3
    lower_is_better: bool | None = None
    spread: bool = False
    signed: bool = False
    delta: str = ""
    aggregate: bool = True
    best: float | None = None  # the ideal value where neither direction is better (blur: 0, a ratio: 1)
    # Where the column shows up beyond its own cell. ``rank``: a table ranks on the column with the
    # lowest positive priority that some run measured, printed as ``rank_label``. ``stability``: its
    # spread over seeds is the entry's stability (min, max, IQR, 95% CI, CV columns). ``headline``: in
    # a finished run's progress line. ``x_axis``/``y_axis``: priority for the report's trade-off plot.
    rank: int = 0
    rank_label: str = ""
    stability: bool = False
    headline: bool = False
    x_axis: int = 0
    y_axis: int = 0
    # What the column tells about an entry against the baseline (ganbench.verdicts): "structure",
    # "sharpness" or "artefacts"; it needs a ``delta``.
    role: str = ""

    def format(self, value: float) -> str:
        """The value as the tables print it; "-" when missing."""
        if value != value:  # NaN
            return "-"
        return format(value, f"{'+' if self.signed else ''}.{self.digits}f")


@dataclass(frozen=True)
class ScoreInput:
    """What a metric scores: the final ``fake`` samples and the ``real`` reference split (uint8 images
    or float points), the dataset, the run's channel count, the larger sample modes are counted on
    (``mode_fake``, None: count on ``fake``), and ``features()``, the (fake, real) features in the
    run's feature extractor space (computed once, shared by every metric that asks). A class-conditional
    run (data kind ``labelled-images``) also gives ``fake_labels`` and ``real_labels``."""

    fake: Tensor
    real: Tensor
    dataset: DatasetSpec
    channels: int
    feature_extractor: str
    features: Callable[[], tuple[Tensor, Tensor]]
    mode_fake: Tensor | None = None
    fake_labels: Tensor | None = None  # class-conditional runs: the class each fake was asked for
    real_labels: Tensor | None = None  # and the class of each reference image
    # Features of other images in the run's space: ``embed(images, split)``. A ``split`` name marks
    # images derived from the reference split alone (cached by it); "" for anything else.
    embed: Callable[[Tensor, str], Tensor] | None = None


# A metric's values (keys: its columns' names) and the protocol they were computed under.
Scored = tuple[dict[str, float], dict[str, Any]]


@dataclass(frozen=True)
class MetricSpec:
    """A metric: ``compute(ScoreInput)`` gives its ``columns``' values for one run plus the protocol
    it used (stored in the record). It applies to the ``data_kinds`` listed and, with ``needs_modes``,
    only where the dataset's modes are defined for the run (``DataKind.modes_defined``). Registration order is the order
    of the columns in every table."""

    name: str
    summary: str
    reference: str
    columns: tuple[Column, ...]
    compute: Callable[[ScoreInput], Scored]
    data_kinds: frozenset[str] = frozenset({IMAGES})
    needs_modes: bool = False
    # A derived metric is computed by the tables from the other metrics' values and the protocol of a
    # run (so a table re-made from old records has it too); scoring skips it.
    derive: Callable[[Mapping[str, float], Mapping[str, Any]], dict[str, float]] | None = None


ComponentSpec = (ArchitectureSpec | LossSpec | RegularizerSpec | DatasetSpec | SuiteSpec | RecipeSpec | MetricSpec
                 | ConditioningSpec)


# Guarantees a loss can require; each says what provides it.
REQUIREMENTS = {"lipschitz": "a Lipschitz constraint on the discriminator"}
# What an architecture's networks offer that conditioning methods build on (in its ``provides``).
ARCHITECTURE_OFFERS = {
    "discriminator-features": "a discriminator with features(x) -> (N, F) and a linear head, D(x) = head(features(x))",
    "generator-batch-norm": "a generator normalising with nn.BatchNorm2d",
}


def incompatibility(architecture: ArchitectureSpec, *others: LossSpec | RegularizerSpec,
                    data_kind: str | frozenset[str] = IMAGES,
                    providers: Mapping[str, list[str]] | None = None) -> str | None:
    """Why this combination cannot run, or None. A declared reason, never a crash mid-suite.

    ``data_kind``: the run's kind, or every kind it is a case of (``DataKind.names``; a reason states
    the most specific, the longest name). ``providers`` maps a requirement to the components that
    provide it, to name them in the reason.
    """
    kinds = frozenset({data_kind}) if isinstance(data_kind, str) else data_kind
    for component in (architecture, *others):
        if not kinds & component.data_kinds:
            return f"{component.name} does not support {max(kinds, key=len)} data"
    # Traits come from the architecture and from the regularizers that change its networks.
    givers: list[ArchitectureSpec | RegularizerSpec] = [architecture]
    givers += [o for o in others if isinstance(o, RegularizerSpec)]
    for other in others:
        for giver in givers:
            if giver is other:
                continue
            for trait in sorted(giver.traits):
                if trait in other.incompatible:
                    return f"{other.name} is incompatible with {giver.name} ({trait}): {other.incompatible[trait]}"
    present = {trait: giver for giver in givers for trait in giver.traits}
    provided = set(architecture.provides)
    voids: list[str] = []  # why a regularizer's guarantee does not hold here
    for other in others:
        if not isinstance(other, RegularizerSpec):
            continue
        hit = sorted(trait for trait in other.voided_by if trait in present)
        if not hit:
            provided |= other.provides
        elif present[hit[0]] is other:  # a stack whose own member gives the trait
            voids.append(f"{other.name} gives its own D {hit[0]}: {other.voided_by[hit[0]]}")
        else:
            voids.append(f"{other.name}'s is voided by {present[hit[0]].name} ({hit[0]}): {other.voided_by[hit[0]]}")
    for other in others:
        if isinstance(other, LossSpec):
            for need in sorted(other.requires - provided):
                if voids:
                    return f"{other.name} requires {REQUIREMENTS.get(need, need)}; {voids[0]}"
                names = ", ".join((providers or {}).get(need, [])) or "none registered"
                return (f"{other.name} requires {REQUIREMENTS.get(need, need)}, which neither {architecture.name} "
                        f"nor the regularizer provides (regularizers that do: {names})")
    return None

