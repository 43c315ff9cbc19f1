"""How sure a leaderboard is: seed statistics on plain numpy arrays (no tables, no ganbench imports).

A leaderboard entry is trained on a few seeds, so every number in it is a sample. This module
turns those samples into statements that say how sure they are:

- ``rank_statistic``: the median over *all* seeds, a lost (diverged or failed) seed counting as
  the worst possible outcome, so one survivor of three seeds cannot rank as if stable.
- ``welch``: the difference of two means with Welch's t-test and its 95% interval.
- ``holm``: Holm's step-down adjustment of p-values for a family of comparisons.
- ``tiers``: groups of entries that the seeds cannot tell apart from the group's best.
- ``bootstrap_rank_interval``: where an entry's rank could plausibly fall, from a bootstrap over seeds.
- ``mode_score``: one number for mode coverage and sample quality on point data.

Conventions: an entry's seeds are a 1-D float array; ``inf`` (``-inf`` when higher is better)
marks a lost seed and is the worst value; an empty array is an entry with no runnable seed
(everything skipped), which has no statistic and ranks last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats as scipy_stats

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Welch:
    """mean(a) - mean(b), its ``level`` confidence interval [low, high], Welch's t, df and two-sided p."""

    diff: float
    low: float
    high: float
    t: float
    df: float
    p: float


UNDEFINED = Welch(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)


def welch(a: Array, b: Array, level: float = 0.95) -> Welch:
    """Welch's unequal-variance t-test of mean(a) = mean(b), with the interval of mean(a) - mean(b).

    With sample variances s², the standard error is se = sqrt(s_a²/n_a + s_b²/n_b) and the
    Welch–Satterthwaite degrees of freedom are
        df = se⁴ / ((s_a²/n_a)² / (n_a - 1) + (s_b²/n_b)² / (n_b - 1)),
    t = (mean(a) - mean(b)) / se, p = 2·P(T_df > |t|), and the interval is diff ± t_{df, (1+level)/2}·se
    (Welch 1947, Biometrika 34:28; Satterthwaite 1946, Biometrics Bulletin 2:110). The p-value is
    scipy's ``ttest_ind(equal_var=False)``, which computes the same t and df.

    Undefined (all NaN) with fewer than 2 finite values on either side. When both samples have no
    spread (se = 0) there is no t distribution: the interval is the point diff, p = 1 if the
    means are equal and 0 otherwise, t and df are NaN.
    """
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return UNDEFINED
    if np.ptp(a) == 0 and np.ptp(b) == 0:  # tested on the data: a computed mean and variance can be off by 1 ulp
        diff = float(a[0] - b[0])
        return Welch(diff, diff, diff, math.nan, math.nan, 1.0 if diff == 0.0 else 0.0)
    diff = float(a.mean() - b.mean())
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf((1 + level) / 2, df)) * se
    result = scipy_stats.ttest_ind(a, b, equal_var=False)
    return Welch(diff, diff - half, diff + half, float(result.statistic), df, float(result.pvalue))


