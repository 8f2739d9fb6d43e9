"""The referee: checks a plan against every rule of its problem and recomputes its figures.

Written independently of the optimiser on purpose: tests and benchmarks trust this
module, never the optimiser's own statements.  Each broken rule becomes a
:class:`Violation` naming the route (van and date), the stop and the rule.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from tourplan.changes import is_moved
from tourplan.plan import Plan, Route, Stop, objective_value
from tourplan.problem import Locked, Problem, Request, Van, format_time

#: A stated leg may be this many minutes shorter than the exact driving time (format § Travel).
LEG_TOLERANCE_MINUTES = 1.0
#: Stated kilometres are rounded to 0.1 km.
KM_TOLERANCE = 0.1


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` (``window``, ``rhythm``…), an English ``message``, the ``route``
    (``"<van> <date>"``) and the ``stop`` (0-based) where, when it has a place.
    """

    rule: str
    message: str
    route: str | None = None
    stop: int | None = None

    def __str__(self) -> str:
        where = self.route or "plan"
        if self.stop is not None:
            where += f" stop {self.stop + 1}"
        return f"{where}: [{self.rule}] {self.message}"


@dataclass
class CheckReport:
    """The referee's verdict, with the figures recomputed from the problem.

    Attributes
    ----------
    violations
        Every rule broken; none when ``ok``.
    visits, served, served_priority, total_priority, distance_km, drive_minutes, van_days
        The plan's figures as the referee measures them.
    moved, objective
        Version 2: published visits the plan moves, and the objective's first term.
    """

    violations: list[Violation] = field(default_factory=list)
    visits: int = 0
    served: int = 0
    served_priority: int = 0
    total_priority: int = 0
    distance_km: float = 0.0
    drive_minutes: int = 0
    van_days: int = 0
    #: version 2: published visits the plan moves, and the objective's first term
    moved: int = 0
    objective: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations

    def rules_broken(self) -> set[str]:
        return {v.rule for v in self.violations}

    def text(self) -> str:
        head = (
            f"served {self.served} of {self.visits} visits, priority {self.served_priority} of "
            f"{self.total_priority}, {self.distance_km:.1f} km, {self.van_days} van-days"
        )
        if self.moved:
            head += f", {self.moved} published visit(s) moved (objective {self.objective:g})"
        if self.ok:
            return f"OK: every rule holds; {head}"
        lines = [f"{len(self.violations)} violation(s); {head}"]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def check_plan(problem: Problem, plan: Plan) -> CheckReport:
    """Judge ``plan`` against every rule of ``problem`` and recompute its figures.

    Parameters
    ----------
    problem
        The problem the plan claims to solve (version 1 or 2).
    plan
        The plan; its stated figures and reasons are verified, never trusted.

    Returns
    -------
    CheckReport
        ``ok`` when no rule is broken; the violations name route, stop and rule.
    """
    ref = _Referee(problem, plan)
    ref.header()
    ref.routes()
    ref.unserved()
    ref.claims()
    ref.coverage()
    ref.spacing()
    ref.moves()
    ref.locked()
    ref.status()
    _check_stats(plan, ref.rep, ref.bad, problem.version >= 2 and plan.version >= 2)
    return ref.rep


