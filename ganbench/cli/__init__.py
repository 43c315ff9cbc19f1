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


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from ganbench.errors import USER_ERRORS  # imports every module that defines one: only on an error

            if isinstance(exc, USER_ERRORS):
                raise click.ClickException(str(exc)) from None
            raise


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ganbench")
def main() -> None:
    """ganbench: train every GAN entry under the same budget and seeds, score it, write leaderboards."""
