from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ganbench import plugins
from ganbench.data import system
from ganbench.data.fashion_mnist import Split, load_split
from ganbench.metrics import inception
from ganbench.plugins import Catalog

# Machine state that would make the suite test something other than what a newcomer gets. Cleared
# before any fixture runs (session fixtures too) and inherited by the CLI subprocesses tests start.
# A test that wants the full Fashion-MNIST asks for the ``full_fashion_mnist`` fixture instead.
MACHINE_STATE = ("GANBENCH_DATA", inception.ENV_VAR, "GANBENCH_LOAD_PLUGINS", "GANBENCH_STRICT_PLUGINS",
                 "GANBENCH_VGG16_WEIGHTS")
FULL_FASHION_MNIST = system.ROOT / "fashion-mnist"


def pytest_configure(config: pytest.Config) -> None:
    os.environ[system.SWITCH] = "0"
    for name in MACHINE_STATE:
        os.environ.pop(name, None)
    config.addinivalue_line("markers", "full_data: needs the full Fashion-MNIST (Debian's dataset-fashion-mnist); "
                                       "skipped where it is not installed")


@pytest.fixture(autouse=True)
def hermetic_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins installed on the machine never leak into tests: built-ins only unless a test opts in."""
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "")
    monkeypatch.delenv("GANBENCH_STRICT_PLUGINS", raising=False)


@pytest.fixture(scope="session")
def builtin_catalog() -> Catalog:
    return plugins.load(allow=set())


def bundled_split(split: str) -> Split:
    """A bundled Fashion-MNIST split; fails loudly if anything on the machine was picked up instead."""
    part = load_split(split)
    if not part.source.startswith("bundled:"):
        raise RuntimeError(f"test data came from {part.source}, not the bundled subset: the suite is not hermetic")
    return part


@pytest.fixture(scope="session")
def real_train() -> torch.Tensor:
    return bundled_split("train").images


@pytest.fixture(scope="session")
def real_reference() -> torch.Tensor:
    return bundled_split("reference").images


@pytest.fixture(scope="session")
def full_fashion_mnist() -> Path:
    """The full 60k/10k Fashion-MNIST folder, for tests that explicitly need it; skips where absent."""
    if not (FULL_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"full Fashion-MNIST not installed ({FULL_FASHION_MNIST}; apt-get install dataset-fashion-mnist)")
    return FULL_FASHION_MNIST


def write_plugin(root: Path, dist: str, module: str, source: str, version: str = "0.1.0",
                 entry_name: str | None = None) -> Path:
    """A real installed distribution on ``root``: module file + dist-info with an entry point."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(source)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ganbench]\n{entry_name or module}_ep = {module}\n")
    return root
