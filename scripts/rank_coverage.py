"""How often the summary's "rank 95%" interval holds an entry's true rank, by simulation.

    python3 scripts/rank_coverage.py [--trials 400] [--seeds 3 5 10]

Each trial draws every entry's seeds from a normal distribution around its true FID, with the
seed-to-seed spread of a quick-like table (a coefficient of variation of ``--cv``), and computes the
rank intervals exactly as the summary does (``ganbench.stats.bootstrap_rank_interval``, 1,000
resamples). An entry's true rank is its rank by true FID. Coverage is the share of (trial, entry)
pairs whose interval holds it; a 95% interval should hold it about 95% of the time. The true FIDs are
``--entries`` values spread like the 0.8.0 quick table's medians (18.6 to 74.4, most between 20 and 35).
"""

from __future__ import annotations

import argparse

import numpy as np

from ganbench import stats


def true_fids(entries: int) -> np.ndarray:
    """Entries spread like quick's medians: most close together, a few far behind."""
    quantiles = np.linspace(0.0, 1.0, entries)
    return 18.6 + 14.0 * quantiles + 42.0 * quantiles ** 6


def coverage(seeds: int, trials: int, cv: float, entries: int,
             rng: np.random.Generator) -> tuple[float, float, float]:
    """(share of true ranks inside their interval, that share for the worst-covered entry, mean
    interval width in ranks)."""
    truth = true_fids(entries)
    true_rank = stats.ranks(truth, True)
    inside = np.zeros(entries)
    width = 0.0
    for trial in range(trials):
        drawn = [rng.normal(mu, cv * mu, size=seeds) for mu in truth]
        low, high = stats.bootstrap_rank_interval(drawn, True, 1000, seed=trial)
        inside += (low <= true_rank) & (true_rank <= high)
        width += float(np.mean(high - low + 1))
    return float(inside.mean() / trials), float(inside.min() / trials), width / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 5, 10])
    parser.add_argument("--cv", type=float, default=0.14, help="seed std / mean (quick's median FID CV: 0.14)")
    parser.add_argument("--entries", type=int, default=26)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{args.entries} entries, CV {args.cv}, {args.trials} trials, 1,000 bootstrap resamples each")
    for n in args.seeds:
        share, worst, width = coverage(n, args.trials, args.cv, args.entries, rng)
        print(f"{n:3d} seeds: the interval holds the true rank {share:.1%} of the time (the worst-covered entry's: "
              f"{worst:.1%}), {width:.1f} ranks wide")


if __name__ == "__main__":
    main()
