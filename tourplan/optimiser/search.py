"""Search: cut the season into windows of consecutive van-days, route each with OR-Tools.

1. Construction — a rolling pass over time: each block (about a week, or the
   whole season when it is small) gets the visits still unserved that it may
   serve, capped to the most promising few times its room, leaving out visits
   costs ``priority * M`` plus a bonus for visits whose remaining days are few.
2. Improvement — windows of two consecutive blocks re-optimised, warm-started
   from the current routes, with every unserved visit they may take; a window's
   result replaces the incumbent only if it serves more priority, or as much
   with fewer km.
3. Insertion — any unserved visit that still fits somewhere (exact schedule
   check) is inserted where it adds the fewest km.
4. Making room (a live season only) — a left-out visit takes the place of a served one
   that moves to another van-day or gives way, when that raises the objective
   (:mod:`room`): the trades the windows and the km phase seldom find where the days
   are held at their published times.
5. Km phase — the last ``Tuning.polish_share`` of the time: the one engine's
   ruin and recreate (:mod:`polish`, :mod:`engine`, the same as the Solomon
   yardstick's) moves visits across days and vans and reorders routes, never
   dropping a served visit and adding left-out ones near each ruin (on a long season,
   the end of this phase goes to visits trading places between full days); then
   insertion once more.

Published visits (problem-format v2) are soft pins: they start on their van-day at
their published time (the state is seeded with them), and every model offers each
one twice, *kept* (its van-day, its start within the slack, at no cost) or *moved*
(any other van-day, at ``move_cost`` priority points).  A window's result is kept
only if it raises served priority − move_cost × moved, or keeps it with fewer km.

The state holds visit indices per van-day; :mod:`schedule` decides every time.
"""

from __future__ import annotations

import bisect
import random
import time as _time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from tourplan.optimiser.diagnose import locked_reason, static_reason
from tourplan.optimiser.instance import Instance
from tourplan.optimiser.model import GapPair, Node, big_m, solve_model
from tourplan.optimiser.schedule import StopSpec, Timing
from tourplan.optimiser.tuning import Tuning

Progress = Callable[[int, int, float, float], None]


