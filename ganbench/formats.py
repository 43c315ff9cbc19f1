"""Output formats for a summary table: one small interface, chosen by name (no if-branches in the CLI).

Each format renders a summary DataFrame with the metric table that decides its columns. ``text`` and
``markdown`` print the view people read (tiers, rank intervals, mean ± std); ``csv`` and ``json``
give the summary's numbers as data. The HTML report (``ganbench report``) writes a folder, not a
string, so it is its own command.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ganbench.leaderboard import answers, summary_view
from ganbench.specs import MetricSpec


class UnknownFormat(Exception):
    """An output format name that is not registered."""


@dataclass(frozen=True)
class OutputFormat:
    name: str
    summary: str
    # (summary, metric table, colour) -> text
    render: Callable[[pd.DataFrame, Sequence[MetricSpec], bool], str]


# Row colours by the comparison with the baseline (``verdicts.compared``).
COLOURS = {"better": "green", "worse": "red"}


def _text(summary: pd.DataFrame, metrics: Sequence[MetricSpec], colour: bool) -> str:
    lines = summary_view(summary, metrics).to_string(index=False).splitlines()
    head = [*answers(summary, metrics), ""]
    if not colour:
        return "\n".join([*head, *lines])
    # Whole lines are styled, so the columns stay aligned: separably better than the baseline green,
    # worse (or more seeds lost) red, the baseline bold.
    import click

    out = [click.style(line, bold=True) for line in head] + [click.style(lines[0], bold=True)]
    compared = summary["compared"] if "compared" in summary else pd.Series("", index=summary.index)
    for line, how in zip(lines[1:], compared.fillna(""), strict=True):
        if how in COLOURS:
            out.append(click.style(line, fg=COLOURS[how]))
        else:
            out.append(click.style(line, bold=True) if how == "baseline" else line)
    return "\n".join(out)


def _markdown(summary: pd.DataFrame, metrics: Sequence[MetricSpec], colour: bool) -> str:
    view = summary_view(summary, metrics)

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(cell(c) for c in view.columns) + " |"
    rule = "| " + " | ".join("---" for _ in view.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in view.itertuples(index=False)]
    return "\n".join([*answers(summary, metrics), "", head, rule, *rows])


def _csv(summary: pd.DataFrame, metrics: Sequence[MetricSpec], colour: bool) -> str:
    return summary.to_csv(index=False, float_format="%.6g", lineterminator="\n").rstrip("\n")


def _json(summary: pd.DataFrame, metrics: Sequence[MetricSpec], colour: bool) -> str:
    def clean(value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)  # CSV columns with gaps read as floats: a tier is 1, not 1.0
        return None if value is pd.NA else value

    rows = [{key: clean(value) for key, value in row.items()}
            for row in json.loads(summary.to_json(orient="records", double_precision=15))]
    return json.dumps(rows, indent=1)


FORMATS: dict[str, OutputFormat] = {f.name: f for f in (
    OutputFormat("table", "the answer, then aligned text, coloured on a terminal (separably better than the "
                 "baseline green, worse red)", _text),
    OutputFormat("markdown", "the answer, then a GitHub-flavoured Markdown table of the same view", _markdown),
    OutputFormat("csv", "the summary's numbers, every column", _csv),
    OutputFormat("json", "the summary's numbers as a list of objects (NaN: null)", _json),
)}


def get(name: str) -> OutputFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r} (known: {', '.join(FORMATS)})") from None
