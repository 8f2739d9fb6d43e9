"""Hand moves of a draft plan: put one visit on another van-day, re-time, referee.

Pure functions on :class:`tourplan.problem.Problem` and :class:`tourplan.plan.Plan`
(no Flask, no database) so they are tested alone.  A move is refused with a
:class:`MoveRefused` naming the rule it breaks, in French.  Times are rebuilt with
the optimiser's own scheduler (:func:`tourplan.optimiser.schedule.schedule_day_rounded`,
which also times the optimiser's plans) and the resulting plan is judged by :func:`tourplan.checker.check_plan`: a move
is accepted only when the whole plan passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tourplan.changes import is_moved
from tourplan.checker import check_plan
from tourplan.optimiser.schedule import DaySpec, StopSpec, Timing, schedule_day_rounded
from tourplan.plan import Plan, Route, Stats, Stop, Unserved, objective_value
from tourplan.problem import Point, Problem, Request, Van
from web.core import formats
from web.tours.reasons import WEEKDAYS_FR, date_fr

#: The checker's rules, named for operators.
RULE_NAMES_FR: dict[str, str] = {
    "service_day": "jour de service",
    "shift": "horaires de service du camion",
    "equipment": "équipement",
    "window": "périodes souhaitées",
    "weekday": "jours de la semaine",
    "hours": "heures d'accueil",
    "duration": "durée de la visite",
    "order": "ordre de passage",
    "break": "pause",
    "travel": "temps de trajet",
    "max_drive": "temps de conduite maximal",
    "recurrence": "écart entre deux passages",
    "locked": "visite verrouillée",
    "coverage": "chaque visite une seule fois",
    "required": "visite obligatoire",
    "unknown": "visite ou camion inconnu",
    "reason": "motif d'absence",
    "stats": "chiffres du plan",
    "status": "statut du plan",
    "problem": "problème",
}

#: What breaking each rule means, in plain French (the checker's own detail is English).
RULE_EXPLANATIONS_FR: dict[str, str] = {
    "service_day": "ce jour n'est pas un jour de service pour ce camion",
    "shift": "la journée du camion dépasserait ses horaires de service",
    "equipment": "ce camion n'emporte pas l'équipement nécessaire",
    "window": "cette date est en dehors des périodes souhaitées",
    "weekday": "la structure ne reçoit pas le camion ce jour de la semaine",
    "hours": "la visite sortirait des heures d'accueil",
    "duration": "la durée de la visite ne serait pas respectée",
    "order": "les heures de passage ne se suivraient pas",
    "break": "la pause du chauffeur ne trouverait pas sa place",
    "travel": "le temps de trajet entre deux étapes ne suffirait pas",
    "max_drive": "le temps de conduite de la journée dépasserait la limite",
    "recurrence": "deux passages de la même demande seraient trop rapprochés",
    "locked": "une visite verrouillée ne resterait pas à sa place",
    "coverage": "une visite serait comptée deux fois ou oubliée",
    "required": "une visite obligatoire serait laissée de côté",
    "unknown": "la visite ou le camion n'existe pas dans ce plan",
    "reason": "le motif d'une visite non planifiée ne serait plus juste",
    "stats": "les chiffres du plan ne correspondraient plus",
    "status": "le statut du plan ne correspondrait plus",
    "problem": "le plan ne correspond pas à ce problème",
}


class MoveRefused(Exception):
    """The move would break ``rule``; ``message`` says so in French for the operator."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message
        super().__init__(message)

    @property
    def rule_name(self) -> str:
        return RULE_NAMES_FR.get(self.rule, self.rule)


def _refuse(rule: str, detail: str) -> MoveRefused:
    return MoveRefused(rule, f"Déplacement refusé (règle « {RULE_NAMES_FR.get(rule, rule)} ») : {detail}.")


@dataclass
class _Legs:
    """Whole-minute legs between points, rounded to nearest like the optimiser does."""

    problem: Problem
    points: list[Point]

    def index(self, p: Point) -> int:
        for i, q in enumerate(self.points):
            if q == p:
                return i
        self.points.append(p)
        return len(self.points) - 1

    def minutes(self, a: int, b: int) -> int:
        return int(self.problem.travel.minutes(self.points[a], self.points[b]) + 0.5)

    def km(self, locs: Sequence[int]) -> float:
        t = self.problem.travel
        return sum(t.km(self.points[a], self.points[b]) for a, b in zip(locs, locs[1:], strict=False))


