"""How much priority any plan could serve at most: an upper bound, to measure plans against.

A linear relaxation (OR-Tools' GLOP) of the season: each request sends a fraction of its
visits to the van-days that could serve one of them alone (the optimiser's instance says
which), within three capacities that every real plan respects:

* time: a van-day's shift, less its break, holds the visits' durations plus, for each
  visit, the shortest leg that can lead to it (every served visit is entered by one leg);
* driving: the van-day's driving limit holds those shortest legs;
* spacing: a request with ``min_days_between`` = g has at most one visit in any g days
  (history included).

Locks are relaxed (a bound may ignore a rule); history is not planned.  Whatever the search
finds, its served priority is at most this bound, so ``bound − served`` is how far a plan
can at worst be from the best possible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from tourplan.problem import Problem


@dataclass(frozen=True)
class Bound:
    """An upper bound on served priority, and what it was computed from.

    Attributes
    ----------
    served_priority
        No plan serves more priority than this.
    total_priority
        The priority of every visit.
    variables
        Size of the linear relaxation solved.
    """

    served_priority: float
    total_priority: int
    variables: int

    def gap_of(self, served_priority: int) -> float:
        """How far ``served_priority`` is at most from the best possible, as a fraction of the bound."""
        return 0.0 if self.served_priority <= 0 else 1.0 - served_priority / self.served_priority


def priority_bound(problem: Problem) -> Bound:
    """An upper bound on the served priority of any plan of ``problem``.

    The linear relaxation of the module: time, driving and spacing capacities that every
    real plan respects.

    Parameters
    ----------
    problem
        The problem.

    Returns
    -------
    Bound
        ``served_priority`` rounded down to a whole number when the relaxation is exact
        enough (priorities are whole numbers).
    """
    from ortools.linear_solver import pywraplp

    from tourplan.optimiser.instance import build_instance

    inst = build_instance(problem)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    n_loc = len(inst.points)
    # The shortest leg into each location, from the depot or any other visit's place.
    legs = inst.minutes + np.diag(np.full(n_loc, np.inf))
    shortest_in = np.min(legs, axis=0) if n_loc > 1 else np.zeros(n_loc)
    visits_of = defaultdict(int)
    for v in problem.visits:
        visits_of[v.request.id] += 1
    x: dict[tuple[int, int], object] = {}
    by_vd: dict[int, list[tuple[int, object]]] = defaultdict(list)
    objective = solver.Objective()
    for ri, req in enumerate(problem.requests):
        n = visits_of[req.id]
        if n == 0:
            continue
        per_day = 1 if req.min_days_between >= 1 else n
        row = solver.Constraint(0, n)
        for vd in inst.allowed[ri]:
            var = solver.NumVar(0, per_day, "")
            x[(ri, vd)] = var
            row.SetCoefficient(var, 1)
            objective.SetCoefficient(var, req.priority)
            by_vd[vd].append((ri, var))
        _spacing_rows(solver, problem, inst, ri, x)
    for vd_i, entries in by_vd.items():
        vd = inst.van_days[vd_i]
        sp = vd.spec
        time_row = solver.Constraint(0, sp.shift_end - sp.shift_start - sp.break_minutes)
        drive_row = solver.Constraint(0, sp.max_drive) if sp.max_drive is not None else None
        for ri, var in entries:
            into = float(shortest_in[inst.request_loc[ri]])
            time_row.SetCoefficient(var, problem.requests[ri].duration + into)
            if drive_row is not None:
                drive_row.SetCoefficient(var, into)
    objective.SetMaximization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        value = float(problem.total_priority)
    else:
        value = min(float(problem.total_priority), objective.Value())
    return Bound(served_priority=float(np.floor(value + 1e-6)), total_priority=problem.total_priority,
                 variables=len(x))


def _spacing_rows(solver, problem: Problem, inst, ri: int, x: dict) -> None:  # noqa: ANN001
    """At most one visit of the request in any ``min_days_between`` consecutive days (a
    window overlapping a held visit's spacing holds none)."""
    req = problem.requests[ri]
    g = req.min_days_between
    if g <= 1:
        return
    days: dict[int, list] = defaultdict(list)
    for vd in inst.allowed[ri]:
        days[inst.van_days[vd].ordinal].append(x[(ri, vd)])
    held = [d.toordinal() for d in problem.history_dates.get(req.id, ())]
    ordinals = sorted(days)
    for start in ordinals:
        window = [var for o in ordinals if start <= o < start + g for var in days[o]]
        if len(window) > 1:
            row = solver.Constraint(0, 1)
            for var in window:
                row.SetCoefficient(var, 1)
    for o in ordinals:
        if any(abs(o - h) < g for h in held):
            for var in days[o]:
                var.SetUb(0)


__all__ = ["Bound", "priority_bound"]