@dataclass
class State:
    inst: Instance
    routes: dict[int, list[int]] = field(default_factory=dict)  # van-day -> visit indices in order
    where: dict[int, int] = field(default_factory=dict)  # visit -> van-day
    locked: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # visit -> (van-day, lo, hi)
    excluded: dict[int, tuple[str, str]] = field(default_factory=dict)  # visit -> (reason, detail)
    visit_request: list[int] = field(default_factory=list)
    request_visits: list[list[int]] = field(default_factory=list)
    _spec_cache: dict[tuple[int, int], StopSpec] = field(default_factory=dict)
    seeded: bool = False  # routes came from an earlier plan: skip construction
    #: published (not locked) visit -> (its published van-day, or None if that van-day is gone; start)
    published: dict[int, tuple[int | None, int]] = field(default_factory=dict)
    #: per request index: day ordinals of its occurrences in history (held before the horizon)
    history_ordinals: list[list[int]] = field(default_factory=list)
    move_cost: float = 1.0
    #: per request index: the van-days it may take (the instance's, less the weekdays its rhythm excludes)
    allowed: list[list[int]] = field(default_factory=list)
    #: request index -> the start range every visit of a same-start rhythm keeps
    rhythm_start: dict[int, tuple[int, int]] = field(default_factory=dict)

    # -- queries --------------------------------------------------------- #
    def stop(self, v: int, vd: int) -> StopSpec:
        lk = self.locked.get(v)
        ri = self.visit_request[v]
        day = self.inst.van_days[vd]
        key = (ri, day.van_index)
        base = self._spec_cache.get(key)
        if base is None:
            base = self._spec_cache[key] = self.inst.stop_spec(ri, day.van)
        if lk is None:
            same = self.rhythm_start.get(ri)
            if same is not None:
                base = StopSpec(base.loc, base.duration, max(base.start_lo, same[0]), min(base.start_hi, same[1]))
            pub = self.published.get(v)
            if pub is None or pub[0] != vd:
                return base
            # On its published van-day a visit keeps its published start (within the slack).
            slack = self.inst.problem.stability.start_slack_minutes
            return StopSpec(base.loc, base.duration, max(base.start_lo, pub[1] - slack),
                            min(base.start_hi, pub[1] + slack))
        return StopSpec(base.loc, base.duration, max(base.start_lo, lk[1]), min(base.start_hi, lk[2]))

    def kept(self, v: int) -> bool:
        """A published visit still where the public was told (its start is held by ``stop``)."""
        pub = self.published[v]
        return pub[0] is not None and self.where.get(v) == pub[0]

    def moved(self) -> int:
        return sum(1 for v in self.published if not self.kept(v))

    def objective(self) -> float:
        """Served priority − move_cost × moved published visits (format § Version 2)."""
        return self.served_priority() - self.move_cost * self.moved()

    def value(self, v: int) -> float:
        """What leaving ``v`` out costs: its priority, and for a published visit its move."""
        return self.priority(v) + (self.move_cost if v in self.published else 0.0)

    def timing(self, vd: int, visits: list[int], *, rounded: bool = False) -> Timing | None:
        return self.inst.schedule(self.inst.van_days[vd], [self.stop(v, vd) for v in visits], rounded=rounded)

    def route_km(self, vd: int, visits: list[int]) -> float:
        if not visits:
            return 0.0
        depot = self.inst.van_days[vd].spec.depot
        locs = [depot] + [self.inst.request_loc[self.visit_request[v]] for v in visits] + [depot]
        return self.inst.route_km(locs)

    def priority(self, v: int) -> int:
        return self.inst.problem.requests[self.visit_request[v]].priority

    def served_priority(self) -> int:
        return sum(self.priority(v) for v in self.where)

    def total_km(self) -> float:
        return sum(self.route_km(vd, r) for vd, r in self.routes.items())

    def served_ordinals(self, ri: int, skip: set[int] | frozenset[int] = frozenset()) -> list[int]:
        """Days (ordinals) of the request's served visits outside ``skip``, and of its history."""
        return [
            self.inst.van_days[self.where[v]].ordinal
            for v in self.request_visits[ri]
            if v in self.where and v not in skip
        ] + self.history_ordinals[ri]

    def gap_ok(self, ri: int, ordinal: int, others: list[int]) -> bool:
        """A visit on day ``ordinal`` keeps the request's spacing and rhythm with the days ``others``."""
        return self.least_gap_ok(ri, ordinal, others) and self.most_gap_ok(ri, ordinal, others)

    def least_gap_ok(self, ri: int, ordinal: int, others: list[int]) -> bool:
        g = self.inst.problem.requests[ri].min_days_between
        return all(abs(ordinal - o) >= g for o in others)

    def most_gap_ok(self, ri: int, ordinal: int, others: list[int]) -> bool:
        """Consecutive to its neighbours: the days before and after it, whatever lies further."""
        most = self.inst.problem.requests[ri].max_days_between
        if most is None or not others:
            return True
        before = [o for o in others if o <= ordinal]
        after = [o for o in others if o >= ordinal]
        return (not before or ordinal - max(before) <= most) and (not after or min(after) - ordinal <= most)

    def spaced(self, ri: int) -> bool:
        req = self.inst.problem.requests[ri]
        return req.min_days_between > 0 or req.max_days_between is not None

    # -- changes --------------------------------------------------------- #
    def replace_routes(self, new: dict[int, list[int]]) -> None:
        """Replace several routes at once (visits may move between them)."""
        for vd in new:
            for v in self.routes.pop(vd, []):
                self.where.pop(v, None)
        for vd, visits in new.items():
            self.set_route(vd, visits)

    def set_route(self, vd: int, visits: list[int]) -> None:
        for v in self.routes.get(vd, []):
            self.where.pop(v, None)
        if visits:
            self.routes[vd] = list(visits)
            for v in visits:
                self.where[v] = vd
        else:
            self.routes.pop(vd, None)


def initial_state(inst: Instance) -> State:
    st = State(inst)
    p = inst.problem
    st.move_cost = p.stability.move_cost
    st.request_visits = [[] for _ in p.requests]
    st.history_ordinals = [[] for _ in p.requests]
    for h in p.history:
        st.history_ordinals[inst.request_index[h.request]].append(h.day.toordinal())
    for v, visit in enumerate(inst.visits):
        ri = inst.request_index[visit.request.id]
        st.visit_request.append(ri)
        st.request_visits[ri].append(v)
    visit_index = {visit.key: v for v, visit in enumerate(inst.visits)}
    vd_index = {(vd.van.id, vd.day): vd.index for vd in inst.van_days}
    static = {}
    for ri in range(len(p.requests)):
        r = static_reason(inst, ri)
        if r is not None:
            static[ri] = r
    _place_locked(st, visit_index, vd_index)
    for v in range(len(inst.visits)):
        ri = st.visit_request[v]
        if v not in st.locked and v not in st.excluded and ri in static:
            st.excluded[v] = (static[ri].reason, static[ri].detail)
    st.allowed = [list(a) for a in inst.allowed]
    _set_rhythms(st)
    _seed_published(st, visit_index, vd_index)
    return st


