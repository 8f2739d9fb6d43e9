"""The km phase of the tour search: the engine (:mod:`engine`) on the season's routes.

The served set never shrinks: every visit the plan serves is served again (the engine
never drops one) and left-out visits near each ruin are added when they fit (served
priority first, then km); locked visits stay put, a published visit still on its published
van-day stays on it, and a visit of a spaced request only goes to days that keep its
spacing with its other visits.  Within those rules a visit may move to any van-day
its request allows — another van, another week — when that shortens the routes: the
ruin follows geography (visits near one another), not only the calendar, and vans
that share a territory stop crossing each other's routes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tourplan.optimiser import engine
from tourplan.optimiser.schedule import StopSpec

#: visits of the nearest requests a ruin may reach from its seed visit
NEIGHBOURS = 40
#: left-out visits a recreate tries to add
EXTRAS = 4
#: what a published visit's insertion away from its van-day counts, over its km: it stays
#: on its van-day whenever it still fits there
OFF_HOME_KM = 10_000.0


def _remembered[K, T](cache: dict[K, T], key: K, make: Callable[[], T], limit: int = 200_000) -> T:
    """``cache[key]``, made by ``make()`` the first time; a full cache starts again empty."""
    found = cache.get(key)
    if found is None:
        if len(cache) > limit:
            cache.clear()
        found = cache[key] = make()
    return found


@dataclass(slots=True)
class _Legs:
    """One route's legs, for the insertion costs: from each position's place (the depot, then
    each stop) its km row, the next place, the km and minutes to it; and, for a route that
    holds, the earliest end before and latest arrival at each position (see _legs_of)."""

    rows: list[list[float]]
    nexts: list[int]
    base: list[float]
    minute_rows: list[list[int]]
    minutes: list[int]
    drive: int
    ends: list[int] | None = None
    lates: list[int] | None = None


class TourSpace:
    """The season as an :class:`engine.Space`: one route per van-day, visits as customers."""

    identical = False

    def __init__(self, state) -> None:  # noqa: ANN001 (search.State: no import cycle)
        self.st = state
        inst = state.inst
        self.vehicles = len(inst.van_days)
        self.km = inst.km
        self.depot = [vd.spec.depot for vd in inst.van_days]
        self.loc = [inst.request_loc[ri] for ri in state.visit_request]
        self.allowed = [list(a) for a in state.allowed]
        self.allowed_set = [set(a) for a in state.allowed]
        self._ok: dict[tuple[int, tuple[int, ...]], bool] = {}
        self._near_all: dict[int, list[int]] = {}
        self._rows: dict[int, list[float]] = {}
        self._legs: dict[tuple[int, tuple[int, ...]], _Legs] = {}
        self._stops: dict[tuple[int, int], StopSpec] = {}
        self._minute_rows: dict[int, list[int]] = {}
        self.inst = inst
        self._idle: dict[int, set[int]] = {}
        # A published visit kept where the public was told: its van-day (leaving it costs the
        # move, see prize; it goes elsewhere only when its place went to a visit worth more).
        self.home = {v: pub[0] for v, pub in state.published.items() if state.kept(v)}
        self.extras_first = bool(self.home)

    def arc(self, k: int, a: int | None, b: int | None) -> float:
        return self._row(self.depot[k] if a is None else self.loc[a])[self.depot[k] if b is None else self.loc[b]]

    def _row(self, loc: int) -> list[float]:
        row = self._rows.get(loc)
        if row is None:  # rows as Python lists, made when first needed: far faster to index
            row = self._rows[loc] = self.km[loc].tolist()
        return row

    def insertion_costs(self, k: int, route: Sequence[int], c: int) -> list[float]:
        """The km ``c`` adds at each position, or infinity where it surely cannot go: over the
        driving limit, or ``c`` or the stop after it late even without the break (a break
        only delays, so what fails without it fails with it).  Most places a recreate
        looks at fail so, and this test is far cheaper than scheduling the day."""
        legs = self._route_legs(k, route)
        rows, nexts, base = legs.rows, legs.nexts, legs.base
        lc = self.loc[c]
        from_c = self._row(lc)
        deltas = [row[lc] + from_c[b] - ab for row, b, ab in zip(rows, nexts, base, strict=True)]
        home = self.home.get(c)
        if home is not None and home != k:  # away from its van-day only when it cannot stay
            deltas = [d + OFF_HOME_KM for d in deltas]
        if legs.ends is None:
            return deltas  # a route that does not hold (never offered by the engine): exact checks
        stop = self._stop(c, k)
        lo, hi, dur = stop.start_lo, stop.start_hi, stop.duration
        mins_c = self._mins(lc)
        max_drive = self.inst.van_days[k].spec.max_drive
        spare_drive = None if max_drive is None else max_drive - legs.drive
        inf = float("inf")
        for p, (prev_end, minute_row, b, ab, late) in enumerate(
                zip(legs.ends, legs.minute_rows, nexts, legs.minutes, legs.lates, strict=True)):
            to_c, back = minute_row[lc], mins_c[b]
            if spare_drive is not None and to_c + back - ab > spare_drive:
                deltas[p] = inf
                continue
            t = prev_end + to_c
            if t < lo:
                t = lo
            if t > hi or t + dur + back > late:
                deltas[p] = inf
        return deltas

    def _route_legs(self, k: int, route: Sequence[int]) -> _Legs:
        return _remembered(self._legs, (k, tuple(route)), lambda: self._legs_of(k, route))

    def _legs_of(self, k: int, route: Sequence[int]) -> _Legs:
        spec = self.inst.van_days[k].spec
        locs = [spec.depot, *(self.loc[v] for v in route), spec.depot]
        rows = [self._row(x) for x in locs[:-1]]
        minute_rows = [self._mins(x) for x in locs[:-1]]
        nexts = locs[1:]
        minutes = [row[b] for row, b in zip(minute_rows, nexts, strict=True)]
        legs = _Legs(rows, nexts, [row[b] for row, b in zip(rows, nexts, strict=True)], minute_rows, minutes,
                     sum(minutes))
        if not self.route_ok(k, route):
            return legs
        # Without the break, leaving at the shift start: the earliest each stop can end (the
        # first entry: the shift start) and the latest the van may reach each position.
        stops = [self._stop(v, k) for v in route]
        ends, t = [spec.shift_start], spec.shift_start
        for s, leg in zip(stops, minutes, strict=False):
            t = max(t + leg, s.start_lo) + s.duration
            ends.append(t)
        lates = [0] * len(stops) + [spec.shift_end]
        z = spec.shift_end
        for i in range(len(stops) - 1, -1, -1):
            z = lates[i] = min(stops[i].start_hi, z - minutes[i + 1] - stops[i].duration)
        legs.ends, legs.lates = ends, lates
        return legs

    def _stop(self, v: int, k: int) -> StopSpec:
        key = (v, k)
        stop = self._stops.get(key)
        if stop is None:
            stop = self._stops[key] = self.st.stop(v, k)
        return stop

    def _mins(self, loc: int) -> list[int]:
        row = self._minute_rows.get(loc)
        if row is None:
            row = self._minute_rows[loc] = self.inst.leg[loc].tolist()
        return row

    def route_ok(self, k: int, route: Sequence[int]) -> bool:
        return _remembered(self._ok, (k, tuple(route)), lambda: self.st.timing(k, list(route)) is not None)

    def insert_ok(self, k: int, route: Sequence[int], p: int, c: int) -> bool:
        return self.route_ok(k, [*route[:p], c, *route[p:]])

    def latest(self, c: int) -> float:
        return 0.0  # days, not hours, order a season: the ruin's own order is kept

    def neighbours(self, c: int) -> Sequence[int]:
        return self.near_all(c)  # the engine skips those not served

    def prize(self, k: int, c: int) -> float:
        """Its priority, less the move cost when a published visit leaves its van-day (the
        season's objective: served priority − move cost × moved)."""
        home = self.home.get(c)
        return float(self.st.priority(c)) - (self.st.move_cost if home is not None and home != k else 0.0)

    def extras(self, removed: Sequence[int], where: dict[int, int]) -> Sequence[int]:
        """Left-out visits of the requests near the removed ones, the most valuable first."""
        st = self.st
        out: dict[int, None] = {}
        for c in removed:
            for v in self.near_all(c):
                if v not in where and v not in st.excluded and v not in st.locked:
                    out[v] = None
        return sorted(out, key=lambda v: -st.value(v))[:EXTRAS]

    def near_all(self, c: int) -> list[int]:
        """Visits, served or not, of the requests nearest ``c``'s (a few dozen)."""
        near = self._near_all.get(c)
        if near is None:
            st = self.st
            loc = st.inst.request_loc
            ri = st.visit_request[c]
            order = np.argsort(self.km[loc[ri], [loc[x] for x in range(len(st.request_visits))]], kind="stable")
            near = []
            for rj in order:
                near += [v for v in st.request_visits[int(rj)] if v != c]
                if len(near) >= NEIGHBOURS:
                    break
            self._near_all[c] = near
        return near

    def removable(self, c: int) -> bool:
        return c not in self.st.locked

    def vehicles_for(self, c: int, where: dict[int, int], touched: set[int]) -> Sequence[int]:
        """Its allowed van-days that serve a visit near it, were just changed, or are idle: a
        visit goes where the vans already drive nearby (geography), on any day its rules allow."""
        st = self.st
        ri = st.visit_request[c]
        allowed = self.allowed_set[ri]
        near = {where[v] for v in self.near_all(c) if v in where} | touched
        # An idle van-day costs one position to try: always offered (room for a left-out visit).
        idle = self._idle.get(ri)
        if idle is None:
            idle = self._idle[ri] = {x for x in self.allowed[ri] if not st.routes.get(x)}
        cands = sorted({x for x in near if x in allowed} | idle)  # by van-day, as allowed is
        home = self.home.get(c)
        if home is not None:  # its own van-day first (its spacing held there already)
            cands = [home, *(x for x in cands if x != home)]
        if not st.spaced(ri):
            return cands
        ords = st.inst.van_days
        others = self._others(c, where)
        return [x for x in cands if x == home or st.gap_ok(ri, ords[x].ordinal, others)]

    def allows(self, c: int, k: int, where: dict[int, int]) -> bool:
        st = self.st
        ri = st.visit_request[c]
        if k not in self.allowed_set[ri]:
            return False
        if not st.spaced(ri) or k == self.home.get(c):
            return True
        return st.gap_ok(ri, self.inst.van_days[k].ordinal, self._others(c, where))

    def _others(self, c: int, where: dict[int, int]) -> list[int]:
        """Days (ordinals) of the other visits of ``c``'s request, where they are, and of its history."""
        st = self.st
        ri = st.visit_request[c]
        ords = self.inst.van_days
        days = [ords[where[v]].ordinal for v in st.request_visits[ri] if v != c and v in where]
        return days + st.history_ordinals[ri]


def polish(state, *, deadline: float | None, seed: int | None, max_iterations: int | None = None,  # noqa: ANN001
           should_stop: Callable[[], bool] | None = None, knobs: engine.Knobs | None = None,
           exchange_share: float = 0.0) -> dict[int, list[int]]:
    """Shorter routes for ``state``, its served set unchanged: the routes that changed, by
    van-day (empty when nothing shorter was found); the caller applies them.

    The ruins and recreates of the engine, then, for ``exchange_share`` of the time (all of
    it that is left, with ``max_iterations``), visits trading places (:func:`engine.exchange`)."""
    space = TourSpace(state)
    before = [list(state.routes.get(k, [])) for k in range(space.vehicles)]
    rng = random.Random(0 if seed is None else seed)  # no seed: still the same order every run
    ruins_until = None if deadline is None else deadline - exchange_share * max(0.0, deadline - time.monotonic())
    after = engine.improve(space, before, deadline=ruins_until, rng=rng, knobs=knobs,
                           max_iterations=max_iterations, should_stop=should_stop)
    if exchange_share > 0:
        after = engine.exchange(space, after, deadline=deadline, should_stop=should_stop)
    if not {v for r in before for v in r} <= {v for r in after for v in r}:
        return {}  # never expected (the engine places every visit again): keep the incumbent
    if not engine.better(engine.score(space, after), engine.score(space, before)):
        return {}
    return {k: r for k, (r, old) in enumerate(zip(after, before, strict=True)) if r != old}
