"""The locks: the exact package versions CI tests and the committed tables are made with.

``runtime.txt`` is the runtime set (torch, numpy, scipy, torch-fidelity, ...), which decides the
published numbers; ``dev.txt`` adds the tools CI runs. ``scripts/lock.py`` makes both from
pyproject.toml's ranges, which the package's own metadata keeps: plugins depend on ganbench as a
library. Each run records whether its environment matched the runtime lock (``environment_lock``),
so a table says which lock made it.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import metadata, resources

RUNTIME = "runtime.txt"
DEV = "dev.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """A distribution name as the package index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """Canonical name -> version of each ``name==version`` line of a lock's text."""
    found = (_PIN.match(line) for line in text.splitlines())
    return {canonical(m.group(1)): m.group(2) for m in found if m}


def lock_text(name: str = RUNTIME) -> str:
    return resources.files(__package__).joinpath(name).read_text()


def lock_id(name: str = RUNTIME) -> str:
    """``runtime@<first 12 hex digits of the lock file's SHA-256>``: which lock, at which refresh."""
    text = lock_text(name)
    return f"{name.removesuffix('.txt')}@{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def drift(locked: dict[str, str], installed: dict[str, str | None], required: set[str]) -> list[str]:
    """``name installed!=locked`` for each locked package installed at another version, and for each
    ``required`` one not installed at all. A locked package that is absent and not required came with
    an extra this install left out (``inception``'s): it decides no number of this install."""
    out = []
    for name, version in sorted(locked.items()):
        have = installed.get(name)
        if have is None and name not in required:
            continue
        if have != version:
            out.append(f"{name} {have or 'missing'}!={version}")
    return out


def required() -> set[str]:
    """Canonical names of ganbench's own requirements, extras left out."""
    names = set()
    for text in metadata.requires("ganbench") or []:
        if "extra ==" not in text:
            found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
            if found:
                names.add(canonical(found.group(0)))
    return names


@cache
def environment_lock() -> str:
    """The runtime lock's id when every package it pins that is installed is at its pinned version,
    and ganbench's own requirements are all installed; otherwise ``unlocked: `` and the first
    differences (a record's ``versions.lock``; runs CSV column ``lock``)."""
    locked = pins(lock_text(RUNTIME))
    installed = {name: _installed(name) for name in locked}
    different = drift(locked, installed, required())
    if not different:
        return lock_id(RUNTIME)
    shown = ", ".join(different[:3]) + (f" and {len(different) - 3} more" if len(different) > 3 else "")
    return f"unlocked: {shown} (against {lock_id(RUNTIME)})"


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