class _Referee:
    """The steps of :func:`check_plan`, sharing what the routes serve."""

    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem, self.plan = problem, plan
        self.rep = CheckReport(visits=len(problem.visits), total_priority=problem.total_priority)
        self.bad = self.rep.violations.append
        self.seen: dict[tuple[str, int], str] = {}
        self.served_days: dict[str, list[date]] = defaultdict(list)
        self.served_starts: dict[str, list[int]] = defaultdict(list)
        self.served_at: dict[tuple[str, int], tuple[str, date, int]] = {}

    def header(self) -> None:
        problem, plan = self.problem, self.plan
        if plan.problem and plan.problem != problem.name:
            self.bad(Violation("problem", f"the plan is for problem {plan.problem!r}, not {problem.name!r}"))
        if problem.version >= 2 and plan.version < 2:
            self.bad(Violation("version", f"the plan is version {plan.version}; a plan of a version-2 problem is "
                                          "version 2"))

    def routes(self) -> None:
        van_dates: set[tuple[str, date]] = set()
        for route in self.plan.routes:
            label = f"{route.van} {route.day.isoformat()}"
            van = self.problem.van_by_id.get(route.van)
            if van is None:
                self.bad(Violation("unknown", f"no van has the id {route.van!r}", label))
                continue
            if (route.van, route.day) in van_dates:
                self.bad(Violation("service_day", "this van has two routes on the same day", label))
            van_dates.add((route.van, route.day))
            self.rep.van_days += 1
            _check_route(self.problem, van, route, label, self.bad, self.rep)
            for i, stop in enumerate(route.stops):
                self._served(route, label, i, stop)

    def _served(self, route: Route, label: str, i: int, stop: Stop) -> None:
        req = self.problem.request_by_id.get(stop.request)
        if req is None or not 0 <= stop.occurrence < req.occurrences:
            return  # reported by _check_route
        if stop.key in self.problem.history_keys:
            self.bad(Violation("coverage", f"visit {stop.request} #{stop.occurrence} is in history (already held); "
                                           "it is not planned again", label, i))
            return
        where = self.seen.get(stop.key)
        if where is not None:
            self.bad(Violation("coverage", f"visit {stop.request} #{stop.occurrence} is already served by {where}",
                               label, i))
            return
        self.seen[stop.key] = label
        self.served_days[req.id].append(route.day)
        self.served_starts[req.id].append(stop.start)
        self.served_at[stop.key] = (route.van, route.day, stop.start)
        self.rep.served += 1
        self.rep.served_priority += req.priority

    def unserved(self) -> None:
        for u in self.plan.unserved:
            req = self.problem.request_by_id.get(u.request)
            if req is None or not 0 <= u.occurrence < req.occurrences:
                self.bad(Violation("unknown", f"unserved visit {u.request} #{u.occurrence} is not in the problem"))
                continue
            if u.key in self.problem.history_keys:
                self.bad(Violation("coverage", f"visit {u.request} #{u.occurrence} is in history (already held); "
                                               "it is neither served nor unserved"))
                continue
            if u.key in self.seen:
                self.bad(Violation("coverage", f"visit {u.request} #{u.occurrence} is both served "
                                               f"({self.seen[u.key]}) and listed as unserved"))
                continue
            self.seen[u.key] = "unserved"
            _check_reason(self.problem, req, u.reason, u.occurrence, self.bad)

    def claims(self) -> None:
        """Reasons that depend on the rest of the plan: a locked conflict, a rhythm conflict."""
        problem, plan = self.problem, self.plan
        for u in plan.unserved:
            if u.key in self.served_at:
                continue
            lk = problem.locked_by_visit.get(u.key)
            if u.reason == "locked_conflict" and lk is not None and _could_stay(problem, plan, lk):
                self.bad(Violation("reason", f"unserved visit {u.request} #{u.occurrence} is given as a locked "
                                             f"conflict, yet it fits where it is locked ({lk.van} {lk.day} at "
                                             f"{format_time(lk.start)} ± {lk.slack_minutes} min) with the "
                                             "plan's route"))
            req = problem.request_by_id.get(u.request)
            if u.reason != "rhythm" or req is None:
                continue
            if not req.has_rhythm:
                self.bad(Violation("reason", f"unserved visit {u.request} #{u.occurrence} is given as 'rhythm', but "
                                             "its request asks for no rhythm"))
            elif could_be_served(problem, plan, u.request, u.occurrence):
                self.bad(Violation("reason", f"unserved visit {u.request} #{u.occurrence} is given as 'rhythm', yet "
                                             "it fits a van-day of the plan keeping its rhythm and every rule"))

    def coverage(self) -> None:
        for visit in self.problem.visits:
            if visit.key not in self.seen:
                self.bad(Violation("coverage", f"visit {visit.request.id} #{visit.occurrence} is neither served "
                                               "nor listed as unserved"))

    def spacing(self) -> None:
        for req in self.problem.requests:
            _check_spacing(req, self.served_days.get(req.id, []), self.problem.history_dates.get(req.id, ()),
                           self.served_starts.get(req.id, []), self.bad)

    def moves(self) -> None:
        problem = self.problem
        if problem.version < 2:
            return
        self.rep.moved = sum(is_moved(problem, pub, self.served_at.get(key))
                             for key, pub in problem.published_by_visit.items())
        self.rep.objective = objective_value(self.rep.served_priority, self.rep.moved, problem.stability.move_cost)

    def locked(self) -> None:
        for lk in self.problem.locked:
            at = self.served_at.get((lk.request, lk.occurrence))
            name = f"locked visit {lk.request} #{lk.occurrence}"
            if at is None:
                # The format lets a plan leave out a locked visit it cannot keep, saying so (locked_conflict).
                if not any(u.key == (lk.request, lk.occurrence) and u.reason == "locked_conflict"
                           for u in self.plan.unserved):
                    self.bad(Violation("locked", f"{name} is not served (it must stay on {lk.van} {lk.day})"))
                continue
            van_id, day, start = at
            if (van_id, day) != (lk.van, lk.day):
                self.bad(Violation("locked", f"{name} moved to {van_id} {day}; it must stay on {lk.van} {lk.day}"))
            elif abs(start - lk.start) > lk.slack_minutes:
                self.bad(Violation("locked", f"{name} starts at {format_time(start)}; locked at "
                                             f"{format_time(lk.start)} with {lk.slack_minutes} min slack"))

    def status(self) -> None:
        problem, plan = self.problem, self.plan
        required_left = [u for u in plan.unserved if (r := problem.request_by_id.get(u.request)) and r.required]
        if required_left and plan.status != "infeasible":
            ids = ", ".join(f"{u.request} #{u.occurrence}" for u in required_left[:5])
            self.bad(Violation("required", f"required visit(s) left out ({ids}) but status is {plan.status!r}"))
        if not required_left and plan.status == "infeasible":
            self.bad(Violation("status", "status is 'infeasible' but every required visit is served"))


