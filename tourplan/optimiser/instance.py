"""Derived instance data: what the routing layers need, computed once from a Problem.

* unique locations with km and whole-minute travel matrices (numpy);
* the van-days that may go out, numbered;
* for every request, the van-days that could serve one of its visits *alone*
  (equipment, service day, windows, weekdays, hours, reachable and back within
  the shift with the break) — a routing model never considers any other pairing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tourplan.optimiser.schedule import DaySpec, StopSpec, schedule_day, schedule_day_rounded
from tourplan.problem import EARTH_RADIUS_KM, Point, Problem, Van, Visit


@dataclass(frozen=True)
class VanDay:
    index: int
    van: Van
    van_index: int
    day: date
    ordinal: int  # date.toordinal(), for gaps between recurring visits
    spec: DaySpec


@dataclass
class Instance:
    problem: Problem
    points: list[Point]
    km: np.ndarray  # float64, km between locations
    minutes: np.ndarray  # float64, exact driving minutes
    leg: np.ndarray  # int32, driving minutes rounded to nearest
    van_days: list[VanDay]
    request_loc: list[int]
    van_loc: list[int]
    #: per request index: indices of van-days that could serve one visit alone
    allowed: list[list[int]] = field(default_factory=list)
    #: per van index: request indices whose visit that van can serve alone on some day-agnostic basis
    alone_ok: list[set[int]] = field(default_factory=list)
    #: the same with every leg one minute shorter (what a checker tolerates): a visit outside
    #: ``alone_ok`` but inside this is only just out of reach, not "too far for a day"
    alone_lenient: list[set[int]] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    request_index: dict[str, int] = field(default_factory=dict)

    def leg_minutes(self, a: int, b: int) -> int:
        return int(self.leg[a, b])

    def route_km(self, locs: list[int]) -> float:
        return float(sum(self.km[a, b] for a, b in zip(locs, locs[1:], strict=False)))

    def stop_spec(self, r: int, van: Van) -> StopSpec:
        req = self.problem.requests[r]
        lo, hi = req.hours_on(van)
        return StopSpec(self.request_loc[r], req.duration, lo, hi - req.duration)

    def schedule(self, vd: VanDay, stops: list[StopSpec], *, rounded: bool = False):
        if rounded:
            return schedule_day_rounded(vd.spec, stops, self.leg_minutes)
        return schedule_day(vd.spec, stops, self.leg_minutes)


def day_spec(van: Van, depot: int) -> DaySpec:
    """What a day of ``van`` allows (shift, break, driving limit), its depot at location ``depot``.

    The one translation of a van into the scheduler's terms: the optimiser's van-days, the
    blockers and the hand moves (:mod:`tourplan.moves`) all use it.
    """
    b = van.break_
    return DaySpec(
        depot=depot,
        shift_start=van.shift_start,
        shift_end=van.shift_end,
        break_earliest=b.earliest if b else None,
        break_latest=b.latest if b else None,
        break_minutes=b.minutes if b else 0,
        max_drive=van.max_drive_minutes,
    )


def _haversine_matrix(pts: list[Point]) -> np.ndarray:
    lat = np.radians(np.array([p.lat for p in pts]))
    lon = np.radians(np.array([p.lon for p in pts]))
    dlat = lat[None, :] - lat[:, None]
    dlon = lon[None, :] - lon[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def build_instance(problem: Problem) -> Instance:
    key_to_loc: dict[tuple[int, int], int] = {}
    points: list[Point] = []

    def loc(p: Point) -> int:
        k = (round(p.lat * 1e6), round(p.lon * 1e6))
        if k not in key_to_loc:
            key_to_loc[k] = len(points)
            points.append(p)
        return key_to_loc[k]

    van_loc = [loc(v.depot) for v in problem.vans]
    request_loc = [loc(r.location) for r in problem.requests]
    travel = problem.travel
    if travel.model == "matrix":
        rows = [travel.point_index(p) for p in points]
        kmm = np.array(travel.km_matrix, dtype=np.float64)[np.ix_(rows, rows)]
        mins = np.array(travel.minutes_matrix, dtype=np.float64)[np.ix_(rows, rows)]
    else:
        kmm = _haversine_matrix(points) * travel.circuity
        mins = kmm / travel.speed_kmh * 60.0
    leg = np.floor(mins + 0.5).astype(np.int32)

    van_days = []
    for v, d in problem.van_days:
        vi = problem.vans.index(v)
        van_days.append(VanDay(len(van_days), v, vi, d, d.toordinal(), day_spec(v, van_loc[vi])))

    inst = Instance(problem, points, kmm, mins, leg, van_days, request_loc, van_loc)
    inst.visits = list(problem.visits)
    inst.request_index = {r.id: i for i, r in enumerate(problem.requests)}
    inst.alone_ok = [set() for _ in problem.vans]
    inst.alone_lenient = [set() for _ in problem.vans]
    lenient = np.maximum(0, np.ceil(mins - 1.0 - 1e-9)).astype(np.int32)
    for ri, req in enumerate(problem.requests):
        for vi, van in enumerate(problem.vans):
            if van.carries(req.equipment):
                if _alone(inst, vi, ri, inst.leg_minutes):
                    inst.alone_ok[vi].add(ri)
                    inst.alone_lenient[vi].add(ri)
                elif _alone(inst, vi, ri, lambda a, b: int(lenient[a, b])):
                    inst.alone_lenient[vi].add(ri)
    by_van_ok = [inst.alone_ok[vi] for vi in range(len(problem.vans))]
    inst.allowed = [
        [vd.index for vd in van_days if ri in by_van_ok[vd.van_index] and req.accepts_day(vd.day)]
        for ri, req in enumerate(problem.requests)
    ]
    return inst


def _alone(inst: Instance, vi: int, ri: int, legs) -> bool:
    van = inst.problem.vans[vi]
    spec = day_spec(van, inst.van_loc[vi])
    st = inst.stop_spec(ri, van)
    if st.start_hi < st.start_lo:
        return False
    return schedule_day(spec, [st], legs) is not None
