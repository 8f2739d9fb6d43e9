"""The search's knobs, in a module of their own (no OR-Tools import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """Knobs of the search, measured on the tour benchmarks (bench/tours.py); each field says
    what it sets.  The defaults are what :func:`tourplan.optimiser.solve` uses.
    """

    flat_van_days: int = 20  # up to this many van-days, one model for the whole season
    block_van_days: int = 15  # otherwise blocks of about this many van-days (a week of three vans)
    construct_share: float = 0.5  # of the time limit, for the rolling construction
    #: a long season has at least this many blocks (lot-annee-2027: 41; the others: 1 to 7).
    #: Its km phase is far from done when the time is up, so it gets more of the time:
    long_season_blocks: int = 12
    #: - its construction spends at most this long on each block (a year at 120 s had 41
    #:   blocks of 1.5 s); a short season keeps its share: lozere-printemps (3 blocks of 1.6 s
    #:   at 10 s) served 3 points less when capped;
    construct_block_seconds: float = 1.0
    #: - the last part of its km phase goes to trading places (engine.exchange: 1–2 % fewer
    #:   km on lot-annee); a short season's ruins still gain more in that time (charente-duo:
    #:   12.52 km per point without, 12.75 with 15 %)
    exchange_share: float = 0.15
    #: - and after the exchanges, the left-out visits that now fit are put in with this much
    #:   of the km phase still to come, for the ruins to place them well (0.3 before the
    #:   larger late ruins: 0.4 gave 11.46 / 11.42 km per point on lot-annee, 0.5 11.49);
    refill_share: float = 0.4
    #: - and those last ruins remove this many visits on average (engine.Knobs.removed, 10:
    #:   what a year's routes of two or three visits had settled into, only larger ruins
    #:   undo; lot-annee 11.66 / 11.69 km per point with 10, 11.57 / 11.54 with 30, 11.65
    #:   with 40; 20 from the start of the phase gained nothing)
    late_removed: int = 30
    #: every season's km phase: how much worse a ruin and recreate may leave the km and still
    #: be followed (engine.Knobs.accept, shrinking to 0): none.  The engine's 1 % suits one
    #: Solomon instance, where a ruin remakes a good part of the routes; a season has dozens
    #: to hundreds of van-days and a ruin remakes a few, so 1 % of the season let nearly
    #: every worse recreate through and the phase drifted for most of its time.  Side by
    #: side, 10 s: lozere-printemps 11.87 → 11.30 km per point, charente-duo 12.98 → 12.32, a
    #: held-out Lozère with 3 vans 10,314–10,601 km → 9,950–10,167 (0.05 %: 10,062 / 10,198;
    #: 0.2 %: 10,191 / 10,197); lot-annee at 120 s 11.22–11.73 (11.42–11.79 before)
    km_accept: float = 0.0
    cap_factor: float = 5.0  # candidates per block: this many times 3 visits per van-day
    improve_cap_factor: float = 2.0  # the same for the improvement windows (smaller: faster km moves)
    sweeps: int = 1  # improvement sweeps the remaining time is shared between
    polish_share: float = 0.45  # of the time limit, at the end: served set frozen, ruin and recreate for km
    #: with max_iterations: ruin-and-recreate iterations of the km phase per improvement window
    polish_iterations_per_window: int = 10
    #: with max_iterations: the OR-Tools solutions each window may look at (the clock is not read)
    solutions_per_window: int = 400
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    first_strategy: str = "PARALLEL_CHEAPEST_INSERTION"