@dataclass(frozen=True)
class SpacingBreak:
    """One broken spacing or rhythm field of a request, as :func:`spacing_breaks` finds it.

    Attributes
    ----------
    field
        The request's field broken: ``min_days_between``, ``max_days_between``,
        ``same_weekday`` or ``same_start_within_minutes``.
    rule
        The checker's rule: ``recurrence`` (the minimum gap) or ``rhythm`` (the others).
    first, second
        The two dates too close or too far apart (gap fields only).
    held
        The first date is a visit already held (history), not one of the plan.
    gap
        Days between ``first`` and ``second`` (gap fields only).
    limit
        The request's bound that the gap or the starts break.
    weekdays
        The ISO weekdays visited (``same_weekday``).
    starts
        The earliest and latest planned starts (``same_start_within_minutes``).
    """

    field: str
    rule: str
    first: date | None = None
    second: date | None = None
    held: bool = False
    gap: int = 0
    limit: int = 0
    weekdays: tuple[int, ...] = ()
    starts: tuple[int, int] | None = None

    def message(self, request_id: str) -> str:
        """The referee's English sentence for this break of request ``request_id``."""
        what = "held" if self.held else "visited"
        if self.field == "min_days_between":
            return (f"request {request_id} is {what} on {self.first} and visited on {self.second}, {self.gap} days "
                    f"apart; at least {self.limit} are required")
        if self.field == "max_days_between":
            return (f"request {request_id} is {what} on {self.first} and visited on {self.second}, {self.gap} days "
                    f"apart; at most {self.limit} are allowed")
        if self.field == "same_weekday":
            return (f"request {request_id} asks for the same weekday and is visited on weekdays "
                    f"{', '.join(str(w) for w in self.weekdays)}")
        lo, hi = self.starts or (0, 0)
        return (f"request {request_id} starts between {format_time(lo)} and {format_time(hi)}; its visits start "
                f"within {self.limit} min of each other")


