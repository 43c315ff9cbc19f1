"""Each entry against the suite's baseline, in the words a reader asks in: better, worse, or not
separable; sharper or blurrier; structure kept or lost; noisier.

The statements come from the seed statistics the summary already holds: Welch's test of each
metric's difference to the baseline over seeds, Holm-adjusted over the entries of one table
(``leaderboard._deltas``). A lost (diverged or failed) seed is invisible to that test, so an entry
that lost a larger share of its seeds than the baseline is counted worse, never better (the same
rule as ``stats.tiers``). What each metric means here is its column's ``role`` in the metric table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ganbench import stats
from ganbench.specs import Column

ALPHA = 0.05
# Roles a metric column can play in the verdicts (``Column.role``).
STRUCTURE, SHARPNESS, ARTEFACTS = "structure", "sharpness", "artefacts"
SHARPER = "sharper, structure kept"
BETTER_STRUCTURE = "better structure"
BLURRIER = "blurrier"
LOST_STRUCTURE = "lost structure"
NOISIER = "noisier"
LOST_SEEDS = "lost more seeds"
NOT_SEPARABLE = "not separable at this budget"
# The order verdicts are listed in when an entry carries several.
ORDER = (SHARPER, BETTER_STRUCTURE, BLURRIER, LOST_STRUCTURE, NOISIER, LOST_SEEDS)


def _separated(row: Mapping[str, Any], prefix: str) -> int:
    """+1 / -1: the entry's mean is separably above / below the baseline's on this delta; 0: not."""
    p = row.get(f"{prefix}_p_holm", math.nan)
    if pd.isna(p) or not p < ALPHA:
        return 0
    return 1 if row[prefix] > 0 else -1


def lost_shares(summary: pd.DataFrame) -> pd.Series:
    """The share of each entry's runnable seeds that diverged or failed (NaN: none runnable)."""
    runnable = (summary["n_seeds"] - summary["n_skipped"]).astype(float)
    return (summary["n_diverged"] + summary["n_failed"]) / runnable.where(runnable > 0)


def verdicts(row: Mapping[str, Any], lost_more: bool, columns: Sequence[Column]) -> list[str]:
    """The verdicts of one summary row against the baseline, in ``ORDER``; ``lost_more``: it lost a
    larger share of its seeds than the baseline."""
    role = {col.role: col.delta for col in columns if col.role and col.delta}
    structure = _separated(row, role[STRUCTURE]) if STRUCTURE in role else 0  # + is worse (an FID)
    blur = _separated(row, role[SHARPNESS]) if SHARPNESS in role else 0  # + is more detail than the baseline
    noise = _separated(row, role[ARTEFACTS]) if ARTEFACTS in role else 0
    found = []
    if blur > 0 and structure <= 0:
        found.append(SHARPER)
    if structure < 0:
        found.append(BETTER_STRUCTURE)
    if blur < 0:
        found.append(BLURRIER)
    if structure > 0:
        found.append(LOST_STRUCTURE)
    if noise > 0:
        found.append(NOISIER)
    if lost_more:
        found.append(LOST_SEEDS)
    return found or [NOT_SEPARABLE]


def compared(rank_p_holm: float, diff: float, lower_is_better: bool, lost: float, base_lost: float) -> str:
    """"better", "worse" or "indistinguishable" from the baseline on the ranking metric."""
    if lost > base_lost:
        return "worse"
    if math.isnan(rank_p_holm) or not rank_p_holm < ALPHA:
        return "indistinguishable"
    return "better" if (diff < 0) == lower_is_better else "worse"


def compare_ranking(seeds: Sequence[np.ndarray], base: int) -> tuple[np.ndarray, np.ndarray]:
    """(difference of means to the baseline, Holm-adjusted Welch p) for each entry's finished seeds
    (``seeds[i]``: its seed values, lost ones ±inf); NaN for the baseline itself."""
    finished = [s[np.isfinite(s)] for s in seeds]
    tests = [stats.welch(s, finished[base]) if i != base else stats.UNDEFINED for i, s in enumerate(finished)]
    others = [i for i in range(len(seeds)) if i != base]
    p = np.full(len(seeds), math.nan)
    p[others] = stats.holm(np.array([tests[i].p for i in others]))
    return np.array([t.diff for t in tests]), p


def answer(summary: pd.DataFrame, columns: Sequence[Column]) -> str:
    """One sentence: what the table says about the fixes, against its baseline."""
    base = summary[summary["entry"] == summary["baseline"]]
    if "verdict" not in summary:
        return "This summary was written before ganbench compared entries with the baseline: show its runs table."
    if base.empty:
        return "This table has no baseline entry, so it compares no fix with one."
    baseline = str(base["entry"].iloc[0])
    others = summary[(summary["entry"] != baseline) & summary["rank"].notna()]
    seeds = int(base["n_seeds"].iloc[0])
    label = _rank_label(str(summary["rank_by"].iloc[0]), columns)
    has = {col.role for col in columns if col.role and col.delta and col.delta in summary
           and summary[col.delta].notna().any()}
    if others.empty:
        return f"The table holds only its baseline ({baseline}): nothing to compare."
    better = int((others["compared"] == "better").sum())
    worse = int((others["compared"] == "worse").sum())
    tally = (f"on {label} {better} of {len(others)} {'is' if better == 1 else 'are'} separably better, {worse} "
             f"separably worse, and {len(others) - better - worse} not separable with {seeds} seed{'s' * (seeds != 1)}")
    if SHARPNESS in has:
        verdict = others["verdict"].fillna("")
        sharper = list(others.loc[verdict.str.contains(SHARPER, regex=False), "entry"])
        if sharper:
            return (f"At this budget, {_names(sharper)} {'is' if len(sharper) == 1 else 'are'} separably sharper "
                    f"than the baseline ({baseline}) with structure kept; {tally}.")
        return (f"At this budget no fix is separably sharper than the baseline ({baseline}) without losing "
                f"structure; {tally}.")
    return f"Against the baseline ({baseline}), {tally}."


def _rank_label(name: str, columns: Sequence[Column]) -> str:
    found = [col for col in columns if col.name == name]
    return (found[0].rank_label or found[0].label) if found else name


def _names(entries: list[str]) -> str:
    return entries[0] if len(entries) == 1 else ", ".join(entries[:-1]) + f" and {entries[-1]}"
