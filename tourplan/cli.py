"""``python -m tourplan``: solve, check, build demo problems, run benchmarks.

Bad input never ends in a traceback: a :class:`ProblemError` becomes one line on
stderr naming the file and the field, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tourplan.problem import ProblemError

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT = 0, 1, 2


def write_json(data: Any, path: str | None) -> None:
    """Write JSON to ``path`` atomically (a half-written plan never replaces a good one)."""
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ProblemError(f"cannot be written ({e.strerror or e})", source=str(path)) from None


def _cmd_solve(args: argparse.Namespace) -> int:
    from tourplan.optimiser import solve
    from tourplan.problem import load_problem
    from tourplan.progress import SearchProgress

    problem = load_problem(args.problem)
    with SearchProgress(problem.total_priority, quiet=args.quiet) as progress:
        plan = solve(problem, time_limit=args.time_limit, progress=progress, seed=args.seed,
                     max_iterations=args.max_iterations)
    if not args.quiet:
        print(plan.summary(), file=sys.stderr)
        _print_moves(problem, plan)
    write_json(plan.to_json(), args.output)
    return EXIT_OK


def _print_moves(problem: Any, plan: Any) -> None:
    """Which published visits the plan moves, and why (version-2 problems)."""
    from tourplan.changes import MOVE_REASONS, explain_moves

    for m in explain_moves(problem, plan):
        where = "left out" if m.now is None else f"now {m.now[0]} {m.now[1]} {m.now[2] // 60:02d}:{m.now[2] % 60:02d}"
        kind = "forced" if m.forced else "chosen"
        print(f"  moved ({kind})  {m.request} #{m.occurrence} published {m.published.van} {m.published.day}, "
              f"{where}: {MOVE_REASONS[m.reason]} ({m.detail})", file=sys.stderr)


def _cmd_check(args: argparse.Namespace) -> int:
    from tourplan.checker import check_plan
    from tourplan.plan import load_plan
    from tourplan.problem import load_problem

    problem = load_problem(args.problem)
    plan = load_plan(args.plan)
    report = check_plan(problem, plan)
    print(report.text())
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def _cmd_bound(args: argparse.Namespace) -> int:
    from tourplan.bound import priority_bound
    from tourplan.problem import load_problem

    b = priority_bound(load_problem(args.problem))
    print(f"served priority is at most {b.served_priority:.0f} of {b.total_priority} "
          f"(linear relaxation over van-day time, driving and spacing; {b.variables} variables)")
    return EXIT_OK


def _cmd_demo_problem(args: argparse.Namespace) -> int:
    from tourplan.demo import build_demo_problem, with_rhythms

    data = build_demo_problem(
        department=args.department, weeks=args.weeks, requests=args.requests, seed=args.seed, start=args.start
    )
    if args.rhythms:
        data = with_rhythms(data)
    write_json(data, args.output)
    return EXIT_OK


def _cmd_bench_solomon(args: argparse.Namespace) -> int:
    from tourplan.optimiser.vrptw import solve_solomon_file

    write_json(solve_solomon_file(args.file, time_limit=args.time_limit), "-")
    return EXIT_OK


def _cmd_travel_tiles(args: argparse.Namespace) -> int:
    from tourplan.travel.tiles import build_tiles

    tiles = build_tiles(args.extract, args.tiles_dir)
    print(f"road graph built in {tiles} (© OpenStreetMap contributors, ODbL)", file=sys.stderr)
    return EXIT_OK


def _cmd_travel_matrix(args: argparse.Namespace) -> int:
    from tourplan.problem import read_json_file
    from tourplan.travel import rewrite_problem_travel
    from tourplan.travel.engine import ValhallaRouter

    router = ValhallaRouter(tiles=args.tiles)
    data = read_json_file(args.problem)
    write_json(rewrite_problem_travel(data, router, source=args.problem), args.output)
    return EXIT_OK


def _add_travel(sub: Any) -> None:
    p = sub.add_parser("travel", help="road travel from OpenStreetMap (Valhalla)")
    travel = p.add_subparsers(dest="travel", required=True)
    t = travel.add_parser("tiles", help="build the road graph of an OpenStreetMap extract")
    t.add_argument("extract", help="OpenStreetMap extract, .osm.pbf (e.g. from Geofabrik)")
    t.add_argument("tiles_dir", help="folder to build the tiles in (created)")
    t.set_defaults(func=_cmd_travel_tiles)
    t = travel.add_parser("matrix", help="rewrite a problem's travel into road km and minutes")
    t.add_argument("problem")
    t.add_argument("--tiles", required=True, metavar="DIR", help="folder built by 'travel tiles'")
    t.add_argument("-o", "--output", default="-")
    t.set_defaults(func=_cmd_travel_matrix)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tourplan", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="plan a season from a problem file")
    p.add_argument("problem", help="problem file (problem-format version 1 or 2)")
    p.add_argument("-o", "--output", default="-", help="plan file to write (default: standard output)")
    p.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="seconds of search (default 10)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line nor summary")
    p.add_argument("--seed", type=int, default=None, help="seed of the search's random choices")
    p.add_argument("--max-iterations", type=int, default=None, metavar="N",
                   help="stop after N improvement windows instead of the time limit: the same seed "
                        "then gives the same plan")
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser("check", help="check a plan against every rule of its problem")
    p.add_argument("problem")
    p.add_argument("plan")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("bound", help="an upper bound on the priority any plan can serve")
    p.add_argument("problem")
    p.set_defaults(func=_cmd_bound)

    p = sub.add_parser("demo-problem", help="build a realistic problem from real communes")
    p.add_argument("--department", default="48", help="département code (default 48, Lozère)")
    p.add_argument("--weeks", type=int, default=13)
    p.add_argument("--requests", type=int, default=120)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", default=None, help="first day, YYYY-MM-DD (default: next Monday)")
    p.add_argument("--rhythms", action="store_true",
                   help="a third of the recurring requests ask for a rhythm (version 2)")
    p.add_argument("-o", "--output", default="-")
    p.set_defaults(func=_cmd_demo_problem)

    p = sub.add_parser("bench", help="classic routing benchmarks")
    bench = p.add_subparsers(dest="bench", required=True)
    b = bench.add_parser("solomon", help="solve a Solomon VRPTW file, print JSON")
    b.add_argument("file")
    b.add_argument("--time-limit", type=float, default=30.0, metavar="S")
    b.set_defaults(func=_cmd_bench_solomon)
    _add_travel(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ProblemError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
