"""Datasets installed for the whole machine (Debian's ``dataset-*`` packages).

They are used when present, unless ``GANBENCH_SYSTEM_DATA=0``: then ganbench behaves as on a
fresh machine without them, which is how the test suite and CI prove what a newcomer gets.
"""

from __future__ import annotations

import os
from pathlib import Path

from ganbench.data.idx import DataError

SWITCH = "GANBENCH_SYSTEM_DATA"
ROOT = Path("/usr/share/datasets")


def system_data_enabled() -> bool:
    """Whether system-wide dataset folders may be used (``GANBENCH_SYSTEM_DATA``, default 1)."""
    value = os.environ.get(SWITCH, "1")
    if value not in ("0", "1"):
        raise DataError(f"{SWITCH}={value!r}: use 1 (use datasets installed under {ROOT}) or 0 (ignore them)")
    return value == "1"


def system_folder(name: str) -> Path | None:
    """``/usr/share/datasets/<name>`` where system data is enabled, else None (it is not looked at)."""
    return ROOT / name if system_data_enabled() else None
