"""The Ray executor on a real Ray cluster that the tests start on 127.0.0.1 (one head node, 2 CPUs).

Records travel back to the driver, which alone writes the store: so the same suite through Ray
and through the local pool must give the same records, a worker killed mid-run must be retried
(resuming from its node's checkpoint), and a driver killed with SIGKILL must lose only its runs in
flight.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ganbench.executors.ray_cluster import scratch_root

SUITES_DIR = Path(__file__).resolve().parents[1] / "ganbench" / "suites"
SMOKE = (SUITES_DIR / "smoke.toml").read_text()
TINY = SMOKE.replace('name = "smoke"', 'name = "tiny"').replace("seeds = [0, 1]", "seeds = [0]").replace(
    "fid_samples = 128", "fid_samples = 64")
# Ray's CLI through this Python: its `ray` script may sit in another bin folder (a venv over system packages).
RAY = [sys.executable, "-c", "import sys; from ray.scripts.scripts import main; sys.exit(main())"]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HOME for everything Ray here: ray.init() writes ~/.ray/auth_token when it starts a local
    cluster (Ray 2.5x), and a head node started later over that file refuses clients without it."""
    return tmp_path_factory.mktemp("ray-home")


@pytest.fixture(scope="module")
def cluster(ray_home: Path) -> Iterator[str]:
    """A head node on 127.0.0.1 with 2 CPUs, stopped (its whole process group) after the module."""
    pytest.importorskip("ray", reason="the Ray executor's tests need `pip install 'ganbench[ray]'`")
    port = free_port()
    # Ray's socket paths must stay under 108 bytes, so its temp folder gets a short name.
    temp = tempfile.mkdtemp(prefix="gbray-", dir="/tmp")
    env = {**os.environ, "HOME": str(ray_home)}
    log = open(Path(temp) / "head.log", "w")
    head = subprocess.Popen([*RAY, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
                             "--num-cpus", "2", "--object-store-memory", str(100 * 2**20), "--temp-dir", temp,
                             "--include-dashboard", "false", "--disable-usage-stats"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            ready = subprocess.run([*RAY, "status", "--address", address], capture_output=True, text=True, env=env)
            if ready.returncode == 0 and "CPU" in ready.stdout:
                break
            assert head.poll() is None, (Path(temp) / "head.log").read_text()
            assert time.monotonic() < deadline, f"the Ray head node did not come up in 90 s: {ready.stderr[-500:]}"
            time.sleep(1)
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # whatever ignored SIGTERM: gcs_server, raylet, workers
        except ProcessLookupError:
            pass
        head.wait()
        log.close()


@pytest.fixture(autouse=True)
def isolated_ray_home(ray_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(ray_home))  # the drivers (subprocesses inherit it) and in-process ray.init()


def ganbench(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "GANBENCH_LOAD_PLUGINS": ""}
    env.pop("RAY_ADDRESS", None)
    return subprocess.Popen([sys.executable, "-m", "ganbench", "run", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> str:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    return err


def records(store: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in store.glob("*.json")}


RESULT = ("status", "metrics", "curves", "fid_curve", "spectrum", "steps_done", "images_seen", "context", "spec",
          "final_d_loss", "final_g_loss", "reason")


def test_a_smoke_suite_through_ray_gives_the_local_records(cluster: str, tmp_path: Path) -> None:
    through_ray = ganbench(tmp_path, "--suite", "smoke", "--all", "--executor", "ray", "--address", cluster,
                           "--out", "ray-out", "--store", "ray-store")
    finish(through_ray)
    local = ganbench(tmp_path, "--suite", "smoke", "--all", "--workers", "2", "--out", "out", "--store", "store")
    finish(local)
    remote, here = records(tmp_path / "ray-store"), records(tmp_path / "store")
    assert len(here) == 52 and set(remote) == set(here)
    for rid, record in here.items():
        assert {k: remote[rid].get(k) for k in RESULT} == {k: record.get(k) for k in RESULT}, record["entry"]
    pictures = {path.name: path.read_bytes() for path in (tmp_path / "store").glob("*.png")}
    assert len(pictures) > 40  # the pictures (samples, and the real ones) travel back with the records
    assert {path.name: path.read_bytes() for path in (tmp_path / "ray-store").glob("*.png")} == pictures
    assert (tmp_path / "ray-out" / "smoke-fashion-mnist-summary.csv").read_text() == \
        (tmp_path / "out" / "smoke-fashion-mnist-summary.csv").read_text()


def ray_tasks() -> list[int]:
    """Processes running a ganbench run as a Ray task (Ray names a task's process ray::<function>)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().startswith(b"ray::run_remote"):
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def test_a_killed_ray_worker_is_retried_and_resumes_from_its_checkpoint(cluster: str, tmp_path: Path) -> None:
    (tmp_path / "long.toml").write_text(TINY.replace("generator_steps = 10", "generator_steps = 300"))
    args = ("--suite-file", "long.toml", "--matrix", "full", "--arch", "dcgan", "--loss", "hinge", "--reg", "none",
            "--checkpoint-every", "5")
    proc = ganbench(tmp_path, *args, "--executor", "ray", "--address", cluster, "--store", "ray-store",
                    "--out", "ray-out")
    scratch = scratch_root(tmp_path / "ray-store")
    deadline = time.monotonic() + 180
    while not list(scratch.glob("*.ckpt")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    workers = ray_tasks()
    assert proc.poll() is None and len(workers) == 1, "the run ended before its worker could be killed"
    os.kill(workers[0], signal.SIGKILL)
    finish(proc)
    (record,) = records(tmp_path / "ray-store").values()
    assert record["status"] == "completed" and record["resumed_from"] > 0  # retried on this node, from its checkpoint
    finish(ganbench(tmp_path, *args, "--workers", "1", "--store", "store", "--out", "out"))
    (whole,) = records(tmp_path / "store").values()
    assert whole["resumed_from"] == 0
    assert {k: record.get(k) for k in RESULT} == {k: whole.get(k) for k in RESULT}


def test_a_killed_driver_resumes_with_nothing_redone(cluster: str, tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY.replace("generator_steps = 10", "generator_steps = 60"))
    args = ("--suite-file", "tiny.toml", "--reg", "none", "--reg", "r1", "--reg", "dropout", "--reg", "ema",
            "--executor", "ray", "--address", cluster, "--store", "store", "--out", "out")
    driver = ganbench(tmp_path, *args)
    store = tmp_path / "store"
    deadline = time.monotonic() + 300
    while len(list(store.glob("*.json"))) < 2 and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.05)
    assert driver.poll() is None, "the suite ended before its driver could be killed"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    before = {path.name: path.read_bytes() for path in store.glob("*.json")}
    assert len(before) >= 2
    deadline = time.monotonic() + 60  # Ray cancels a dead driver's tasks
    while ray_tasks() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ray_tasks() == []
    err = finish(ganbench(tmp_path, *args))
    after = records(store)
    total = int(err.split("suite tiny: ")[1].split(" runs")[0])
    assert len(after) == total > len(before)
    assert all(r["status"] in ("completed", "skipped") for r in after.values())
    assert {name: (store / name).read_bytes() for name in before} == before  # nothing finished was redone
    # Every record written before the kill is reused. A run whose task finished on its node after the
    # last record reached the store is reused too, from the node's scratch store, not trained again.
    assert err.count("(reused;") >= len(before)


def test_the_ray_executor_passes_the_conformance_kit(cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ganbench import plugins
    from ganbench.testing.kit import executor_checks

    monkeypatch.setenv("RAY_ADDRESS", cluster)  # the kit's ExecutorOptions name no address: Ray's default
    spec = plugins.load(allow=set(), use_env=False).spec("executors", "ray")
    checks = executor_checks(spec)
    for check in checks:
        check.run()
    assert [c.name for c in checks] == ["describes-itself", "runs-a-plan"]


def test_sigterm_stops_a_ray_suite_and_its_tasks(cluster: str, tmp_path: Path) -> None:
    (tmp_path / "slow.toml").write_text(TINY.replace("generator_steps = 10", "generator_steps = 150"))
    driver = ganbench(tmp_path, "--suite-file", "slow.toml", "--reg", "none", "--reg", "r1", "--reg", "dropout",
                      "--matrix", "full", "--arch", "dcgan", "--loss", "hinge", "--seeds", "0,1",
                      "--executor", "ray", "--address", cluster, "--store", "store", "--out", "out")
    assert driver.stderr is not None
    seen = []
    for line in driver.stderr:  # the first finished run
        seen.append(line)
        if line.startswith("[1/"):
            break
    driver.send_signal(signal.SIGTERM)
    rest = driver.stderr.read()
    assert driver.wait(timeout=120) == 143, "".join(seen) + rest
    assert "stopped by SIGTERM after" in rest and "Traceback" not in rest
    assert (tmp_path / "out" / "tiny-fashion-mnist-runs.csv").is_file()
    deadline = time.monotonic() + 60
    while ray_tasks() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ray_tasks() == []


def test_two_ray_drivers_on_one_store_train_each_run_once(cluster: str, tmp_path: Path) -> None:
    """The driver claims each run id before submitting it; the other driver waits, then reuses the record."""
    (tmp_path / "tiny.toml").write_text(TINY.replace("generator_steps = 10", "generator_steps = 40"))
    args = ("--suite-file", "tiny.toml", "--reg", "none", "--reg", "r1", "--reg", "dropout", "--seeds", "0,1",
            "--executor", "ray", "--address", cluster, "--store", "store")
    first, second = (ganbench(tmp_path, *args, "--out", out) for out in ("out-a", "out-b"))
    errs = [finish(first), finish(second)]
    lines = [line for err in errs for line in err.splitlines() if line.startswith("[")]
    total = int(errs[0].split("suite tiny: ")[1].split(" runs")[0])
    trained = [line for line in lines if "(reused;" not in line]
    assert len(lines) == 2 * total and len(trained) == total, "\n".join(lines)
    assert (tmp_path / "out-a" / "tiny-fashion-mnist-runs.csv").read_text() == \
        (tmp_path / "out-b" / "tiny-fashion-mnist-runs.csv").read_text()
