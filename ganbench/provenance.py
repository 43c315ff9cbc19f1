"""What identifies a plugin's code: its distribution, version and a hash of its installed source.

A plugin edited and reinstalled under the same version must not reuse records made with the old code,
so a run id hashes the source files of the package that provides each third-party component.
Built-ins are identified by ganbench's version (hashing them would retire every stored run on any
edit to the host).
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path
from typing import Any


@cache
def source_hash(top_module: str) -> str:
    """First 12 hex digits of the SHA-256 of a top-level module's source: every ``.py`` file of a
    package (sorted by relative path, names hashed too), or the module's one file; "" if unknown."""
    module = sys.modules.get(top_module)
    if module is None:
        return ""
    digest = hashlib.sha256()
    roots = [Path(p) for p in getattr(module, "__path__", [])]
    if roots:
        for root in roots:
            for path in sorted(root.rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    elif getattr(module, "__file__", None):
        digest.update(Path(str(module.__file__)).read_bytes())
    else:
        return ""
    return digest.hexdigest()[:12]


def component_code(spec: Any) -> str:
    """The source hash of the package whose callable this spec carries (its factory or builder)."""
    target = next((getattr(spec, name) for name in ("factory", "build", "load", "compute") if hasattr(spec, name)),
                  None)
    module = getattr(target, "__module__", None)
    return source_hash(module.split(".")[0]) if module else ""
