#!/usr/bin/env python3
"""Combines the tables of several `side-by-side` runs into one table of spreads (BENCHMARKS.md, issue #21).

    python3 benches/combine-runs.py G=run-G.txt H=run-H.txt I=run-I.txt > combined.md

Each input is the Markdown table a run printed (its stdout, or the table copied from BENCHMARKS.md). A row is
matched across runs by operation, size and cache. For each row the output gives the median of the runs'
medians for ours, theirs and the floor, then each ratio (theirs/ours, ours/floor) as its median over the runs
with the lowest and highest run in brackets, and how many runs had the row. Ratios are recomputed from the
medians, so the output does not depend on how a run rounded its ratio column.
"""

from __future__ import annotations

import statistics
import sys

UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds(cell: str) -> float | None:
    """The median of a 'median (min–max)' cell in seconds, or None for an empty cell."""
    cell = cell.strip()
    if not cell:
        return None
    value, unit = cell.split("(")[0].split()
    return float(value) * UNITS[unit]


def parse(path: str) -> dict[tuple[str, str, str], tuple[float | None, float | None, float | None]]:
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 9 or cells[0] in ("operation", "") or cells[0].startswith("---"):
                continue
            rows[(cells[0], cells[1], cells[2])] = (seconds(cells[3]), seconds(cells[4]), seconds(cells[6]))
    return rows


def show(t: float | None) -> str:
    if t is None:
        return ""
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def spread(values: list[float]) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.2f}x (1 run)"
    return f"{statistics.median(values):.2f}x ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    runs = [(arg.split("=", 1)[0], parse(arg.split("=", 1)[1])) for arg in sys.argv[1:]]
    order: list[tuple[str, str, str]] = []
    for _, rows in runs:
        order += [k for k in rows if k not in order]
    names = "".join(name for name, _ in runs)
    print(f"| operation | size | cache | ours (median of {names}) | theirs | theirs/ours (median, min–max over runs) "
          f"| floor | ours/floor (median, min–max) | runs |")
    print("|---|---|---|--:|--:|--:|--:|--:|--:|")
    for key in order:
        have = [rows[key] for _, rows in runs if key in rows]
        ours = [o for o, _, _ in have if o]
        theirs = [t for _, t, _ in have if t]
        floor = [f for _, _, f in have if f]
        ratio = [t / o for o, t, _ in have if o and t]
        per_floor = [o / f for o, _, f in have if o and f]
        med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
        print(f"| {key[0]} | {key[1]} | {key[2]} | {show(med(ours))} | {show(med(theirs))} | {spread(ratio)} "
              f"| {show(med(floor))} | {spread(per_floor)} | {len(have)} |")


if __name__ == "__main__":
    main()
