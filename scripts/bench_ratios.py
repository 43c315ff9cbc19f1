"""Ratios from one pytest-benchmark run (never absolute times across runs or machines).

    python3 -m pytest tests/benchmarks --benchmark-enable --benchmark-only --benchmark-json=bench.json
    python3 scripts/bench_ratios.py bench.json

Prints the harness's speed relative to the bare loop (goal: >= 0.97 for dcgan on images and mlp
on points) and each component's training step in ms beside the dcgan baseline's. Exits 1 when a
harness ratio misses its goal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOAL = 0.97


def main(path: str) -> int:
    data = json.loads(Path(path).read_text())
    median = {b["name"]: b["stats"]["median"] for b in data["benchmarks"]}
    machine = data["machine_info"]
    print(f"# {machine.get('cpu', {}).get('brand_raw', machine.get('processor', '?'))}, "
          f"{data['datetime']}, torch threads 1")
    failed = False
    print("\n| case | harness s | bare s | harness speed / bare |\n| --- | --- | --- | --- |")
    for case in ("dcgan-images", "mlp-points"):
        harness = median[f"test_harness_against_bare_loop[harness-{case}]"]
        bare = median[f"test_harness_against_bare_loop[bare-{case}]"]
        ratio = bare / harness
        failed |= ratio < GOAL
        print(f"| {case} | {harness:.3f} | {bare:.3f} | {ratio:.3f} |")
    base = median["test_step_per_architecture[dcgan]"]
    print("\n| benchmark | median s | relative to dcgan's step |\n| --- | --- | --- |")
    for name, value in sorted(median.items()):
        print(f"| {name} | {value:.3f} | {value / base:.2f} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
