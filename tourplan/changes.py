"""What a plan changes in what the public was told: which published visits move, and why.

A published visit (problem-format v2) is *moved* when the plan puts it on another van
or date, starts it more than ``stability.start_slack_minutes`` from its published
start, or leaves it out.  Some moves are forced by a change of the problem (the day
was closed, the van is off, the request no longer accepts that day); the others are
the optimiser's choice, made because moving paid for itself.  The web application
turns the reason codes into French; the details here are for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tourplan.plan import Plan
from tourplan.problem import Problem, Published, Van, format_time

#: Why a published visit moved, in the words of the command line.
MOVE_REASONS: dict[str, str] = {
    "day_closed": "its day is no longer a service day",
    "van_unavailable": "its van does not go out that day",
    "van_gone": "its van is no longer in the problem",
    "request_changed": "the request no longer accepts that day, van or time",
    "cannot_stay": "it can no longer be kept with the visits already held",
    "optimised": "moved to serve more of the demand",
}


@dataclass(frozen=True)
class Move:
    """One published visit the plan moves.

    Attributes
    ----------
    request, occurrence
        The visit.
    published
        Where and when the public was told it takes place.
    now
        ``(van id, date, start)`` in the plan, or None when it is left out.
    reason, detail
        Why (a :data:`MOVE_REASONS` key) and an English detail.
    """

    request: str
    occurrence: int
    published: Published
    now: tuple[str, date, int] | None
    reason: str
    detail: str

    @property
    def forced(self) -> bool:
        """The change of the problem left no way to keep it (not the optimiser's choice)."""
        return self.reason != "optimised"


def served_at(plan: Plan) -> dict[tuple[str, int], tuple[str, date, int]]:
    """Where the plan serves each visit.

    Parameters
    ----------
    plan
        A plan; only its routes are read.

    Returns
    -------
    dict
        ``(request id, occurrence)`` → ``(van id, date, start)``.
    """
    return {stop.key: (r.van, r.day, stop.start) for r in plan.routes for stop in r.stops}


def is_moved(problem: Problem, pub: Published, at: tuple[str, date, int] | None) -> bool:
    """The format's definition of a moved published visit.

    Parameters
    ----------
    problem
        The problem, for its stability slack.
    pub
        The published visit.
    at
        Where the plan serves it, ``(van id, date, start)``, or None when left out.

    Returns
    -------
    bool
        True on another van or date, beyond the slack, or left out.
    """
    if at is None:
        return True
    van, day, start = at
    return (van, day) != (pub.van, pub.day) or abs(start - pub.start) > problem.stability.start_slack_minutes


def forced_reason(problem: Problem, pub: Published) -> tuple[str, str] | None:
    """Why ``pub`` cannot stay where it was published whatever else is planned.

    Parameters
    ----------
    problem
        The problem of the re-plan.
    pub
        The published visit.

    Returns
    -------
    tuple of (str, str) or None
        A :data:`MOVE_REASONS` key and an English detail; None when the visit could stay.
    """
    van = problem.van_by_id.get(pub.van)
    if van is None:
        return "van_gone", f"van {pub.van} is no longer in the problem"
    return _day_reason(problem, pub) or _request_reason(problem, pub, van)


def _day_reason(problem: Problem, pub: Published) -> tuple[str, str] | None:
    if pub.day in problem.closed_dates:
        return "day_closed", f"{pub.day} is now a closed day"
    if not problem.horizon_start <= pub.day <= problem.horizon_end:
        return "day_closed", f"{pub.day} is outside the horizon"
    if not problem.is_service_day(pub.day):
        return "day_closed", f"{pub.day} is not a weekday of the service"
    if pub.day in problem.van_by_id[pub.van].unavailable_dates:
        return "van_unavailable", f"{pub.van} does not go out on {pub.day}"
    return None


def _request_reason(problem: Problem, pub: Published, van: Van) -> tuple[str, str] | None:
    req = problem.request_by_id[pub.request]
    if not van.carries(req.equipment):
        return "request_changed", f"{req.id} now needs {', '.join(sorted(req.equipment - van.equipment))}"
    if not req.accepts_day(pub.day):
        return "request_changed", f"{req.id} no longer accepts {pub.day} (dates or weekdays)"
    lo, hi = req.hours_on(van)
    slack = problem.stability.start_slack_minutes
    if max(lo, pub.start - slack) + req.duration > hi or pub.start + slack < lo:
        return "request_changed", (f"{req.id} can no longer start near {format_time(pub.start)} on {pub.van} "
                                   f"on {pub.day} (its hours are {format_time(lo)}–{format_time(hi)})")
    for held in problem.history_dates.get(req.id, ()):
        if abs((pub.day - held).days) < req.min_days_between:
            return "cannot_stay", f"{pub.day} is {abs((pub.day - held).days)} days from the visit held on {held}"
    return None


def explain_moves(problem: Problem, plan: Plan) -> list[Move]:
    """Every published visit the plan moves, in published order, with its reason.

    Parameters
    ----------
    problem, plan
        The re-plan's problem (version 2) and the plan.

    Returns
    -------
    list of Move
        Empty when nothing published moves (or nothing was published).
    """
    at = served_at(plan)
    moves = []
    for pub in problem.published:
        key = (pub.request, pub.occurrence)
        if key in problem.locked_by_visit:
            continue
        now = at.get(key)
        if not is_moved(problem, pub, now):
            continue
        forced = forced_reason(problem, pub)
        if forced is not None:
            reason, detail = forced
        else:
            reason = "optimised"
            detail = "left out to serve other visits" if now is None else "moved to make room for other visits"
        moves.append(Move(pub.request, pub.occurrence, pub, now, reason, detail))
    return moves


__all__ = ["MOVE_REASONS", "Move", "explain_moves", "forced_reason", "is_moved", "served_at"]
