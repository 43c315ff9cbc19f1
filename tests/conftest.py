from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganbench import plugins
from ganbench.data.fashion_mnist import load_split
from ganbench.plugins import Catalog


@pytest.fixture(autouse=True)
def hermetic_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins installed on the machine never leak into tests: built-ins only unless a test opts in."""
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "")
    monkeypatch.delenv("GANBENCH_STRICT_PLUGINS", raising=False)


@pytest.fixture(scope="session")
def builtin_catalog() -> Catalog:
    return plugins.load(allow=set())


@pytest.fixture(scope="session")
def real_train() -> torch.Tensor:
    return load_split("train").images


@pytest.fixture(scope="session")
def real_reference() -> torch.Tensor:
    return load_split("reference").images


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
