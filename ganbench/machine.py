"""What decides the floating-point results of a run beyond its code and data: the CPU kernels ATen
dispatched to, the math libraries, the accelerator. Reruns on one machine are bit-identical; across
machines these are what differ (docs/protocol.md, "Reproducibility")."""

from __future__ import annotations

import platform
import re
from functools import cache

import torch


@cache
def numerics(device: str) -> dict[str, str]:
    """The numerical environment of a run on ``device`` ("cpu" or "cuda"), as strings for a record."""
    parallel = torch.__config__.parallel_info()
    out = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # ATen's SIMD kernels: AVX512, AVX2, DEFAULT
        "cpu": _cpu_name() or platform.machine(),
        "blas": _match(r"BLAS_INFO=(\w+)", torch.__config__.show()),
        "mkl": _match(r"Math Kernel Library Version ([\w.-]+)", parallel),
        "onednn": _match(r"MKL-DNN v([\w.]+)", parallel),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        out.update(device_name=torch.cuda.get_device_name(), cuda=str(torch.version.cuda),
                   cudnn=str(torch.backends.cudnn.version()))
    else:
        out["device_name"] = out["cpu"]
    return out


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    return found.group(1) if found else ""


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""