def _place_locked(st: State, visit_index: dict[tuple[str, int], int], vd_index: dict[tuple[str, date], int]) -> None:
    """Locked visits first: each must be keepable alone, keep the gap with earlier locked
    visits of its request, and fit with the other locked visits of its van-day."""
    inst, p = st.inst, st.inst.problem
    by_vd: dict[int, list[int]] = defaultdict(list)
    for lk in sorted(p.locked, key=lambda x: (x.day, x.start)):
        v = visit_index[(lk.request, lk.occurrence)]
        ri = st.visit_request[v]
        why = locked_reason(inst, ri, lk.van, lk.day, lk.start, lk.slack_minutes)
        if why is not None:
            st.excluded[v] = (why.reason, why.detail)
            continue
        vd = vd_index[(lk.van, lk.day)]
        if not st.gap_ok(ri, inst.van_days[vd].ordinal, st.served_ordinals(ri)):
            st.excluded[v] = ("locked_conflict", f"locked on {lk.van} {lk.day}, which breaks the spacing or rhythm "
                              "of its request with its other locked or held visits")
            continue
        st.locked[v] = (vd, lk.start - lk.slack_minutes, lk.start + lk.slack_minutes)
        trial = sorted(by_vd[vd] + [v], key=lambda x: st.locked[x][1])
        if st.timing(vd, trial) is None:
            del st.locked[v]
            st.excluded[v] = ("locked_conflict", f"locked on {lk.van} {lk.day}, but it cannot be kept together "
                              "with the other visits locked on that van-day")
            continue
        by_vd[vd] = trial
        st.set_route(vd, trial)


