"""Tour benchmarks: solve each ../shared/bench/tours problem, check the plan, print a Markdown table.

``python -m bench.tours`` (run by ``make bench``).  Each problem is solved in its own
process so its peak memory is its own, by tourplan and then by VROOM (pyvroom, see
bench/vroom_run.py) with the same time limit, on the same machine, in the same run.
The referee is :func:`tourplan.checker.check_plan` for both, never a solver's own figures.
Ratios are tourplan / VROOM.  Where tourplan serves more priority than VROOM, its km at
VROOM's priority (:func:`km_at_priority`) shows how much of a km-per-point ratio is the
dearer points served on top.  Figures, not a timed test.
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

#: problem -> time limit s (10 s otherwise)
TIME_LIMITS = {"lot-annee-2027": 120.0}


def run_one(path: Path, time_limit: float, solver: str = "tourplan") -> dict:
    from tourplan.checker import check_plan
    from tourplan.optimiser import solve
    from tourplan.problem import load_problem

    problem = load_problem(path)
    t0 = time.monotonic()
    if solver == "vroom":
        from bench.vroom_run import solve_with_vroom

        plan = solve_with_vroom(problem, time_limit)
    else:
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
        "plan": plan.to_json() if solver == "tourplan" else None,
    }


def km_at_priority(path: Path, plan_json: dict, target: int) -> tuple[int, float] | None:
    """The plan with its dearest visits left out (most km saved per point first, never a
    required one or one of a rhythm) until it serves no more than ``target``: (priority, km)
    as the referee counts them, or None if it cannot get there or no longer checks.  Where
    tourplan serves more than VROOM this compares the two at VROOM's priority: an upper
    bound on what tourplan needs for it (a plan searched at that priority would do better)."""
    from tourplan.checker import check_plan
    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.result import build_plan
    from tourplan.optimiser.search import initial_state, seed_from_plan
    from tourplan.plan import plan_from_json
    from tourplan.problem import load_problem

    problem = load_problem(path)
    st = initial_state(build_instance(problem))
    seed_from_plan(st, plan_from_json(plan_json))
    while st.served_priority() > target:
        best = None
        for vd, route in st.routes.items():
            base = st.route_km(vd, route)
            for v in route:
                req = problem.requests[st.visit_request[v]]
                if req.required or req.max_days_between is not None or v in st.locked:
                    continue
                if st.served_priority() - st.priority(v) < target:
                    continue
                rest = [x for x in route if x != v]
                if st.timing(vd, rest) is not None:
                    saved = (base - st.route_km(vd, rest)) / st.priority(v)
                    if best is None or saved > best[0]:
                        best = (saved, vd, rest)
        if best is None:
            return None
        st.set_route(best[1], best[2])
    report = check_plan(problem, build_plan(st, 0.0))
    return (report.served_priority, round(report.distance_km, 1)) if report.ok else None


def _run(f: Path, tl: float, solver: str) -> dict | str:
    """One problem by one solver in its own process: its figures, or why it failed."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.tours", "--one", str(f), str(tl), solver],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )
    if proc.returncode != 0:
        return f"crashed: {proc.stderr.strip().splitlines()[-1:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return f.read().split()[0]


def row(r: dict, v: dict | str, load: str, at_vroom: tuple[int, float] | None = None) -> str:
    check = "OK" if r["ok"] else "FAIL: " + "; ".join(r["violations"])
    gap = 100.0 * (1 - r["served_priority"] / r["bound"]) if r["bound"] else 0.0
    per = r["km"] / max(1, r["served_priority"])
    if isinstance(v, str):
        vtext, ratios = v, "| — | — | — | —"
    else:
        vper = v["km"] / max(1, v["served_priority"])
        vtext = f"{v['served_priority']}, {v['km']}, {vper:.2f}, {v['wall']}" + ("" if v["ok"] else " (FAIL)")
        ratios = (f"| {r['served_priority'] / max(1, v['served_priority']):.3f} | {r['km'] / max(1e-9, v['km']):.3f} "
                  f"| **{per / max(1e-9, vper):.3f}**")
        if at_vroom is None:
            ratios += " | —"
        else:
            ratios += f" | {at_vroom[1]} ({at_vroom[1] / max(1e-9, v['km']):.3f})"
    return (f"| {r['problem']} | {r['visits']} | {r['served_priority']} / {r['total_priority']} "
            f"| {r['bound']} ({gap:.1f} %) | {r['km']} | {per:.2f} | {r['wall']} | {r['rss_mb']} | {check} "
            f"| {vtext} {ratios} | {load} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tours", description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=3, metavar=("FILE", "SECONDS", "SOLVER"), help=argparse.SUPPRESS)
    ap.add_argument("--only", nargs="*", help="problem names to run (default: all)")
    ap.add_argument("--no-vroom", action="store_true", help="tourplan only (no side-by-side VROOM run)")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(Path(args.one[0]), float(args.one[1]), args.one[2])))
        return 0
    if not TOURS.is_dir():
        print(f"skipped: {TOURS} is absent")
        return 0
    files = sorted(TOURS.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    print("| problem | visits | served priority / total | bound (gap) | km | km per priority point | wall s "
          "| peak RSS MB | checker | VROOM priority, km, km/point, wall s | priority ratio | km ratio "
          "| km-per-point ratio | tourplan km at VROOM's priority (ratio) | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for f in files:
        tl = TIME_LIMITS.get(f.stem, 10.0)
        load = _load()
        r = _run(f, tl, "tourplan")
        if isinstance(r, str):
            print(f"| {f.stem} | {r} |")
            continue
        v = "not run" if args.no_vroom else _run(f, tl, "vroom")
        at_vroom = None
        if isinstance(v, dict) and r["served_priority"] > v["served_priority"]:
            at_vroom = km_at_priority(f, r["plan"], v["served_priority"])
        print(row(r, v, f"{load}/{_load()}", at_vroom), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
