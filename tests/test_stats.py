from __future__ import annotations

import math

import numpy as np
import pytest

from ganbench.stats import bootstrap_rank_interval, holm, mode_score, rank_statistic, ranks, tiers, welch

INF = math.inf


def test_welch_against_hand_computed_values() -> None:
    # a = 1, 2, 3: mean 2, s² = 1, s²/n = 1/3.  b = 2, 4, 6, 8: mean 5, s² = 20/3, s²/n = 5/3.
    # se = sqrt(1/3 + 5/3) = sqrt(2); t = (2 - 5) / sqrt(2) = -2.1213203;
    # df = 2² / ((1/3)²/2 + (5/3)²/3) = 4 / (1/18 + 25/27) = 216/53 = 4.0754717;
    # t_{0.975, 216/53} = 2.7562849, half-width = 2.7562849 · sqrt(2) = 3.8979755;
    # p = 2 P(T_{216/53} > 2.1213203) = 0.0999129 (both quantiles from the t distribution, as in a table).
    result = welch(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0, 8.0]))
    assert result.diff == -3.0
    assert result.t == pytest.approx(-2.1213203, abs=1e-7)
    assert result.df == pytest.approx(216 / 53, rel=1e-12)
    assert (result.low, result.high) == pytest.approx((-6.8979755, 0.8979755), abs=1e-7)
    assert result.p == pytest.approx(0.0999129, abs=1e-7)


def test_welch_is_undefined_below_two_finished_seeds_and_ignores_lost_ones() -> None:
    assert math.isnan(welch(np.array([1.0]), np.array([2.0, 3.0])).p)
    assert math.isnan(welch(np.array([1.0, INF]), np.array([2.0, 3.0])).diff)
    # Lost seeds (inf) are left out: the same test as on the finished seeds alone.
    assert welch(np.array([1.0, 2.0, 3.0, INF]), np.array([2.0, 4.0, 6.0, 8.0])).df == pytest.approx(216 / 53)
    # No spread on either side: no t distribution, the difference is exact.
    flat = welch(np.array([1.0, 1.0]), np.array([3.0, 3.0]))
    assert (flat.diff, flat.low, flat.high, flat.p) == (-2.0, -2.0, -2.0, 0.0)
    assert welch(np.array([1.0, 1.0]), np.array([1.0, 1.0])).p == 1.0


def test_holm_against_a_hand_worked_example() -> None:
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> max(0.06, 0.04) = 0.06 (monotone).
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # Capped at 1; NaN is not a test and does not count in m (m = 2 here).
    assert holm(np.array([0.6, math.nan, 0.2])) == pytest.approx([0.6, math.nan, 0.4], nan_ok=True)
    assert holm(np.array([0.7, 0.8])) == pytest.approx([1.0, 1.0])
    assert len(holm(np.array([]))) == 0


def test_rank_statistic_counts_lost_seeds_as_worst() -> None:
    assert rank_statistic(np.array([10.0, 12.0, INF])) == 12.0
    assert rank_statistic(np.array([10.0, INF, INF])) == INF  # most seeds lost: ranked as lost
    assert math.isnan(rank_statistic(np.array([])))  # nothing ran


def test_ranks_are_competition_ranks_with_missing_last() -> None:
    assert list(ranks(np.array([3.0, 1.0, math.nan, 1.0, INF]), lower_is_better=True)) == [3, 1, 5, 1, 4]
    assert list(ranks(np.array([3.0, 1.0, math.nan, -INF]), lower_is_better=False)) == [1, 2, 4, 3]


def test_bootstrap_rank_interval_is_degenerate_when_seeds_never_overlap() -> None:
    # Every resample of [1, 2, 3] has a median below every resample of [10, 11, 12]; an entry that
    # lost all its seeds is always behind both, and one that never ran is always last.
    entries = [np.array([10.0, 11.0, 12.0]), np.array([1.0, 2.0, 3.0]), np.array([INF, INF]), np.array([])]
    low, high = bootstrap_rank_interval(entries, lower_is_better=True)
    assert list(low) == [2, 1, 3, 4] and list(high) == [2, 1, 3, 4]


def test_bootstrap_rank_interval_is_deterministic_and_covers_overlap() -> None:
    entries = [np.array([10.0, 10.5, 11.0]), np.array([10.2, 10.8, 11.1]), np.array([20.0, 20.5, 21.0])]
    first = bootstrap_rank_interval(entries, lower_is_better=True)
    again = bootstrap_rank_interval(entries, lower_is_better=True)
    assert [list(a) for a in first] == [list(a) for a in again]
    # The first two overlap, so each can come first or second; the third is always third.
    assert list(first[0]) == [1, 1, 3] and list(first[1]) == [2, 2, 3]


def test_tiers_on_a_constructed_example() -> None:
    a = np.array([10.0, 10.5, 11.0])  # the leader (median 10.5)
    b = np.array([10.2, 10.8, 11.1])  # Welch vs a: p = 0.64 -> tied
    c = np.array([20.0, 20.5, 21.0])  # p = 1.6e-5 (x3 by Holm) -> separated
    d = np.array([10.6, 10.9, INF])  # finished seeds not separable (p = 0.50), but it lost a seed: not tier 1
    assert list(tiers([a, b, c, d, np.array([])], lower_is_better=True)) == [1, 1, 3, 2, 0]
    # Without the lost seed d would be tied with the leader.
    assert list(tiers([a, b, c, d[:2]], lower_is_better=True)) == [1, 1, 2, 1]
    # One seed each: nothing can be separated, so everything is tied.
    assert list(tiers([np.array([1.0]), np.array([5.0])], lower_is_better=True)) == [1, 1]


def test_mode_score_is_the_geometric_mean_of_coverage_and_quality() -> None:
    # sqrt(25/25 · 4/100) = 0.2; sqrt(16/25 · 25/100) = sqrt(0.16) = 0.4; nothing known -> NaN.
    score = mode_score(np.array([25.0, 16.0, 3.0]), np.array([25.0, 25.0, 0.0]), np.array([4.0, 25.0, 50.0]))
    assert score == pytest.approx([0.2, 0.4, math.nan], nan_ok=True)
