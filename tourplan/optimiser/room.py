"""Making room: a left-out visit takes the place of a served one, which moves or gives way.

The windows and the km phase change many visits at a time and find few of these trades
in a live season, where most van-days hold published visits at their published times:
there a left-out visit (often one a change forced off its day) fits only where one
visit steps aside.  This pass tries, for each left-out visit, every allowed van-day and
every visit of it, and every two: the left-out one goes in when they go elsewhere (any
van-day their rules allow, back to the published one first) or, failing that, are left out,
and the trade is made when it raises served priority − move cost × moved.  The same
chains a human makes from the desk's "what blocks it" table, one level deep.

A visit stepping aside often frees more than the one place: a long published visit of a
full day gives way to two shorter ones.  Each trade therefore refills the freed day with
the other left-out visits that now fit there, and is judged with them: one published visit
moved for two new ones pays where one for one does not.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

_EPS = 1e-9
#: left-out visits a freed day is refilled from, at most (the most valuable that fit it alone)
REFILL_CANDIDATES = 8


def make_room(st, deadline: float, should_stop: Callable[[], bool] | None = None) -> int:  # noqa: ANN001 (search.State)
    """Trades that raise ``st``'s objective (served priority − move cost × moved, then km),
    made in place until none is left or ``deadline`` (monotonic); returns how many."""
    room = _Room(st)
    made = 0
    progress = True
    while progress:
        progress = False
        todo = [v for v in range(len(st.inst.visits))
                if v not in st.where and v not in st.excluded and v not in st.locked]
        todo.sort(key=lambda v: -st.value(v))
        for v in todo:
            if time.monotonic() > deadline or (should_stop is not None and should_stop()):
                return made
            if v in st.where:
                continue
            trade = room.best_trade(v, deadline)
            if trade is not None:
                for vd, route in trade.items():
                    st.set_route(vd, route)
                room.forget()
                made += 1
                progress = True
    return made


class _Room:
    """The trades of one state.  Where a visit stepping aside would go, and which left-out
    visits fit a day once it has, do not depend on the visit coming in: they are kept until
    a trade changes the routes (most left-out visits find no trade, so most are asked again)."""

    def __init__(self, st) -> None:  # noqa: ANN001
        self.st = st
        self.allowed = [set(a) for a in st.allowed]
        self.forget()

    def forget(self) -> None:
        st = self.st
        self._away: dict[tuple[int, int], tuple[int, list[int], float] | None] = {}
        self._alone: dict[tuple[int, tuple[int, ...]], list[int]] = {}
        #: left-out visits, the most valuable first: those a freed day is refilled from
        self.left_out = sorted((u for u in range(len(st.inst.visits))
                                if u not in st.where and u not in st.excluded and u not in st.locked),
                               key=lambda u: -st.value(u))

    def best_trade(self, v: int, deadline: float) -> dict[int, list[int]] | None:
        """The best trade letting ``v`` in, as the routes it changes, or None."""
        st = self.st
        ri = st.visit_request[v]
        best: tuple[tuple[float, float], dict[int, list[int]]] | None = None
        for vd in st.allowed[ri]:
            if time.monotonic() > deadline:
                break
            if not _spacing_ok(st, v, vd, frozenset()):
                continue
            for score, change in self._trades_on(v, vd):
                if score[0] > _EPS and (best is None or score > best[0]):
                    best = (score, change)
        return None if best is None else best[1]

    def _trades_on(self, v: int, vd: int):  # noqa: ANN202 (a generator of (score, routes))
        """Ways ``v`` joins van-day ``vd``, as ((objective gained, −km added), routes changed):
        as it stands when it fits, else each served visit stepping aside (moving or left
        out), the day then refilled with the left-out visits that fit."""
        st = self.st
        route = st.routes.get(vd, [])
        gain = _gain_at(st, v, vd)
        direct = _fits(st, vd, route, v)
        if direct is not None:  # fits as it stands (the insertion pass's job, taken here too)
            yield (gain, -direct[0]), {vd: direct[1]}
            return
        km_before = st.route_km(vd, route)
        movable = [w for w in route if w not in st.locked and st.visit_request[w] != st.visit_request[v]]
        groups = [(w,) for w in movable] + list(itertools.combinations(movable, 2))
        for gone in groups:
            rest = [x for x in route if x not in gone]
            placed = _fits(st, vd, rest, v)
            if placed is None:
                continue
            gained = gain
            km = placed[0] + st.route_km(vd, rest) - km_before
            change = {vd: placed[1]}
            for w in gone:
                gained -= _gain_at(st, w, vd)  # w leaves vd: its priority, and its move if it was home
                moved = self._relocate(w, vd)
                if moved is not None and moved[0] not in change:  # two never go to one day
                    wd, wroute, wkm = moved
                    gained += _gain_at(st, w, wd)
                    km += wkm
                    change[wd] = wroute
                elif not _droppable(st, w):
                    break  # w can neither move nor give way: no trade
            else:
                score = (gained, -km)
                if score[0] <= _EPS:
                    score, change = self._refill(vd, gone, v, score, change)
                yield score, change

    def _refill(self, vd: int, gone: tuple[int, ...], v: int, score: tuple[float, float],
                change: dict[int, list[int]]) -> tuple[tuple[float, float], dict[int, list[int]]]:
        """``change`` (``v`` in ``vd`` for the visits ``gone``) with the day also taking the
        left-out visits that still fit there, and its score with them."""
        st = self.st
        gained, km = score
        route = change[vd]
        requests = {st.visit_request[v], *(st.visit_request[w] for w in gone)}
        for u in self._fits_without(vd, gone):
            ri = st.visit_request[u]
            if u == v or ri in requests:
                continue
            placed = _fits(st, vd, route, u)
            if placed is None:
                continue
            route = placed[1]
            gained += _gain_at(st, u, vd)
            km -= placed[0]
            requests.add(ri)
        return (gained, km), {**change, vd: route}

    def _fits_without(self, vd: int, gone: tuple[int, ...]) -> list[int]:
        """The most valuable left-out visits (at most ``REFILL_CANDIDATES``) that fit van-day
        ``vd`` once the visits ``gone`` have left it, each alone, their spacing kept."""
        key = (vd, gone)
        if key not in self._alone:
            st = self.st
            rest = [x for x in st.routes.get(vd, []) if x not in gone]
            away = {st.visit_request[w] for w in gone}
            found = self._alone[key] = []
            for u in self.left_out:
                if len(found) == REFILL_CANDIDATES:
                    break
                if (vd in self.allowed[st.visit_request[u]] and st.visit_request[u] not in away
                        and _spacing_ok(st, u, vd, frozenset()) and _fits(st, vd, rest, u) is not None):
                    found.append(u)
        return self._alone[key]

    def _relocate(self, w: int, away: int) -> tuple[int, list[int], float] | None:
        """Where ``w`` goes once it leaves van-day ``away``: its published van-day first, else
        the one it adds the fewest km to.  The answer holds whatever comes into ``away``
        (``w`` never goes back there), and a trade never sends two visits to one day."""
        key = (w, away)
        if key not in self._away:
            self._away[key] = _relocate(self.st, w, away)
        return self._away[key]


def _gain_at(st, v: int, vd: int) -> float:  # noqa: ANN001
    """What serving ``v`` on ``vd`` adds to the objective (its move back, for a published one)."""
    pub = st.published.get(v)
    back = st.move_cost if pub is not None and pub[0] == vd else 0.0
    return st.priority(v) + back


def _fits(st, vd: int, route: list[int], v: int) -> tuple[float, list[int]] | None:  # noqa: ANN001
    """Cheapest feasible insertion of ``v`` in ``route`` on ``vd``: (km added, new route)."""
    base = st.route_km(vd, route)
    best = None
    trials = sorted((st.route_km(vd, route[:p] + [v] + route[p:]) - base, p) for p in range(len(route) + 1))
    for km, p in trials:
        trial = route[:p] + [v] + route[p:]
        if st.timing(vd, trial) is not None:
            best = (km, trial)
            break
    return best


def _spacing_ok(st, v: int, vd: int, skip: frozenset[int]) -> bool:  # noqa: ANN001
    ri = st.visit_request[v]
    if not st.spaced(ri):
        return True
    return st.gap_ok(ri, st.inst.van_days[vd].ordinal, st.served_ordinals(ri, skip | {v}))


def _droppable(st, w: int) -> bool:  # noqa: ANN001
    """May give its place up and stay left out: not required, and no rhythm to keep (leaving
    one visit of a rhythm out could leave its neighbours too far apart)."""
    req = st.inst.problem.requests[st.visit_request[w]]
    return not req.required and req.max_days_between is None


def _relocate(st, w: int, away: int) -> tuple[int, list[int], float] | None:  # noqa: ANN001
    """Where ``w`` goes once it leaves van-day ``away``: its published van-day first, else the
    one it adds the fewest km to."""
    ri = st.visit_request[w]
    pub = st.published.get(w)
    home = pub[0] if pub is not None else None
    best: tuple[tuple[int, float], int, list[int]] | None = None
    for wd in st.allowed[ri]:
        if wd == away or not _spacing_ok(st, w, wd, frozenset({w})):
            continue
        placed = _fits(st, wd, st.routes.get(wd, []), w)
        if placed is None:
            continue
        key = (0 if wd == home else 1, placed[0])
        if best is None or key < best[0]:
            best = (key, wd, placed[1])
    if best is None:
        return None
    return best[1], best[2], best[0][1]
