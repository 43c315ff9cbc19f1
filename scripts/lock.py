"""Refresh the lock files from pyproject.toml's ranges, and say what moved.

    python3 scripts/lock.py                      # follow pyproject.toml, keep every other pin
    python3 scripts/lock.py --upgrade            # every package to its newest allowed release
    python3 scripts/lock.py --upgrade-package click --upgrade-package ruff

Two locks, made by `uv pip compile` (uv comes with the `[dev]` extra) for CI's machine type
(CPython 3.11 on x86_64 Linux):

- ganbench/locks/runtime.txt: the runtime set, `dependencies` and the `inception` extra: what decides
  the published numbers. The README's main job installs with it as pip constraints, and every run
  records whether its environment matched it (ganbench/locks.py).
- ganbench/locks/dev.txt: everything CI installs (the `dev` and `inception` extras), compiled with
  the runtime lock as constraints, so the packages the two share have the same pins.

A refresh that moves the runtime set prints so: the committed tables were made with the old set and
need a re-run. Commit a refresh on its own, with the tests green on the new set (docs/testing.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from ganbench import locks

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "ganbench" / "locks"
RUNTIME = LOCKS / "runtime.txt"
DEV = LOCKS / "dev.txt"
PLATFORM = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]


def pins(path: Path) -> dict[str, str]:
    """name -> version of each pin of a lock file (empty if there is no such file)."""
    return locks.pins(path.read_text()) if path.exists() else {}


def compile_lock(out: Path, extras: list[str], constraints: Path | None, upgrade: list[str]) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    command = [uv, "pip", "compile", "pyproject.toml", "--quiet", "-o", str(out.relative_to(ROOT)), *PLATFORM,
               "--custom-compile-command", "python3 scripts/lock.py", "--index-url", "https://pypi.org/simple",
               *(f"--extra={extra}" for extra in extras), *upgrade]
    if constraints is not None:
        command += ["-c", str(constraints.relative_to(ROOT))]
    done = subprocess.run(command, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"scripts/lock.py: uv pip compile failed for {out.name} (exit {done.returncode})")


def changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before != after:
            out.append(f"  {name}: {before or '(none)'} -> {after or '(none)'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest release pyproject.toml allows")
    parser.add_argument("--upgrade-package", action="append", default=[], metavar="NAME",
                        help="take the newest release of this package only (repeatable)")
    args = parser.parse_args()
    upgrade = ["--upgrade"] if args.upgrade else [f"--upgrade-package={name}" for name in args.upgrade_package]
    LOCKS.mkdir(exist_ok=True)
    old_runtime, old_dev = pins(RUNTIME), pins(DEV)
    compile_lock(RUNTIME, ["inception"], None, upgrade)
    compile_lock(DEV, ["dev", "inception"], RUNTIME, upgrade)
    runtime, dev = pins(RUNTIME), pins(DEV)
    moved_runtime = changes(old_runtime, runtime)
    tools = {name: v for name, v in dev.items() if name not in runtime}
    moved_tools = changes({n: v for n, v in old_dev.items() if n not in old_runtime}, tools)
    print(f"runtime set ({RUNTIME.relative_to(ROOT)}): {len(runtime)} packages, "
          f"{len(moved_runtime)} changed" + (":" if moved_runtime else ""))
    print("\n".join(moved_runtime) if moved_runtime else "", end="\n" if moved_runtime else "")
    print(f"tools set ({DEV.relative_to(ROOT)}, beyond the runtime set): {len(tools)} packages, "
          f"{len(moved_tools)} changed" + (":" if moved_tools else ""))
    print("\n".join(moved_tools) if moved_tools else "", end="\n" if moved_tools else "")
    for name in args.upgrade_package:  # say so where nothing moved: the newest allowed release is pinned
        key = locks.canonical(name)
        if key not in dev:
            print(f"{name}: not in the locks (neither pyproject.toml nor a dependency asks for it)")
        elif old_dev.get(key) == dev[key]:
            print(f"{name}: {dev[key]} is already the newest release pyproject.toml allows")
    if moved_runtime and old_runtime:
        print("The runtime set moved: the committed tables were made with the old one. Run the tests on the new set, "
              "commit the refresh on its own, and re-make the tables.")


if __name__ == "__main__":
    main()
