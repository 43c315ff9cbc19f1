"""Entries against the baseline: better / worse / indistinguishable, verdicts and the one-sentence
answer (ganbench.verdicts), from real seed statistics on constructed runs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ganbench.leaderboard import answers, format_summary, runs_table, summary_table
from tests.test_leaderboard import record

BASE = "base/l/r"


def runs(entries: dict[str, tuple[list[float], list[float], list[float]]],
         diverged: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Records: entry -> (structure FID, blur, noise) per seed; ``diverged``: entry -> seeds lost on top."""
    out = []
    for entry, (structure, blur, noise) in entries.items():
        for seed, values in enumerate(zip(structure, blur, noise, strict=True)):
            rec = record(entry, seed, "completed", 20.0 + seed)
            rec["metrics"].update(structure_fid=values[0], blur_score=values[1], noise_score=values[2])
            out.append(rec)
        for seed in range((diverged or {}).get(entry, 0)):
            out.append(record(entry, 10 + seed, "diverged", None))
    return out


def summary(entries: dict[str, tuple[list[float], list[float], list[float]]],
            diverged: dict[str, int] | None = None) -> pd.DataFrame:
    return summary_table(runs_table(runs(entries, diverged), baseline=BASE))


SAME = ([5.0, 5.2, 5.4], [-2.0, -2.1, -2.2], [-1.0, -1.1, -1.2])


def test_each_verdict_and_its_colour() -> None:
    table = summary({
        BASE: SAME,
        "sharp/l/r": ([5.1, 5.3, 5.5], [-0.5, -0.6, -0.7], [-1.0, -1.1, -1.2]),
        "smear/l/r": ([9.0, 9.2, 9.4], [-4.0, -4.1, -4.2], [-1.0, -1.1, -1.2]),
        "noise/l/r": ([15.0, 15.2, 15.4], [0.3, 0.2, 0.4], [2.0, 2.1, 2.2]),
        "same/l/r": ([5.0, 5.6, 5.2], [-2.0, -2.3, -2.1], [-1.0, -1.2, -1.1]),
        "lossy/l/r": SAME,
    }, diverged={"lossy/l/r": 1}).set_index("entry")
    assert table.loc[BASE, "compared"] == "baseline" and table.loc[BASE, "verdict"] == ""
    assert table.loc["sharp/l/r", "verdict"] == "sharper, structure kept"
    assert table.loc["sharp/l/r", "compared"] == "indistinguishable"
    assert table.loc["smear/l/r", "verdict"] == "blurrier; lost structure"  # listed in that order
    assert table.loc["noise/l/r", "verdict"] == "lost structure; noisier"  # sharper, but not with structure kept
    assert table.loc["noise/l/r", "compared"] == "worse"
    assert table.loc["same/l/r", "verdict"] == "not separable at this budget"
    # A lost seed is invisible to the t-test: it still counts against the entry.
    assert table.loc["lossy/l/r", "verdict"] == "lost more seeds" and table.loc["lossy/l/r", "compared"] == "worse"
    assert table.loc["noise/l/r", "baseline_ratio"] == 15.2 / 5.2


def test_the_answer_names_the_sharper_entries_or_says_there_are_none() -> None:
    table = summary({BASE: SAME, "sharp/l/r": ([5.1, 5.3, 5.5], [-0.5, -0.6, -0.7], [-1.0, -1.1, -1.2]),
                     "same/l/r": SAME})
    (answer,) = answers(table)
    assert answer.startswith(f"At this budget, sharp/l/r is separably sharper than the baseline ({BASE}) "
                             "with structure kept; on median structure FID 0 of 2 are separably better")
    assert format_summary(table).splitlines()[0] == answer
    (answer,) = answers(summary({BASE: SAME, "same/l/r": SAME}))
    assert answer.startswith(f"At this budget no fix is separably sharper than the baseline ({BASE}) without "
                             "losing structure; on median structure FID 0 of 1 are separably better, 0 separably "
                             "worse, and 1 not separable with 3 seeds")


def test_a_far_worse_entry_does_not_look_like_the_leader_when_nothing_separates() -> None:
    # Two seeds each cannot separate much after Holm; the effect size still shows 3x.
    table = summary({BASE: ([10.0, 14.0], [-2.0, -2.5], [-1.0, -1.5]),
                     "far/l/r": ([25.0, 41.0], [-2.0, -2.5], [-1.0, -1.5])}).set_index("entry")
    assert table.loc["far/l/r", "compared"] == "indistinguishable"
    assert table.loc["far/l/r", "baseline_ratio"] == 33.0 / 12.0
    assert "2.75" in format_summary(table.reset_index())


def test_without_a_baseline_there_are_no_verdicts() -> None:
    table = summary_table(runs_table(runs({"a/l/r": SAME, "b/l/r": SAME})))
    assert (table["verdict"] == "").all() and (table["compared"] == "").all()
    assert answers(table) == ["This table has no baseline entry, so it compares no fix with one."]
