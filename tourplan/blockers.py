"""What stops a left-out visit from joining a plan, day by day: help for a human deciding.

:func:`day_options` lists the van-days that could serve the visit *alone* (equipment,
service day, windows, weekdays, hours, reachable within the shift — the optimiser's own
``Instance.allowed``) and, on each, what blocks it in *this* plan: a stop of that van-day
(locked, published or neither) whose removal alone would make room, the driver's break,
the driving limit, a sibling visit too close (spacing), or the shift itself when no single
change is enough. An empty tuple of blockers means the visit fits there as the plan stands.

Pure (no database): the desk shows it with an "unlock" / "allow to move" control per row.
Times are judged by the optimiser's scheduler on whole-minute legs, like hand moves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

from tourplan.optimiser.instance import Instance, VanDay, build_instance
from tourplan.optimiser.schedule import DaySpec, StopSpec, schedule_day
from tourplan.plan import Plan
from tourplan.problem import Problem

#: Kinds of blockers.
VISIT, BREAK, MAX_DRIVE, SPACING, SHIFT = "visit", "break", "max_drive", "spacing", "shift"


@dataclass(frozen=True)
class Blocker:
    """One thing that, taken away alone, would let the visit in (``shift``: nothing alone does).

    ``visit``: the stop ``request`` #``occurrence`` of that van-day (``locked`` when the
    problem locks it, ``published`` when the public was told of it); ``spacing``: another
    visit of the same request (``request``/``occurrence``, or only ``day`` when it is history)
    lies closer than its ``min_days_between``."""

    kind: str
    request: str | None = None
    occurrence: int | None = None
    locked: bool = False
    published: bool = False
    day: date | None = None


class DayOption(NamedTuple):
    """A van-day that could serve the visit alone, and what blocks it there (``fits``: nothing)."""

    van: str
    day: date
    blockers: tuple[Blocker, ...]

    @property
    def fits(self) -> bool:
        return not self.blockers


def day_options(
    problem: Problem, plan: Plan, request_id: str, occurrence: int, *, instance: Instance | None = None
) -> list[DayOption]:
    """Every van-day that could serve the visit alone, with what blocks it there in ``plan``.

    Parameters
    ----------
    problem
        The problem.
    plan
        The plan whose van-days are looked at.
    request_id, occurrence
        The visit left out (or to move).
    instance
        The optimiser's instance of ``problem``, to share between calls.

    Returns
    -------
    list of DayOption
        By date then van (see the module for the kinds of blockers).

    Raises
    ------
    KeyError
        For a visit the problem does not plan (unknown, or held already).
    """
    inst = instance or build_instance(problem)
    ri = inst.request_index.get(request_id)
    if ri is None or not 0 <= occurrence < problem.requests[ri].occurrences:
        raise KeyError(f"visit {request_id} #{occurrence} is not in the problem")
    if (request_id, occurrence) in problem.history_keys:
        raise KeyError(f"visit {request_id} #{occurrence} took place already (history)")
    req = problem.requests[ri]
    key = (request_id, occurrence)
    routes = {(r.van, r.day): [s.key for s in r.stops if s.key != key] for r in plan.routes}
    siblings = [(s.key, r.day) for r in plan.routes for s in r.stops if s.request == request_id and s.key != key]
    out = []
    for vdi in inst.allowed[ri]:
        vd = inst.van_days[vdi]
        blockers: list[Blocker] = []
        if req.min_days_between:
            blockers += [Blocker(SPACING, k[0], k[1], day=d) for k, d in siblings
                         if abs((d - vd.day).days) < req.min_days_between]
            blockers += [Blocker(SPACING, day=d) for d in problem.history_dates.get(request_id, ())
                         if abs((d - vd.day).days) < req.min_days_between]
        base = routes.get((vd.van.id, vd.day), [])
        if not _fits(inst, vd, vd.spec, base, key):
            blockers += _day_blockers(inst, vd, base, key)
        out.append(DayOption(vd.van.id, vd.day, tuple(blockers)))
    return out


def _stop(inst: Instance, vd: VanDay, key: tuple[str, int]) -> StopSpec:
    """The stop as the van-day must hold it: a locked visit keeps its start within its slack."""
    ri = inst.request_index[key[0]]
    spec = inst.stop_spec(ri, vd.van)
    lock = inst.problem.locked_by_visit.get(key)
    if lock is not None:
        spec = replace(spec, start_lo=max(spec.start_lo, lock.start - lock.slack_minutes),
                       start_hi=min(spec.start_hi, lock.start + lock.slack_minutes))
    return spec


def _fits(inst: Instance, vd: VanDay, spec: DaySpec, base: list[tuple[str, int]], key: tuple[str, int]) -> bool:
    stops = [_stop(inst, vd, k) for k in base]
    new = _stop(inst, vd, key)
    if new.start_hi < new.start_lo:
        return False
    return any(
        schedule_day(spec, stops[:p] + [new] + stops[p:], inst.leg_minutes) is not None
        for p in range(len(stops) + 1)
    )


def _day_blockers(inst: Instance, vd: VanDay, base: list[tuple[str, int]], key: tuple[str, int]) -> list[Blocker]:
    problem = inst.problem
    told = {(p.request, p.occurrence) for p in problem.published}
    found: list[Blocker] = []
    for k in base:
        if _fits(inst, vd, vd.spec, [x for x in base if x != k], key):
            found.append(Blocker(VISIT, k[0], k[1], locked=k in problem.locked_by_visit, published=k in told))
    if vd.spec.break_minutes and _fits(inst, vd, replace(vd.spec, break_earliest=None, break_latest=None,
                                                         break_minutes=0), base, key):
        found.append(Blocker(BREAK))
    if vd.spec.max_drive is not None and _fits(inst, vd, replace(vd.spec, max_drive=None), base, key):
        found.append(Blocker(MAX_DRIVE))
    return found or [Blocker(SHIFT)]


__all__ = ["BREAK", "Blocker", "DayOption", "MAX_DRIVE", "SHIFT", "SPACING", "VISIT", "day_options"]
