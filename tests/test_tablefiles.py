"""`ganbench leaderboard show | diff | merge` on crafted tables, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ganbench.leaderboard import runs_table
from tests.cli import ganbench
from tests.test_leaderboard import record


def write_runs(path: Path, fids: dict[str, list[float | None]], seeds: range = range(3), **context: str) -> Path:
    """A runs CSV with one entry per key of ``fids`` (None: a diverged seed)."""
    records = []
    for entry, values in fids.items():
        for seed, fid in zip(seeds, values, strict=True):
            rec = record(entry, seed, "completed" if fid is not None else "diverged", fid)
            rec["context"].update(context)
            records.append(rec)
    path.parent.mkdir(parents=True, exist_ok=True)
    runs_table(records, baseline="base/l/r").to_csv(path, index=False)
    return path


BASE = {"base/l/r": [20.0, 21.0, 22.0], "good/l/r": [10.0, 11.0, 12.0], "bad/l/r": [40.0, 41.0, 42.0]}


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_show_each_format(tmp_path: Path, fmt: str) -> None:
    write_runs(tmp_path / "leaderboards" / "s-fashion-mnist-runs.csv", BASE)
    proc = ganbench("leaderboard", "show", "leaderboards/s-fashion-mnist-runs.csv", "--format", fmt, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    if fmt == "table":
        answer, blank, header, *lines = out.splitlines()
        assert answer.startswith("At this budget no fix is separably sharper than the baseline (base/l/r)")
        assert blank == "" and "rank range" in header and "\x1b[" not in out  # no colour when not on a terminal
        assert [line.split()[2] for line in lines] == ["good/l/r", "base/l/r", "bad/l/r"]
        assert "11.00 ± 1.00" in lines[0] and "-10.00 [" in lines[0]
    elif fmt == "markdown":
        answer, blank, *lines = out.splitlines()
        assert answer.startswith("At this budget") and blank == ""
        assert lines[0].startswith("| rank | rank range | entry |") and set(lines[1].replace(" ", "")) <= {"|", "-"}
        assert len(lines) == 5 and "| good/l/r |" in lines[2]
    elif fmt == "csv":
        table = pd.read_csv(pd.io.common.StringIO(out))
        assert list(table["entry"]) == ["good/l/r", "base/l/r", "bad/l/r"] and list(table["fid_mean"]) == [11, 21, 41]
    else:
        rows = json.loads(out)
        assert [r["entry"] for r in rows] == ["good/l/r", "base/l/r", "bad/l/r"]
        assert rows[0]["fid_mean"] == 11.0 and rows[1]["delta_fid"] is None  # the baseline has no difference


def test_show_by_suite_name_and_sort(tmp_path: Path) -> None:
    write_runs(tmp_path / "leaderboards" / "s-fashion-mnist-runs.csv", BASE)
    proc = ganbench("leaderboard", "show", "s", "--sort", "fid_mean", "--format", "csv", cwd=tmp_path)
    assert list(pd.read_csv(pd.io.common.StringIO(proc.stdout))["entry"]) == ["good/l/r", "base/l/r", "bad/l/r"]
    worst_first = ganbench("leaderboard", "show", "s", "--sort", "precision", "--format", "csv", cwd=tmp_path)
    assert worst_first.returncode == 0  # higher precision is better: sorted descending, ties stay in rank order
    bad = ganbench("leaderboard", "show", "s", "--sort", "nope", cwd=tmp_path)
    assert bad.returncode != 0 and "--sort" in bad.stderr and "Traceback" not in bad.stderr
    missing = ganbench("leaderboard", "show", "quick", cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0
    assert missing.stderr.strip() == "Error: no table for suite 'quick' in leaderboards/ (suites there: s)"


def test_diff_reports_added_removed_and_moved(tmp_path: Path) -> None:
    old = write_runs(tmp_path / "old" / "s-fashion-mnist-runs.csv", BASE)
    same = ganbench("leaderboard", "diff", str(old), str(old), cwd=tmp_path)
    assert same.returncode == 0 and "no entry moved" in same.stdout
    # Noise within the intervals is not a move; bad/l/r getting much better is; one entry swapped.
    new_fids = {"base/l/r": [20.5, 21.5, 21.0], "good/l/r": [10.0, 11.0, 12.0], "bad/l/r": [14.0, 15.0, 16.0],
                "new/l/r": [30.0, 31.0, 32.0]}
    new = write_runs(tmp_path / "new" / "s-fashion-mnist-runs.csv", new_fids)
    proc = ganbench("leaderboard", "diff", str(old), str(new), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "added     s / fashion-mnist / new/l/r" in lines
    # bad/l/r overtook the baseline: both ranks left their intervals; base's FID stayed within its own.
    assert [line for line in lines if line.startswith("moved")] == [
        "moved     bad/l/r: rank 3 [3-3] -> 2 [2-2]; FID 41.00 -> 15.00",
        "moved     base/l/r: rank 2 [2-2] -> 3 [3-3]"]
    assert not any(line.startswith("removed") for line in lines)
    back = ganbench("leaderboard", "diff", str(new), str(old), cwd=tmp_path)
    assert back.returncode == 1 and "removed   s / fashion-mnist / new/l/r" in back.stdout
    # A seed that now diverges is a move even when the FIDs of the others stay.
    lost = write_runs(tmp_path / "lost" / "s-fashion-mnist-runs.csv", {**BASE, "good/l/r": [10.0, 11.0, None]})
    moved = ganbench("leaderboard", "diff", str(old), str(lost), cwd=tmp_path)
    assert moved.returncode == 1 and "good/l/r: " in moved.stdout and "diverged seeds 0 -> 1" in moved.stdout


def test_merge_recomputes_the_summary_over_all_seeds(tmp_path: Path) -> None:
    a = write_runs(tmp_path / "a.csv", {"base/l/r": [20.0, 21.0], "good/l/r": [10.0, 11.0]}, seeds=range(2))
    b = write_runs(tmp_path / "b.csv", {"base/l/r": [22.0], "good/l/r": [12.0]}, seeds=range(2, 3))
    proc = ganbench("leaderboard", "merge", str(a), str(b), str(a), "-o", "merged", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(tmp_path / "merged" / "s-fashion-mnist-runs.csv")
    assert len(runs) == 6  # a's runs given twice are kept once
    summary = pd.read_csv(tmp_path / "merged" / "s-fashion-mnist-summary.csv").set_index("entry")
    assert summary.loc["good/l/r", "fid_mean"] == 11.0 and summary.loc["good/l/r", "n_seeds"] == 3
    assert summary.loc["good/l/r", "delta_fid"] == -10.0 and summary.loc["good/l/r", "seeds"] == "0;1;2"


def test_merge_refuses_different_protocols_and_conflicting_results(tmp_path: Path) -> None:
    a = write_runs(tmp_path / "a.csv", {"base/l/r": [20.0, 21.0]}, seeds=range(2))
    other = write_runs(tmp_path / "b.csv", {"base/l/r": [22.0]}, seeds=range(2, 3), ganbench="0.9.0",
                       feature_extractor="other@2")
    proc = ganbench("leaderboard", "merge", str(a), str(other), "-o", "merged", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("Error: different protocols cannot share a table (feature_extractor: fe@1, "
                                   "other@2; ganbench_version: 0.1.0, 0.9.0)")
    assert not (tmp_path / "merged").exists()
    # The same seed of the same entry with another result (another machine) is refused, naming the files.
    clash = write_runs(tmp_path / "c.csv", {"base/l/r": [25.0]}, seeds=range(1))
    clash_runs = pd.read_csv(clash).assign(run_id="other-id")
    clash_runs.to_csv(clash, index=False)
    proc = ganbench("leaderboard", "merge", str(a), str(clash), "-o", "merged", cwd=tmp_path)
    assert proc.returncode == 1 and f"base/l/r seed 0 has different results in {a}, {clash}" in proc.stderr
    summary = ganbench("leaderboard", "merge", str(a), str(tmp_path / "nothing.csv"), "-o", "m", cwd=tmp_path)
    assert summary.returncode == 1 and "nothing.csv: no such file" in summary.stderr


def test_table_colour_marks_the_comparison_with_the_baseline() -> None:
    """On a terminal: separably better than the baseline green, separably worse or more seeds lost red,
    the baseline bold, the answer first; the columns stay aligned."""
    from ganbench import formats, plugins
    from ganbench.leaderboard import summary_table

    records = []
    for entry, fids in {**BASE, "lost/l/r": [10.0, 11.0, None], "near/l/r": [19.0, 22.0, 21.5]}.items():
        records += [record(entry, seed, "completed" if fid is not None else "diverged", fid)
                    for seed, fid in enumerate(fids)]
    metrics = plugins.load(allow=set()).metric_table()
    summary = summary_table(runs_table(records, baseline="base/l/r", metrics=metrics), metrics=metrics)
    plain = formats.get("table").render(summary, metrics, False).splitlines()
    coloured = formats.get("table").render(summary, metrics, True).splitlines()
    green, red, bold = "\x1b[32m", "\x1b[31m", "\x1b[1m"
    assert coloured[0].startswith(bold) and plain[0].startswith("At this budget")
    by_entry = {line.split()[2]: (line, styled) for line, styled in zip(plain[3:], coloured[3:], strict=True)}
    assert coloured[2].startswith(bold) and "\x1b[" not in "".join(plain)
    assert by_entry["good/l/r"][1].startswith(green) and by_entry["bad/l/r"][1].startswith(red)
    assert by_entry["lost/l/r"][1].startswith(red)  # the better FIDs of its finished seeds do not hide the lost one
    assert by_entry["base/l/r"][1].startswith(bold) and by_entry["near/l/r"][1] == by_entry["near/l/r"][0]
    assert all(styled.endswith(line + "\x1b[0m") for line, styled in by_entry.values() if styled != line)


def test_merge_keeps_recipe_settings_and_refuses_same_run_with_other_numbers(tmp_path: Path) -> None:
    """A recipe's own optimiser is its entry's protocol, not the table's; one run id with two results
    (another machine's CPU) is refused."""
    a = write_runs(tmp_path / "a.csv", {"base/l/r": [20.0, 21.0], "good/l/r": [10.0, 11.0]}, seeds=range(2))
    b = write_runs(tmp_path / "b.csv", {"base/l/r": [22.0], "good/l/r": [12.0]}, seeds=range(2, 3))
    for path in (a, b):
        table = pd.read_csv(path)
        table.loc[table["entry"] == "good/l/r", ["lr_generator", "d_steps_per_g_step"]] = [5e-5, 5]
        table.to_csv(path, index=False)
    proc = ganbench("leaderboard", "merge", str(a), str(b), "-o", "merged", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    merged = pd.read_csv(tmp_path / "merged" / "s-fashion-mnist-summary.csv").set_index("entry")
    assert merged.loc["good/l/r", "n_seeds"] == 3 and merged.loc["good/l/r", "lr_generator"] == 5e-5
    again = pd.read_csv(a)
    again.loc[0, "fid"] = 99.9  # same run id, another number
    again.to_csv(tmp_path / "again.csv", index=False)
    clash = ganbench("leaderboard", "merge", str(a), str(tmp_path / "again.csv"), "-o", "m2", cwd=tmp_path)
    assert clash.returncode == 1
    assert clash.stderr.strip() == f"Error: base/l/r seed 0 has different results in {a}, {tmp_path / 'again.csv'}: " \
                                   "keep one of them"


@pytest.mark.parametrize("content, message", [
    ("schema_version,suite,dataset,entry,seed,status,fid\n5,s,d,a/l/r,0,completed,1\n",
     "a runs table without the column(s) architecture, loss, regularizer, run_id"),
    (None, "a runs table with no rows"),
    ("nonsense\x00\x01", "not a ganbench leaderboard table"),
])
def test_malformed_tables_are_one_line_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = write_runs(tmp_path / "t.csv", BASE)
    if content is None:
        path.write_text(path.read_text().splitlines()[0] + "\n")
    else:
        path.write_text(content)
    for args in (["leaderboard", "show", str(path)], ["leaderboard", "diff", str(path), str(path)],
                 ["leaderboard", "merge", str(path), "-o", "m"], ["report", str(path), "--out", "r"]):
        proc = ganbench(*args, cwd=tmp_path)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert proc.stderr.strip() == f"Error: {path}: {message}" or message in proc.stderr, (args, proc.stderr)
    bad_fid = pd.read_csv(write_runs(tmp_path / "u.csv", BASE)).astype({"fid": str})
    bad_fid.loc[0, "fid"] = "twelve"
    bad_fid.to_csv(tmp_path / "u.csv", index=False)
    proc = ganbench("leaderboard", "show", str(tmp_path / "u.csv"), cwd=tmp_path)
    assert proc.stderr.strip() == f"Error: {tmp_path / 'u.csv'}: column fid has values that are not numbers"
    folder = ganbench("leaderboard", "show", str(tmp_path), cwd=tmp_path)
    assert folder.returncode == 1 and "a folder" in folder.stderr and "Traceback" not in folder.stderr


def test_sort_puts_the_best_first_on_point_suites(tmp_path: Path) -> None:
    proc = ganbench("leaderboard", "show", str(Path(__file__).parent.parent / "leaderboards" /
                                               "grid-grid-25-summary.csv"), "--sort", "mode_score",
                    "--format", "csv", cwd=tmp_path)
    scores = pd.read_csv(pd.io.common.StringIO(proc.stdout))["mode_score_mean"].dropna().tolist()
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.5
    ranked = ganbench("leaderboard", "show", str(Path(__file__).parent.parent / "leaderboards" /
                                                 "grid-grid-25-summary.csv"), "--sort", "rank_value",
                      "--format", "csv", cwd=tmp_path)
    values = pd.read_csv(pd.io.common.StringIO(ranked.stdout))["rank_value"].dropna().tolist()
    assert values == sorted(values, reverse=True)


def test_show_warns_when_an_entry_spans_protocols(tmp_path: Path) -> None:
    path = write_runs(tmp_path / "t.csv", BASE)
    table = pd.read_csv(path)
    table.loc[table["seed"] == 2, "ganbench_version"] = "0.9.0"
    table.to_csv(path, index=False)
    proc = ganbench("leaderboard", "show", str(path), "--format", "csv", cwd=tmp_path)
    assert proc.returncode == 0 and len(pd.read_csv(pd.io.common.StringIO(proc.stdout))) == 6
    assert proc.stderr.strip() == (f"ganbench: warning: {path}: entries appear once per protocol (differing: "
                                   "ganbench_version); `leaderboard merge` refuses such tables")
    clean = ganbench("leaderboard", "show", str(write_runs(tmp_path / "u.csv", BASE)), cwd=tmp_path)
    assert clean.stderr == ""


LEADERBOARDS = Path(__file__).resolve().parents[1] / "leaderboards"


def test_diff_of_two_committed_tables_reports_only_what_differs(tmp_path: Path) -> None:
    """Blank cells of skipped rows made metrics_version read 3.0 in one table and 3 in the other, and
    the quick baseline, printed under its recipe's name, was both removed and added."""
    quick, conditional = (LEADERBOARDS / f"{s}-fashion-mnist-summary.csv" for s in ("quick", "conditional"))
    proc = ganbench("leaderboard", "diff", str(quick), str(conditional), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "metrics_version" not in proc.stdout and "kid_subset_size" not in proc.stdout, proc.stdout
    assert "suite: quick -> conditional" in proc.stdout
    baseline = [line for line in proc.stdout.splitlines() if line.endswith("dcgan/non-saturating/none)")
                or line.endswith("/ dcgan/non-saturating/none")]
    assert baseline == [], baseline  # the same entry in both: neither added nor removed


def test_diff_matches_a_recipe_row_to_its_one_factor_entry_only_when_unambiguous(tmp_path: Path) -> None:
    from ganbench.tablefiles import cells, diff

    def summary(entries: list[tuple[str, str]]) -> pd.DataFrame:
        rows = [{"suite": "s", "dataset": "d", "entry": name, "architecture": "a", "loss": "l", "regularizer": r,
                 "recipe": recipe, "rank": i + 1, "rank_low": i + 1, "rank_high": i + 1, "n_seeds": 3,
                 "n_skipped": 0, "n_completed": 3} for i, (name, recipe, r) in
                enumerate((n, rc, n.split("/")[-1].rstrip(")")) for n, rc in entries)]
        return pd.DataFrame(rows)

    marked = summary([("base (a/l/r)", "base"), ("a/l/q", "")])
    plain = summary([("a/l/r", ""), ("a/l/q", "")])
    assert diff(marked, plain).added == [] and diff(marked, plain).removed == []
    # A table with both the recipe row and the one-factor row keeps them apart.
    both = summary([("base (a/l/r)", "base"), ("a/l/r", ""), ("a/l/q", "")])
    assert diff(plain, both).added == ["s / d / base (a/l/r)"] and diff(plain, both).removed == []
    assert list(cells(pd.Series([3.0, None, 1000.0, 0.0002]))) == ["3", "", "1000", "0.0002"]
    assert list(cells(pd.Series(["a", None, float("nan")], dtype=object))) == ["a", "", ""]


def test_merge_reads_a_whole_number_the_same_with_or_without_blank_cells(tmp_path: Path) -> None:
    a = write_runs(tmp_path / "a.csv", {"base/l/r": [20.0, 21.0]}, seeds=range(2))
    b = write_runs(tmp_path / "b.csv", {"base/l/r": [22.0]}, seeds=range(2, 3))
    table = pd.read_csv(b)
    table["kid_subset_size"] = 1000.0  # a float column, as when a skipped row leaves a blank
    table.to_csv(b, index=False)
    first = pd.read_csv(a)
    first["kid_subset_size"] = 1000
    first.to_csv(a, index=False)
    proc = ganbench("leaderboard", "merge", str(a), str(b), "-o", "merged", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_an_entry_whose_seeds_were_all_skipped_has_no_rank() -> None:
    """It is listed last, with empty rank cells: "27 / 27-27" looked certain of a rank it does not have."""
    from ganbench.leaderboard import summary_table, summary_view

    runs = pd.read_csv(LEADERBOARDS / "grid-grid-25-runs.csv")
    summary = summary_table(runs)
    skipped = summary["n_skipped"] == summary["n_seeds"]
    assert skipped.sum() == 7
    assert summary.loc[skipped, ["rank", "rank_low", "rank_high"]].isna().all().all()
    assert summary.loc[~skipped, "rank"].notna().all() and list(skipped).index(True) == int((~skipped).sum())
    view = summary_view(summary)
    assert set(view.loc[skipped, "rank"]) == {"-"} and set(view.loc[skipped, "rank range"]) == {"-"}


def test_a_re_run_seed_joins_its_entrys_other_seeds_in_one_row(tmp_path: Path) -> None:
    """The seeds read back from the table have blank conditioning and recipe cells (NaN), the re-run
    one made in memory has "": the summary split the entry into two rows, ranked apart."""
    from ganbench.leaderboard import summary_table
    from ganbench.tablefiles import union

    path = write_runs(tmp_path / "s-fashion-mnist-runs.csv", BASE)
    again = runs_table([record("good/l/r", 0, "completed", 10.5)], baseline="base/l/r")
    joined, note = union(again, path)
    assert note == f"{path}: 8 earlier rows kept beside this run's 1", note
    summary = summary_table(joined)
    assert sorted(summary["entry"]) == ["bad/l/r", "base/l/r", "good/l/r"]
    assert summary.set_index("entry").loc["good/l/r", "fid_mean"] == pytest.approx((10.5 + 11 + 12) / 3)
