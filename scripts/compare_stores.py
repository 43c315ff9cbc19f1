"""Two run stores compared record by record at full float precision: which metrics are the same to
the bit, and the largest relative difference of those that are not.

    python3 scripts/compare_stores.py OLD_STORE NEW_STORE

Records are matched by entry, seed and suite (run ids differ between ganbench versions). Use it to
check what a change does to the numbers on one machine: run the same suite with the old and the new
code into two stores, then compare. The leaderboard CSVs round their values; this reads the records.
"""

from __future__ import annotations

import argparse
import json
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
    old, new = records(args.old), records(args.new)
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


if __name__ == "__main__":
    main()
