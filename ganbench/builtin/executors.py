"""Built-in executors: this machine's process pool, and a Ray cluster."""

from __future__ import annotations

from typing import Any

from ganbench.hookspecs import RegisterExecutor, hookimpl
from ganbench.specs import ExecutorOptions, ExecutorSpec


def local(options: ExecutorOptions) -> Any:
    import torch

    from ganbench.executors.forkserver import pool_size
    from ganbench.executors.local import LocalExecutor

    return LocalExecutor(pool_size(options.workers, options.device, options.runs_per_gpu, torch.cuda.device_count()))


def ray(options: ExecutorOptions) -> Any:
    from ganbench.executors.ray_cluster import RayExecutor

    return RayExecutor(options)


@hookimpl
def register_executors(register: RegisterExecutor) -> None:
    register(ExecutorSpec(
        "local", "Concurrent single-thread processes on this machine (one per core), sharing the store",
        "Graham, Bounds on multiprocessing timing anomalies, SIAM J. Appl. Math. 1969 (longest runs first)", local))
    register(ExecutorSpec(
        "ray", "Each run a Ray task with its CPU or GPU share; records travel back to the driver, which "
        "writes them", "Moritz et al., Ray: A Distributed Framework for Emerging AI Applications, OSDI 2018",
        ray, imports=("ray",), install="pip install 'ganbench[ray]'", takes_address=True))
