"""Ratios from one pytest-benchmark run (never absolute times across runs or machines).

    python3 -m pytest tests/benchmarks -n 0 --benchmark-enable --benchmark-only --benchmark-json=bench.json
    python3 scripts/bench_ratios.py bench.json

Prints the harness's speed relative to the bare loop (goal: >= 0.97 for dcgan on images and mlp
on points: the median of pairs timed back to back, alternating which goes first) and each
component's training step beside the dcgan baseline's. Exits 1 when a harness ratio misses its goal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOAL = 0.97


def main(path: str) -> int:
    data = json.loads(Path(path).read_text())
    median = {b["name"]: b["stats"]["median"] for b in data["benchmarks"]}
    extra = {b["name"]: b.get("extra_info", {}) for b in data["benchmarks"]}
    machine = data["machine_info"]
    print(f"# {machine.get('cpu', {}).get('brand_raw', machine.get('processor', '?'))}, "
          f"{data['datetime']}, torch threads 1")
    failed = False
    print("\n| case | harness speed / bare (median pair) | pairs: lowest, highest |\n| --- | --- | --- |")
    for case in ("dcgan-images", "mlp-points"):
        info = extra[f"test_harness_against_bare_loop[{case}]"]
        ratio, pairs = info["harness_speed_over_bare"], info["pair_ratios"]
        failed |= ratio < GOAL
        print(f"| {case} | {ratio:.3f} | {min(pairs):.3f}, {max(pairs):.3f} ({len(pairs)} pairs) |")
    base = median.get("test_step_per_architecture[dcgan]")  # absent when only some benchmarks ran (-k)
    print("\n| benchmark | median s | relative to dcgan's step |\n| --- | --- | --- |")
    for name, value in sorted(median.items()):
        print(f"| {name} | {value:.3f} | {f'{value / base:.2f}' if base else '-'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