def spacing_breaks(req: Request, days: list[date], history: tuple[date, ...] | list[date] = (),
                   starts: list[int] | None = None) -> list[SpacingBreak]:
    """Every spacing and rhythm field of ``req`` that its visits break.

    Parameters
    ----------
    req
        The request whose rhythm is judged.
    days
        The dates of its planned visits.
    history
        The dates of its visits already held (a gap between two of them is never a break).
    starts
        The start minutes of its planned visits (None or empty: start times not judged).

    Returns
    -------
    list of SpacingBreak
        Empty when the days (and starts) keep every field of the request.
    """
    out: list[SpacingBreak] = []
    dated = sorted([(d, False) for d in days] + [(d, True) for d in history])
    for (d0, h0), (d1, h1) in zip(dated, dated[1:], strict=False):
        gap = (d1 - d0).days
        if h0 and h1:
            continue  # both held already: nothing this plan could change
        if gap < req.min_days_between:
            out.append(SpacingBreak("min_days_between", "recurrence", d0, d1, h0, gap, req.min_days_between))
        if req.max_days_between is not None and gap > req.max_days_between:
            out.append(SpacingBreak("max_days_between", "rhythm", d0, d1, h0, gap, req.max_days_between))
    weekdays = tuple(sorted({d.isoweekday() for d, _ in dated}))
    if req.same_weekday and len(weekdays) > 1 and days:
        out.append(SpacingBreak("same_weekday", "rhythm", weekdays=weekdays))
    within = req.same_start_within_minutes
    if within is not None and starts and max(starts) - min(starts) > within:
        out.append(SpacingBreak("same_start_within_minutes", "rhythm", limit=within,
                                starts=(min(starts), max(starts))))
    return out


def _check_spacing(req: Request, days: list[date], history: tuple[date, ...], starts: list[int], bad) -> None:
    """Days between visits (history included) and the rhythm of a recurring request."""
    for b in spacing_breaks(req, days, history, starts):
        bad(Violation(b.rule, b.message(req.id)))


# --------------------------------------------------------------------------- #
# Could a locked visit left out have stayed?
# --------------------------------------------------------------------------- #


def _could_stay(problem: Problem, plan: Plan, lk: Locked) -> bool:
    """A sufficient test: the locked visit, inserted into the plan's route of its van-day (or
    alone), gives a route that breaks no rule, and keeps its request's spacing and rhythm."""
    return could_be_served(problem, plan, lk.request, lk.occurrence, only=(lk.van, lk.day),
                           start=(lk.start - lk.slack_minutes, lk.start + lk.slack_minutes))


def could_be_served(problem: Problem, plan: Plan, request_id: str, occurrence: int, *,
                    keep_rhythm: bool = True, only: tuple[str, date] | None = None,
                    start: tuple[int, int] = (0, 24 * 60)) -> bool:
    """A sufficient test that ``plan`` could also serve this visit.

    Inserted into some van-day's route (or an empty van-day) it breaks no rule, its request's
    spacing and rhythm included.  The referee refutes ``rhythm`` and ``locked_conflict`` claims
    with it; the optimiser asks it before making a ``rhythm`` claim.

    Parameters
    ----------
    problem, plan
        The problem and the plan as it stands.
    request_id, occurrence
        The visit.
    keep_rhythm
        False: only the spacing (``min_days_between``) is kept, not the rest of the rhythm.
    only
        A ``(van id, date)`` to limit the test to.
    start
        The range of minutes its start may take.

    Returns
    -------
    bool
        True when a place is found (False proves nothing).
    """
    req = problem.request_by_id[request_id]
    if not keep_rhythm:
        req = dataclasses.replace(req, max_days_between=None, same_weekday=False, same_start_within_minutes=None)
    routes = {(r.van, r.day): r for r in plan.routes}
    days, starts = _siblings(problem, plan, req.id, occurrence)
    lo, hi = start
    if req.same_start_within_minutes is not None and starts:
        lo = max(lo, max(starts) - req.same_start_within_minutes)
        hi = min(hi, min(starts) + req.same_start_within_minutes)
    for van, day in problem.van_days:
        if only is not None and (van.id, day) != only:
            continue
        if not van.carries(req.equipment) or not req.accepts_day(day):
            continue
        if not _spacing_holds(req, sorted([*days, day])):
            continue
        if fits_in_route(problem, van, day, routes.get((van.id, day)), Stop(req.id, occurrence, 0, 0, 0), lo, hi):
            return True
    return False


