"""Bad settings stop `ganbench run` before anything trains: one line naming the file or option, exit
code 2, no traceback, and nothing written to the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import Completed, ganbench

SUITES_DIR = Path(__file__).resolve().parents[1] / "ganbench" / "suites"
SMOKE = (SUITES_DIR / "smoke.toml").read_text()


def run(tmp_path: Path, *args: str) -> Completed:
    return ganbench("run", "--all", "--store", str(tmp_path / "store"), *args, cwd=tmp_path)


@pytest.mark.parametrize(("edit", "message"), [
    (("lr_generator = 2e-4", "lr_generator = inf"), "optimizer.lr_generator must be a finite number, got inf"),
    (("lr_generator = 2e-4", "lr_generator = nan"), "optimizer.lr_generator must be a finite number, got nan"),
    (("beta1 = 0.5", "beta1 = 1.5"), "optimizer.beta1 must be between 0 and 0.999999, got 1.5"),
    (("fid_samples = 128", "fid_samples = 1"), "evaluation.fid_samples must be between 16 and 1e+06, got 1"),
    (("generator_steps = 10", "generator_steps = 1000000000000"),
     "budget.generator_steps must be between 1 and 1e+07, got 1000000000000"),
    (('name = "smoke"', 'name = "../../x"'),
     "name '../../x' must be letters, digits, '-', '_' or '.' (it names files)"),
    (("channels = 1", "channels = 2"), "channels must be 1 (grayscale) or 3 (RGB), got 2"),
    (("[budget]", "[budget]\nbudget_seconds = nan"), "budget.budget_seconds must be a finite number, got nan"),
])
def test_a_bad_suite_value_is_one_line_naming_the_file(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    suite = tmp_path / "mine.toml"
    suite.write_text(SMOKE.replace(*edit))
    done = run(tmp_path, "--suite-file", str(suite), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"Error: {suite}: {message}", done.stderr
    assert not (tmp_path / "store").exists()


def test_beta1_zero_is_allowed(tmp_path: Path) -> None:
    """Adam with beta1 = 0 (WGAN-GP's setting) is a real choice, not a typo."""
    from ganbench.suites import load_suite_file

    suite = tmp_path / "mine.toml"
    suite.write_text(SMOKE.replace("beta1 = 0.5", "beta1 = 0.0"))
    assert load_suite_file(suite).optimizer["beta1"] == 0.0


def test_a_non_utf8_suite_file_is_named(tmp_path: Path) -> None:
    suite = tmp_path / "latin1.toml"
    suite.write_bytes(SMOKE.replace('description = "', 'description = "caf\xe9 ').encode("latin-1"))
    done = run(tmp_path, "--suite-file", str(suite))
    assert done.returncode == 2 and done.stderr.strip().startswith(f"Error: {suite}: not UTF-8 text")


@pytest.mark.parametrize(("args", "message"), [
    (("--seeds", ""), "Invalid value for --seeds: '' is not a comma-separated list of integers"),
    (("--budget-seconds", "nan"), "Invalid value for --budget-seconds: nan is not a finite number of seconds"),
    (("--out", "{file}/out"), "Invalid value for --out: {file}/out is not a writable folder"),
    (("--store", "{file}/store"), "Invalid value for --store: {file}/store is not a writable folder"),
    (("--executor", "nope"), "Invalid value for --executor: unknown executor 'nope' (known: local, ray)"),
    (("--address", "127.0.0.1:9"), "Invalid value for --address: executor local takes no cluster address"),
    # Nothing listens on port 9 (discard) here: refused at once, not after ray.init()'s minutes of retries.
    (("--executor", "ray", "--address", "127.0.0.1:9"),
     "Invalid value for --address: ray executor: nothing answers at 127.0.0.1:9 (Connection refused)"),
    (("--executor", "ray", "--address", "head-node"), "Invalid value for --address: 'head-node' is not HOST:PORT"),
])
def test_a_bad_option_is_one_line_naming_it(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    args = tuple(arg.format(file=blocker) for arg in args)
    done = run(tmp_path, "--suite", "smoke", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: " + message.format(file=blocker)), done.stderr


def test_more_fid_samples_than_reference_images_stops_the_suite(tmp_path: Path) -> None:
    suite = tmp_path / "mine.toml"
    suite.write_text(SMOKE.replace("fid_samples = 128", "fid_samples = 5000"))
    done = run(tmp_path, "--suite-file", str(suite), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith("Error: evaluation.fid_samples = 5000 is more than the 2000 reference "
                                          "images of fashion-mnist")
    assert not (tmp_path / "store").exists()