def _day_spec(van: Van, depot: int, *, drive_limit: bool = True, with_break: bool = True) -> DaySpec:
    b = van.break_ if with_break else None
    return DaySpec(
        depot=depot,
        shift_start=van.shift_start,
        shift_end=van.shift_end,
        break_earliest=b.earliest if b else None,
        break_latest=b.latest if b else None,
        break_minutes=b.minutes if b else 0,
        max_drive=van.max_drive_minutes if drive_limit else None,
    )


def _stop_spec(problem: Problem, legs: _Legs, van: Van, key: tuple[str, int]) -> StopSpec:
    req = problem.request_by_id[key[0]]
    lo, hi = req.hours_on(van)
    hi -= req.duration
    lock = problem.locked_by_visit.get(key)
    if lock is not None:
        # A locked visit keeps its start within the slack, whatever else moves that day.
        lo = max(lo, lock.start - lock.slack_minutes)
        hi = min(hi, lock.start + lock.slack_minutes)
    return StopSpec(legs.index(req.location), req.duration, lo, hi)


def _schedule(problem: Problem, legs: _Legs, van: Van, keys: Sequence[tuple[str, int]], **relax: bool) -> Timing | None:
    depot = legs.index(van.depot)
    spec = _day_spec(van, depot, **relax)
    stops = [_stop_spec(problem, legs, van, k) for k in keys]
    if any(s.start_hi < s.start_lo for s in stops):
        return None
    # The driving limit applies to the stated whole-minute legs (problem-format § Travel).
    return schedule_day_rounded(spec, stops, legs.minutes)


def _route(problem: Problem, legs: _Legs, van: Van, day: date, keys: Sequence[tuple[str, int]], t: Timing) -> Route:
    depot = legs.index(van.depot)
    locs = [depot] + [legs.index(problem.request_by_id[k[0]].location) for k in keys] + [depot]
    stops = tuple(
        Stop(k[0], k[1], arrive=t.arrive[i], start=t.start[i], end=t.end[i]) for i, k in enumerate(keys)
    )
    return Route(
        van=van.id,
        day=day,
        leave=t.leave,
        back=t.back,
        stops=stops,
        distance_km=round(legs.km(locs), 1),
        drive_minutes=t.drive_minutes,
        break_start=t.break_start,
        break_end=t.break_end,
    )


def restate(problem: Problem, routes: Sequence[Route], unserved: Sequence[Unserved], solve_seconds: float) -> Plan:
    """A plan with its figures and status recomputed from its routes."""
    routes = sorted((r for r in routes if r.stops), key=lambda r: (r.day, [v.id for v in problem.vans].index(r.van)))
    served = [s for r in routes for s in r.stops]
    prio = sum(problem.request_by_id[s.request].priority for s in served)
    required_left = any(problem.request_by_id[u.request].required for u in unserved)
    moved = moved_count(problem, routes)
    stats = Stats(
        visits=len(problem.visits),
        served=len(served),
        unserved=len(unserved),
        served_priority=prio,
        total_priority=problem.total_priority,
        distance_km=round(sum(r.distance_km for r in routes), 1),
        drive_minutes=sum(r.drive_minutes for r in routes),
        van_days=len(routes),
        solve_seconds=solve_seconds,
        moved=moved,
        objective=objective_value(prio, moved, problem.stability.move_cost),
    )
    return Plan(
        problem=problem.name,
        status="infeasible" if required_left else "feasible",
        routes=tuple(routes),
        unserved=tuple(unserved),
        stats=stats,
        version=max(problem.version, 1),
    )


def moved_count(problem: Problem, routes: Sequence[Route]) -> int:
    """Published visits the routes move (problem-format v2: another van or date, a start
    beyond the stability slack, or left out)."""
    at = {s.key: (r.van, r.day, s.start) for r in routes for s in r.stops}
    return sum(1 for key, p in problem.published_by_visit.items() if is_moved(problem, p, at.get(key)))


