"""Exceptions that mean a user mistake: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from ganbench.data.idx import DataError
from ganbench.formats import UnknownFormat
from ganbench.metrics.inception_weights import ExtractorUnavailable
from ganbench.metrics.registry import UnknownExtractor
from ganbench.plugins import PluginError, UnknownComponent
from ganbench.suites import SuiteError
from ganbench.tablefiles import TableError

USER_ERRORS: tuple[type[Exception], ...] = (DataError, PluginError, UnknownComponent, SuiteError, ExtractorUnavailable,
                                            UnknownExtractor, TableError, UnknownFormat)
