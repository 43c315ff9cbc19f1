"""Atomic training checkpoints: everything needed to continue a run bit for bit."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from ganbench import integrity
from ganbench.store import atomic_write_bytes


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (tensors, numbers, strings, lists and dicts of them) atomically."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, integrity.seal(buffer.getvalue()))


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none. ``weights_only``: a checkpoint runs no code."""
    if not path.is_file():
        return None
    try:
        state: dict[str, Any] = torch.load(io.BytesIO(integrity.unseal(path)), map_location="cpu",
                                           weights_only=True)
    except integrity.Damaged as exc:  # the run starts over rather than resume from a damaged state
        integrity.set_aside(path, str(exc))
        return None
    return state


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
