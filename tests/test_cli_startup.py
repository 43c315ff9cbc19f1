"""The command line imports a subcommand's module only when that subcommand runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from ganbench.cli import COMMANDS, SUMMARIES, main


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


def test_run_starts_the_fork_server_before_it_imports_torch() -> None:
    """The server's imports then overlap this process's (tests/test_local_executor.py covers the
    server itself). A run that trains in this process (one worker, or one run on one GPU) and Ray
    start none; the exit code is that of the missing suite file, or of the missing GPU or Ray."""
    code = ("import sys, atexit, ganbench.executors.forkserver as f; from ganbench.cli import main; seen = []; "
            "f.start = lambda: seen.append('torch' in sys.modules); atexit.register(lambda: print(*seen[:1])); "
            "main(['run', '--all', '--suite-file', '/nonexistent/suite.toml', *sys.argv[1:]])")
    import torch  # here, not in the subprocesses whose imports are checked

    no_gpu = "suite.toml" if torch.cuda.is_available() else "no CUDA device is available"
    for args, started, error in ((["--workers", "2"], "False", "suite.toml"), (["--workers", "1"], "", "suite.toml"),
                                 (["--executor", "ray"], "", "suite.toml"), (["--device", "cuda"], "", no_gpu),
                                 (["--device", "cuda", "--runs-per-gpu", "2"], "False", no_gpu)):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
        assert done.returncode == 2 and error in done.stderr, (args, done.stderr)
        assert done.stdout.strip() == started, args


def test_a_run_stopped_by_bad_input_ends_its_fork_server() -> None:
    """Else the server imports on for seconds after the error, holding the command's stdout open."""
    code = ("import os, sys, atexit, multiprocessing.forkserver as m, ganbench.executors.forkserver as f; "
            "from ganbench.cli import main; start = f.start; pids = []; "
            "f.start = lambda: (start(), pids.append(m._forkserver._forkserver_pid)); "
            "atexit.register(lambda: print(len(set(pids)), any(os.path.exists(f'/proc/{pid}') for pid in pids))); "
            "main(['run', '--all', '--workers', '2', '--suite-file', '/nonexistent/suite.toml'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2 and "suite.toml" in done.stderr, done.stderr
    assert done.stdout.strip() == "1 False", done.stdout  # one server (started, then again by prepare()), reaped


def test_the_run_commands_options_match_what_they_name() -> None:
    from ganbench.cli import run
    from ganbench.suites import MATRICES

    assert run.MATRICES == MATRICES


def test_help_lists_each_subcommand_as_its_own_help_says_without_importing_it() -> None:
    code = ("import sys, atexit; atexit.register(lambda: print(*sorted(sys.modules))); "
            "from ganbench.cli import main; main(['--help'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    listing, modules = out.rsplit("\n", 2)[:2]
    assert all(f"  {name}  " in listing for name in COMMANDS)
    assert not {"torch", "pandas", *(module.split(":")[0] for module in COMMANDS.values())} & set(modules.split())
    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and SUMMARIES[name] == command.get_short_help_str(limit=10_000), name


def test_a_long_summary_is_cut_at_a_word_and_marked() -> None:
    from ganbench.cli import shorten

    assert shorten("Show, compare and merge leaderboard CSVs.", 100) == "Show, compare and merge leaderboard CSVs."
    assert shorten("Show, compare and   merge\nleaderboard CSVs.", 100) == "Show, compare and merge leaderboard CSVs."
    assert shorten("Show, compare and merge leaderboard CSVs.", 20) == "Show, compare and..."
    assert shorten("Show, compare and merge leaderboard CSVs.", 21) == "Show, compare and..."
    assert shorten("Show, compare and merge leaderboard CSVs.", 26) == "Show, compare and merge..."
    assert shorten("Incomprehensibilities everywhere.", 10) == "..."


def test_help_on_a_narrow_terminal_cuts_each_summary_within_its_column() -> None:
    out = CliRunner().invoke(main, ["--help"], terminal_width=60).output
    rows = [line for line in out.splitlines() if line.startswith("  check-plugin")]
    assert rows and rows[0].endswith("...") and len(rows[0]) <= 60, out


def test_every_subcommand_resolves_under_its_own_name() -> None:
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
    assert main.get_command(ctx, "no-such-command") is None


def test_the_process_that_plans_a_suite_never_imports_the_scoring_code(tmp_path: Path) -> None:
    """It plans and dispatches; the workers, forked from a server that imported it once, score. So
    torch-fidelity and torchvision (1.5 s before the first run could start on a 2-core CPU) stay out
    of it, and its runs are still scored."""
    code = ("import sys, atexit; from ganbench.cli import main; heavy = ('torch_fidelity', 'torchvision', "
            "'ganbench.execute'); "
            "atexit.register(lambda: print('imported:', *(m for m in heavy if m in sys.modules))); "
            "main(['run', '--suite', 'smoke', '--arch', 'dcgan', '--loss', 'non-saturating', '--reg', 'none', "
            "'--workers', '2', '--out', sys.argv[1], '--store', sys.argv[2]])")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out"), str(tmp_path / "store")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(": completed, FID ") == 2, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "imported:", done.stdout
