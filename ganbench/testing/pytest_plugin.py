"""pytest plugin (registered through the ``pytest11`` entry point): ``pytest --ganbench-plugin NAME``
runs the conformance kit on an installed ganbench plugin, one test per check, with no test code.

Nothing ganbench-specific is imported unless the option is given, so other projects' pytest runs
pay nothing for it.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--ganbench-plugin", action="append", default=[], metavar="NAME",
                     help="run ganbench's conformance kit on this installed plugin (repeatable)")


class _ConformanceItem(pytest.Item):
    def __init__(self, *, check: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        self.check.run()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from ganbench.testing import ConformanceError

        if isinstance(excinfo.value, ConformanceError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "ganbench-conformance", 0, self.name


class _ConformanceCollector(pytest.Collector):
    def __init__(self, *, plugin: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self) -> list[pytest.Item]:
        from ganbench.testing import checks

        return [_ConformanceItem.from_parent(self, name=check.id, check=check) for check in checks(self.plugin)]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for plugin in config.getoption("--ganbench-plugin"):
        collector = _ConformanceCollector.from_parent(session, name=f"ganbench-conformance[{plugin}]", plugin=plugin)
        items.extend(collector.collect())
