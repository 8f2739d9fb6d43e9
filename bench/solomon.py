"""Solomon VRPTW benchmark: distance against the distance-only best-known results.

``python -m bench.solomon [--time-limit S] [--only NAME ...]`` solves every
instance in ``../shared/bench/solomon/`` (files ``NAME.txt`` and ``bks.csv``)
and prints a Markdown table: vehicles, distance, best-known distance, gap.
It writes nothing; a missing data folder is a message, not a failure.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from tourplan.optimiser.vrptw import solve_solomon_file
from tourplan.problem import ProblemError

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "solomon"


def family(name: str) -> str:
    """C1, C2, R1, R2, RC1 or RC2: the usual grouping of the 56 instances."""
    letters = name.rstrip("0123456789")
    return name[: len(letters) + 1]  # a name without digits is its own family


def read_bks(path: Path) -> dict[str, tuple[int, float]]:
    """Distance-only best-known results: instance -> (vehicles, distance)."""
    with path.open(encoding="utf-8", newline="") as f:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(f)
            if row["objective"] == "distance-only"
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.solomon", description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="seconds per instance (30)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="instances to run (e.g. C101 R211)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder of the instances (default {DATA})")
    args = parser.parse_args(argv)

    if not (args.data / "bks.csv").is_file():
        print(f"Solomon benchmark skipped: no {args.data / 'bks.csv'}")
        return 0
    bks = read_bks(args.data / "bks.csv")
    names = sorted(p.stem for p in args.data.glob("*.txt"))
    if args.only:
        wanted = {n.upper() for n in args.only}
        unknown = wanted - set(names)
        if unknown:
            print(f"error: no such instance in {args.data}: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        names = [n for n in names if n in wanted]

    print(f"Solomon VRPTW, {args.time_limit:g} s per instance, gap to the distance-only best-known distance\n")
    # CPU seconds next to wall seconds: on a shared machine they say how much search a row had.
    print("| instance | vehicles | distance | feasible | BKS vehicles | BKS distance | gap % | seconds | CPU s |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    gaps: dict[str, list[float]] = {}
    total_vehicles = 0
    infeasible = []
    started = time.monotonic()
    for name in names:
        cpu = time.process_time()
        try:
            r = solve_solomon_file(args.data / f"{name}.txt", time_limit=args.time_limit)
        except ProblemError as e:
            print(f"| {name} | error: {e} | | | | | | | |", flush=True)
            infeasible.append(name)
            continue
        bks_vehicles, bks_distance = bks.get(name, (0, float("nan")))
        gap = 100.0 * (r["distance"] / bks_distance - 1.0)
        if r["feasible"]:
            gaps.setdefault(family(name), []).append(gap)
            total_vehicles += r["vehicles"]
        else:
            infeasible.append(name)
        print(
            f"| {name} | {r['vehicles']} | {r['distance']:.2f} | {'yes' if r['feasible'] else '**no**'} "
            f"| {bks_vehicles} | {bks_distance:.2f} | {gap:.2f} | {r['seconds']:.1f} "
            f"| {time.process_time() - cpu:.1f} |",
            flush=True,
        )

    every = [g for fam in gaps.values() for g in fam]
    print()
    if every:
        print("| family | instances | mean gap % |")
        print("| --- | ---: | ---: |")
        for fam in sorted(gaps):
            print(f"| {fam} | {len(gaps[fam])} | {sum(gaps[fam]) / len(gaps[fam]):.2f} |")
        print(f"\nMean gap over {len(every)} feasible instances: {sum(every) / len(every):.2f} %")
        print(f"Total vehicles: {total_vehicles}")
    if infeasible:
        print(f"Infeasible or failed (not in the mean): {', '.join(infeasible)}")
    print(f"Wall time: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
