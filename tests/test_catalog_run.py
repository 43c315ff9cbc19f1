"""A real suite run over the whole catalog with broken plugins installed beside a working one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import ganbench
from ganbench.builtin.suites import SUITES_DIR
from tests.conftest import write_plugin
from tests.test_plugins import BROKEN

BN_ARCH = textwrap.dedent('''
    from torch import nn
    from ganbench import ArchitectureSpec, hookimpl
    from ganbench.builtin.architectures.dcgan import DcganGenerator


    class BatchNormD(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.BatchNorm2d(8), nn.LeakyReLU(0.2),
                                      nn.Flatten())
            self.head = nn.Linear(8 * 14 * 14, 1)

        def features(self, x):
            return self.body(x)

        def forward(self, x):
            return self.head(self.body(x)).squeeze(1)


    @hookimpl
    def register_architectures(register):
        register(ArchitectureSpec("bn-dcgan", "DCGAN with batch norm in D", "test",
                                  lambda shape, latent: (DcganGenerator(shape, latent, 8), BatchNormD()),
                                  traits=frozenset({"batchnorm-discriminator"}), resolutions=(28,)))
''')


# A metric from a plugin joins every table; one that raises leaves its column empty, and the runs stand.
METRIC = textwrap.dedent('''
    from ganbench import Column, MetricSpec, hookimpl


    def brightness(data):
        gap = abs(data.fake.float().mean() - data.real.float().mean()) / 255
        return {"brightness_gap": float(gap)}, {"brightness": "mean pixel, fake vs real"}


    def broken(data):
        raise RuntimeError("no weights")


    @hookimpl
    def register_metrics(register):
        register(MetricSpec("brightness", "Mean-brightness gap", "test",
                            (Column("brightness_gap", "brightness gap", 3, lower_is_better=True),), brightness))
        register(MetricSpec("broken", "Raises", "test", (Column("never", "never"),), broken))
''')


def test_catalog_run_survives_broken_plugins_and_skips_incompatible(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_plugin(site, "ganbench-bn", "ganbench_bn", BN_ARCH)
    write_plugin(site, "ganbench-brightness", "ganbench_brightness", METRIC)
    for kind, (source, _) in BROKEN.items():
        write_plugin(site, f"ganbench-bad{kind}", f"ganbench_bad{kind}", source)
    suite = tmp_path / "tiny.toml"
    suite.write_text((SUITES_DIR / "smoke.toml").read_text()
                     .replace('recipes = ["dcgan", "wgan"]', 'recipes = ["wgan"]')
                     .replace('name = "smoke"', 'name = "tiny"').replace('"dcgan"', '"bn-dcgan"')
                     .replace("generator_steps = 10", "generator_steps = 2").replace("seeds = [0, 1]", "seeds = [0]")
                     .replace("fid_samples = 128", "fid_samples = 64"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GANBENCH_LOAD_PLUGINS")
    proc = subprocess.run([sys.executable, "-m", "ganbench", "run", "--all", "--suite-file", str(suite)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("ganbench: warning:")]
    assert len(warnings) == len(BROKEN)
    assert "Traceback" not in proc.stderr
    runs = pd.read_csv(tmp_path / "leaderboards" / "tiny-fashion-mnist-runs.csv").set_index("entry")
    # One factor at a time around bn-dcgan over the whole built-in catalog, plus WGAN's recipe on bn-dcgan.
    assert len(runs) == 1 + 6 + 6 + 13 + 1
    assert runs.loc["wgan (bn-dcgan/wasserstein/weight-clipping)", "optimizer"] == "rmsprop"
    for reg in ("gradient-penalty", "r1"):
        row = runs.loc[f"bn-dcgan/non-saturating/{reg}"]
        assert row["status"] == "skipped"
        assert row["reason"].startswith(f"{reg} is incompatible with bn-dcgan (batchnorm-discriminator)")
    unconstrained = runs.loc["bn-dcgan/wasserstein/none"]
    assert unconstrained["status"] == "skipped" and unconstrained["reason"].startswith(
        "wasserstein requires a Lipschitz constraint on the discriminator, which neither bn-dcgan nor the "
        "regularizer provides (regularizers that do: gradient-penalty, spectral-norm, weight-clipping)")
    skipped = [f"bn-dcgan/non-saturating/{r}" for r in ("gradient-penalty", "r1", "feature-statistics-vgg16")]
    skipped.append("bn-dcgan/wasserstein/none")
    # WGAN's weight clipping bounds D's weights, which batch norm in D voids: no Lipschitz critic.
    clipped = runs.loc["wgan (bn-dcgan/wasserstein/weight-clipping)"]
    assert clipped["status"] == "skipped" and clipped["reason"] == (
        "wasserstein requires a Lipschitz constraint on the discriminator; weight-clipping's is voided by bn-dcgan "
        "(batchnorm-discriminator): batch norm divides by each batch's std, which no bound on the weights limits")
    skipped.append("wgan (bn-dcgan/wasserstein/weight-clipping)")
    assert (runs.drop(index=skipped)["status"] == "completed").all()
    # distribution==version#code hash for a third-party component; the summary carries it too.
    assert re.fullmatch(r"ganbench-bn==0\.1\.0#[0-9a-f]{12}", runs.loc["bn-dcgan/non-saturating/none",
                                                                        "architecture_plugin"])
    summary = pd.read_csv(tmp_path / "leaderboards" / "tiny-fashion-mnist-summary.csv").set_index("entry")
    assert summary.loc["bn-dcgan/non-saturating/r1", "n_skipped"] == 1
    assert summary.loc["bn-dcgan/non-saturating/none", "architecture_plugin"] == \
        runs.loc["bn-dcgan/non-saturating/none", "architecture_plugin"]
    assert summary.loc["bn-dcgan/non-saturating/none", "loss_plugin"] == f"ganbench=={ganbench.__version__}"
    assert pd.isna(summary.loc["bn-dcgan/non-saturating/r1", "rank"])  # every seed skipped: no rank
    # The plugin's metric: in the runs (every completed run), the summary, the printed table and records.
    done = runs[runs["status"] == "completed"]
    assert done["brightness_gap"].between(0, 1).all() and done["never"].isna().all()
    assert summary.loc["bn-dcgan/non-saturating/none", "brightness_gap_mean"] == pytest.approx(
        runs.loc["bn-dcgan/non-saturating/none", "brightness_gap"], rel=1e-5)
    assert "brightness gap" in proc.stdout
    record = json.loads((tmp_path / ".ganbench" / "runs" /
                         f"{runs.loc['bn-dcgan/non-saturating/none', 'run_id']}.json").read_text())
    assert record["metric_protocol"]["metric_errors"] == {"broken": "RuntimeError: no weights"}
    assert record["metric_protocol"]["brightness"] == "mean pixel, fake vs real"
