"""Choose the blur suite's budget from its baseline alone: the fewest generator steps at which the
baseline's samples are recognisable garments.

    python3 scripts/blur_budget.py [--steps 500 1000 2000 3000 5000] [--store .ganbench/blur-budget]

Each budget is a real run of the suite's baseline (seed 0, the suite's batch, optimiser and
evaluation, through `ganbench run`, so the store resumes and reuses it). Recognisable means the
samples' structure FID is at most that of real garments with their halves swapped, the mildest
structure-destroying transform of docs/metrics.md: the generated shapes are nearer the real ones
than chimeras of two real garments are. The script prints each budget's numbers and writes a contact
sheet of the sample grids (docs/blur-budget.png) to check the criterion against the eye. No other
entry runs here, so the choice cannot follow how entries rank.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch
from PIL import Image, ImageDraw

from ganbench.data.fashion_mnist import load_split
from ganbench.metrics import structure, transforms
from ganbench.metrics.fidelity import extract, fidelity_from_features
from ganbench.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "ganbench" / "suites" / "blur.toml"


def threshold(samples: int, extractor: str = "fashion-mnist-cnn") -> float:
    """Structure FID of real train images with their halves swapped, against the reference split."""
    train, reference = load_split("train").images, load_split("reference").images
    fake = transforms.swap_halves(train[:samples])
    real = reference[:samples]
    return fidelity_from_features(extract(structure.low_pass(fake), extractor),
                                  extract(structure.low_pass(real), extractor), kid=False, prc=False)["fid"]


def run_budget(steps: int, store: Path, out: Path) -> pd.Series:
    """The baseline's seed-0 row of the runs table at ``steps`` generator steps."""
    text = re.sub(r"(?m)^generator_steps = \d+", f"generator_steps = {steps}", SUITE.read_text())
    text = re.sub(r'(?m)^name = "blur"', f'name = "blur-budget-{steps}"', text)
    text = re.sub(r"(?m)^conditionings = .*$", "conditionings = []", text)  # the baseline alone
    suite = out / f"blur-budget-{steps}.toml"
    suite.parent.mkdir(parents=True, exist_ok=True)
    suite.write_text(text)
    command = [sys.executable, "-m", "ganbench", "run", "--suite-file", str(suite), "--arch", "dcgan",
               "--loss", "non-saturating", "--reg", "none", "--seeds", "0", "--store", str(store), "--out", str(out),
               "--no-plugins"]
    done = subprocess.run(command, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"blur_budget: the {steps}-step run failed (exit {done.returncode})")
    runs = pd.read_csv(out / f"blur-budget-{steps}-fashion-mnist-runs.csv")
    plain = runs["conditioning"].isna() | (runs["conditioning"] == "")
    baseline = runs[(runs["architecture"] == "dcgan") & (runs["loss"] == "non-saturating")
                    & (runs["regularizer"] == "none") & plain]
    return baseline.iloc[0]


def contact_sheet(grids: list[tuple[int, Path]], path: Path) -> None:
    """The sample grids side by side, each captioned with its budget."""
    images = [(steps, Image.open(io.BytesIO(grid.read_bytes())).convert("L")) for steps, grid in grids]
    width = sum(image.width for _, image in images) + 10 * (len(images) - 1)
    height = max(image.height for _, image in images) + 16
    sheet = Image.new("L", (width, height), 255)
    x = 0
    for steps, image in images:
        sheet.paste(image, (x, 16))
        ImageDraw.Draw(sheet).text((x + 2, 2), f"{steps} steps", fill=0)
        x += image.width + 10
    sheet.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[500, 1000, 2000, 3000, 5000])
    parser.add_argument("--store", type=Path, default=ROOT / ".ganbench" / "blur-budget")
    parser.add_argument("--sheet", type=Path, default=ROOT / "docs" / "blur-budget.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [run_budget(steps, args.store, args.store / "tables") for steps in args.steps]
    samples = int(rows[0]["fid_samples"])
    limit = threshold(samples)
    print(f"\nbaseline dcgan/non-saturating/none, seed 0, data {rows[0]['dataset_source']}, "
          f"{samples} samples; recognisable: structure FID <= {limit:.3f} (real garments, halves swapped)\n")
    print("| steps | FID | structure FID | blur | noise | recognisable |\n| --- | --- | --- | --- | --- | --- |")
    chosen = None
    for steps, row in zip(args.steps, rows, strict=True):
        ok = row["structure_fid"] <= limit
        chosen = chosen or (steps if ok else None)
        print(f"| {steps} | {row['fid']:.2f} | {row['structure_fid']:.3f} | {row['blur_score']:+.2f} | "
              f"{row['noise_score']:+.2f} | {'yes' if ok else 'no'} |")
    store = RunStore(args.store)
    contact_sheet([(steps, store.grid_path(str(row["run_id"]))) for steps, row in zip(args.steps, rows, strict=True)],
                  args.sheet)
    print(f"\nsample grids: {args.sheet}")
    print(f"budget: {chosen} generator steps" if chosen else "budget: none of these budgets is recognisable")


if __name__ == "__main__":
    main()
