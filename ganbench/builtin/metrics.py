"""Built-in metrics, registered through the same hook as a plugin's: fidelity in the dataset's
feature space, structure (fidelity on coarse scales), spectral sharpness, mode coverage and the mode
score derived from it, and class-conditional fidelity. Their order is the order of the table columns.

The fidelity code (torch-fidelity, torchvision: a second or more to import) is imported when a metric
is computed, not when the catalog loads: the process that plans a suite loads the catalog and never
scores (docs/performance.md, "Start-up")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ganbench import stats
from ganbench.datakinds import kind_of
from ganbench.hookspecs import RegisterMetric, hookimpl
from ganbench.metrics import spectrum, structure
from ganbench.metrics.modes import coverage
from ganbench.specs import IMAGES, LABELLED_IMAGES, POINTS, Column, MetricSpec, Scored, ScoreInput


def _fidelity(data: ScoreInput) -> Scored:
    from ganbench.metrics.fidelity import fidelity_from_features, protocol

    fake_f, real_f = data.features()
    return (fidelity_from_features(fake_f, real_f),
            protocol(data.feature_extractor, int(data.fake.shape[0]), int(data.real.shape[0])))


def _structure(data: ScoreInput) -> Scored:
    from ganbench.metrics.fidelity import fidelity_from_features

    if data.embed is None:
        raise ValueError("the structure score needs the run's feature extractor")
    side = int(data.real.shape[-1])
    split = f"reference-low-pass-{structure.sigma_for(side):.4f}"
    real_f = data.embed(structure.low_pass(data.real), split)
    fake_f = data.embed(structure.low_pass(data.fake), "")
    return ({"structure_fid": fidelity_from_features(fake_f, real_f, kid=False, prc=False)["fid"]},
            structure.protocol(side))


def _sharpness(data: ScoreInput) -> Scored:
    return (spectrum.spectral_scores(data.fake, data.real),
            {"blur_band": list(spectrum.BLUR_BAND), "noise_band": list(spectrum.NOISE_BAND)})


def _modes(data: ScoreInput) -> Scored:
    dataset = data.dataset
    counted = data.fake if data.mode_fake is None else data.mode_fake
    points = kind_of(dataset).mode_quality
    values = coverage(dataset.modes(counted), dataset.n_modes, quality=points) if dataset.modes else {}
    proto = {"modes": f"{dataset.name}: {dataset.n_modes} modes"
                      + (", high quality = within 3 std of a centre" if points else ""),
             "mode_samples": int(counted.shape[0]), "n_modes": dataset.n_modes}
    return values, proto


def _mode_score(values: Mapping[str, float], proto: Mapping[str, Any]) -> dict[str, float]:
    score = stats.mode_score(np.array(values.get("modes_covered", np.nan)), np.array(proto.get("n_modes", np.nan)),
                             np.array(values.get("high_quality", np.nan)))
    return {"mode_score": float(score)}


def _derived(data: ScoreInput) -> Scored:
    raise TypeError("a derived metric is computed by the tables, not scored")


def _classes(data: ScoreInput) -> Scored:
    """Per class c: FID and coverage of the fakes asked for c against the reference images of c, in
    the run's feature space; the share of fakes the dataset's shipped classifier puts in c."""
    from ganbench.metrics.fidelity import DC_NEIGHBOURHOOD, density_coverage, fidelity_from_features

    if data.fake_labels is None or data.real_labels is None:
        raise ValueError("a class-conditional run needs the fakes' and the reference's classes")
    fake_f, real_f = data.features()
    n_classes = data.dataset.n_classes
    fids, coverages = [], []
    for c in range(n_classes):
        fake_c, real_c = fake_f[data.fake_labels == c], real_f[data.real_labels == c]
        if len(fake_c) < 2 or len(real_c) <= DC_NEIGHBOURHOOD:
            raise ValueError(f"class {c}: {len(fake_c)} samples and {len(real_c)} reference images are too few")
        fids.append(fidelity_from_features(fake_c, real_c, kid=False, prc=False)["fid"])
        coverages.append(density_coverage(fake_c, real_c)["coverage"])
    values = {"intra_fid": sum(fids) / n_classes, "class_coverage": sum(coverages) / n_classes,
              "worst_class_coverage": min(coverages)}
    if data.dataset.classify is not None:
        predicted = data.dataset.classify(data.fake)
        values["class_accuracy"] = float((predicted.cpu() == data.fake_labels.cpu()).double().mean())
    proto = {"classes": n_classes, "class_fid": [round(v, 4) for v in fids],
             "class_coverage": [round(v, 4) for v in coverages],
             "samples_per_class": int(data.fake.shape[0]) // n_classes,
             "class_accuracy_by": "the dataset's shipped classifier" if data.dataset.classify else "none"}
    return values, proto


FIDELITY = MetricSpec(
    "fidelity", "FID, KID, improved precision/recall (k=3) and density/coverage (k=5) on the dataset's features",
    "Heusel et al. 2017; Bińkowski et al. 2018; Kynkäänniemi et al. 2019; Naeem et al. 2020 (torch-fidelity)",
    (Column("fid", "FID", 2, lower_is_better=True, spread=True, delta="delta_fid", rank=2, rank_label="median FID",
            stability=True, headline=True, y_axis=2),
     Column("kid", "KID", 4, lower_is_better=True),
     Column("kid_std", "KID std", 4, aggregate=False),
     Column("precision", "precision", 3, lower_is_better=False),
     Column("recall", "recall", 3, lower_is_better=False),
     Column("density", "density", 3, lower_is_better=False),
     Column("coverage", "coverage", 3, lower_is_better=False)),
    _fidelity)
STRUCTURE = MetricSpec(
    "structure", "Structure: FID in the dataset's feature space after the same Gaussian low-pass filter "
    "(σ = 3/28 of the image side) on the samples and the reference; blind to blur and fine noise, not to "
    "missing shapes",
    "ganbench (docs/metrics.md, \"Structure\"); FID: Heusel et al. 2017",
    (Column("structure_fid", "structure FID", 2, lower_is_better=True, spread=True, delta="delta_structure",
            rank=1, rank_label="median structure FID", headline=True, y_axis=1, role="structure"),),
    _structure)
SHARPNESS = MetricSpec(
    "sharpness", "Spectral blur and noise (log2 RAPSD fake/real in two bands), log-spectral distance (dB), "
    "Laplacian-variance ratio; against the real reference split",
    "Durall et al. 2020; Dzanic et al. 2020; Schwarz et al. 2021 (docs/metrics.md)",
    (Column("blur_score", "blur", 2, spread=True, signed=True, delta="delta_blur", best=0.0, x_axis=1,
            role="sharpness"),
     Column("noise_score", "noise", 2, spread=True, signed=True, delta="delta_noise", best=0.0,
            role="artefacts"),
     Column("log_spectral_distance", "LSD dB", 2, lower_is_better=True),
     Column("laplacian_ratio", "Laplacian ratio", 2, best=1.0)),
    _sharpness)
MODES = MetricSpec(
    "modes", "Modes covered and KL(p || uniform) on data with known modes; on 2-D mixtures also the share "
    "of high-quality samples (within 3 std of a centre)",
    "Metz et al. 2017; Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN)",
    (Column("modes_covered", "modes", 1, lower_is_better=False, rank=4, rank_label="median modes", headline=True,
            y_axis=3),
     Column("mode_kl", "mode KL", 2, lower_is_better=True),
     Column("high_quality", "high quality %", 1, lower_is_better=False, headline=True, x_axis=2)),
    _modes, data_kinds=frozenset({IMAGES, POINTS}), needs_modes=True)
MODE_SCORE = MetricSpec(
    "mode-score", "Derived: sqrt(share of modes covered x share of high-quality samples) on 2-D mixtures; "
    "one number for coverage and quality (ganbench.stats.mode_score)",
    "Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN): the two reported side by side",
    (Column("mode_score", "mode score", 3, lower_is_better=False, rank=3, rank_label="score"),),
    _derived, data_kinds=frozenset({IMAGES, POINTS}), needs_modes=True, derive=_mode_score)


CLASSES = MetricSpec(
    "classes", "Class-conditional runs: intra-class FID (mean over classes of the FID of each class's "
    "samples against its reference images), class accuracy by the dataset's shipped classifier, "
    "coverage per class (mean and worst)",
    "Miyato & Koyama 2018 (intra-FID); Odena et al. 2017 (class accuracy); Naeem et al. 2020 (coverage)",
    (Column("intra_fid", "intra-FID", 2, lower_is_better=True, spread=True, delta="delta_intra_fid", headline=True),
     Column("class_accuracy", "class acc", 3, lower_is_better=False, headline=True),
     Column("class_coverage", "class cov", 3, lower_is_better=False),
     Column("worst_class_coverage", "worst class cov", 3, lower_is_better=False)),
    _classes, data_kinds=frozenset({LABELLED_IMAGES}))


@hookimpl
def register_metrics(register: RegisterMetric) -> None:
    for metric in (FIDELITY, STRUCTURE, SHARPNESS, MODES, MODE_SCORE, CLASSES):
        register(metric)
