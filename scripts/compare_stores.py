"""Two run stores compared record by record at full float precision: which metrics are the same to
the bit, and the largest relative difference of those that are not.

    python3 scripts/compare_stores.py OLD_STORE NEW_STORE
    python3 scripts/compare_stores.py leaderboards/quick-fashion-mnist-runs.csv NEW_STORE

Records are matched by entry, seed and suite (run ids differ between ganbench versions). Use it to
check what a change does to the numbers on one machine: run the same suite with the old and the new
code into two stores, then compare. The leaderboard CSVs round their values; this reads the records.
OLD may instead be a committed runs CSV: each record's metrics are then written as the CSV writes
them (six significant digits) and compared as text, so "identical" means "to the CSV's digits". Only
compare records of the CSV's machine type (its cpu_capability column) with it.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path
from typing import Any

Key = tuple[str, str, int]


def records(store: Path) -> dict[Key, dict[str, Any]]:
    """The run records under ``store`` (its top-level ``*.json``), by (suite, entry, seed)."""
    out: dict[Key, dict[str, Any]] = {}
    for path in sorted(store.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and "spec" in record and "entry" in record:
            out[(record["spec"].get("suite", ""), record["entry"], int(record["spec"]["seed"]))] = record
    return out


def csv_records(path: Path, metrics: list[str]) -> dict[Key, dict[str, Any]]:
    """A runs CSV's rows as records holding the metric columns present in ``metrics`` (as text)."""
    out: dict[Key, dict[str, Any]] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            values = {name: row[name] for name in metrics if row.get(name, "") != ""}
            out[(row["suite"], row["entry"], int(row["seed"]))] = {"status": row["status"], "metrics": values,
                                                                   "cpu_capability": row.get("cpu_capability")}
    return out


def as_csv_text(record: dict[str, Any], names: set[str]) -> dict[str, str]:
    """A record's metrics as the leaderboard CSV writes them (``%.6g``)."""
    return {name: f"{float(v):.6g}" for name, v in record.get("metrics", {}).items()
            if name in names and isinstance(v, int | float) and not math.isnan(float(v))}


def values(record: dict[str, Any]) -> dict[str, float]:
    """Every metric, plus the recorded fake spectrum bin by bin (``spectrum[i]``)."""
    out = {name: float(v) for name, v in record.get("metrics", {}).items() if isinstance(v, int | float)}
    for i, v in enumerate(record.get("spectrum", {}).get("fake", [])):
        out[f"spectrum[{i}]"] = float(v)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    new = records(args.new)
    if args.old.suffix == ".csv":
        compare_with_csv(args.old, new)
        return
    old = records(args.old)
    shared = sorted(set(old) & set(new))
    print(f"records: {len(old)} old, {len(new)} new, {len(shared)} matched")
    status = sum(old[k]["status"] != new[k]["status"] for k in shared)
    print(f"status differs: {status}")
    same: dict[str, int] = {}
    differ: dict[str, int] = {}
    worst: dict[str, float] = {}
    for key in shared:
        a, b = values(old[key]), values(new[key])
        for name in sorted(set(a) | set(b)):
            group = "spectrum" if name.startswith("spectrum[") else name
            x, y = a.get(name), b.get(name)
            if x == y:
                same[group] = same.get(group, 0) + 1
                continue
            differ[group] = differ.get(group, 0) + 1
            rel = float("inf") if x is None or y is None else abs(x - y) / max(abs(x), 1e-300)
            worst[group] = max(worst.get(group, 0.0), rel)
    for group in sorted(set(same) | set(differ)):
        print(f"{group:24s} identical {same.get(group, 0):5d}  differ {differ.get(group, 0):5d}  "
              f"max relative difference {worst.get(group, 0.0):.1e}")


def compare_with_csv(path: Path, new: dict[Key, dict[str, Any]]) -> None:
    names = sorted({name for record in new.values() for name in record.get("metrics", {})})
    old = csv_records(path, names)
    shared = sorted(set(old) & set(new))
    print(f"records: {len(old)} rows in {path.name}, {len(new)} new, {len(shared)} matched")
    kinds = sorted({str(old[k]["cpu_capability"]) for k in shared} | {
        str(new[k].get("numerics", {}).get("cpu_capability")) for k in shared})
    print(f"cpu capability: {', '.join(kinds)}")
    print(f"status differs: {sum(old[k]['status'] != new[k]['status'] for k in shared)}")
    same: dict[str, int] = {}
    differ: dict[str, list[str]] = {}
    for key in shared:
        mine = as_csv_text(new[key], set(old[key]["metrics"]))
        for name, text in old[key]["metrics"].items():
            if mine.get(name) == text:
                same[name] = same.get(name, 0) + 1
            else:
                differ.setdefault(name, []).append(f"{key[1]} seed {key[2]}: {text} -> {mine.get(name)}")
    for name in sorted(set(same) | set(differ)):
        print(f"{name:24s} same to the CSV's digits {same.get(name, 0):4d}  differ {len(differ.get(name, [])):4d}")
        for line in differ.get(name, [])[:3]:
            print(f"    {line}")


if __name__ == "__main__":
    main()
