"""The local executor's workers come from a fork server that imports ganbench, torch and
torch-fidelity once, started by ``prepare()`` while the command still checks and plans (a spawned
worker imported them itself, about 2.5 s of a 2-core machine each, before its first run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# In a fresh interpreter, so that no earlier test's fork server is there already.
CHILD = r"""
import json, os, sys, time
from multiprocessing import forkserver
from pathlib import Path
from ganbench.executors.forkserver import PRELOAD
from ganbench.executors.local import LocalExecutor
from ganbench.planner import Settings, plan
from ganbench.runspec import RunSpec

def server():
    return forkserver._forkserver._forkserver_pid

LocalExecutor(1).prepare()
before = server()  # one worker runs in this process: no server
executor = LocalExecutor(2)
executor.prepare()
started = server()
# ensure_running() returns once the server is forked, maybe before it has exec'd its own command line.
deadline = time.monotonic() + 30
while True:
    cmdline = Path(f"/proc/{started}/cmdline").read_bytes().decode(errors="replace")
    if "multiprocessing.forkserver" in cmdline or time.monotonic() > deadline:
        break
    time.sleep(0.05)
spec = RunSpec(suite="t", dataset="fashion-mnist", architecture="dcgan", loss="non-saturating", regularizer="none",
               seed=0, resolution=28, channels=1, latent_dim=8, generator_steps=2, batch_size=4, d_steps_per_g_step=1,
               lr_generator=1e-4, lr_discriminator=1e-4, beta1=0.5, beta2=0.9, fid_samples=16, curve_points=1,
               device="cpu")
specs = [spec, RunSpec.from_dict({**spec.as_dict(), "seed": 1})]
settings = Settings(None, Path(sys.argv[1]))
records = {}
executor.run(plan(specs, settings), lambda rid, record: records.__setitem__(record["spec"]["seed"], record["status"]))
preloaded = all(m in cmdline for m in PRELOAD)
print(json.dumps({"before": before, "started": started, "after": server(), "preloaded": preloaded, "records": records}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server and /proc are Linux's")
def test_prepare_starts_the_fork_server_that_the_workers_come_from(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "GANBENCH_SYSTEM_DATA": "0", "GANBENCH_LOAD_PLUGINS": ""})
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["before"] is None
    assert got["started"] is not None and got["preloaded"]
    assert got["after"] == got["started"]  # the pool used the server prepare() started, not a new one
    assert got["records"] == {"0": "completed", "1": "completed"}

