"""Pretrained networks in training: the perceptual regularizers, and the rule that a run is never
scored in the feature space of a network its training optimised against."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ganbench.builtin.suites import SUITES_DIR
from ganbench.execute import execute, incompatible, scored_in_trained_space
from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec
from tests.conftest import write_plugin
from tests.test_trainer import tiny_spec

# A perceptual-style regularizer built on the scoring classifier itself: exactly what must be refused.
CHEAT = '''
from ganbench import hookimpl, Regularizer, RegularizerSpec

@hookimpl
def register_regularizers(register):
    register(RegularizerSpec("cnn-perceptual", "trains G against the FID network", "-", Regularizer,
                             networks=frozenset({"fashion-mnist-cnn"})))
'''


def tiny(**changes: object) -> RunSpec:
    """test_trainer's tiny spec with the perceptual regularizer, 4 steps and one critic step."""
    return tiny_spec(**{"regularizer": "feature-statistics", "generator_steps": 4, "d_steps_per_g_step": 1,
                        "curve_points": 2, **changes})


def test_perceptual_run_logs_its_term_and_records_its_network(tmp_path: Path) -> None:
    record = execute(tiny(), None, str(tmp_path))
    assert record["status"] == "completed", record.get("reason")
    assert record["training_networks"] == ["fashion-mnist-vgg-dae"]
    assert record["context"]["training_networks"].startswith("fashion-mnist-vgg-dae@")
    penalties = record["curves"]["g_penalty"]
    assert len(penalties) == 2 and all(0.0 < p < 2.0 for p in penalties)  # weight 0.1 x a term of O(1)-O(10)


def test_vgg16_perceptual_is_skipped_with_the_reason_when_its_weights_are_absent(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty hub cache
    reason = incompatible(tiny(regularizer="feature-statistics-vgg16"))
    assert reason is not None and "GANBENCH_VGG16_WEIGHTS" in reason and "\n" not in reason
    assert incompatible(tiny()) is None


def test_scoring_in_a_trained_against_space_is_refused_before_anything_runs(tmp_path: Path) -> None:
    assert scored_in_trained_space(tiny(), "fashion-mnist-cnn") is None
    site = write_plugin(tmp_path / "site", "ganbench-cheat", "ganbench_cheat", CHEAT)
    suite = tmp_path / "tiny.toml"
    suite.write_text((SUITES_DIR / "smoke.toml").read_text().replace('name = "smoke"', 'name = "tiny"')
                     .replace("generator_steps = 10", "generator_steps = 2").replace("seeds = [0, 1]", "seeds = [0]")
                     .replace("fid_samples = 128", "fid_samples = 64"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GANBENCH_LOAD_PLUGINS", None)
    base = [sys.executable, "-m", "ganbench", "run", "--suite-file", str(suite), "--arch", "dcgan",
            "--loss", "non-saturating", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out")]
    refused = subprocess.run([*base, "--reg", "cnn-perceptual"], env=env, capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "Error: dcgan/non-saturating/cnn-perceptual trains against fashion-mnist-cnn, and its FID would be computed "
        "in fashion-mnist-cnn: fashion-mnist-cnn is that very network; score it in another space (--extractor) or "
        "drop the entry"]
    assert not (tmp_path / "store").exists()  # nothing ran, nothing was written
    # In another feature space the same entry is fair and runs.
    fair = subprocess.run([*base, "--reg", "cnn-perceptual", "--reg", "feature-statistics", "--extractor",
                           "shapes-cnn"], env=env, capture_output=True, text=True)
    assert fair.returncode == 0, fair.stderr
    runs = pd.read_csv(next((tmp_path / "out").glob("*-runs.csv")))
    assert dict(zip(runs["regularizer"], runs["training_networks"].fillna(""), strict=True)) == {
        "cnn-perceptual": "fashion-mnist-cnn", "feature-statistics": "fashion-mnist-vgg-dae"}


def test_quick_suite_lists_the_perceptual_and_batch_norm_entries(builtin_catalog: Catalog) -> None:
    from ganbench.suites import expand, load_suite

    entries = {spec.entry for spec in expand(load_suite("quick", builtin_catalog), builtin_catalog, "cpu")}
    assert {"dcgan/non-saturating/feature-statistics", "dcgan/non-saturating/feature-statistics-vgg16",
            "dcgan/non-saturating/batch-norm", "dcgan-no-bn/non-saturating/none"} <= entries


def test_a_space_is_its_weights_not_its_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A training network that shares weights with the scoring network under another name is refused:
    the same weights file, or a state dict holding one of its tensors. The shipped autoencoder shares
    nothing with the shipped classifier, and stays allowed."""
    import torch

    from ganbench import featurespace, perceptual, runcontext
    from ganbench.metrics import extractors

    cnn = extractors.EXTRACTORS["fashion-mnist-cnn"].weights
    state = torch.load(cnn, weights_only=True)
    name, borrowed = next((k, v) for k, v in state.items() if v.numel() >= featurespace.MIN_SHARED_ELEMENTS)
    partial = tmp_path / "partial.pt"
    torch.save({"encoder.0.weight": borrowed.clone(), "encoder.0.bias": torch.zeros(borrowed.shape[0]),
                "head.weight": torch.randn(64, 64)}, partial)
    unrelated = tmp_path / "unrelated.pt"
    torch.save({"w": torch.randn(64, 64), "b": torch.zeros(borrowed.shape[0])}, unrelated)
    shipped = perceptual.NETWORKS["fashion-mnist-vgg-dae"]
    for network, path in (("renamed-cnn", cnn), ("partial-cnn", partial), ("unrelated", unrelated)):
        monkeypatch.setitem(perceptual.NETWORKS, network, dataclasses.replace(shipped, name=network,
                                                                               locate=lambda path=path: path))
    monkeypatch.setattr(runcontext, "training_networks", lambda spec: ["renamed-cnn"])
    same_file = scored_in_trained_space(tiny(), "fashion-mnist-cnn")
    assert same_file is not None and same_file.endswith(
        f"its FID would be computed in fashion-mnist-cnn: renamed-cnn's weights file ({cnn}) is fashion-mnist-cnn's "
        f"({cnn}); score it in another space (--extractor) or drop the entry"), same_file
    # stacked-fashion-mnist-cnn reads every channel with the same classifier: the same space.
    assert scored_in_trained_space(tiny(), "stacked-fashion-mnist-cnn") is not None
    assert scored_in_trained_space(tiny(), "shapes-cnn") is None
    monkeypatch.setattr(runcontext, "training_networks", lambda spec: ["partial-cnn"])
    one_tensor = scored_in_trained_space(tiny(), "fashion-mnist-cnn")
    assert one_tensor is not None and "partial-cnn shares 1 weight tensor(s) with fashion-mnist-cnn" in one_tensor
    for network in ("unrelated", "fashion-mnist-vgg-dae"):  # a zero bias of the same width is not a shared space
        monkeypatch.setattr(runcontext, "training_networks", lambda spec, network=network: [network])
        assert scored_in_trained_space(tiny(), "fashion-mnist-cnn") is None, network
    assert name  # the borrowed tensor came from the classifier's state dict