def _siblings(problem: Problem, plan: Plan, request_id: str, occurrence: int) -> tuple[list[date], list[int]]:
    """Days of the request's other visits (held and planned), and the starts of the planned ones."""
    days: list[date] = list(problem.history_dates.get(request_id, ()))
    starts: list[int] = []
    for r in plan.routes:
        for st in r.stops:
            if st.request == request_id and st.occurrence != occurrence:
                days.append(r.day)
                starts.append(st.start)
    return days, starts


def _spacing_holds(req: Request, days: list[date]) -> bool:
    pairs = list(zip(days, days[1:], strict=False))
    if any((d1 - d0).days < req.min_days_between for d0, d1 in pairs):
        return False
    if req.max_days_between is not None and any((d1 - d0).days > req.max_days_between for d0, d1 in pairs):
        return False
    return not (req.same_weekday and len({d.isoweekday() for d in days}) > 1)


def fits_in_route(problem: Problem, van: Van, day: date, route: Route | None, new_stop: Stop,
                  start_lo: int, start_hi: int) -> bool:
    """Whether ``new_stop`` fits into ``route`` at some position with some break placement.

    Parameters
    ----------
    problem, van, day
        The problem and the van-day.
    route
        The van-day's route, or None for an empty van-day.
    new_stop
        The visit to add (its times are not read).
    start_lo, start_hi
        The range of minutes its start may take.

    Returns
    -------
    bool
        True when every route rule holds with it (legs rounded up: whatever the rounding).
    """
    stops = list(route.stops) if route is not None else []
    windows = []
    for st in stops:
        other = problem.request_by_id.get(st.request)
        if other is None:
            return False
        lo, hi = other.hours_on(van)
        lock = problem.locked_by_visit.get(st.key)
        if lock is not None:
            lo, hi = max(lo, lock.start - lock.slack_minutes), min(hi, lock.start + lock.slack_minutes + other.duration)
        windows.append((other, lo, hi))
    req = problem.request_by_id[new_stop.request]
    lo, hi = req.hours_on(van)
    mine = (req, max(lo, start_lo), min(hi, start_hi + req.duration))
    gaps = range(len(stops) + 2) if van.break_ else [None]
    for pos in range(len(stops) + 1):
        order = stops[:pos] + [new_stop] + stops[pos:]
        wins = windows[:pos] + [mine] + windows[pos:]
        for gap in gaps:
            candidate = _earliest_route(problem, van, day, order, wins, gap)
            if candidate is None:
                continue
            found: list[Violation] = []
            _check_route(problem, van, candidate, "", found.append, CheckReport())
            if not found:
                return True
    return False


