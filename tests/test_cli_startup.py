"""The command line imports a subcommand's module only when that subcommand runs."""

from __future__ import annotations

import subprocess
import sys

import click

from ganbench.cli import COMMANDS, main


def test_importing_the_command_line_imports_no_subcommand() -> None:
    """`ganbench --version` or a table command should not pay for torch, training, torch-fidelity and
    torchvision (about 5 s of imports on a 2-core CPU)."""
    heavy = ("torch", "ganbench.specs", "ganbench.execute", "ganbench.cli.run", "torch_fidelity", "torchvision",
             "pandas")
    code = f"import sys, ganbench.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_plugin_api_is_there_when_asked_for() -> None:
    """``ganbench``'s exports load on first use, as the same objects as in their modules."""
    code = ("import sys, ganbench; before = 'torch' in sys.modules; from ganbench import hookimpl, ArchitectureSpec; "
            "import ganbench.hookspecs, ganbench.specs; "
            "print(before, hookimpl is ganbench.hookspecs.hookimpl, "
            "ArchitectureSpec is ganbench.specs.ArchitectureSpec, sorted(set(ganbench.__all__) - set(dir(ganbench))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True", "[]"]


def test_every_subcommand_resolves_under_its_own_name() -> None:
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
    assert main.get_command(ctx, "no-such-command") is None
