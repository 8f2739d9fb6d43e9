"""Tour benchmarks: solve each ../shared/bench/tours problem, check the plan, print a Markdown table.

``python -m bench.tours`` (run by ``make bench``).  Each problem is solved in its own
process so its peak memory is its own.  The referee is :func:`tourplan.checker.check_plan`,
never the optimiser's own figures.  Figures, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TOURS = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "tours"

#: problem -> (time limit s, VROOM served priority, VROOM km)
VROOM = {
    "lozere-mars-2027": (10.0, 75, 992.4),
    "lozere-printemps-2027": (10.0, 367, 4696.2),
    "charente-duo-2027": (10.0, 728, 9797.0),
    "lot-annee-2027": (120.0, 4126, 54598.6),
}


def run_one(path: Path, time_limit: float) -> dict:
    from tourplan.checker import check_plan
    from tourplan.optimiser import solve
    from tourplan.problem import load_problem

    problem = load_problem(path)
    t0 = time.monotonic()
    plan = solve(problem, time_limit=time_limit)
    wall = time.monotonic() - t0
    report = check_plan(problem, plan)
    from tourplan.bound import priority_bound

    bound = priority_bound(problem).served_priority
    return {
        "bound": int(bound),
        "problem": problem.name,
        "visits": len(problem.visits),
        "served_priority": report.served_priority,
        "total_priority": report.total_priority,
        "km": round(report.distance_km, 1),
        "wall": round(wall, 1),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "ok": report.ok,
        "violations": [str(v) for v in report.violations[:5]],
        "status": plan.status,
    }


def verdict(r: dict) -> str:
    _, vp, vkm = VROOM.get(r["problem"], (0, 0, float("inf")))
    if r["served_priority"] > vp or (r["served_priority"] == vp and r["km"] <= vkm):
        return "beats VROOM"
    return "behind VROOM"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tours", description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=2, metavar=("FILE", "SECONDS"), help=argparse.SUPPRESS)
    ap.add_argument("--only", nargs="*", help="problem names to run (default: all)")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(Path(args.one[0]), float(args.one[1]))))
        return 0
    if not TOURS.is_dir():
        print(f"skipped: {TOURS} is absent")
        return 0
    files = sorted(TOURS.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    print("| problem | visits | served priority / total | bound (gap) | km | km per priority point | wall s "
          "| peak RSS MB | checker | VROOM priority, km | vs VROOM |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for f in files:
        tl = VROOM.get(f.stem, (10.0,))[0]
        proc = subprocess.run(
            [sys.executable, "-m", "bench.tours", "--one", str(f), str(tl)],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
        )
        if proc.returncode != 0:
            print(f"| {f.stem} | | | | | | | | crashed: {proc.stderr.strip().splitlines()[-1:]} | | |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        v = VROOM.get(f.stem)
        vtext = f"{v[1]}, {v[2]}" if v else "—"
        check = "OK" if r["ok"] else "FAIL: " + "; ".join(r["violations"])
        gap = 100.0 * (1 - r["served_priority"] / r["bound"]) if r["bound"] else 0.0
        per = r["km"] / max(1, r["served_priority"])
        print(f"| {r['problem']} | {r['visits']} | {r['served_priority']} / {r['total_priority']} "
              f"| {r['bound']} ({gap:.1f} %) | {r['km']} | {per:.2f} | "
              f"{r['wall']} | {r['rss_mb']} | {check} | {vtext} | {verdict(r) if v else '—'} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