def _static_checks(problem: Problem, plan: Plan, key: tuple[str, int], req: Request, van: Van, day: date) -> None:
    if not problem.is_service_day(day):
        raise _refuse("service_day", f"le {date_fr(day)} n'est pas un jour de service de la saison "
                                     "(hors saison, jour non travaillé ou jour fermé)")
    if day in van.unavailable_dates:
        raise _refuse("service_day", f"le camion {van.name} n'est pas disponible le {date_fr(day)}")
    if not van.carries(req.equipment):
        missing = ", ".join(sorted(req.equipment - van.equipment))
        raise _refuse("equipment", f"la visite demande « {missing} », que le camion {van.name} n'emporte pas")
    if req.windows and not any(day in w for w in req.windows):
        spans = ", ".join(f"du {formats.long_date(w.start, weekday=False)} au {formats.long_date(w.end, weekday=False)}"
                          for w in req.windows)
        raise _refuse("window", f"le {date_fr(day)} est en dehors des périodes souhaitées ({spans})")
    if req.weekdays is not None and day.isoweekday() not in req.weekdays:
        days = ", ".join(WEEKDAYS_FR[d - 1] for d in sorted(req.weekdays))
        raise _refuse("weekday", f"la structure ne reçoit pas le camion le {WEEKDAYS_FR[day.weekday()]} "
                                 f"(jours possibles : {days})")
    lock = problem.locked_by_visit.get(key)
    if lock is not None and (lock.van != van.id or lock.day != day):
        raise _refuse("locked", f"cette visite est verrouillée sur le {date_fr(lock.day)} ; "
                                "déverrouillez-la avant de la déplacer")
    if req.min_days_between > 0:
        for held in problem.history_dates.get(req.id, ()):
            gap = abs((day - held).days)
            if gap < req.min_days_between:
                raise _refuse("recurrence", f"un passage de cette demande a eu lieu le {date_fr(held)}, "
                                            f"à {gap} jour(s) ; il en faut au moins {req.min_days_between}")
        for r in plan.routes:
            for s in r.stops:
                if s.request == req.id and s.occurrence != key[1]:
                    gap = abs((r.day - day).days)
                    if gap < req.min_days_between:
                        raise _refuse("recurrence", f"un autre passage de cette demande a lieu le {date_fr(r.day)}, "
                                                    f"à {gap} jour(s) ; il en faut au moins {req.min_days_between}")


def move_visit(problem: Problem, plan: Plan, key: tuple[str, int], van_id: str, day: date) -> Plan:
    """The plan with visit ``key`` served by ``van_id`` on ``day`` (at its cheapest feasible
    position), every other visit kept on its van-day; raises :class:`MoveRefused`."""
    req = problem.request_by_id.get(key[0])
    if req is None or not 0 <= key[1] < req.occurrences:
        raise _refuse("unknown", "cette visite ne fait pas partie du problème de ce brouillon")
    van = problem.van_by_id.get(van_id)
    if van is None:
        raise _refuse("unknown", f"aucun camion « {van_id} » dans ce brouillon")
    _static_checks(problem, plan, key, req, van, day)

    legs = _Legs(problem, [])
    routes: dict[tuple[str, date], list[tuple[str, int]]] = {
        (r.van, r.day): [s.key for s in r.stops] for r in plan.routes
    }
    by_key = {(r.van, r.day): r for r in plan.routes}
    source = next((vd for vd, keys in routes.items() if key in keys), None)
    if source is not None:
        routes[source] = [k for k in routes[source] if k != key]
    unserved = [u for u in plan.unserved if u.key != key]

    target = (van.id, day)
    base = routes.get(target, [])
    best: tuple[float, list[tuple[str, int]], Timing] | None = None
    for pos in range(len(base) + 1):
        keys = base[:pos] + [key] + base[pos:]
        t = _schedule(problem, legs, van, keys)
        if t is None:
            continue
        depot = legs.index(van.depot)
        km = legs.km([depot] + [legs.index(problem.request_by_id[k[0]].location) for k in keys] + [depot])
        if best is None or km < best[0] - 1e-9:
            best = (km, keys, t)
    if best is None:
        raise _diagnose(problem, legs, van, day, base, key)

    new_routes = dict(by_key)
    new_routes[target] = _route(problem, legs, van, day, best[1], best[2])
    if source is not None and source != target:
        src_van = problem.van_by_id[source[0]]
        if routes[source]:
            t = _schedule(problem, legs, src_van, routes[source])
            if t is None:
                raise _refuse("travel", "la tournée d'origine ne peut plus être recalculée sans cette visite")
            new_routes[source] = _route(problem, legs, src_van, source[1], routes[source], t)
        else:
            del new_routes[source]
    new_plan = restate(problem, list(new_routes.values()), unserved, plan.stats.solve_seconds)
    report = check_plan(problem, new_plan)
    if not report.ok:
        v = report.violations[0]
        raise MoveRefused(
            v.rule,
            f"Déplacement refusé (règle « {RULE_NAMES_FR.get(v.rule, v.rule)} ») : "
            f"{RULE_EXPLANATIONS_FR.get(v.rule, 'une règle du plan serait enfreinte')} ({v}).",
        )
    return new_plan


