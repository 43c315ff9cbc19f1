"""What decides the floating-point results of a run beyond its code and data: the CPU kernels ATen
dispatched to, the math libraries, the accelerator. Reruns on one machine are bit-identical; across
machines these are what differ (docs/protocol.md, "Reproducibility")."""

from __future__ import annotations

import platform
import re
from functools import cache

import torch


@cache
def machine_type(device: str) -> str:
    """What a table holds one of, and part of every run id: the CPU kernel set ATen dispatches to
    ("cpu AVX2"), or the GPU model and CUDA version ("cuda NVIDIA H100 80GB HBM3, CUDA 13.0"). Runs
    of one type rerun to the bit; across types the float rounding differs (docs/protocol.md)."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return f"cuda {torch.cuda.get_device_name()}, CUDA {torch.version.cuda}"
    return f"cpu {torch.backends.cpu.get_cpu_capability()}"


@cache
def numerics(device: str) -> dict[str, str]:
    """The numerical environment of a run on ``device`` ("cpu" or "cuda"), as strings for a record."""
    parallel = torch.__config__.parallel_info()
    cpuinfo = _cpuinfo()
    out = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # ATen's SIMD kernels: AVX512, AVX2, DEFAULT
        "cpu": cpuinfo.get("model name") or platform.machine(),
        # The model name does not tell one EPYC generation from the next; a VM can even move between them.
        "cpu_id": _cpu_id(cpuinfo),
        "blas": _match(r"BLAS_INFO=(\w+)", torch.__config__.show()),
        "mkl": _match(r"Math Kernel Library Version ([\w.-]+)", parallel),
        "onednn": _match(r"MKL-DNN v([\w.]+)", parallel),
        # NumPy's and SciPy's BLAS (FID's covariances and eigenvalues), whose kernels OpenBLAS picks by
        # CPU model at load time: seen to change FID in its last digits when a VM moved between hosts.
        "numpy_blas": _numpy_blas(),
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


def _numpy_blas() -> str:
    import numpy  # noqa: F401  (loads NumPy's BLAS, so that it is listed)
    from threadpoolctl import threadpool_info

    found = [f"{lib.get('internal_api', '')} {lib.get('version') or ''} {lib.get('architecture') or ''}".strip()
             for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return "; ".join(sorted(set(found)))


def _cpu_id(fields: dict[str, str]) -> str:
    """Vendor, family, model and stepping from /proc/cpuinfo's fields ("" where there are none)."""
    keys = [("vendor_id", ""), ("cpu family", "family "), ("model", "model "), ("stepping", "stepping ")]
    return " ".join(prefix + fields[key] for key, prefix in keys if key in fields)


def _cpuinfo() -> dict[str, str]:
    """Each field's first value in /proc/cpuinfo, so the first processor's (empty where there is no such
    file)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, colon, value = line.partition(":")
                if colon:
                    fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields
