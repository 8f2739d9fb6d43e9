"""The one improvement engine: ruin and recreate around a descent (an iterated local search).

Both the tour search (:mod:`search`, its km phase) and the Solomon yardstick
(:mod:`vrptw`) call :func:`improve`; each gives a :class:`Space` saying what a
route is allowed to hold.  One iteration:

1. **ruin** — SISR-style (Christiaens & Vanden Berghe 2020): strings of
   consecutive customers are cut from the routes nearest a random seed customer
   (so the ruin follows geography, across days and vans alike);
2. **recreate** — the removed customers go back one by one where they add the
   fewest km (random, far-first or latest-window-first order, with "blinks": a little
   noise), or, every other iteration, by *regret*: the customer whose best
   place beats its second best the most goes first;
3. **descent** on the routes that changed only (the space's own, or
   :func:`descend`: relocate and 2-opt moves);
4. **threshold acceptance**: a worse solution is accepted by up to ``accept``
   (a fraction) at the start, shrinking to 0 at the end; the best is kept.

Every removed customer must be placed again (a recreate that cannot is thrown
away): the engine never drops a served customer.  Where some are left out (a tour
season), each recreate also tries the left-out customers near the ruin, so the
objective is lexicographic: prize served first (never lower), then km.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

Routes = list[list[int]]


class Space(Protocol):
    """What the engine needs to know about a routing problem.

    Routes are indexed by vehicle (a Solomon vehicle, a tour van-day); customers are ints.
    """

    #: number of routes (vehicles); a route may be empty
    vehicles: int
    #: True when vehicles are interchangeable (only the first empty one is worth trying)
    identical: bool
    #: True when a recreate adds the left-out customers before putting the removed ones back,
    #: so that a removed customer may give its place up to a more valuable one and go
    #: elsewhere (a published visit that moves for a visit worth more than the move)
    extras_first: bool

    def arc(self, k: int, a: int | None, b: int | None) -> float:
        """Cost of driving ``a`` → ``b`` on vehicle ``k`` (None: its depot)."""
        ...

    def route_ok(self, k: int, route: Sequence[int]) -> bool:
        """Every rule of one route holds (windows, shift, capacity ...)."""
        ...

    def insert_ok(self, k: int, route: Sequence[int], p: int, c: int) -> bool:
        """``route_ok(k, route[:p] + [c] + route[p:])``, answered faster where the space can
        (the recreate asks it for every promising position of every removed customer)."""
        ...

    def insertion_costs(self, k: int, route: Sequence[int], c: int) -> Sequence[float]:
        """For each position ``p`` of ``route``, the km ``c`` adds there: ``arc(a, c) +
        arc(c, b) - arc(a, b)`` with ``a``, ``b`` its neighbours (the recreate's inner loop,
        so a space computes it from its own tables)."""
        ...

    def latest(self, c: int) -> float:
        """How late ``c`` may be served (its window's end); the recreate sometimes places the
        latest first.  A constant keeps the ruin's own order."""
        ...

    def neighbours(self, c: int) -> Sequence[int]:
        """Other customers, nearest first (a few dozen are enough)."""
        ...

    def removable(self, c: int) -> bool:
        """False for customers pinned where they are (locked visits)."""
        ...

    def vehicles_for(self, c: int, where: dict[int, int], touched: set[int]) -> Sequence[int]:
        """Vehicles that may take ``c``, the others being where ``where`` says (a space may
        offer only the promising ones, but always those of ``touched``, the routes changed)."""
        ...

    def allows(self, c: int, k: int, where: dict[int, int]) -> bool:
        """Vehicle ``k`` may take ``c``, the others being where ``where`` says (its days,
        its spacing with the others of its request); the route's own rules aside."""
        ...

    def extras(self, removed: Sequence[int], where: dict[int, int]) -> Sequence[int]:
        """Customers left out that a recreate may add near ``removed``, most valuable first
        (none for a problem where every customer is served)."""
        ...

    def prize(self, k: int, c: int) -> float:
        """What serving ``c`` on vehicle ``k`` is worth: served prize first, km second
        (lexicographic).  A tour's published visit is worth less away from its van-day."""
        ...


@dataclass
class Knobs:
    """The engine's knobs (measured on Solomon and the tour benchmarks)."""

    accept: float = 0.01  # threshold acceptance: 1 % worse at the start, shrinking to 0
    removed: int = 10  # average number of customers removed per ruin
    string: int = 10  # longest string removed from one route
    regret_every: int = 2  # every n-th recreate is a regret insertion (0: never)
    blink: float = 0.01  # chance to skip a position in the greedy insertion
    #: chance that a ruin also empties the shortest route near its seed (one vehicle fewer
    #: is how distance-only optima are often reached, and a van-day saved is km saved)
    empty_route: float = 0.1


Descent = Callable[[Routes, list[int], float], Routes]


def route_cost(space: Space, k: int, route: Sequence[int]) -> float:
    prev: int | None = None
    total = 0.0
    for c in route:
        total += space.arc(k, prev, c)
        prev = c
    return total + space.arc(k, prev, None) if route else 0.0


def total_cost(space: Space, routes: Routes) -> float:
    return sum(route_cost(space, k, r) for k, r in enumerate(routes))


def score(space: Space, routes: Routes) -> tuple[float, float]:
    """(prize served, km): more prize first, then fewer km."""
    return sum(space.prize(k, c) for k, r in enumerate(routes) for c in r), total_cost(space, routes)


class _Scores:
    """:func:`score`, from each route's (prize, km) remembered: an iteration changes a few
    routes of hundreds, and summed in the same order the figures are the same to the bit."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.memo: dict[tuple[int, tuple[int, ...]], tuple[float, float]] = {}
        # Per vehicle, the route list last scored and its figures: the routes an iteration
        # did not touch are the very same lists (never changed in place, see ruin_recreate),
        # so most of a season's hundreds of routes are known without being read.
        self.last: dict[int, tuple[list[int], tuple[float, float]]] = {}

    def __call__(self, routes: Routes) -> tuple[float, float]:
        prize = km = 0.0
        memo, space, last = self.memo, self.space, self.last
        if len(memo) > 200_000:
            memo.clear()
        for k, r in enumerate(routes):
            if not r:
                continue
            seen = last.get(k)
            if seen is not None and seen[0] is r:
                known = seen[1]
            else:
                key = (k, tuple(r))
                known = memo.get(key)
                if known is None:
                    known = memo[key] = (sum(space.prize(k, c) for c in r), route_cost(space, k, r))
                last[k] = (r, known)
            prize += known[0]
            km += known[1]
        return prize, km


def better(a: tuple[float, float], b: tuple[float, float], allowance: float = 0.0) -> bool:
    """``a`` beats ``b``: more prize, or as much and km below ``b``'s (plus ``allowance``, a fraction)."""
    if a[0] != b[0]:
        return a[0] > b[0] + 1e-9
    return a[1] < b[1] * (1 + allowance) - 1e-9 * (allowance == 0)


def improve(space: Space, routes: Routes, *, deadline: float | None, rng: random.Random,
            knobs: Knobs | None = None, descent: Descent | None = None,
            polish_all: Callable[[Routes, float], Routes] | None = None,
            max_iterations: int | None = None, should_stop: Callable[[], bool] | None = None,
            stats: dict[str, int] | None = None) -> Routes:
    """Shorten ``routes`` (one per vehicle) until ``deadline`` (monotonic seconds) or for
    ``max_iterations`` iterations (then the clock is never read: same seed, same result).

    ``descent(routes, changed, seconds)`` improves the changed routes (default
    :func:`descend`); ``polish_all(routes, seconds)``, when given, is tried on a new best.
    """
    kn = knobs or Knobs()
    best = current = [list(r) for r in routes]
    scores = _Scores(space)
    best_cost = current_cost = scores(best)
    clock = _Clock(deadline, max_iterations, should_stop)
    run = descent or (lambda r, ch, _s: descend(space, r, ch))
    it = 0
    while (budget := clock.next(it)) is not None:
        left, share = budget
        it += 1
        out = _draw(space, current, rng, kn, regret=bool(kn.regret_every) and it % kn.regret_every == 0)
        if out is None:
            continue  # twenty ruins in a row left someone without a place: draw again
        found = run(out[0], out[1], left)
        found_cost = scores(found)
        if polish_all is not None and better(found_cost, best_cost):
            found = polish_all(found, max(0.01, left))
            found_cost = scores(found)
        if better(found_cost, best_cost):
            best, best_cost = found, found_cost
        if better(found_cost, current_cost, kn.accept * share + 1e-12):
            current, current_cost = found, found_cost
    if stats is not None:  # for tuning: how many iterations fitted in the time
        stats["iterations"] = it
    return best


class _Clock:
    """When the engine stops: at a deadline, or after a number of iterations (the clock then
    never read); ``next`` gives (seconds left, share of the run left) or None to stop."""

    def __init__(self, deadline: float | None, max_iterations: int | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.deadline, self.max_iterations, self.should_stop = deadline, max_iterations, should_stop
        self.span = None if deadline is None else max(1e-6, deadline - time.monotonic())

    def next(self, it: int) -> tuple[float, float] | None:
        if self.should_stop is not None and self.should_stop():
            return None
        if self.max_iterations is not None:
            return (1.0, 1.0 - it / self.max_iterations) if it < self.max_iterations else None
        left = (self.deadline or 0.0) - time.monotonic()
        return (left, left / (self.span or 1.0)) if left > 0.02 else None


def _draw(space: Space, routes: Routes, rng: random.Random, kn: Knobs, *, regret: bool
          ) -> tuple[Routes, list[int]] | None:
    """A ruin and recreate that places everyone (one that cannot is simply drawn again)."""
    for _ in range(20):
        out = ruin_recreate(space, routes, rng, kn, regret=regret)
        if out is not None:
            return out
    return None


def _ruin(space: Space, routes: Routes, rng: random.Random, kn: Knobs, where: dict[int, int]
          ) -> tuple[list[int], set[int]]:
    """Strings cut from the routes nearest a random seed customer: (removed, ruined routes).
    ``routes`` gets new lists for the ruined routes (the others are not touched) and
    ``where`` (customer -> route) loses the removed customers."""
    if not where:
        return [], set()
    used = [r for r in routes if r]
    avg_len = max(1.0, sum(map(len, used)) / max(1, len(used)))
    l_max = min(float(kn.string), avg_len)
    k_max = 4 * kn.removed / (1 + l_max) - 1
    k_routes = int(rng.uniform(1, k_max + 1))
    seed = _seed_customer(space, where, rng)
    if seed is None:
        return [], set()
    removed: list[int] = []
    ruined: set[int] = set()
    for c in [seed, *space.neighbours(seed)]:
        if len(ruined) >= k_routes:
            break
        k = where.get(c)
        if k is None or k in ruined:
            continue
        route = routes[k]
        size = int(rng.uniform(1, min(len(route), l_max) + 1))
        pos = route.index(c)
        first = rng.randint(max(0, pos - size + 1), min(pos, len(route) - size))
        cut = [x for x in route[first:first + size] if space.removable(x)]
        removed.extend(cut)
        routes[k] = [x for x in route if x not in cut]
        ruined.add(k)
    if ruined and rng.random() < kn.empty_route:
        k = min(ruined, key=lambda k: (len(routes[k]), k))
        cut = [x for x in routes[k] if space.removable(x)]
        removed.extend(cut)
        routes[k] = [x for x in routes[k] if x not in cut]
    for c in removed:
        del where[c]
    return removed, ruined


def _seed_customer(space: Space, where: dict[int, int], rng: random.Random) -> int | None:
    """A served customer the ruin may remove, drawn uniformly (None: there is none)."""
    served = list(where)
    if not served:
        return None
    # Most customers are removable: a few draws find one without filtering them all.
    for _ in range(8):
        c = served[rng.randrange(len(served))]
        if space.removable(c):
            return c
    movable = [c for c in served if space.removable(c)]
    return movable[rng.randrange(len(movable))] if movable else None


def _best_place(space: Space, routes: Routes, c: int, where: dict[int, int], touched: set[int],
                rng: random.Random, blink: float, second: bool = False,
                known: Callable[[int, int], tuple[float, int] | None] | None = None,
                ) -> tuple[float, int, int, float]:
    """Cheapest feasible (delta, vehicle, position) for ``c``, and the second-best delta
    (over other vehicles; with ``second`` every vehicle's best is checked, for regret).
    ``known(c, k)``, when given, answers for one vehicle in place of :func:`_best_in_route`
    (the regret insertion remembers the routes that did not change)."""
    best: tuple[float, int, int] | None = None
    runner_up = float("inf")
    empty_seen = False
    for k in space.vehicles_for(c, where, touched):
        route = routes[k]
        if not route:
            if space.identical and empty_seen:
                continue
            empty_seen = True
        if known is not None:
            here = known(c, k)
        else:
            bound = float("inf") if second or best is None else best[0]
            here = _best_in_route(space, k, route, c, bound, rng, blink)
        if here is None:
            continue
        if best is None or here[0] < best[0]:
            runner_up = min(runner_up, best[0]) if best is not None else runner_up
            best = (here[0], k, here[1])
        else:
            runner_up = min(runner_up, here[0])
    if best is None:
        return float("inf"), -1, -1, float("inf")
    return best[0], best[1], best[2], runner_up


def _best_in_route(space: Space, k: int, route: list[int], c: int, bound: float, rng: random.Random,
                   blink: float) -> tuple[float, int] | None:
    """Cheapest feasible (delta, position) of ``c`` in one route, if below ``bound``."""
    deltas = space.insertion_costs(k, route, c)
    positions = [p for p in range(len(deltas)) if not (blink and rng.random() < blink) and deltas[p] < bound]
    # Cheapest first (ties: the earliest position): the first that holds is the best, and
    # only the cheaper ones that do not hold are ever checked.
    positions.sort(key=deltas.__getitem__)
    for p in positions:
        if space.insert_ok(k, route, p, c):
            return deltas[p], p
    return None


def ruin_recreate(space: Space, routes: Routes, rng: random.Random, kn: Knobs, *,
                  regret: bool = False) -> tuple[Routes, list[int]] | None:
    """One ruin and recreate of ``routes``: the new routes and the vehicles changed, or None
    when a removed customer finds no place.

    ``routes`` is left as it is: the result holds new lists for the routes changed and the
    very same lists for the others (a season has hundreds of routes and an iteration
    changes a few).  No route list is ever changed in place once made, here or in
    :func:`descend`: a changed route is a new list (see _put)."""
    routes = list(routes)
    where = {c: k for k, r in enumerate(routes) for c in r}
    removed, touched = _ruin(space, routes, rng, kn, where)
    if space.extras_first:
        _add_extras(space, routes, removed, where, touched, rng)
    if regret:
        if not _regret_recreate(space, routes, removed, where, touched, rng):
            return None
        if not space.extras_first:
            _add_extras(space, routes, removed, where, touched, rng)
        return routes, sorted(touched)
    order = rng.randrange(3)
    if order == 0:
        rng.shuffle(removed)
    elif order == 1:
        removed.sort(key=lambda c: -space.arc(0, None, c))
    else:  # latest window end first (stable: a space without windows keeps the ruin's order)
        removed.sort(key=lambda c: -space.latest(c))
    for c in removed:
        _d, k, p, _s = _best_place(space, routes, c, where, touched, rng, kn.blink)
        if k < 0:
            return None
        _put(routes, where, touched, k, p, c)
    if not space.extras_first:
        _add_extras(space, routes, removed, where, touched, rng)
    return routes, sorted(touched)


def _regret_recreate(space: Space, routes: Routes, removed: list[int], where: dict[int, int],
                     touched: set[int], rng: random.Random) -> bool:
    """Regret-2 insertion: the customer that loses the most by waiting goes first (False when
    one finds no place).  Each customer's best place in each route is remembered until
    that route changes: one insertion changes one route, so a round costs one route per
    customer, not all of them."""
    changes: dict[int, int] = {}  # route -> insertions into it so far
    memo: dict[tuple[int, int], tuple[int, tuple[float, int] | None]] = {}

    def known(c: int, k: int) -> tuple[float, int] | None:
        seen = memo.get((c, k))
        if seen is None or seen[0] != changes.get(k, 0):
            seen = memo[c, k] = (changes.get(k, 0), _best_in_route(space, k, routes[k], c, float("inf"), rng, 0.0))
        return seen[1]

    todo = list(removed)
    while todo:
        scored = [(_best_place(space, routes, c, where, touched, rng, 0.0, second=True, known=known), c)
                  for c in todo]
        (_delta, k, p, _second), c = max(scored, key=lambda s: (s[0][3] - s[0][0], -s[0][0]))
        if k < 0:
            return False
        _put(routes, where, touched, k, p, c)
        changes[k] = changes.get(k, 0) + 1
        todo.remove(c)
    return True


def _add_extras(space: Space, routes: Routes, removed: list[int], where: dict[int, int],
                touched: set[int], rng: random.Random) -> None:
    """Left-out customers near the ruin, at their cheapest feasible place, if any."""
    out = set(removed)  # not served while the ruin holds them, but not left out either
    for c in (x for x in space.extras(removed, where) if x not in out):
        _d, k, p, _s = _best_place(space, routes, c, where, touched, rng, 0.0)
        if k >= 0:
            _put(routes, where, touched, k, p, c)


def _put(routes: Routes, where: dict[int, int], touched: set[int], k: int, p: int, c: int) -> None:
    """Insert ``c`` at position ``p`` of route ``k``, into a copy of it the first time the
    recreate touches it (the routes touched are the recreate's own lists: the ruined
    ones are new already)."""
    if k not in touched:
        routes[k] = list(routes[k])
        touched.add(k)
    routes[k].insert(p, c)
    where[c] = k


def descend(space: Space, routes: Routes, changed: Sequence[int]) -> Routes:
    """First-improvement descent on the changed routes: 2-opt and or-opt inside a route,
    relocation between them, until no move shortens them.  The routes it does not change
    stay the same lists; the ones it changes are new ones."""
    routes = list(routes)
    where = {c: k for k, r in enumerate(routes) for c in r} if len(changed) > 1 else {}
    improved = True
    while improved:
        improved = False
        for k in changed:
            better = _intra(space, k, routes[k])
            if better is not None:
                routes[k] = better
                improved = True
        if len(changed) > 1 and _relocate(space, routes, changed, where):
            improved = True
    return routes


def _intra(space: Space, k: int, route: list[int]) -> list[int] | None:
    base = route_cost(space, k, route)
    n = len(route)
    for i in range(n - 1):
        for j in range(i + 1, n):
            trial = route[:i] + route[i:j + 1][::-1] + route[j + 1:]
            if route_cost(space, k, trial) < base - 1e-9 and space.route_ok(k, trial):
                return trial
    for size in (1, 2, 3):
        for i in range(n - size + 1):
            seg, rest = route[i:i + size], route[:i] + route[i + size:]
            for p in range(len(rest) + 1):
                if p == i:
                    continue
                trial = rest[:p] + seg + rest[p:]
                if route_cost(space, k, trial) < base - 1e-9 and space.route_ok(k, trial):
                    return trial
    return None


def _relocate(space: Space, routes: Routes, changed: Sequence[int], where: dict[int, int]) -> bool:
    """Move one customer from a changed route to another where it saves km (``where``:
    each customer's route, kept up to date)."""
    for a in changed:
        for i, c in enumerate(routes[a]):
            if not space.removable(c):
                continue
            rest = routes[a][:i] + routes[a][i + 1:]
            gain = route_cost(space, a, routes[a]) - route_cost(space, a, rest)
            home = where.pop(c)  # where the others are, c aside (put back below)
            allowed = set(space.vehicles_for(c, where, set(changed)))
            where[c] = home
            for b in changed:
                if b == a or b not in allowed or not space.route_ok(a, rest):
                    continue
                base = route_cost(space, b, routes[b])
                for p in range(len(routes[b]) + 1):
                    trial = routes[b][:p] + [c] + routes[b][p:]
                    if route_cost(space, b, trial) - base < gain - 1e-9 and space.route_ok(b, trial):
                        routes[a], routes[b] = rest, trial
                        where[c] = b
                        return True
    return False


#: an exchange tries, for each customer of a route, the served customers of other routes
#: among this many nearest of each of the route's customers
PARTNERS = 40


def exchange(space: Space, routes: Routes, deadline: float | None = None,
             should_stop: Callable[[], bool] | None = None) -> Routes:
    """Exchange descent on the whole solution: two customers of two routes trade places
    (each at its cheapest feasible place in the other's route) where that saves km, until
    none does, ``deadline`` (monotonic; None: to the end) or ``should_stop()``.

    Where routes are full (a van-day holds two or three long visits) a customer can seldom
    move alone and the ruins seldom rebuild two routes crosswise; trading places is the
    move left.  A customer of route ``a`` is tried against the served customers near any of
    ``a``'s (a partner near ``a``'s others alone missed most of the trades on lot-annee),
    whatever route they are on.  The prize never drops (a published visit stays on its
    van-day unless the other is worth as much there)."""
    routes = list(routes)
    where = {c: k for k, r in enumerate(routes) for c in r}
    improved = True
    while improved:
        improved = False
        for a in range(len(routes)):
            while routes[a]:
                if (deadline is not None and time.monotonic() > deadline) or (should_stop and should_stop()):
                    return routes
                if not _trade_from(space, routes, a, where):
                    break
                improved = True
    return routes


def _trade_from(space: Space, routes: Routes, a: int, where: dict[int, int]) -> bool:
    """One exchange of a customer of route ``a`` that saves km, made in place (new lists)."""
    ra = routes[a]
    partners = _partners(space, ra, where, a)
    taken_out: dict[int, tuple[list[int], float]] = {}  # d -> (its route without it, km saved)

    def without(k: int, route: list[int], c: int) -> tuple[list[int], float]:
        rest = [x for x in route if x != c]
        return rest, route_cost(space, k, route) - route_cost(space, k, rest)

    for c in ra:
        if not space.removable(c):
            continue
        rest_a, out_c = without(a, ra, c)
        for d in partners:
            b = where[d]
            if d not in taken_out:
                taken_out[d] = without(b, routes[b], d)
            rest_b, out_d = taken_out[d]
            bound = out_c + out_d - 1e-9
            in_d = _best_in_route(space, a, rest_a, d, bound, _NO_BLINK, 0.0)
            if in_d is None or not space.allows(d, a, where):
                continue
            in_c = _best_in_route(space, b, rest_b, c, bound - in_d[0], _NO_BLINK, 0.0)
            if in_c is None or not space.allows(c, b, where):
                continue
            if space.prize(a, d) + space.prize(b, c) < space.prize(a, c) + space.prize(b, d):
                continue
            routes[a] = [*rest_a[:in_d[1]], d, *rest_a[in_d[1]:]]
            routes[b] = [*rest_b[:in_c[1]], c, *rest_b[in_c[1]:]]
            where[c], where[d] = b, a
            return True
    return False


def _partners(space: Space, near_of: Sequence[int], where: dict[int, int], a: int) -> list[int]:
    """Served customers of other routes among the nearest of ``near_of``'s, once each."""
    seen: dict[int, None] = {}
    for x in near_of:
        for d in space.neighbours(x)[:PARTNERS]:
            k = where.get(d)
            if k is not None and k != a and space.removable(d):
                seen[d] = None
    return list(seen)


_NO_BLINK = random.Random(0)  # for _best_in_route, which never draws from it with blink 0
