"""What one BLAS thread per run buys in a pool of runs: quick-suite dcgan runs in two concurrent
processes (as `ganbench run` with 2 workers on 2 cores), with NumPy's and SciPy's OpenBLAS left at its
own thread-per-core default (ganbench 0.6.0 and before) or held to one thread (0.7.0).

    python3 scripts/blas_threads.py [--runs 3] [--rounds 2]

Each round runs both modes, one after the other, alternating which goes first; each mode is two
processes executing ``--runs`` seeds of the quick suite's baseline each (a fresh store every time).
Prints each mode's median per-run training, final-evaluation and curve-FID seconds, and the
one-thread / default ratios, and how far apart the two modes' metrics are: the same to the bit but
for float64 rounding in KID, whose matrix products a second thread splits differently. The script
exits 1 when any metric differs by more than 1e-12, relative.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
from typing import Any


def runs(mode: str, seeds: list[int]) -> list[dict[str, Any]]:
    """In a fresh process: the baseline's runs for ``seeds``, timed by ``execute`` itself."""
    import dataclasses
    import os

    os.environ["GANBENCH_SYSTEM_DATA"] = "0"
    import torch

    from ganbench.training import seeding

    if mode == "default":  # what ganbench did before 0.7.0: only torch's own threads were pinned
        seeding.one_blas_thread = lambda: None
    torch.set_num_threads(1)
    from ganbench import execute
    from ganbench.suites import expand, load_suite

    cat = execute.catalog()
    spec = next(s for s in expand(load_suite("quick", cat), cat, "cpu") if s.recipe == "dcgan")
    store = tempfile.mkdtemp(prefix="ganbench-blas-")
    out = []
    for seed in seeds:
        record = execute.execute(dataclasses.replace(spec, seed=seed), None, store)
        out.append({key: record[key] for key in ("train_seconds", "eval_seconds", "curve_seconds", "metrics")})
    return out


def one_mode(mode: str, n: int) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:  # two workers, as a 2-core suite has
        halves = pool.starmap(runs, [(mode, list(range(n))), (mode, list(range(n, 2 * n)))])
    return [r for half in halves for r in half]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per process and mode")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {"default": [], "one": []}
    for i in range(args.rounds):
        for mode in (("default", "one") if i % 2 == 0 else ("one", "default")):
            results[mode] += one_mode(mode, args.runs)
    medians = {mode: {key: statistics.median(r[key] for r in rs)
                      for key in ("train_seconds", "eval_seconds", "curve_seconds")} for mode, rs in results.items()}
    print("| per run, median | BLAS thread per core | one BLAS thread | one / per core |\n| --- | --- | --- | --- |")
    for key in ("train_seconds", "eval_seconds", "curve_seconds"):
        a, b = medians["default"][key], medians["one"][key]
        print(f"| {key} | {a:.3f} | {b:.3f} | {b / a:.2f} |")
    apart: dict[str, float] = {}
    for a, b in zip(results["default"], results["one"], strict=True):  # the same seeds in the same order
        for name, value in a["metrics"].items():
            if value != b["metrics"][name]:
                gap = abs(value - b["metrics"][name]) / max(abs(value), 1e-300)
                apart[name] = max(apart.get(name, 0.0), gap)
    print(f"{len(results['one'])} runs per mode; metrics that differ between the modes (largest relative "
          f"difference): {', '.join(f'{k} {v:.1e}' for k, v in sorted(apart.items())) or 'none'}")
    return 0 if all(v <= 1e-12 for v in apart.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
