"""The ``ganbench`` command line."""

from __future__ import annotations

from typing import Any

import click

from ganbench import __version__
from ganbench.cli.bench import bench
from ganbench.cli.check_plugin import check_plugin
from ganbench.cli.extractor import extractor
from ganbench.cli.leaderboard import leaderboard
from ganbench.cli.perceptual import perceptual
from ganbench.cli.plugins import list_components, plugins_command
from ganbench.cli.report import report
from ganbench.cli.run import run
from ganbench.cli.store import store
from ganbench.errors import USER_ERRORS


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ganbench")
def main() -> None:
    """ganbench: train every GAN entry under the same budget and seeds, score it, write leaderboards."""


main.add_command(run)
main.add_command(plugins_command)
main.add_command(list_components)
main.add_command(extractor)
main.add_command(bench)
main.add_command(leaderboard)
main.add_command(report)
main.add_command(perceptual)
main.add_command(check_plugin)
main.add_command(store)