def _set_rhythms(st: State) -> None:
    """Fix each rhythm's weekday and start range up front: what history, locks and publication
    already say, else the weekday with room and the earliest start the request allows."""
    inst, p = st.inst, st.inst.problem
    load: dict[int, float] = defaultdict(float)  # minutes of rhythm visits given to each weekday
    service_days: dict[int, int] = defaultdict(int)
    for vd in inst.van_days:
        service_days[vd.day.isoweekday()] += 1
    pinned: dict[int, list[tuple[date, int]]] = defaultdict(list)  # request -> (day, start) told already
    for lk in p.locked:
        pinned[inst.request_index[lk.request]].append((lk.day, lk.start))
    for pub in p.published_by_visit.values():
        pinned[inst.request_index[pub.request]].append((pub.day, pub.start))
    order = sorted(range(len(p.requests)), key=lambda ri: -p.requests[ri].priority)
    for ri in order:
        req = p.requests[ri]
        if req.same_weekday and st.allowed[ri]:
            held = [date.fromordinal(o).isoweekday() for o in st.history_ordinals[ri]]
            told = [d.isoweekday() for d, _ in pinned[ri]]
            known = held or told
            if known:
                weekday = max(set(known), key=known.count)
            else:
                counts: dict[int, int] = defaultdict(int)
                for x in st.allowed[ri]:
                    counts[inst.van_days[x].day.isoweekday()] += 1
                need = len(st.request_visits[ri])
                weekday = min(counts, key=lambda w: (counts[w] < need,
                                                     load[w] / max(1, service_days[w]), -counts[w], w))
            st.allowed[ri] = [x for x in st.allowed[ri] if inst.van_days[x].day.isoweekday() == weekday]
            load[weekday] += req.duration * len(st.request_visits[ri])
        if req.same_start_within_minutes is not None:
            starts = [start for _, start in pinned[ri]]
            if starts:
                first = min(starts)
            else:
                first = min(
                    (max(st.inst.stop_spec(ri, vd.van).start_lo,
                         vd.spec.shift_start + inst.leg_minutes(vd.spec.depot, inst.request_loc[ri]))
                     for vd in (inst.van_days[x] for x in st.allowed[ri][:50])),
                    default=0,
                )
                first = -(-first // 15) * 15  # a round quarter, as published times are
            st.rhythm_start[ri] = (first, first + req.same_start_within_minutes)


def _seed_published(st: State, visit_index: dict[tuple[str, int], int],
                    vd_index: dict[tuple[str, date], int]) -> None:
    """Put each published visit back where the public was told, when it still fits there."""
    inst, p = st.inst, st.inst.problem
    for key, pub in p.published_by_visit.items():
        st.published[visit_index[key]] = (vd_index.get((pub.van, pub.day)), pub.start)
    allowed = [set(a) for a in st.allowed]
    for v, (vd, _start) in sorted(st.published.items(), key=lambda kv: (kv[1][0] or 0, kv[1][1])):
        ri = st.visit_request[v]
        if vd is None or v in st.excluded or vd not in allowed[ri]:
            continue  # forced off its day: the search places it again first (it costs the most)
        if not st.gap_ok(ri, inst.van_days[vd].ordinal, st.served_ordinals(ri)):
            continue
        route = st.routes.get(vd, [])
        trials = sorted(range(len(route) + 1), key=lambda i: 0 if i == _position_by_start(st, vd, route, v)
                        else 1)
        for pos in trials:
            trial = route[:pos] + [v] + route[pos:]
            if st.timing(vd, trial) is not None:
                st.set_route(vd, trial)
                break


def _position_by_start(st: State, vd: int, route: list[int], v: int) -> int:
    lo = st.stop(v, vd).start_lo
    return sum(1 for w in route if st.stop(w, vd).start_lo <= lo)


# --------------------------------------------------------------------------- #
# Blocks of van-days
# --------------------------------------------------------------------------- #


def make_blocks(inst: Instance, target_vehicles: int) -> list[list[int]]:
    """Consecutive ISO weeks merged until a block has about ``target_vehicles`` van-days."""
    weeks: dict[tuple[int, int], list[int]] = defaultdict(list)
    for vd in inst.van_days:
        weeks[vd.day.isocalendar()[:2]].append(vd.index)
    blocks: list[list[int]] = []
    cur: list[int] = []
    for key in sorted(weeks):
        cur += weeks[key]
        if len(cur) >= target_vehicles:
            blocks.append(cur)
            cur = []
    if cur:
        if blocks and len(cur) < target_vehicles // 2:
            blocks[-1] += cur
        else:
            blocks.append(cur)
    return blocks


def _greedy_count(ordinals: list[int], gap: int) -> int:
    n, last = 0, None
    for o in sorted(set(ordinals)):
        if last is None or o - last >= gap:
            n, last = n + 1, o
    return n


# --------------------------------------------------------------------------- #
# One window
# --------------------------------------------------------------------------- #


@dataclass
class Searcher:
    inst: Instance
    state: State
    deadline: float
    progress: Progress | None = None
    started: float = field(default_factory=_time.monotonic)
    cap_factor: float = 5.0
    tuning: Tuning | None = None
    should_stop: Callable[[], bool] | None = None
    #: reproducible mode: windows bounded by OR-Tools solutions, not seconds
    by_iterations: bool = False
    _last_report: float = 0.0
    _last_stop_check: float = 0.0
    _stopped: bool = False

    def heartbeat(self) -> None:
        """Called at each OR-Tools solution: report (the incumbent) at most once a second."""
        now = _time.monotonic()
        if self.progress is not None and now - self._last_report >= 1.0:
            self.report()

    def stop_requested(self) -> bool:
        """The caller's ``should_stop``, asked at most five times a second (OR-Tools asks very often)."""
        if self._stopped or self.should_stop is None:
            return self._stopped
        now = _time.monotonic()
        if now - self._last_stop_check >= 0.2:
            self._last_stop_check = now
            self._stopped = bool(self.should_stop())
        return self._stopped

    def report(self) -> None:
        self._last_report = _time.monotonic()
        if self.progress is not None:
            self.progress(
                self.state.served_priority(),
                self.inst.problem.total_priority,
                self.state.total_km(),
                _time.monotonic() - self.started,
            )

    def remaining(self) -> float:
        if self.stop_requested():
            return -1.0
        return self.deadline - _time.monotonic()

    def window(self, vds: list[int], seconds: float, *, construct: bool, later: dict[int, int] | None = None) -> bool:
        """Re-plan the van-days ``vds`` with OR-Tools; True if the incumbent improved."""
        w = _Window(self, vds)
        cands = w.candidates(construct, later or {})
        if not w.inside and not cands:
            return False
        w.build_nodes(cands)
        gaps = w.gap_pairs()
        initial = w.initial_routes() if w.inside and (not construct or self.state.published) else None
        seconds = min(seconds, self.remaining())
        if seconds <= 0.05:
            return False
        tn = self.tuning or Tuning()
        result = solve_model(self.inst, vds, w.nodes, time_limit=seconds, initial=initial, gaps=gaps,
                             metaheuristic=tn.metaheuristic, first_strategy=tn.first_strategy,
                             on_solution=self.heartbeat if self.progress is not None else None,
                             should_stop=self.stop_requested if self.should_stop is not None else None,
                             solution_limit=tn.solutions_per_window if self.by_iterations else None)
        return result is not None and w.accept(result)

    def _start_range(self, v: int, lo: int, hi: int) -> tuple[int, int]:
        """Widest start range over vans (each van-day's shift narrows it further)."""
        inst = self.inst
        req = inst.problem.requests[self.state.visit_request[v]]
        ranges = [req.hours_on(van) for van in inst.problem.vans]
        a = min(r[0] for r in ranges)
        b = max(r[1] for r in ranges) - req.duration
        return max(a, lo), min(b, hi)

    def _repair(self, vd: int, visits: list[int]) -> list[int]:
        """Drop visits (least priority first) until the exact schedule accepts the route."""
        st = self.state
        visits = list(visits)
        while visits and st.timing(vd, visits) is None:
            cands = sorted(range(len(visits)), key=lambda i: (visits[i] in st.locked, st.value(visits[i])))
            for i in cands:
                trial = visits[:i] + visits[i + 1:]
                if st.timing(vd, trial) is not None:
                    visits = trial
                    break
            else:
                visits.pop(cands[0])
        return visits

    def _gaps_hold(self, new_routes: dict[int, list[int]], inside: set[int]) -> bool:
        """Spacing and rhythm hold for every request the new routes touch, or lost a visit of."""
        st, inst = self.state, self.inst
        days: dict[int, list[int]] = defaultdict(list)
        for v in inside:
            days.setdefault(st.visit_request[v], [])
        for vd, r in new_routes.items():
            for v in r:
                days[st.visit_request[v]].append(inst.van_days[vd].ordinal)
        for ri, ords in days.items():
            if not st.spaced(ri):
                continue
            req = inst.problem.requests[ri]
            allo = sorted(ords + st.served_ordinals(ri, inside))
            pairs = list(zip(allo, allo[1:], strict=False))
            if any(b - a < req.min_days_between for a, b in pairs):
                return False
            if req.max_days_between is not None and any(b - a > req.max_days_between for a, b in pairs):
                return False
        return True

    # -- insertion ------------------------------------------------------- #
    def insert_unserved(self) -> int:
        """Greedy cheapest insertion of unserved visits, highest priority first; returns how many."""
        st, inst = self.state, self.inst
        todo = [v for v in range(len(inst.visits)) if v not in st.where and v not in st.excluded]
        todo.sort(key=lambda v: -st.value(v))
        count = 0
        for v in todo:
            if self.remaining() <= 0.05:
                break
            ri = st.visit_request[v]
            if v in st.locked:
                continue
            others = st.served_ordinals(ri)
            spaced = st.spaced(ri)
            best = None
            home = st.published[v][0] if v in st.published else None
            for vd in st.allowed[ri]:
                if spaced and not st.gap_ok(ri, inst.van_days[vd].ordinal, others):
                    continue
                route = st.routes.get(vd, [])
                base = st.route_km(vd, route)
                moves = 1 if v in st.published and vd != home else 0
                for pos in range(len(route) + 1):
                    trial = route[:pos] + [v] + route[pos:]
                    delta = (moves, st.route_km(vd, trial) - base)  # back where published first
                    if best is not None and delta >= best[0]:
                        continue
                    if st.timing(vd, trial) is not None:
                        best = (delta, vd, trial)
            if best is not None:
                st.set_route(best[1], best[2])
                count += 1
        return count


class _Window:
    """One window of van-days offered to a routing model: which visits, as which nodes, under
    which day constraints, and whether the model's answer beats the incumbent."""

    def __init__(self, searcher: Searcher, vds: list[int]) -> None:
        self.searcher, self.st, self.inst = searcher, searcher.state, searcher.inst
        self.p = self.inst.problem
        self.vds = vds
        self.vset = set(vds)
        self.vpos = {vd: i for i, vd in enumerate(vds)}
        self.inside = [v for vd in vds for v in self.st.routes.get(vd, [])]
        self.inside_set = set(self.inside)
        self.nodes: list[Node] = []
        self.refs: list[int] = []

    def allowed_for(self, v: int) -> list[int]:
        st, inst = self.st, self.inst
        if v in st.locked:
            return [self.vpos[st.locked[v][0]]]
        ri = st.visit_request[v]
        if not st.spaced(ri):
            return [self.vpos[x] for x in st.allowed[ri] if x in self.vset]
        # The most days between are judged against every other visit as it stands (the
        # current placement always passes, so the warm start is valid); the least days
        # between against those outside the window only (inside ones move together).
        outside = st.served_ordinals(ri, self.inside_set)
        around = st.served_ordinals(ri, {v})
        return [
            self.vpos[x] for x in st.allowed[ri]
            if x in self.vset and st.least_gap_ok(ri, inst.van_days[x].ordinal, outside)
            and st.most_gap_ok(ri, inst.van_days[x].ordinal, around)
        ]

    def candidates(self, construct: bool, later: dict[int, int]) -> list[tuple[tuple, int, list[int]]]:
        """Unserved visits this window may take, the most promising first, capped to its room."""
        st, inst = self.st, self.inst
        cands: list[tuple[tuple, int, list[int]]] = []
        for ri, vis in enumerate(st.request_visits):
            free = [v for v in vis if v not in st.where and v not in st.excluded and v not in st.locked]
            if not free:
                continue
            allowed = self.allowed_for(free[0])
            if not allowed:
                continue
            req = self.p.requests[ri]
            k = len(free)
            if req.min_days_between > 0:
                n_in = sum(1 for v in vis if v in self.inside_set)
                k = min(k, _greedy_count([inst.van_days[self.vds[a]].ordinal for a in allowed],
                                         req.min_days_between) - n_in)
            left_later = later.get(ri, 0)
            urgency = 3 if left_later == 0 else (2 if left_later <= len(allowed) else 0)
            rank = (urgency if construct else 0, req.priority, -len(allowed))
            cands.extend((rank, v, allowed) for v in free[: max(0, k)])
        cap = int(self.searcher.cap_factor * len(self.vds) * 3)
        cands.sort(key=lambda c: c[0], reverse=True)
        return cands[: max(0, cap - len(self.inside))]

    def build_nodes(self, cands: list[tuple[tuple, int, list[int]]]) -> None:
        st, p = self.st, self.p
        offered = self.inside_set | {c[1] for c in cands}
        n_total = len(self.inside) + len(cands) + sum(1 for v in offered if v in st.published)
        m = big_m(self.inst, n_total, len(self.vds))
        self.move = int(round(4 * m * st.move_cost))
        hard_pen = m * (4 * p.total_priority + 1) + self.move * len(st.published)
        for v in self.inside:
            req = p.requests[st.visit_request[v]]
            lk = st.locked.get(v)
            lo, hi = (lk[1], lk[2]) if lk else (0, 24 * 60)
            hard = v in st.locked or req.required
            self._add(v, self.allowed_for(v), hard_pen if hard else m * 4 * req.priority, lo, hi)
        for rank, v, allowed in cands:
            req = p.requests[st.visit_request[v]]
            self._add(v, allowed, hard_pen if req.required else m * (4 * req.priority + rank[0]), 0, 24 * 60)

    def _add(self, v: int, allowed: list[int], pen: int, lo: int, hi: int) -> None:
        """Offer ``v``: one node, or for a published visit a kept node and a moved one."""
        st, start_range = self.st, self.searcher._start_range
        ri = st.visit_request[v]
        pub = st.published.get(v)
        if pub is None:
            self._node(Node(v, ri, tuple(allowed), pen, *start_range(v, lo, hi)))
            return
        pen += self.move  # left out, a published visit is also moved
        home = self.vpos.get(pub[0]) if pub[0] is not None else None
        if home is None or home not in allowed:
            self._node(Node(v, ri, tuple(allowed), pen, *start_range(v, lo, hi), extra=self.move))
            return
        slack = self.p.stability.start_slack_minutes
        rest = [a for a in allowed if a != home]
        group = v if rest else None
        self._node(Node(v, ri, (home,), pen, *start_range(v, pub[1] - slack, pub[1] + slack), group=group))
        if rest:
            self._node(Node(v, ri, tuple(rest), pen, *start_range(v, lo, hi), extra=self.move, group=group))

    def _node(self, node: Node) -> None:
        self.nodes.append(node)
        self.refs.append(node.ref)

    def gap_pairs(self) -> list[GapPair]:
        st, refs = self.st, self.refs
        groups: dict[int, list[int]] = defaultdict(list)
        for pos, v in enumerate(refs):
            if st.spaced(st.visit_request[v]):
                groups[st.visit_request[v]].append(pos)

        gaps = []
        for ri, group in groups.items():
            if len({refs[pos] for pos in group}) < 2:
                continue
            req = self.p.requests[ri]
            group.sort(key=self._order)
            for i in range(len(group)):
                for j in range(i + 1, len(group)):
                    a, b = refs[group[i]], refs[group[j]]
                    if a != b:
                        between = tuple(group[k] for k in range(i + 1, j) if refs[group[k]] not in (a, b))
                        gaps.append(GapPair(group[i], group[j], req.min_days_between, req.max_days_between,
                                            between))
        return gaps

    def _order(self, pos: int) -> tuple[int, int]:
        """Served visits first in day order, candidates after: the warm start keeps the order."""
        st, v = self.st, self.refs[pos]
        if v in st.where:
            return (0, self.inst.van_days[st.where[v]].ordinal)
        if self.nodes[pos].extra == 0 and v in st.published and st.published[v][0] is not None:
            return (0, self.inst.van_days[st.published[v][0]].ordinal)
        return (1, 0)

    def initial_routes(self) -> list[list[int]]:
        """The incumbent as node positions (a kept published visit: its "kept" node)."""
        st = self.st
        pos_of: dict[int, int] = {}
        for i, v in enumerate(self.refs):
            if v not in pos_of or (v in st.where and self.vpos.get(st.where[v]) in self.nodes[i].vehicles):
                pos_of[v] = i
        return [[pos_of[v] for v in st.routes.get(vd, [])] for vd in self.vds]

    def accept(self, result: list[list[int]]) -> bool:
        """Take the model's routes if they raise served priority − move_cost × moved, or keep it
        with fewer km, and break no rule the model could not see."""
        st, searcher = self.st, self.searcher
        new_routes = {self.vds[i]: searcher._repair(self.vds[i], list(dict.fromkeys(self.refs[k] for k in route)))
                      for i, route in enumerate(result)}
        if not searcher._gaps_hold(new_routes, self.inside_set):
            return False
        if any(v in st.locked and all(v not in r for r in new_routes.values()) for v in self.inside):
            return False
        if len({v for r in new_routes.values() for v in r}) != sum(len(r) for r in new_routes.values()):
            return False  # a visit served twice (two of its nodes): never expected, never kept
        involved = {v for v in self.refs if v in st.published}
        new_at = {v: vd for vd, r in new_routes.items() for v in r}
        old_obj = sum(st.priority(v) for v in self.inside) - st.move_cost * sum(
            1 for v in involved if not st.kept(v))
        new_obj = sum(st.priority(v) for v in new_at) - st.move_cost * sum(
            1 for v in involved if new_at.get(v) != st.published[v][0])
        old_km = sum(st.route_km(vd, st.routes.get(vd, [])) for vd in self.vds)
        new_km = sum(st.route_km(vd, r) for vd, r in new_routes.items())
        if new_obj > old_obj + 1e-9 or (abs(new_obj - old_obj) <= 1e-9 and new_km < old_km - 1e-6):
            st.replace_routes(new_routes)
            return True
        return False


def run_search(inst: Instance, state: State, time_limit: float, progress: Progress | None,
               started: float, tuning: Tuning | None = None,
               should_stop: Callable[[], bool] | None = None, *,
               seed: int | None = None, max_iterations: int | None = None) -> State:
    """Construction, insertion, then improvement windows until the time limit — or, with
    ``max_iterations``, exactly that many improvement windows, each bounded by a number of
    OR-Tools solutions: the clock is then never read and the same seed gives the same plan.
    ``seed`` shuffles the order of the windows after the first sweep."""
    tn = tuning or Tuning()
    by_iterations = max_iterations is not None
    deadline = started + (10 * 365 * 86400 if by_iterations else time_limit)
    s = Searcher(inst, state, deadline, progress, started, cap_factor=tn.cap_factor, tuning=tn,
                 should_stop=should_stop, by_iterations=by_iterations)
    n_vd = len(inst.van_days)
    if n_vd == 0:
        return state
    flat = n_vd <= tn.flat_van_days
    blocks = [list(range(n_vd))] if flat else make_blocks(inst, tn.block_van_days)
    long_season = len(blocks) >= tn.long_season_blocks
    saved = _construct(s, state, blocks, tn, flat, long_season)
    s.insert_unserved()
    s.report()
    # Improvement: sweeps over windows of two consecutive blocks.
    windows = [blocks[0]] if flat else [blocks[i] + blocks[i + 1] for i in range(len(blocks) - 1)]
    rng = random.Random(seed)
    left = max_iterations if by_iterations else None
    polish_from = None if by_iterations else started + time_limit * (1 - tn.polish_share) - saved
    sweep = 0
    while (left > 0) if left is not None else s.remaining() > 0.5:
        until_polish = s.remaining() if polish_from is None else polish_from - _time.monotonic()
        if until_polish <= 0.5:
            break
        if sweep and seed is not None:
            rng.shuffle(windows)
        per = max(0.5, (until_polish - 0.3) / max(1, len(windows) * max(1, tn.sweeps - sweep)))
        if flat:
            per = until_polish - 0.3
        left = _sweep(s, windows, per, left, tn, polish_from)
        s.insert_unserved()
        sweep += 1
        if flat and sweep >= 1 and left is None:
            break
        if s.stop_requested():
            break
    _make_room(s)
    if long_season and not by_iterations:
        # The exchanges leave room in full days: the left-out visits that now fit go in while
        # the ruins still have the time to place them well (the last insertion has little).
        now = _time.monotonic()
        _polish(s, tn, seed, None, tn.exchange_share, until=now + (1 - tn.refill_share) * (s.deadline - now))
        s.insert_unserved()
        _polish(s, tn, seed, None, 0.0, removed=tn.late_removed)
    else:
        _polish(s, tn, seed, max_iterations, tn.exchange_share if long_season else 0.0)
    s.insert_unserved()
    _keep_spacing(state)
    s.report()
    return state


def _sweep(s: Searcher, windows: list[list[int]], per: float, left: int | None, tn: Tuning,
           until: float | None = None) -> int | None:
    """One pass of improvement over ``windows`` (until the monotonic time ``until``, when the
    km phase starts); returns the improvement windows still allowed."""
    for w in windows:
        room = s.remaining() if until is None else min(s.remaining(), until - _time.monotonic())
        if (left is not None and left <= 0) or room <= 0.5:
            break
        s.cap_factor = tn.improve_cap_factor
        s.window(w, min(per, room - 0.3), construct=False)
        s.report()
        if left is not None:
            left -= 1
    return left


def _make_room(s: Searcher) -> None:
    """A live season: left-out visits take the place of served ones that move (:mod:`room`)."""
    from tourplan.optimiser.room import make_room

    if s.state.published and not s.stop_requested():
        # At most a third of what is left: on a large season the km phase still gets its time.
        until = min(s.deadline - 0.3, _time.monotonic() + s.remaining() / 3)
        make_room(s.state, until, s.stop_requested if s.should_stop is not None else None)


def _polish(s: Searcher, tn: Tuning, seed: int | None, max_iterations: int | None, exchange_share: float,
            until: float | None = None, removed: int | None = None) -> None:
    """The km phase (:mod:`polish`): the served set frozen, the engine's ruin and recreate
    moves visits across van-days and reorders routes, then (``exchange_share`` of its time)
    visits trade places; kept only if every spacing holds.  ``removed``: visits a ruin removes
    on average, when not the engine's default; worse routes are accepted by ``tn.km_accept``."""
    from tourplan.optimiser import engine
    from tourplan.optimiser.polish import polish

    st = s.state
    if not st.routes or s.stop_requested():
        return
    iterations = None if max_iterations is None else tn.polish_iterations_per_window * max_iterations
    knobs = engine.Knobs(accept=tn.km_accept, removed=engine.Knobs.removed if removed is None else removed)
    proposal = polish(st, deadline=(s.deadline if until is None else until) - 0.2, seed=seed, max_iterations=iterations,
                      should_stop=s.stop_requested if s.should_stop is not None else None,
                      exchange_share=exchange_share, knobs=knobs)
    if not proposal:
        return
    inside = {v for vd in proposal for v in st.routes.get(vd, [])}
    if s._gaps_hold(proposal, inside):
        st.replace_routes(proposal)


def _construct(s: Searcher, state: State, blocks: list[list[int]], tn: Tuning, flat: bool,
               long_season: bool) -> float:
    """The rolling pass over time (skipped when an earlier plan seeded the state); returns
    the seconds of its share a long season leaves unspent (for the km phase)."""
    # Van-days each request still has after each block, for the urgency bonus.  Blocks are
    # runs of consecutive van-day indices (van-days are numbered by date).
    block_end = [max(vds) for vds in blocks]

    def later(b: int) -> dict[int, int]:
        return {ri: len(al) - bisect.bisect_right(al, block_end[b]) for ri, al in enumerate(state.allowed)}

    construct_share = tn.construct_share if not flat else 0.5
    per_block = max(0.2, s.remaining() * construct_share / len(blocks))
    saved = 0.0
    if long_season and not s.by_iterations and not state.seeded and per_block > tn.construct_block_seconds:
        saved = (per_block - tn.construct_block_seconds) * len(blocks)
        per_block = tn.construct_block_seconds
    for b, vds in enumerate([] if state.seeded else blocks):
        s.window(vds, min(per_block, s.remaining() - 0.1), construct=True, later=later(b))
        s.report()
        if s.remaining() <= 0.2:
            break
    return saved


def _keep_spacing(st: State) -> None:
    """Last guard: a request whose served visits break its spacing or rhythm loses its least
    valuable unlocked visits until they hold (every window already checks; this never fires
    unless a step above has a gap)."""
    inst = st.inst
    for ri, vis in enumerate(st.request_visits):
        if not st.spaced(ri):
            continue
        while True:
            served = [v for v in vis if v in st.where]
            bad = [v for v in served if not st.gap_ok(ri, inst.van_days[st.where[v]].ordinal,
                                                       st.served_ordinals(ri, {v}))]
            victims = [v for v in bad if v not in st.locked]
            if not victims:
                break
            v = min(victims, key=st.value)
            vd = st.where[v]
            st.set_route(vd, [w for w in st.routes[vd] if w != v])


def seed_from_plan(state: State, plan) -> int:  # noqa: ANN001
    """Take the routes of an earlier plan as the starting point (warm start); returns visits kept.

    Stops that no longer fit (changed problem) are dropped; locked visits stay where locked.
    """
    inst = state.inst
    visit_index = {visit.key: v for v, visit in enumerate(inst.visits)}
    vd_index = {(vd.van.id, vd.day): vd.index for vd in inst.van_days}
    kept = 0
    for route in plan.routes:
        vd = vd_index.get((route.van, route.day))
        if vd is None:
            continue
        visits: list[int] = []
        for stop in route.stops:
            v = visit_index.get(stop.key)
            if v is not None and _seedable(state, v, vd, visits):
                visits.append(v)
        # Locked visits of this van-day the old plan did not list go in by their start.
        visits += [v for v, (lvd, _lo, _hi) in state.locked.items() if lvd == vd and v not in visits]
        visits = Searcher(inst, state, _time.monotonic() + 1.0)._repair(vd, visits)
        if any(v in state.locked and v not in visits for v in state.routes.get(vd, [])):
            continue  # keep the locked-only route rather than lose a locked visit
        state.set_route(vd, visits)
        kept += len(visits)
    state.seeded = kept > 0
    return kept


def _seedable(state: State, v: int, vd: int, visits: list[int]) -> bool:
    """An earlier plan's visit may start on van-day ``vd`` after ``visits`` of that route."""
    if v in state.excluded or v in visits:
        return False
    if v in state.locked:
        return state.locked[v][0] == vd
    ri = state.visit_request[v]
    if v in state.where or vd not in set(state.allowed[ri]):
        return False
    ordinal = state.inst.van_days[vd].ordinal
    others = state.served_ordinals(ri) + [ordinal for w in visits if state.visit_request[w] == ri]
    return state.gap_ok(ri, ordinal, others)
