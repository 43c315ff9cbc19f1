"""Checksums on everything the store keeps, verified on load.

A record (JSON) carries ``checksum``: the SHA-256 of its canonical JSON without that field, so a
truncated file or an edited metric is caught. A checkpoint or a cached feature file is written as a
sealed blob: a magic line, the SHA-256 of the payload, then the payload (``torch.save`` bytes).

A file that fails its check is never used and never fatal: the caller sets it aside as
``<name>.damaged`` (kept for inspection), says so in one line naming it, and recomputes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

MAGIC = b"ganbench-sealed-v1\n"
_DIGEST = 32


class Damaged(Exception):
    """A store file that is unreadable or fails its checksum; the message names it and says why."""


def record_checksum(record: dict[str, Any]) -> str:
    body = {key: value for key, value in record.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def seal_record(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "checksum": record_checksum(record)}


def read_record(path: Path) -> dict[str, Any]:
    """The record at ``path``, verified; Damaged if it cannot be parsed or its checksum differs. A
    record written before checksums existed (no ``checksum``) is read as it is."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Damaged(f"{path}: not a readable record ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    if not isinstance(record, dict):
        raise Damaged(f"{path}: not a record (a JSON {type(record).__name__})")
    if "checksum" in record and record["checksum"] != record_checksum(record):
        raise Damaged(f"{path}: its checksum does not match its content (edited or damaged)")
    return record


def seal(payload: bytes) -> bytes:
    return MAGIC + hashlib.sha256(payload).digest() + payload


def unseal(path: Path) -> bytes:
    """The payload of a sealed file, verified; Damaged otherwise."""
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _DIGEST:
        raise Damaged(f"{path}: not a sealed ganbench file (truncated, or written by something else)")
    digest, payload = data[len(MAGIC):len(MAGIC) + _DIGEST], data[len(MAGIC) + _DIGEST:]
    if hashlib.sha256(payload).digest() != digest:
        raise Damaged(f"{path}: its checksum does not match its content (truncated or damaged)")
    return payload


def set_aside(path: Path, why: str) -> Path:
    """Move a damaged file out of the way (``<name>.damaged``) and say so on stderr."""
    target = path.with_name(path.name + ".damaged")
    path.replace(target)
    print(f"ganbench: warning: {why}; set aside as {target.name}, and it will be recomputed", file=sys.stderr)
    return target