def _earliest_route(problem: Problem, van: Van, day: date, stops: list[Stop],
                    windows: list[tuple[Request, int, int]], break_gap: int | None) -> Route | None:
    """The stops in this order at their earliest times, the break taken before stop ``break_gap``
    (``len(stops)``: before driving back; ``len(stops) + 1``: no break). Legs are rounded up,
    so a route found here holds whatever the rounding."""
    travel = problem.travel
    t = van.shift_start
    here = van.depot
    out: list[Stop] = []
    brk: tuple[int, int] | None = None
    drive = 0
    km = 0.0

    def take_break(now: int) -> int | None:
        nonlocal brk
        b = van.break_
        assert b is not None
        b0 = max(now, b.earliest)
        if b0 + b.minutes > b.latest:
            return None
        brk = (b0, b0 + b.minutes)
        return b0 + b.minutes

    n = len(stops)
    back = t
    # Leg i drives to stop i; leg n drives back to the depot.
    for i in range(n + 1):
        if break_gap == i:
            after = take_break(t)
            if after is None:
                return None
            t = after
        to = windows[i][0].location if i < n else van.depot
        leg = math.ceil(travel.minutes(here, to) - 1e-9)
        drive += leg
        km += travel.km(here, to)
        if i == n:
            back = t + leg
            break
        st, (req, lo, hi) = stops[i], windows[i]
        start = max(t + leg, lo)
        if start + req.duration > hi:
            return None
        out.append(Stop(st.request, st.occurrence, t + leg, start, start + req.duration))
        t = start + req.duration
        here = req.location
    if back > van.shift_end or (van.break_ is not None and brk is None):
        return None
    return Route(van.id, day, van.shift_start, back, tuple(out), round(km, 1), drive,
                 brk[0] if brk else None, brk[1] if brk else None)


def _check_route(problem: Problem, van: Van, route: Route, label: str, bad, rep: CheckReport) -> None:
    """Every rule of one van-day: its day and shift, each stop, the break, each leg, the totals."""
    _check_day_and_shift(problem, van, route, label, bad)
    points = [van.depot]
    times: list[tuple[int, int]] = []  # (departure from previous point, arrival at next point)
    depart = route.leave
    for i, stop in enumerate(route.stops):
        req = problem.request_by_id.get(stop.request)
        if req is None:
            bad(Violation("unknown", f"no request has the id {stop.request!r}", label, i))
            return
        _check_stop(van, route.day, req, stop, label, i, bad)
        times.append((depart, stop.arrive))
        points.append(req.location)
        depart = stop.end
    times.append((depart, route.back))
    points.append(van.depot)
    brk = _check_break(van, route, label, bad)
    exact_km, exact_minutes = _check_legs(problem, route, points, times, brk, label, bad)
    legs = len(points) - 1 if route.stops else 0
    if route.drive_minutes < exact_minutes - LEG_TOLERANCE_MINUTES * legs:
        bad(Violation("travel", f"states {route.drive_minutes} min of driving; the legs take "
                                f"{exact_minutes:.1f} min", label))
    if van.max_drive_minutes is not None and max(route.drive_minutes, exact_minutes - legs) > van.max_drive_minutes:
        bad(Violation("max_drive", f"{max(route.drive_minutes, round(exact_minutes))} min of driving; at most "
                                   f"{van.max_drive_minutes} allowed", label))
    if abs(route.distance_km - exact_km) > KM_TOLERANCE:
        bad(Violation("stats", f"states {route.distance_km:.1f} km; the legs measure {exact_km:.1f} km", label))
    rep.distance_km += exact_km
    rep.drive_minutes += route.drive_minutes


def _check_day_and_shift(problem: Problem, van: Van, route: Route, label: str, bad) -> None:
    if not problem.is_service_day(route.day):
        bad(Violation("service_day", f"{route.day} is not a service day (horizon, weekdays, closed dates)", label))
    elif route.day in van.unavailable_dates:
        bad(Violation("service_day", f"van {van.id} is unavailable on {route.day}", label))
    if route.leave < van.shift_start:
        bad(Violation("shift", f"leaves at {format_time(route.leave)}, before the shift starts "
                               f"({format_time(van.shift_start)})", label))
    if route.back > van.shift_end:
        bad(Violation("shift", f"is back at {format_time(route.back)}, after the shift ends "
                               f"({format_time(van.shift_end)})", label))


