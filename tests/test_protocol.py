"""The training protocol: identical records, resume after SIGKILL, divergence, eval curve, budgets."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import math
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench import RegularizerSpec, integrity, plugins
from ganbench.builtin.suites import SUITES_DIR
from ganbench.datakinds import IMAGES
from ganbench.execute import execute
from ganbench.leaderboard import TIMING_COLUMNS
from ganbench.metrics.fidelity import fidelity
from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec, run_id
from ganbench.specs import Regularizer
from ganbench.training.trainer import eval_steps, sample, train
from tests.conftest import write_plugin
from tests.test_trainer import CPU, tiny_spec, weights

TIMING_KEYS = {"wall_seconds", "train_seconds", "curve_seconds", "eval_seconds", "images_per_second"}


def strip_timing(record: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in record.items() if k not in TIMING_KEYS}


def test_same_spec_gives_the_same_record(tmp_path: Path) -> None:
    spec = tiny_spec(generator_steps=6, eval_points=2, curve_fid_samples=64, fid_samples=64)
    first = execute(spec, None, str(tmp_path / "a"))
    second = execute(spec, None, str(tmp_path / "b"))
    assert first["status"] == "completed"
    assert strip_timing(first) == strip_timing(second)
    on_disk = json.loads((tmp_path / "a" / f"{first['run_id']}.json").read_text())
    assert on_disk.pop("checksum") == integrity.record_checksum(on_disk)  # the store adds only its checksum
    assert strip_timing(on_disk) == strip_timing(json.loads(json.dumps(first)))
    assert not list((tmp_path / "a").glob("*.ckpt"))  # removed once the record is written


# A fresh interpreter each: the feature network is built once per process, by the first run that needs it.
FRESH_PROCESS_RUN = r"""
import json, sys
from ganbench.execute import execute
from tests.test_trainer import tiny_spec
spec = tiny_spec(architecture="stylegan-lite", generator_steps=4, eval_points=2, curve_fid_samples=64, fid_samples=64)
print(json.dumps(execute(spec, None, sys.argv[1], force=True)["fid_curve"]))
"""


def test_a_record_does_not_depend_on_which_run_built_the_feature_network(tmp_path: Path) -> None:
    """The first run of a worker to score a curve point in a fresh store builds the feature network
    there, in the middle of the run; StyleGAN-lite's samples draw their noise from the global RNG, so
    the network's weight init used to shift that run's first curve point (0.7.0's quick suite: 101.542
    or 101.488 for the same run id, by which runs its worker had done before)."""
    def run() -> dict[str, list[float]]:
        out = subprocess.run([sys.executable, "-c", FRESH_PROCESS_RUN, str(tmp_path / "store")], capture_output=True,
                             text=True, timeout=300, cwd=Path(__file__).resolve().parents[1],
                             env={**os.environ, "GANBENCH_SYSTEM_DATA": "0", "GANBENCH_LOAD_PLUGINS": ""})
        assert out.returncode == 0, out.stderr
        curve: dict[str, list[float]] = json.loads(out.stdout.splitlines()[-1])
        return curve

    built_mid_run = run()  # the store has no reference features: the network is built inside the first curve point
    built_after = run()  # now they are on disk: the network is first needed after that point's sampling
    assert built_mid_run["step"] == [2, 4]
    assert built_mid_run == built_after


def test_last_curve_point_is_the_final_sample_scored_on_fewer_images(tmp_path: Path, builtin_catalog: Catalog,
                                                                    real_train: torch.Tensor,
                                                                    real_reference: torch.Tensor) -> None:
    # execute() takes the last curve FID from the final sample's first curve_fid_samples features
    # instead of sampling again: it must equal what sampling again would give, bit for bit.
    spec = tiny_spec(generator_steps=6, eval_points=2, curve_fid_samples=64, fid_samples=128)
    record = execute(spec, None, str(tmp_path))
    assert record["fid_curve"]["step"] == [3, 6] and record["curve_fid_final"] == record["fid_curve"]["fid"][-1]
    assert record["curve_seconds"] > 0 and record["eval_seconds"] > 0
    result = train(spec, builtin_catalog, real_train, CPU)
    fake = sample(result.evaluated, 64, spec.latent_dim, spec.seed, CPU, IMAGES)
    again = fidelity(fake, real_reference[:64], record["feature_extractor"], kid=False, prc=False)["fid"]
    assert record["fid_curve"]["fid"][-1] == again


def test_eval_curve_does_not_disturb_training(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    calls: list[int] = []

    def fake_fid(generator: torch.nn.Module) -> float:
        torch.randn(1000)  # consumes the global RNG, as a stochastic generator's noise would
        calls.append(1)
        return float(len(calls))

    spec = tiny_spec(architecture="stylegan-lite", generator_steps=9, eval_points=3)
    with_curve = train(spec, builtin_catalog, real_train, CPU, evaluate=fake_fid)
    without = train(dataclasses.replace(spec, eval_points=0), builtin_catalog, real_train, CPU)
    assert with_curve.fid_curve_step == [3, 6, 9] and with_curve.fid_curve == [1.0, 2.0, 3.0]
    wa, wb = weights(with_curve.generator), weights(without.generator)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert eval_steps(tiny_spec(generator_steps=10, eval_points=4)) == {2, 5, 8, 10}


class Explode(Regularizer):
    def after_generator_step(self, generator: torch.nn.Module) -> None:
        with torch.no_grad():
            for p in generator.parameters():
                p.mul_(10.0)


def test_exploding_weights_stop_the_run(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    catalog = dataclasses.replace(builtin_catalog, components={k: dict(v) for k, v in
                                                                builtin_catalog.components.items()})
    catalog.components["regularizers"]["explode"] = plugins.Registered(
        RegularizerSpec("explode", "s", "r", Explode), plugins.PluginInfo("t", "t", "0"))
    result = train(tiny_spec(regularizer="explode", generator_steps=40), catalog, real_train, CPU)
    assert result.status == "diverged"
    assert result.reason.startswith("generator weights exploded") and result.reason.endswith("step 10")


def test_wall_clock_budget_stops_training(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    result = train(tiny_spec(generator_steps=100_000, budget_seconds=0.5), builtin_catalog, real_train, CPU)
    assert result.status == "completed" and 0 < result.steps_done < 100_000
    assert result.reason.startswith("wall-clock budget of 0.5 s reached at generator step")


def test_checkpoint_resume_in_process_matches(builtin_catalog: Catalog, real_train: torch.Tensor,
                                              tmp_path: Path) -> None:
    """Regularizers with state of their own (EMA copy, LeCam anchors, spectral-norm vectors), and a
    loss that draws an extra real batch for each G step."""
    for reg, loss in (("ema", "non-saturating"), ("lecam", "non-saturating"), ("spectral-norm", "non-saturating"),
                      ("none", "relativistic-average")):
        spec = tiny_spec(regularizer=reg, loss=loss, generator_steps=12)
        whole = train(spec, builtin_catalog, real_train, CPU)
        ckpt = tmp_path / f"{reg}-{loss}.ckpt"
        first = train(spec, builtin_catalog, real_train, CPU, checkpoint=ckpt, checkpoint_every=8)
        assert first.steps_done == 12 and ckpt.exists()  # the step-8 state; execute() deletes it later
        resumed = train(spec, builtin_catalog, real_train, CPU, checkpoint=ckpt, checkpoint_every=8)
        assert resumed.resumed_from == 9
        for a, b in ((whole.evaluated, resumed.evaluated), (whole.discriminator, resumed.discriminator)):
            wa, wb = weights(a), weights(b)
            assert all(torch.equal(wa[k], wb[k]) for k in wa), (reg, loss)
        assert whole.curve_d_loss == resumed.curve_d_loss and whole.curve_g_loss == resumed.curve_g_loss


TINY = (SUITES_DIR / "smoke.toml").read_text().replace('name = "smoke"', 'name = "tiny"').replace(
    "seeds = [0, 1]", "seeds = [0]").replace("fid_samples = 128", "fid_samples = 64")


def ganbench(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ganbench", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "GANBENCH_LOAD_PLUGINS": "", **(env or {})})


def test_sigkilled_run_resumes_to_the_same_record(tmp_path: Path) -> None:
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY.replace("generator_steps = 10", "generator_steps = 300"))
    args = ("run", "--suite-file", str(suite), "--matrix", "full", "--arch", "dcgan", "--loss", "hinge",
            "--reg", "none", "--workers", "1", "--checkpoint-every", "5")
    (tmp_path / "killed").mkdir()
    (tmp_path / "whole").mkdir()
    proc = ganbench(*args, cwd=tmp_path / "killed")
    store = tmp_path / "killed" / ".ganbench" / "runs"
    deadline = time.monotonic() + 120
    while not list(store.glob("*.ckpt")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(store.glob("*.ckpt")) and not list(store.glob("*.json"))
    assert not (tmp_path / "killed" / "leaderboards").exists()
    resumed = ganbench(*args, cwd=tmp_path / "killed")
    whole = ganbench(*args, cwd=tmp_path / "whole")
    assert resumed.wait() == 0 and whole.wait() == 0
    record = json.loads(next(store.glob("*.json")).read_text())
    assert record["resumed_from"] > 1 and record["steps_done"] == 300
    csv = "leaderboards/tiny-fashion-mnist-runs.csv"
    a = pd.read_csv(tmp_path / "killed" / csv).drop(columns=TIMING_COLUMNS)
    b = pd.read_csv(tmp_path / "whole" / csv).drop(columns=TIMING_COLUMNS)
    pd.testing.assert_frame_equal(a, b)


NAN_PLUGIN = textwrap.dedent('''
    from ganbench import LossSpec, hookimpl
    from ganbench.builtin.losses import NonSaturatingLoss


    class NanAtStep3(NonSaturatingLoss):
        calls = 0

        def generator_loss(self, fake_logits, real_logits):
            self.calls += 1
            loss = super().generator_loss(fake_logits, real_logits)
            return loss * float("nan") if self.calls >= 3 else loss


    @hookimpl
    def register_losses(register):
        register(LossSpec("nan-at-3", "NaN from the third generator step", "test", NanAtStep3))
''')


def test_plugin_loss_that_goes_nan_is_recorded_as_diverged(tmp_path: Path) -> None:
    site = write_plugin(tmp_path / "site", "ganbench-nan", "ganbench_nan", NAN_PLUGIN)
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY)
    proc = ganbench("run", "--suite-file", str(suite), "--loss", "nan-at-3", "--loss", "hinge",
                    cwd=tmp_path, env={"PYTHONPATH": str(site), "GANBENCH_LOAD_PLUGINS": "ganbench_nan_ep"})
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    runs = pd.read_csv(tmp_path / "leaderboards" / "tiny-fashion-mnist-runs.csv").set_index("entry")
    nan = runs.loc["dcgan/nan-at-3/none"]
    assert nan["status"] == "diverged" and nan["steps_done"] == 3
    assert nan["reason"] == "non-finite generator loss at generator step 3"
    assert runs.loc["dcgan/hinge/none", "status"] == "completed"
    summary = pd.read_csv(tmp_path / "leaderboards" / "tiny-fashion-mnist-summary.csv").set_index("entry")
    assert summary.loc["dcgan/nan-at-3/none", "n_diverged"] == 1
    assert summary.loc["dcgan/nan-at-3/none", "diverged_fraction"] == pytest.approx(1.0)


def test_bf16_autocast_trains_and_is_its_own_protocol(builtin_catalog: Catalog, real_train: torch.Tensor) -> None:
    fp32 = train(tiny_spec(), builtin_catalog, real_train, CPU)
    bf16 = train(tiny_spec(compute_dtype="bf16"), builtin_catalog, real_train, CPU)
    assert bf16.status == "completed" and all(math.isfinite(v) for v in bf16.curve_g_loss)
    assert fp32.curve_g_loss != bf16.curve_g_loss
    assert run_id(tiny_spec(), {}) != run_id(tiny_spec(compute_dtype="bf16"), {})


def test_fields_added_later_change_run_ids_only_when_set() -> None:
    """mode_samples, optimizer, recipe, compile and conditioning came after records existed: at their defaults a spec
    hashes as it did before them, and old specs still load."""
    spec = tiny_spec()
    later = ("mode_samples", "optimizer", "recipe", "compile", "conditioning")
    old = {key: value for key, value in spec.as_dict().items() if key not in later}
    legacy = hashlib.sha256(json.dumps({"spec": old, "context": {}}, sort_keys=True).encode()).hexdigest()[:16]
    assert run_id(spec, {}) == legacy
    assert RunSpec.from_dict(old) == spec
    for changed in ({"mode_samples": 26000}, {"optimizer": "rmsprop"}, {"recipe": "wgan"}, {"compile": True},
                    {"conditioning": "concat"}):
        assert run_id(tiny_spec(**changed), {}) != legacy


def test_progress_bars_on_a_terminal_and_plain_lines_otherwise(tmp_path: Path) -> None:
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY.replace("generator_steps = 10", "generator_steps = 40"))
    args = ["run", "--suite-file", str(suite), "--matrix", "full", "--arch", "mlp", "--loss", "hinge",
            "--reg", "none", "--reg", "ema", "--workers", "2"]
    leader, follower = pty.openpty()
    # A 0x0 window (the pty default) makes tqdm draw empty bars; give it a real terminal's size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "ganbench", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=follower, env={**os.environ, "GANBENCH_LOAD_PLUGINS": ""})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait() == 0
    terminal = b"".join(chunks).decode(errors="replace")
    assert "suite tiny" in terminal and "2/2" in terminal and ("run/s" in terminal or "s/run" in terminal)
    assert "mlp/hinge/none seed 0" in terminal and "step" in terminal  # a per-run bar
    plain = subprocess.run([sys.executable, "-m", "ganbench", *args, "--force"], cwd=tmp_path,
                           capture_output=True, text=True, env={**os.environ, "GANBENCH_LOAD_PLUGINS": ""})
    assert plain.returncode == 0
    assert "\r" not in plain.stderr and "step/s" not in plain.stderr
    assert plain.stderr.count("] mlp/hinge/") == 2
