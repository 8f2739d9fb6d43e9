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
    #: a season of at least this many blocks spends at most ``construct_block_seconds`` on
    #: each (a year at 120 s: 41 blocks of 1.5 s); what it leaves goes to the km phase, which
    #: on such a season is far from done when the time is up.  A short season keeps its
    #: share: lozere-printemps (3 blocks of 1.6 s at 10 s) served 3 points less when capped.
    construct_cap_blocks: int = 12
    construct_block_seconds: float = 1.0
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
