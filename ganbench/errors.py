"""Exceptions that mean a user mistake: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from ganbench.data.idx import DataError
from ganbench.plugins import PluginError, UnknownComponent
from ganbench.suites import SuiteError

USER_ERRORS: tuple[type[Exception], ...] = (DataError, PluginError, UnknownComponent, SuiteError)
