"""The suites shipped with ganbench, registered like any plugin's."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ganbench.hookspecs import RegisterSuite, hookimpl
from ganbench.specs import SuiteSpec

SUITES_DIR = Path(__file__).parent.parent / "suites"


@hookimpl
def register_suites(register: RegisterSuite) -> None:
    for path in sorted(SUITES_DIR.glob("*.toml")):
        head = tomllib.loads(path.read_text())
        register(SuiteSpec(name=path.stem, summary=head.get("description", ""),
                           reference=head.get("reference", "ganbench"), path=path))
