"""Does a portable CPU mode give identical results across instruction sets? One quick-suite run
(dcgan, 160 steps, seed 0) trained in fresh processes under different kernel settings; prints the
capability ATen used, a hash of the final generator weights and the final FID.

    python3 scripts/cross_isa.py [--steps 160]

Modes: `native` (what the machine offers), `default` (ATEN_CPU_CAPABILITY=default: no SIMD kernels),
and `portable-*` (the same two, plus oneDNN off and MKL_CBWR=COMPATIBLE, MKL's conditional
numerical reproducibility). Identical hashes across capabilities within a mode mean that mode's
results do not depend on the ISA (for the capabilities this machine can emulate).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import dataclasses, hashlib, json, os, sys, tempfile
import torch
torch.set_num_threads(1)
if os.environ.get("PORTABLE") == "1":
    torch.backends.mkldnn.enabled = False
os.environ["GANBENCH_SYSTEM_DATA"] = "0"; os.environ["GANBENCH_LOAD_PLUGINS"] = ""
from ganbench import plugins
from ganbench.execute import dataset_splits
from ganbench.suites import expand, load_suite
from ganbench.training.trainer import train
cat = plugins.load()
spec = dataclasses.replace(expand(load_suite("quick", cat), cat, "cpu")[0], generator_steps=int(sys.argv[1]))
data = dataset_splits(spec.dataset, None, spec.resolution, spec.channels)
result = train(spec, cat, data.train, torch.device("cpu"))
digest = hashlib.sha256()
for name, value in sorted(result.generator.state_dict().items()):
    digest.update(name.encode() + value.detach().numpy().tobytes())
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "weights": digest.hexdigest()[:16],
                  "final_g_loss": result.curve_g_loss[-1]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=160)
    args = parser.parse_args()
    modes = {"native": {}, "default": {"ATEN_CPU_CAPABILITY": "default"},
             "portable-native": {"PORTABLE": "1", "MKL_CBWR": "COMPATIBLE"},
             "portable-default": {"PORTABLE": "1", "MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"}}
    for mode, extra in modes.items():
        env = {**os.environ, **extra}
        out = subprocess.run([sys.executable, "-c", CHILD, str(args.steps)], env=env, capture_output=True, text=True,
                             check=True).stdout
        print(mode, json.loads(out.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