def _check_stop(van: Van, day: date, req: Request, stop: Stop, label: str, i: int, bad) -> None:
    if not 0 <= stop.occurrence < req.occurrences:
        bad(Violation("unknown", f"request {req.id} has no occurrence #{stop.occurrence}", label, i))
    if not van.carries(req.equipment):
        missing = ", ".join(sorted(req.equipment - van.equipment))
        bad(Violation("equipment", f"{req.id} needs {missing}, which van {van.id} does not carry", label, i))
    if req.windows and not any(day in w for w in req.windows):
        bad(Violation("window", f"{day} is outside every date window of {req.id}", label, i))
    if req.weekdays is not None and day.isoweekday() not in req.weekdays:
        bad(Violation("weekday", f"{req.id} cannot receive the van on weekday {day.isoweekday()}", label, i))
    lo, hi = req.hours_on(van)
    if stop.start < lo or stop.end > hi:
        bad(Violation("hours", f"{req.id} runs {format_time(stop.start)}–{format_time(stop.end)}, outside "
                               f"its hours {format_time(lo)}–{format_time(hi)}", label, i))
    if stop.end - stop.start != req.duration:
        bad(Violation("duration", f"{req.id} lasts {stop.end - stop.start} min; it takes {req.duration}", label, i))
    if stop.arrive > stop.start:
        bad(Violation("order", f"{req.id} starts ({format_time(stop.start)}) before the van arrives "
                               f"({format_time(stop.arrive)})", label, i))


def _check_break(van: Van, route: Route, label: str, bad) -> tuple[int, int] | None:
    if route.break_start is None or route.break_end is None:
        if van.break_ is not None:
            bad(Violation("break", f"van {van.id} needs a {van.break_.minutes}-min break and the route has none",
                          label))
        return None
    b0, b1 = route.break_start, route.break_end
    vb = van.break_
    if vb is not None and (b0 < vb.earliest or b1 > vb.latest or b1 - b0 < vb.minutes):
        bad(Violation("break", f"break {format_time(b0)}–{format_time(b1)} is not {vb.minutes} min within "
                               f"{format_time(vb.earliest)}–{format_time(vb.latest)}", label))
    for i, stop in enumerate(route.stops):
        if _overlap(b0, b1, stop.start, stop.end):
            bad(Violation("break", f"break {format_time(b0)}–{format_time(b1)} overlaps a visit", label, i))
    return b0, b1


def _check_legs(problem: Problem, route: Route, points: list, times: list[tuple[int, int]],
                brk: tuple[int, int] | None, label: str, bad) -> tuple[float, float]:
    """Each leg leaves time enough to drive it (less the break taken on the road); the exact
    km and minutes of the route (zero for a route with no stop)."""
    if not route.stops:
        if route.back < route.leave:
            bad(Violation("order", f"is back at {format_time(route.back)} before leaving at "
                                   f"{format_time(route.leave)}", label))
        return 0.0, 0.0
    exact_km = exact_minutes = 0.0
    for leg, ((dep, arr), (a, b)) in enumerate(zip(times, zip(points, points[1:], strict=False), strict=True)):
        need = problem.travel.minutes(a, b)
        exact_km += problem.travel.km(a, b)
        exact_minutes += need
        stop = leg if leg < len(route.stops) else None
        if arr < dep:
            bad(Violation("order", f"arrives at {format_time(arr)} before leaving the previous place at "
                                   f"{format_time(dep)}", label, stop))
            continue
        available = arr - dep - (_overlap(dep, arr, brk[0], brk[1]) if brk is not None else 0)
        if available < need - LEG_TOLERANCE_MINUTES:
            to = f"stop {leg + 1}" if stop is not None else "the depot"
            bad(Violation("travel", f"{available} min of driving to {to}; the trip takes {need:.1f} min", label,
                          stop))
    return exact_km, exact_minutes


# --------------------------------------------------------------------------- #
# Reasons for visits left out
# --------------------------------------------------------------------------- #


