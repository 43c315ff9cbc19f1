"""The performance features: `ganbench bench`, longest-first ordering, torch.compile, the GPU options."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch

from ganbench.execute import catalog
from ganbench.executors.cost import estimated_seconds, longest_first
from ganbench.plugins import Catalog
from ganbench.runspec import run_id
from ganbench.suites import expand, load_suite
from ganbench.training.trainer import train
from tests.test_end_to_end import ganbench
from tests.test_trainer import CPU, tiny_spec, weights


def test_bench_prints_images_per_second_for_every_entry(tmp_path: Path) -> None:
    proc = ganbench("bench", "--suite", "smoke", "--steps", "2", "--concurrent", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    speeds = {m.group(1).strip(): float(m.group(2)) for line in lines
              if (m := re.match(r"^(\S.*?)\s+\d+\s+(\d+)\s+[\d.]+x$", line))}
    assert speeds["dcgan (dcgan/non-saturating/none)"] > 0 and "mlp/non-saturating/none" in speeds
    assert "wgan (dcgan/wasserstein/weight-clipping)" in speeds
    # The unconstrained critic is skipped with its reason, not timed.
    assert any(line.startswith("dcgan/wasserstein/none") and "skipped" in line and "Lipschitz" in line
               for line in lines)
    together = re.search(r"2 runs at once: (\d+) images/s in all, ([\d.]+)x one run alone", proc.stdout)
    assert together is not None and float(together.group(1)) > 0


def test_bench_bad_device_is_a_one_line_error(tmp_path: Path) -> None:
    proc = ganbench("bench", "--device", "tpu", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "'tpu' is not one of" in proc.stderr


def test_longest_runs_go_first() -> None:
    specs = expand(load_suite("quick", catalog()), catalog(), "cpu")
    ordered = longest_first(specs, None)
    assert sorted(ordered, key=lambda s: s.entry) == sorted(specs, key=lambda s: s.entry)
    costs = [estimated_seconds(spec, None) for spec in ordered]
    assert costs == sorted(costs, reverse=True)
    # Five critic steps cost more than one; a ResNet more than the DCGAN; a skipped run nothing.
    by_entry = {spec.entry: cost for spec, cost in zip(ordered, costs, strict=True)}
    assert by_entry["wgan-gp (dcgan/wasserstein/gradient-penalty)"] > 2 * by_entry["dcgan (dcgan/non-saturating/none)"]
    assert by_entry["resnet/non-saturating/none"] > by_entry["dcgan (dcgan/non-saturating/none)"]
    assert by_entry["dcgan/wasserstein/none"] == 0.0  # skipped runs cost nothing and go last
    assert {spec.entry for spec in ordered[-6:]} == {"dcgan/wasserstein/none",
                                                     "dcgan/non-saturating/feature-statistics-vgg16"}


def test_compiled_training_matches_eager_and_has_its_own_run_id(builtin_catalog: Catalog,
                                                                 real_train: torch.Tensor) -> None:
    spec = tiny_spec(generator_steps=3, d_steps_per_g_step=1)
    compiled = dataclasses.replace(spec, compile=True)
    assert run_id(spec, {}) != run_id(compiled, {})
    eager_result = train(spec, builtin_catalog, real_train, CPU)
    compiled_result = train(compiled, builtin_catalog, real_train, CPU)
    assert compiled_result.status == "completed"
    eager, fused = weights(eager_result.generator), weights(compiled_result.generator)
    assert eager.keys() == fused.keys()  # compiled in place: checkpoints keep the eager names
    for key in eager:  # the same computation, up to float rounding
        assert torch.allclose(eager[key].float(), fused[key].float(), atol=1e-4), key


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_runs_per_gpu_is_accepted_and_cpu_runs_ignore_it(tmp_path: Path) -> None:
    proc = ganbench("run", "--arch", "mlp", "--suite", "smoke", "--seeds", "0", "--runs-per-gpu", "3",
                    "--device", "cpu", "--workers", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 worker(s)" in proc.stderr
