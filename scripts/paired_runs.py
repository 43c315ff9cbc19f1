"""Two versions of ganbench timed back to back: one quick-suite run's training and sampling, in
fresh processes that alternate between this checkout and another git revision.

    python3 scripts/paired_runs.py REV [--entry dcgan] [--pairs 3]

REV is checked out into a temporary git worktree and put first on PYTHONPATH for its processes.
Each pair runs both versions, alternating which goes first, so a drift of the machine's speed
(this VM moves by up to a quarter between hours) falls on both. ``--entry`` is a quick-suite entry or
recipe name, e.g. dcgan, resnet/non-saturating/none. Prints, per pair, the seconds of ``train()``
(160 generator steps, no curve FIDs) and of drawing the 2,000 final samples, and the median of the
per-pair ratios this checkout / REV.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, os, sys, time
os.environ["GANBENCH_SYSTEM_DATA"] = "0"; os.environ["GANBENCH_LOAD_PLUGINS"] = ""
import torch
torch.set_num_threads(1)
import ganbench
from ganbench import execute
from ganbench.suites import expand, load_suite
from ganbench.training.trainer import run_kind, sample, train
cat = execute.catalog()
want = sys.argv[1]
spec = next(s for s in expand(load_suite("quick", cat), cat, "cpu") if want in (s.recipe, s.entry))
data = execute.dataset_splits(spec.dataset, None, spec.resolution, spec.channels)
start = time.perf_counter()
result = train(spec, cat, data.train, torch.device("cpu"))
trained = time.perf_counter() - start
start = time.perf_counter()
sample(result.evaluated, spec.fid_samples, spec.latent_dim, spec.seed, torch.device("cpu"), run_kind(spec, cat))
print(json.dumps({"version": ganbench.__version__, "train": trained, "sample": time.perf_counter() - start}))
"""


def timed(entry: str, checkout: Path) -> dict[str, float]:
    """The child imports ganbench from ``checkout``: first on PYTHONPATH, and run from elsewhere, since
    ``python -c`` puts its working directory before PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": str(checkout) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", CHILD, entry], capture_output=True, text=True, env=env, check=True,
                         cwd=tempfile.gettempdir())
    result: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev")
    parser.add_argument("--entry", default="dcgan")
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "-q", str(other), args.rev], check=True)
        try:
            ratios: dict[str, list[float]] = {"train": [], "sample": []}
            for i in range(args.pairs):
                order = [root, other] if i % 2 == 0 else [other, root]
                got = {path: timed(args.entry, path) for path in order}
                this, that = got[root], got[other]
                for key in ratios:
                    ratios[key].append(this[key] / that[key])
                print(f"pair {i + 1}: {this['version']} train {this['train']:.2f} s, sample {this['sample']:.3f} s | "
                      f"{args.rev} ({that['version']}) train {that['train']:.2f} s, sample {that['sample']:.3f} s")
            for key, values in ratios.items():
                print(f"{key}: this / {args.rev} per pair {', '.join(f'{v:.2f}' for v in values)}; "
                      f"median {statistics.median(values):.2f}")
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(other)], check=True)


if __name__ == "__main__":
    main()