def can_serve_alone(problem: Problem, van: Van, req: Request) -> bool:
    """A sufficient test that ``van`` could serve ``req`` alone in one shift, break included.

    Used only to refute a claim of ``too_far_for_a_day`` or ``window_too_short``; tries the
    break at the site before the visit, after it, or on the road.

    Parameters
    ----------
    problem, van, req
        The problem, the van and the request.

    Returns
    -------
    bool
    """
    lo, hi = req.hours_on(van)
    out = problem.travel.minutes(van.depot, req.location)
    back = problem.travel.minutes(req.location, van.depot)
    if van.max_drive_minutes is not None and out + back - 2 * LEG_TOLERANCE_MINUTES > van.max_drive_minutes:
        return False  # the round trip alone drives more than the van may in a day
    b = van.break_
    candidates: list[tuple[float, float]] = []  # (earliest start of service, extra minutes of break after it)
    if b is None:
        candidates.append((van.shift_start + out, 0))
    else:
        arrive = van.shift_start + out
        b0 = max(b.earliest, van.shift_start)
        if b0 + b.minutes <= b.latest:
            # Break before the visit: on the road (it delays the arrival) or waiting at the site.
            candidates.append((arrive + b.minutes if b0 < arrive else b0 + b.minutes, -1))
        # Break after the visit, at the site.
        candidates.append((arrive, 1))
    for earliest_start, mode in candidates:
        start = max(earliest_start, lo)
        end = start + req.duration
        if end > hi:
            continue
        finish = end
        if b is not None and mode == 1:
            b0 = max(end, b.earliest)
            if b0 + b.minutes > b.latest:
                continue
            finish = b0 + b.minutes
        if finish + back <= van.shift_end:
            return True
    return False


def _static_reasons(problem: Problem, req: Request) -> set[str]:
    """Reasons that hold whatever else is planned (empty: the visit may be possible)."""
    vans = [v for v in problem.vans if v.carries(req.equipment)]
    if not vans:
        return {"no_van_with_equipment"}
    vans = [v for v in vans if any(problem.van_works(v, d) and req.accepts_day(d) for d in problem.days())]
    if not vans:
        return {"no_service_day_in_window"}
    if all(req.hours_on(v)[1] - req.hours_on(v)[0] < req.duration for v in vans):
        return {"window_too_short"}
    return set()


def _check_reason(problem: Problem, req: Request, reason: str, occurrence: int, bad) -> None:
    name = f"unserved visit {req.id} #{occurrence}"
    static = _static_reasons(problem, req)
    if static and reason not in static and reason not in ("too_far_for_a_day", "locked_conflict"):
        bad(Violation("reason", f"{name} is given as {reason!r}; it is {'/'.join(sorted(static))}"))
        return
    if reason in ("no_van_with_equipment", "no_service_day_in_window", "window_too_short") and reason not in static:
        bad(Violation("reason", f"{name} is given as {reason!r}, which is not so"))
    elif reason == "too_far_for_a_day" and not static:
        able = [v for v in problem.vans if v.carries(req.equipment) and can_serve_alone(problem, v, req)]
        if able:
            bad(Violation("reason", f"{name} is given as too far for a day, yet van {able[0].id} can serve it "
                                    "within a shift"))
    elif reason == "locked_conflict" and (req.id, occurrence) not in problem.locked_by_visit:
        bad(Violation("reason", f"{name} is given as a locked conflict but is not locked"))


def _check_stats(plan: Plan, rep: CheckReport, bad, v2: bool) -> None:
    s = plan.stats
    if v2:
        if s.moved != rep.moved:
            bad(Violation("stats", f"stats.moved states {s.moved}; the plan moves {rep.moved} published visit(s)"))
        if abs(s.objective - rep.objective) > 1e-6:
            bad(Violation("stats", f"stats.objective states {s.objective:g}; the plan's is {rep.objective:g}"))
    expected = {
        "visits": rep.visits,
        "served": rep.served,
        "unserved": rep.visits - rep.served,
        "served_priority": rep.served_priority,
        "total_priority": rep.total_priority,
        "drive_minutes": rep.drive_minutes,
        "van_days": rep.van_days,
    }
    for key, value in expected.items():
        if getattr(s, key) != value:
            bad(Violation("stats", f"stats.{key} states {getattr(s, key)}; the plan has {value}"))
    if abs(s.distance_km - rep.distance_km) > KM_TOLERANCE + 0.05 * len(plan.routes):
        bad(Violation("stats", f"stats.distance_km states {s.distance_km:.1f}; the routes measure "
                               f"{rep.distance_km:.1f} km"))
