"""Where a suite's time went, from its runs CSV and the wall time of the `ganbench run` call.

    python3 scripts/suite_timing.py leaderboards/quick-fashion-mnist-runs.csv --wall 600 --workers 2

Evaluation share = (curve FIDs + final scoring) / run wall time, summed over runs (and per run:
median). Ideal = the sum of training seconds / workers; the goal is wall <= 1.15 x ideal. Outside
the runs = the suite's wall time less the runs' wall time per worker.
"""

from __future__ import annotations

import argparse
import statistics

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs_csv")
    parser.add_argument("--wall", type=float, required=True, help="seconds the ganbench run call took")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    runs = pd.read_csv(args.runs_csv)
    done = runs[runs["status"] == "completed"]
    train, wall = done["train_seconds"].sum(), done["wall_seconds"].sum()
    curve = done["curve_seconds"].sum() if "curve_seconds" in done else 0.0
    evaluation = done["eval_seconds"].sum()
    curve_runs = done["curve_seconds"] if "curve_seconds" in done else 0.0
    share = (curve_runs + done["eval_seconds"]) / done["wall_seconds"]
    per_run = share.tolist()
    ideal = train / args.workers
    print(f"runs: {len(runs)} ({len(done)} completed)")
    print(f"run-seconds: train {train:.0f}, curve FIDs {curve:.0f}, final evaluation {evaluation:.0f}, "
          f"run wall {wall:.0f}")
    print(f"evaluation share of run wall time: {(curve + evaluation) / wall:.1%} overall, "
          f"median run {statistics.median(per_run):.1%}, largest {share.max():.1%}")
    print(f"suite wall {args.wall:.0f} s; ideal (train / {args.workers} workers) {ideal:.0f} s; "
          f"ratio {args.wall / ideal:.2f} (goal <= 1.15)")
    # All runs' wall time (skipped ones included) spread over the workers; the rest of the suite's wall
    # time is imports, planning, worker start-up, the tables and idle workers at the end.
    per_worker = runs["wall_seconds"].fillna(0).sum() / args.workers
    print(f"run wall per worker {per_worker:.0f} s (ratio {per_worker / ideal:.2f}); "
          f"outside the runs {args.wall - per_worker:.0f} s")


if __name__ == "__main__":
    main()
