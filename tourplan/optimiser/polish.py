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
from collections.abc import Callable, Sequence

import numpy as np

from tourplan.optimiser import engine

#: visits of the nearest requests a ruin may reach from its seed visit
NEIGHBOURS = 40
#: left-out visits a recreate tries to add
EXTRAS = 4


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
        # A published visit kept where the public was told stays on that van-day.
        self.home = {v: pub[0] for v, pub in state.published.items() if state.kept(v)}

    def arc(self, k: int, a: int | None, b: int | None) -> float:
        la = self.depot[k] if a is None else self.loc[a]
        row = self._rows.get(la)
        if row is None:  # rows as Python lists, made when first needed: far faster to index
            row = self._rows[la] = self.km[la].tolist()
        return row[self.depot[k] if b is None else self.loc[b]]

    def route_ok(self, k: int, route: Sequence[int]) -> bool:
        key = (k, tuple(route))
        ok = self._ok.get(key)
        if ok is None:
            if len(self._ok) > 200_000:
                self._ok.clear()
            ok = self._ok[key] = self.st.timing(k, list(route)) is not None
        return ok

    def insert_ok(self, k: int, route: Sequence[int], p: int, c: int) -> bool:
        return self.route_ok(k, [*route[:p], c, *route[p:]])

    def latest(self, c: int) -> float:
        return 0.0  # days, not hours, order a season: the ruin's own order is kept

    def neighbours(self, c: int) -> Sequence[int]:
        return self.near_all(c)  # the engine skips those not served

    def prize(self, c: int) -> float:
        return float(self.st.priority(c))

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
        if c in self.home:
            return [self.home[c]]
        ri = st.visit_request[c]
        near = {where[v] for v in self.near_all(c) if v in where} | touched
        routes = self.st.routes
        # An idle van-day costs one position to try: always offered (room for a left-out visit).
        cands = [x for x in self.allowed[ri] if x in near or not routes.get(x)]
        if not st.spaced(ri):
            return cands
        ords = st.inst.van_days
        others = [ords[where[v]].ordinal for v in st.request_visits[ri] if v != c and v in where]
        others += st.history_ordinals[ri]
        return [x for x in cands if st.gap_ok(ri, ords[x].ordinal, others)]


def polish(state, *, deadline: float | None, seed: int | None, max_iterations: int | None = None,  # noqa: ANN001
           should_stop: Callable[[], bool] | None = None,
           knobs: engine.Knobs | None = None) -> dict[int, list[int]]:
    """Shorter routes for ``state``, its served set unchanged: the routes that changed, by
    van-day (empty when nothing shorter was found); the caller applies them."""
    space = TourSpace(state)
    before = [list(state.routes.get(k, [])) for k in range(space.vehicles)]
    rng = random.Random(0 if seed is None else seed)  # no seed: still the same order every run
    after = engine.improve(space, before, deadline=deadline, rng=rng, knobs=knobs,
                           max_iterations=max_iterations, should_stop=should_stop)
    if not {v for r in before for v in r} <= {v for r in after for v in r}:
        return {}  # never expected (the engine places every visit again): keep the incumbent
    if not engine.better(engine.score(space, after), engine.score(space, before)):
        return {}
    return {k: r for k, (r, old) in enumerate(zip(after, before, strict=True)) if r != old}
