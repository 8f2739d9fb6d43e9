"""The tour optimiser: a Problem in, the best Plan it can find within a time limit out.

Layers (each testable alone): :mod:`instance` (derived data: matrices, van-days,
which van-days could serve each visit) → :mod:`model` (one OR-Tools routing
model over some van-days) → :mod:`search` (decomposition over time,
improvement, insertion, then the km phase of :mod:`polish` on the one ruin-and-recreate
:mod:`engine`, which the Solomon yardstick :mod:`vrptw` runs too) → :mod:`result` (the Plan, with exact times from
:mod:`schedule` and reasons from :mod:`diagnose`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tourplan.optimiser.tuning import Tuning
from tourplan.plan import Plan
from tourplan.problem import Problem

Progress = Callable[[int, int, float, float], None]


def solve(
    problem: Problem,
    time_limit: float = 10.0,
    progress: Progress | None = None,
    *,
    initial: Plan | None = None,
    tuning: Tuning | None = None,
    should_stop: Callable[[], bool] | None = None,
    seed: int | None = None,
    max_iterations: int | None = None,
) -> Plan:
    """Plan ``problem``: most priority served, then fewest km, within ``time_limit`` seconds.

    Version 2: published visits start where the public was told and move only when that pays
    for itself (served priority − move_cost × moved, then km).

    Parameters
    ----------
    problem
        The problem (version 1 or 2).
    time_limit
        Seconds for the whole call, writing the plan included.
    progress
        Called as ``progress(served_priority, total_priority, km, seconds)`` as the search improves.
    initial
        A plan of the same problem to warm-start from: its routes are kept where still valid.
    tuning
        The search's knobs (tests, benchmarks); default :class:`Tuning`.
    should_stop
        Asked a few times a second; once true the search ends within about a second and the
        best plan so far is returned (a stop never throws work away).
    seed
        Random seed of the search.
    max_iterations
        End after that many improvement windows instead of at the time limit (then unused):
        with the same ``seed`` the same problem gives the same plan.

    Returns
    -------
    Plan
        Exact (rounded) times, every visit left out with its reason; ``infeasible`` when a
        required visit could not be served.
    """
    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.result import build_plan
    from tourplan.optimiser.search import initial_state, run_search, seed_from_plan

    started = time.monotonic()
    inst = build_instance(problem)
    state = initial_state(inst)
    if initial is not None:
        seed_from_plan(state, initial)
    # Leave room for writing the plan: the whole call keeps within the limit.
    margin = max(0.3, 0.015 * time_limit)
    run_search(inst, state, max(0.1, time_limit - margin), progress, started, tuning, should_stop,
               seed=seed, max_iterations=max_iterations)
    return build_plan(state, time.monotonic() - started)


__all__ = ["Tuning", "solve"]