def holm(p: Array) -> Array:
    """Holm's step-down adjustment (Holm 1979, Scand. J. Statist. 6:65), controlling the family-wise error.

    Sort the m defined p-values ascending, p_(1) <= ... <= p_(m); the adjusted values are
        p̃_(i) = min(1, max_{j <= i} (m - j + 1)·p_(j)),
    so they keep the order of the raw ones (monotone) and never exceed 1. Reject H_(i) at level α
    iff p̃_(i) < α. NaN entries are not tests: they stay NaN and do not count in m.
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, math.nan)
    defined = np.flatnonzero(~np.isnan(p))
    order = defined[np.argsort(p[defined], kind="stable")]
    m = len(order)
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def worst(lower_is_better: bool) -> float:
    """The value of a lost seed: worse than any finished one."""
    return math.inf if lower_is_better else -math.inf


def rank_statistic(seeds: Array) -> float:
    """Median over all of an entry's seeds, lost seeds included at their worst value (±inf).

    The median is finite while fewer than half the seeds are lost, and ±inf once most are: an
    entry that usually diverges is ranked as diverging. NaN for an entry with no runnable seed.
    """
    return float(np.median(seeds)) if len(seeds) else math.nan


def ranks(values: Array, lower_is_better: bool) -> NDArray[np.int64]:
    """Competition ranks ("1224") of the last axis: 1 + how many entries are strictly better.

    NaN (no statistic) ranks after every entry that has one, like pandas' ``rank(method="min",
    na_option="bottom")``. Works on a 1-D array or on a 2-D array of resamples x entries.
    """
    values = np.asarray(values, dtype=float)
    key = values if lower_is_better else -values
    key = np.where(np.isnan(key), math.inf, key)
    valid = ~np.isnan(values)
    # better[..., i, j]: entry j beats entry i (a ranked entry beats every unranked one).
    better = (key[..., None, :] < key[..., :, None]) | (valid[..., None, :] & ~valid[..., :, None])
    return (1 + better.sum(axis=-1)).astype(np.int64)


def bootstrap_rank_interval(entries: Sequence[Array], lower_is_better: bool, resamples: int = 1000,
                            level: float = 0.95, seed: int = 0) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Percentile bootstrap interval of each entry's rank (Efron & Tibshirani 1993, ch. 13).

    Each resample draws every entry's seeds with replacement (lost seeds stay lost), recomputes
    ``rank_statistic`` and ``ranks``; the interval is the (1-level)/2 and (1+level)/2 percentiles of
    an entry's ranks over the resamples, rounded outward ("lower"/"higher" percentile), so it is a
    pair of ranks that covers at least ``level`` of the resamples. Entries are resampled in the
    order given from ``numpy.random.default_rng(seed)``: the same input gives the same interval.
    Entries whose seeds never overlap keep their order in every resample, so their interval is
    the single rank [r, r].
    """
    rng = np.random.default_rng(seed)
    stats = np.full((resamples, len(entries)), math.nan)
    for i, seeds in enumerate(entries):
        if len(seeds):
            draws = seeds[rng.integers(0, len(seeds), size=(resamples, len(seeds)))]
            stats[:, i] = np.median(draws, axis=1)
    boot = ranks(stats, lower_is_better)
    tail = 100 * (1 - level) / 2
    low = np.percentile(boot, tail, axis=0, method="lower").astype(np.int64)
    high = np.percentile(boot, 100 - tail, axis=0, method="higher").astype(np.int64)
    return low, high


def tiers(entries: Sequence[Array], lower_is_better: bool, alpha: float = 0.05) -> NDArray[np.int64]:
    """Tier of each entry: 1 = the best entry and every entry the seeds cannot separate from it.

    Repeat until every entry with a statistic has a tier: the best remaining entry by
    ``rank_statistic`` (the first on a tie) leads a new tier; it is compared with every other
    remaining entry by ``welch`` on the finished seeds, the p-values Holm-adjusted over those
    comparisons; an entry joins the leader's tier when
      (a) the adjusted p >= alpha, or the test is undefined (fewer than 2 finished seeds on either
          side: nothing separates them), and
      (b) it lost no larger a share of its seeds than the leader.
    (b) is there because the t-test only sees finished seeds: a lost seed is worse than any
    finished one, so an entry that lost more seeds is worse in a way the test cannot see, and
    must not be called tied with a leader that finished more of its seeds. Tiers are numbered
    1, 2, ...; an entry with no runnable seed gets tier 0 (no tier).
    """
    stats = np.array([rank_statistic(s) for s in entries])
    lost = np.array([np.mean(~np.isfinite(s)) if len(s) else math.nan for s in entries])
    finished = [s[np.isfinite(s)] for s in entries]
    order = np.argsort(ranks(stats, lower_is_better), kind="stable")
    remaining = [int(i) for i in order if not np.isnan(stats[i])]
    tier = np.zeros(len(entries), dtype=np.int64)
    current = 0
    while remaining:
        current += 1
        leader, others = remaining[0], remaining[1:]
        p = holm(np.array([welch(finished[i], finished[leader]).p for i in others]))
        tied = [i for i, q in zip(others, p, strict=True)
                if not q < alpha and lost[i] <= lost[leader]]
        for i in [leader, *tied]:
            tier[i] = current
        remaining = [i for i in others if i not in tied]
    return tier


def mode_score(modes_covered: Array, n_modes: Array, high_quality_percent: Array) -> Array:
    """Geometric mean of the share of modes covered and the share of high-quality samples.

        score = sqrt((modes_covered / n_modes) · (high_quality / 100)),   in [0, 1], higher is better.

    Mode coverage alone rewards a generator that smears samples over the plane (it touches every
    mode but few samples land near one); sample quality alone rewards collapse onto one mode.
    The geometric mean is high only when both are (it is 0 if either is 0), in the spirit of
    reporting modes and high-quality samples side by side (Srivastava et al. 2017, VEEGAN;
    Lin et al. 2018, PacGAN). NaN where any input is NaN or n_modes is not positive.
    """
    n = np.where(np.asarray(n_modes, dtype=float) > 0, n_modes, math.nan)
    return np.sqrt(np.asarray(modes_covered, dtype=float) / n * np.asarray(high_quality_percent, dtype=float) / 100)