def _diagnose(problem: Problem, legs: _Legs, van: Van, day: date, base: list[tuple[str, int]],
              key: tuple[str, int]) -> MoveRefused:
    """Which rule makes every position impossible: try again with one rule relaxed."""
    req = problem.request_by_id[key[0]]
    lo, hi = req.hours_on(van)
    if hi - lo < req.duration:
        return _refuse("hours", "les heures d'accueil de la structure ne laissent pas le temps de la visite "
                                f"({req.duration} min) avec ce camion")

    def fits(**relax: bool) -> bool:
        return any(
            _schedule(problem, legs, van, base[:p] + [key] + base[p:], **relax) is not None
            for p in range(len(base) + 1)
        )

    if van.max_drive_minutes is not None and fits(drive_limit=False):
        return _refuse("max_drive", f"le camion {van.name} conduirait plus de {van.max_drive_minutes} min "
                                    f"le {date_fr(day)}")
    if van.break_ is not None and fits(with_break=False):
        return _refuse("break", f"la pause de {van.break_.minutes} min du chauffeur ne trouverait plus sa place "
                                f"le {date_fr(day)}")
    if base and problem.locked_by_visit.keys() & set(base):
        return _refuse("locked", f"la journée du {date_fr(day)} ne peut accueillir cette visite sans déplacer "
                                 "une visite verrouillée au-delà de sa marge")
    if base:
        return _refuse("shift", f"la journée du camion {van.name} le {date_fr(day)} est trop pleine : "
                                "trajets et visites dépasseraient ses horaires ou les heures d'accueil")
    return _refuse("shift", f"le camion {van.name} ne peut pas aller, servir cette visite et revenir "
                            f"dans ses horaires le {date_fr(day)}")


def unserve_visit(problem: Problem, plan: Plan, key: tuple[str, int], reason: str = "capacity") -> Plan:
    """Take a visit out of its route (the operator leaves it out by hand)."""
    if problem.request_by_id.get(key[0]) is None:
        raise _refuse("unknown", "cette visite ne fait pas partie du problème de ce brouillon")
    if key in problem.locked_by_visit:
        raise _refuse("locked", "cette visite est verrouillée ; déverrouillez-la avant de la retirer")
    legs = _Legs(problem, [])
    routes = []
    found = False
    for r in plan.routes:
        keys = [s.key for s in r.stops]
        if key in keys:
            found = True
            keys.remove(key)
            if keys:
                van = problem.van_by_id[r.van]
                t = _schedule(problem, legs, van, keys)
                if t is None:
                    raise _refuse("travel", "la tournée ne peut plus être recalculée sans cette visite")
                r = _route(problem, legs, van, r.day, keys, t)
            else:
                continue
        routes.append(r)
    if not found:
        return plan
    unserved = [*plan.unserved, Unserved(key[0], key[1], reason, "retirée à la main par un opérateur")]
    new_plan = restate(problem, routes, unserved, plan.stats.solve_seconds)
    report = check_plan(problem, new_plan)
    if not report.ok:
        v = report.violations[0]
        raise MoveRefused(v.rule, f"Retrait refusé (règle « {RULE_NAMES_FR.get(v.rule, v.rule)} ») : {v}.")
    return new_plan


__all__ = ["MoveRefused", "move_visit", "restate", "unserve_visit"]
