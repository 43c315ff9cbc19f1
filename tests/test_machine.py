"""A record's `numerics` names what decides its float rounding, including what a CPU's model name
hides: the CPU generation, and the kernels NumPy's OpenBLAS picked for it (FID's last digits)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from ganbench.machine import numerics

CHILD = "import json; from ganbench.machine import numerics; print(json.dumps(numerics('cpu')))"


def numerics_in_a_process(**env: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    found: dict[str, str] = json.loads(out.stdout)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/cpuinfo")
def test_the_cpu_is_named_by_its_family_and_model() -> None:
    cpu_id = numerics("cpu")["cpu_id"]
    assert " family " in cpu_id and " model " in cpu_id, cpu_id


@pytest.mark.skipif(platform.machine() != "x86_64" or "openblas" not in numerics("cpu")["numpy_blas"],
                    reason="OpenBLAS's core types are x86's")
def test_numpy_blas_says_which_kernels_openblas_picked() -> None:
    # OpenBLAS reads OPENBLAS_CORETYPE when it loads: Haswell's kernels run on any AVX2 CPU.
    assert numerics_in_a_process(OPENBLAS_CORETYPE="Haswell")["numpy_blas"].endswith(" Haswell")
    assert numerics_in_a_process(OPENBLAS_CORETYPE="Sandybridge")["numpy_blas"].endswith(" Sandybridge")
