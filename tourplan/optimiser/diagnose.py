"""Why a visit is left out: diagnosed from the problem, never guessed.

Static reasons hold whatever else is planned (no van carries the equipment, no
service day in the windows, hours too short, too far for any shift); a locked
visit whose van, date or time cannot be kept is a ``locked_conflict``; anything
else that could be served alone but is not is ``capacity``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tourplan.optimiser.instance import Instance
from tourplan.problem import Request, format_time


@dataclass(frozen=True)
class Reason:
    reason: str
    detail: str


def static_reason(inst: Instance, ri: int) -> Reason | None:
    """The reason no plan at all can serve a visit of request ``ri``, or None if some van-day could."""
    p = inst.problem
    req: Request = p.requests[ri]
    vans = [v for v in p.vans if v.carries(req.equipment)]
    if not vans:
        have = set().union(*(v.equipment for v in p.vans)) if p.vans else set()
        missing = sorted(req.equipment - have) or sorted(req.equipment)
        return Reason("no_van_with_equipment", f"needs {', '.join(missing)}; no van carries "
                      f"{'it' if len(missing) == 1 else 'them all'}")
    working = [v for v in vans if any(p.van_works(v, d) and req.accepts_day(d) for d in p.days())]
    if not working:
        return Reason("no_service_day_in_window", "no working day of a van carrying "
                      f"{', '.join(sorted(req.equipment)) or 'what it needs'} falls in its date windows and weekdays")
    spans = [req.hours_on(v) for v in working]
    if all(hi - lo < req.duration for lo, hi in spans):
        lo, hi = max(spans, key=lambda s: s[1] - s[0])
        return Reason("window_too_short", f"needs {req.duration} min on site; its hours "
                      f"{format_time(lo)}–{format_time(hi)} hold only {hi - lo} min")
    if inst.allowed[ri]:
        return None
    if not any(ri in inst.alone_lenient[p.vans.index(v)] for v in vans) and not _referee_sees_room(p, vans, req):
        return Reason("too_far_for_a_day", f"{req.duration} min on site plus the drive from and back to the "
                      "depot do not fit in any shift with its break")
    if not any(ri in inst.alone_ok[p.vans.index(v)] for v in vans):
        return Reason("capacity", "only just out of reach: the drive there and back, rounded to whole "
                      "minutes, does not fit the shift or the driving limit")
    # Some van could serve it alone, but not on a day it has: the format has no word for this.
    return Reason("capacity", "the vans that could reach it in a day do not work on its days")


def _referee_sees_room(problem, vans, req: Request) -> bool:  # noqa: ANN001
    """The referee's own test of a visit served alone: the claim "too far for a day" is made
    only where it holds (the referee reads a route's driving limit on the sum of exact legs less
    its tolerance, which whole-minute legs cannot always reach)."""
    from tourplan.checker import can_serve_alone

    return any(can_serve_alone(problem, v, req) for v in vans)


def locked_reason(inst: Instance, ri: int, van: str, day, start: int, slack: int) -> Reason | None:
    """Why a locked visit cannot stay where it is locked, or None if it can (alone)."""
    p = inst.problem
    req = p.requests[ri]
    where = f"{van} on {day}"
    vd = next((x for x in inst.van_days if x.van.id == van and x.day == day), None)
    if vd is None:
        return Reason("locked_conflict", f"locked on {where}, which is not a working day of that van")
    if not vd.van.carries(req.equipment):
        return Reason("locked_conflict", f"locked on {where}, but that van lacks "
                      f"{', '.join(sorted(req.equipment - vd.van.equipment))}")
    if not req.accepts_day(day):
        return Reason("locked_conflict", f"locked on {where}, outside its date windows or weekdays")
    base = inst.stop_spec(ri, vd.van)
    lo, hi = max(base.start_lo, start - slack), min(base.start_hi, start + slack)
    if lo > hi:
        return Reason("locked_conflict", f"locked to start at {format_time(start)} ± {slack} min, outside its hours")
    from tourplan.optimiser.schedule import StopSpec

    if inst.schedule(vd, [StopSpec(base.loc, base.duration, lo, hi)]) is None:
        return Reason("locked_conflict", f"cannot start at {format_time(start)} ± {slack} min on {where} "
                      "and keep the shift and break")
    return None


CAPACITY = Reason("capacity", "could be served alone, but no van-day had room for it with the rest of the plan")
