"""Class-conditional GANs: labels reach training, each conditioning method is what its paper
describes, a trained conditional G follows its labels, and the class metrics measure that."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from torch import nn

from ganbench.builtin.conditionings import (
    AuxiliaryClassifierDiscriminator,
    CbnGenerator,
    ConditionalBatchNorm2d,
    ProjectionDiscriminator,
)
from ganbench.builtin.metrics import CLASSES
from ganbench.conditioning import evenly
from ganbench.data.fashion_mnist import load_split
from ganbench.datakinds import IMAGES, LabelledImages
from ganbench.execute import execute, incompatible
from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec
from ganbench.specs import DataRequest, ScoreInput
from ganbench.suites import expand, load_suite
from ganbench.training.trainer import run_kind, sample, train
from tests.test_trainer import tiny_spec

CPU = torch.device("cpu")


def spec(**changes: object) -> RunSpec:
    """test_trainer's tiny spec with one critic step and a batch of 32, so each class appears in it."""
    return tiny_spec(**{"latent_dim": 32, "batch_size": 32, "d_steps_per_g_step": 1, **changes})


def test_labelled_datasets_give_a_class_per_image(builtin_catalog: Catalog) -> None:
    fashion = builtin_catalog.spec("datasets", "fashion-mnist")
    split = fashion.load(DataRequest("reference"))
    assert fashion.n_classes == 10 and split.labels is not None
    assert split.labels.dtype == torch.int64 and torch.equal(split.labels.unique(), torch.arange(10))
    shapes = builtin_catalog.spec("datasets", "shapes")
    fixed = shapes.load(DataRequest("reference"))
    assert shapes.n_classes == 5 and fixed.labels is not None and set(fixed.labels.tolist()) == set(range(5))
    fresh = shapes.stream(DataRequest("train"), 64, 0, 3)
    assert fresh.labels is not None and fresh.labels.shape == (64,)
    for name in ("ring-8", "stacked-fashion-mnist"):
        assert builtin_catalog.spec("datasets", name).n_classes == 0


def test_evaluation_labels_are_even_and_prefix_stable() -> None:
    labels = evenly(2000, 10)
    assert torch.equal(torch.bincount(labels), torch.full((10,), 200))
    assert torch.equal(evenly(500, 10), labels[:500]) and torch.equal(evenly(5, 10, 500), labels[500:505])


def test_projection_is_the_head_plus_the_class_embedding_dotted_with_the_features(builtin_catalog: Catalog) -> None:
    torch.manual_seed(0)
    _, inner = builtin_catalog.spec("architectures", "dcgan").build((1, 28, 28), 16)
    d = ProjectionDiscriminator(inner, 10)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    a, b = torch.full((6,), 3), torch.full((6,), 7)
    d.set_labels(a)
    out_a = d(x)
    d.set_labels(b)
    out_b = d(x)
    phi = inner.features(x)
    assert torch.allclose(out_a, inner.head(phi).squeeze(1) + phi @ d.embed.weight[3], atol=1e-5)
    assert torch.allclose(out_a - out_b, phi @ (d.embed.weight[3] - d.embed.weight[7]), atol=1e-5)


def test_conditional_batch_norm_applies_the_classs_gain_and_bias(builtin_catalog: Catalog) -> None:
    torch.manual_seed(0)
    g = CbnGenerator(builtin_catalog.spec("architectures", "dcgan").build((1, 28, 28), 16)[0], 10)
    norms = [m for m in g.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert len(norms) == 2 and not any(isinstance(m, nn.BatchNorm2d) and m.affine for m in g.modules())
    norm = norms[0]
    with torch.no_grad():
        norm.gain.weight[4] = 2.0
        norm.bias.weight[4] = 0.5
    x = torch.randn(8, norm.norm.num_features, 7, 7)
    g.set_labels(torch.full((8,), 4))
    plain = nn.functional.batch_norm(x, None, None, training=True)
    assert torch.allclose(norm(x), 2.0 * plain + 0.5, atol=1e-5)
    g.set_labels(torch.full((8,), 1))  # untouched classes start as plain batch norm: gain 1, bias 0
    assert torch.allclose(norm(x), plain, atol=1e-5)
    g.set_labels(torch.zeros(3, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="3 labels are bound for a batch of 8"):
        norm(x)


def test_acgan_class_loss_is_the_cross_entropy_of_its_classifier_head(builtin_catalog: Catalog) -> None:
    torch.manual_seed(0)
    _, inner = builtin_catalog.spec("architectures", "dcgan").build((1, 28, 28), 16)
    d = AuxiliaryClassifierDiscriminator(inner, 10)
    x, y = torch.rand(5, 1, 28, 28), torch.tensor([0, 1, 2, 3, 9])
    logits = d(x)
    assert torch.allclose(logits, inner(x), atol=1e-6)  # the real/fake head ignores the class
    expected = nn.functional.cross_entropy(d.classifier(inner.features(x)), y)
    assert torch.allclose(d.class_loss(y), expected, atol=1e-6)


@pytest.mark.parametrize("conditioning", ["concat", "projection", "cbn", "acgan"])
@pytest.mark.parametrize("architecture", ["dcgan", "resnet"])
def test_every_method_trains_on_dcgan_and_resnet(builtin_catalog: Catalog, real_train: torch.Tensor,
                                                 architecture: str, conditioning: str) -> None:
    run = spec(architecture=architecture, conditioning=conditioning, generator_steps=2, batch_size=8)
    assert incompatible(run) is None
    labels = load_split("train").labels
    result = train(run, builtin_catalog, real_train, CPU, labels=labels)
    assert result.status == "completed", result.reason
    kind = run_kind(run, builtin_catalog)
    z_fixed = sample(result.evaluated, 20, run.latent_dim, 0, CPU, kind)
    assert z_fixed.shape == (20, 1, 28, 28)


@pytest.mark.parametrize("conditioning", ["concat", "projection"])
def test_consistency_scores_each_batch_under_its_own_classes(builtin_catalog: Catalog, real_train: torch.Tensor,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             conditioning: str) -> None:
    """bCR compares D(T(x)) with D(x). With T the identity the penalty must be 0 on real and fake
    batches alike, which holds only if D(T(fake)) sees the fake's classes, as D(fake) did."""
    from ganbench.builtin.regularizers import BalancedConsistency

    monkeypatch.setattr(BalancedConsistency, "transform", staticmethod(lambda x: x))
    seen: list[float] = []
    penalty = BalancedConsistency.discriminator_penalty

    def recorded(self: BalancedConsistency, *args: torch.Tensor) -> torch.Tensor:
        out = penalty(self, *args)
        seen.append(float(out))
        return out

    monkeypatch.setattr(BalancedConsistency, "discriminator_penalty", recorded)
    run = spec(conditioning=conditioning, regularizer="consistency", generator_steps=3, batch_size=16)
    result = train(run, builtin_catalog, real_train, CPU, labels=load_split("train").labels)
    assert result.status == "completed", result.reason
    assert len(seen) == 3 and seen == [0.0, 0.0, 0.0], seen


def test_scored_as_binds_a_batchs_classes_and_restores_the_binding(builtin_catalog: Catalog) -> None:
    from ganbench.builtin.conditionings import build_projection
    from ganbench.conditioning import bind_batches, scored_as

    _, d = build_projection(builtin_catalog.spec("architectures", "dcgan"), (1, 28, 28), 16, 10)
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    real, fake = torch.tensor([0, 1, 2, 3]), torch.tensor([7, 7, 7, 7])
    d.set_labels(fake)
    as_fake = d(x)
    d.set_labels(real)
    as_real = d(x)
    with pytest.raises(RuntimeError, match="no fake labels are bound"):
        with scored_as(d, "fake"):
            pass
    bind_batches(d, real, fake)
    with scored_as(d, "fake"):
        assert torch.equal(d(x), as_fake)
    assert torch.equal(d(x), as_real)  # bound to the real classes again
    with pytest.raises(ValueError, match="'real' or 'fake'"):
        with scored_as(d, "fakes"):
            pass
    plain = nn.Linear(3, 1)
    with scored_as(plain, "fake") as same:  # an unconditional D has no classes to bind
        assert same is plain


def test_what_cannot_be_conditioned_is_skipped_with_the_reason() -> None:
    assert incompatible(spec(architecture="dcgan-no-bn", conditioning="cbn")) == (
        "cbn needs a generator normalising with nn.BatchNorm2d, which dcgan-no-bn does not provide")
    assert incompatible(spec(architecture="stylegan-lite", conditioning="cbn")) is not None
    assert incompatible(spec(architecture="dcgan-no-bn", conditioning="projection")) is None
    assert incompatible(spec(dataset="stacked-fashion-mnist", channels=3, conditioning="concat")) == (
        "stacked-fashion-mnist has no class labels, so concat has nothing to condition on")


def test_unconditional_runs_ignore_the_labels(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    run = spec(generator_steps=3)
    with_labels = train(run, builtin_catalog, real_train, CPU, labels=load_split("train").labels)
    without = train(run, builtin_catalog, real_train, CPU)
    for a, b in zip(with_labels.generator.parameters(), without.generator.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_conditional_generator_trained_a_few_steps_follows_its_label(builtin_catalog: Catalog,
                                                                       real_train: torch.Tensor) -> None:
    """AC-GAN on Fashion-MNIST, 150 steps: the shipped classifier puts far more than a tenth of the
    samples in the class G was asked for; the unconditional baseline's samples agree by chance."""
    from ganbench.metrics.modes import classify

    labels = load_split("train").labels
    shares = {}
    for conditioning in ("acgan", ""):
        run = spec(conditioning=conditioning, generator_steps=150, latent_dim=64)
        result = train(run, builtin_catalog, real_train, CPU, labels=labels)
        asked = evenly(1000, 10)
        fake = sample(result.evaluated, 1000, run.latent_dim, 0, CPU, run_kind(run, builtin_catalog))
        shares[conditioning] = float((classify(fake) == asked).double().mean())
    # Measured on this AVX2 machine: 0.462 for AC-GAN, 0.110 unconditional (chance: 0.1; the binomial
    # std of a share near 0.1 over 1,000 samples is 0.01). One training run per case, so the bounds
    # leave room for another CPU's rounding to take a different path.
    assert shares["acgan"] > 0.3, shares
    assert abs(shares[""] - 0.1) < 0.05, shares


def test_class_metrics_on_real_images_with_their_labels_and_with_shuffled_ones(builtin_catalog: Catalog) -> None:
    """Held-out real images scored as "fakes" of their own classes, then of shuffled classes."""
    from ganbench.metrics.fidelity import extract

    dataset = builtin_catalog.spec("datasets", "fashion-mnist")
    train_part, reference = load_split("train"), load_split("reference")
    fake, real = train_part.images[:2000], reference.images[:2000]
    fake_f, real_f = extract(fake, "fashion-mnist-cnn"), extract(real, "fashion-mnist-cnn")

    def scored(fake_labels: torch.Tensor) -> dict[str, float]:
        data = ScoreInput(fake, real, dataset, 1, "fashion-mnist-cnn", lambda: (fake_f, real_f),
                          fake_labels=fake_labels, real_labels=reference.labels[:2000])
        return CLASSES.compute(data)[0]

    right = scored(train_part.labels[:2000])
    wrong = scored(train_part.labels[:2000][torch.randperm(2000, generator=torch.Generator().manual_seed(0))])
    assert 0.85 < right["class_accuracy"] < 0.95  # the shipped classifier's accuracy (0.89 on the full test set)
    assert abs(wrong["class_accuracy"] - 0.1) < 0.03
    assert right["intra_fid"] < wrong["intra_fid"] / 5
    assert right["class_coverage"] > 0.8 > wrong["class_coverage"] + 0.2
    assert right["worst_class_coverage"] <= right["class_coverage"]


def test_conditional_suite_is_the_baseline_and_one_row_per_method(builtin_catalog: Catalog, tmp_path: Path) -> None:
    suite = load_suite("conditional", builtin_catalog)
    specs = expand(suite, builtin_catalog, "cpu")
    entries = list(dict.fromkeys(s.entry for s in specs))
    assert entries == ["dcgan/non-saturating/none", "dcgan/non-saturating/none/concat",
                       "dcgan/non-saturating/none/projection", "dcgan/non-saturating/none/cbn",
                       "dcgan/non-saturating/none/acgan"]
    assert len(specs) == 15
    tiny = dataclasses.replace(specs[-1], generator_steps=4, fid_samples=200, curve_points=2, eval_points=1,
                               curve_fid_samples=100)
    record = execute(tiny, None, str(tmp_path))
    assert record["status"] == "completed", record.get("reason")
    assert {"fid", "intra_fid", "class_accuracy", "class_coverage"} <= set(record["metrics"])
    assert record["metric_protocol"]["samples_per_class"] == 20
    assert record["context"]["conditioning_plugin"].startswith("ganbench==")
    assert isinstance(run_kind(tiny, builtin_catalog), LabelledImages)
    assert run_kind(specs[0], builtin_catalog) is IMAGES


def test_feature_matching_needs_features_that_see_the_class() -> None:
    assert incompatible(spec(loss="feature-matching", conditioning="projection")) == (
        "feature-matching matches D's features, which carry no class under projection: G would get no class signal")
    assert incompatible(spec(loss="feature-matching", conditioning="acgan")) is not None
    assert incompatible(spec(loss="feature-matching", conditioning="concat")) is None


def test_the_documented_conditioning_plugin_builds_and_follows_bound_labels(builtin_catalog: Catalog) -> None:
    """docs/plugins.md's example, executed as written."""
    text = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()
    section = text[text.index("## A conditioning method"):]
    code = section[section.index("```python") + len("```python"): section.index("```", section.index("```python") + 3)]
    registered: list[object] = []
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/plugins.md", "exec"), namespace)  # our own documentation, run as written
    namespace["register_conditionings"](registered.append)  # type: ignore[operator]
    (conditioning,) = registered
    g, d = conditioning.build(builtin_catalog.spec("architectures", "dcgan"), (1, 28, 28), 16, 10)  # type: ignore[attr-defined]
    z = torch.randn(4, 16)
    g.eval()
    g.set_labels(torch.tensor([0, 1, 2, 3]))
    first = g(z)
    with torch.no_grad():
        g.embed.weight[1] *= 3.0
    second = g(z)
    assert torch.equal(first[[0, 2, 3]], second[[0, 2, 3]]) and not torch.equal(first[1], second[1])
    d.set_labels(torch.tensor([0, 1, 2, 3]))
    assert d(first).shape == (4,)
