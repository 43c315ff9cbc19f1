"""The ``ganbench`` command line.

Each subcommand's module is imported when that subcommand runs: training, torch-fidelity and
torchvision cost about 5 s to import, which `ganbench --version` or a table command should not pay.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from ganbench import __version__

# name -> "module:attribute" of its click command
COMMANDS = {
    "run": "ganbench.cli.run:run",
    "plugins": "ganbench.cli.plugins:plugins_command",
    "list": "ganbench.cli.plugins:list_components",
    "extractor": "ganbench.cli.extractor:extractor",
    "bench": "ganbench.cli.bench:bench",
    "leaderboard": "ganbench.cli.leaderboard:leaderboard",
    "report": "ganbench.cli.report:report",
    "perceptual": "ganbench.cli.perceptual:perceptual",
    "check-plugin": "ganbench.cli.check_plugin:check_plugin",
    "store": "ganbench.cli.store:store",
}

# name -> its short help, as `ganbench --help` lists it: importing every subcommand to read its
# docstring took 5 s (tests/test_cli_startup.py holds each equal to the command's own)
SUMMARIES = {
    "run": "Train and score every entry of a suite on its fixed seeds.",
    "plugins": "List loaded plugins: distribution, version and the components each registers.",
    "list": "List registered components with their summaries and references.",
    "extractor": "The domain feature extractors used for FID/KID/precision-recall.",
    "bench": "Images/s of each entry of a suite (one factor at a time and its recipes) on this machine.",
    "leaderboard": "Show, compare and merge leaderboard CSVs.",
    "report": "Write a self-contained HTML report for WHAT: suite names (their runs tables in --dir) or runs CSVs "
              "[default: quick].",
    "perceptual": "The feature networks of the perceptual (VGG-style) generator term.",
    "check-plugin": "Check an installed plugin (entry-point or distribution name) against ganbench's contract: each "
                    "component builds, keeps its hooks' shapes, ranges and dtypes, is deterministic under a seed, "
                    "trains a few steps without NaN and resumes from a checkpoint to the same weights.",
    "store": "Inspect the run store (.ganbench/runs by default).",
}


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary and ended with "..." where it is longer than ``limit``.

    ganbench's own: click's helper for this is deprecated in 8.5 and gone in 9.
    """
    words = text.split()
    line = " ".join(words)
    if len(line) <= limit:
        return line
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) + len("...") > limit:
            break
        kept.append(word)
    return " ".join(kept) + "..."


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, shorten(SUMMARIES[name], limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit):  # click's own, --help's exit among them
            raise
        except Exception as exc:
            from ganbench.errors import USER_ERRORS  # imports every module that defines one: only on an error

            if isinstance(exc, USER_ERRORS):
                raise click.ClickException(str(exc)) from None
            raise


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ganbench")
def main() -> None:
    """ganbench: train every GAN entry under the same budget and seeds, score it, write leaderboards."""
