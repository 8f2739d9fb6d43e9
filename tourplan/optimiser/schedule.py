"""Exact timing of one van-day: given the order of its stops, when does everything happen?

This is the one place that decides the times written in a plan, so the plan is
right whatever the routing model believed.  It is also the fast feasibility test
used to insert visits and, later, for hand moves in the planning desk.

Semantics (problem-format v1): the van leaves the depot no earlier than the shift
start and is back no later than the shift end; each stop starts within its start
range and lasts its duration; the break (if the van has one) is a pause of
``minutes`` wholly within ``[earliest, latest]`` taken in one of the gaps between
two services (on the road or while waiting), never during a service.  Leg times
are whole minutes (the caller rounds them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DaySpec:
    """What a van-day allows: shift, break and driving limit."""

    depot: int  # location index
    shift_start: int
    shift_end: int
    break_earliest: int | None = None
    break_latest: int | None = None
    break_minutes: int = 0
    max_drive: float | None = None


@dataclass(frozen=True, slots=True)
class StopSpec:
    """One stop to schedule: where, how long, and the range its start may take."""

    loc: int
    duration: int
    start_lo: int
    start_hi: int


@dataclass(frozen=True, slots=True)
class Timing:
    leave: int
    back: int
    arrive: tuple[int, ...]
    start: tuple[int, ...]
    end: tuple[int, ...]
    break_start: int | None
    break_end: int | None
    drive_minutes: int


LegMinutes = Callable[[int, int], int]


def _simulate(day: DaySpec, stops: Sequence[StopSpec], legs: Sequence[int], leave: int, gap: int, step: int = 1):
    """Earliest times when the break is taken in gap ``gap`` (-1: no break); None if infeasible.

    Services start on a multiple of ``step`` minutes.
    """
    t = leave
    arrive: list[int] = []
    start: list[int] = []
    end: list[int] = []
    brk = None
    n = len(stops)
    for i in range(n + 1):
        d = legs[i]
        if i == gap:
            b = t if t > day.break_earliest else day.break_earliest
            if b + day.break_minutes > day.break_latest:
                return None
            arr = (t + d if t + d > b else b) + day.break_minutes
            brk = b
        else:
            arr = t + d
        if i == n:
            if arr > day.shift_end:
                return None
            return arrive, start, end, arr, brk
        s = stops[i]
        st = arr if arr > s.start_lo else s.start_lo
        if step > 1:
            st = -(-st // step) * step
        if st > s.start_hi:
            return None
        arrive.append(arr)
        start.append(st)
        end.append(st + s.duration)
        t = st + s.duration
    return None  # pragma: no cover - loop always returns


def schedule_day(
    day: DaySpec,
    stops: Sequence[StopSpec],
    leg_minutes: LegMinutes,
    step: int = 1,
) -> Timing | None:
    """Times of a van-day serving ``stops`` in this order, or None if it cannot be done.

    ``leg_minutes(a, b)`` gives the whole-minute driving time between locations
    (rounded to nearest); their sum is the day's stated driving and must keep
    within the van's limit.  With ``step`` > 1 every service starts on a multiple
    of ``step`` minutes (None if the day cannot hold that).
    """
    locs = [day.depot] + [s.loc for s in stops] + [day.depot]
    legs = [leg_minutes(a, b) for a, b in zip(locs, locs[1:], strict=False)]
    drive = sum(legs)
    if day.max_drive is not None and drive > day.max_drive:
        return None
    has_break = day.break_earliest is not None and day.break_minutes > 0
    gaps = range(len(stops) + 1) if has_break else (-1,)
    best = None
    best_gap = -1
    for gap in gaps:
        res = _simulate(day, stops, legs, day.shift_start, gap, step)
        if res is not None and (best is None or res[3] < best[3]):
            best, best_gap = res, gap
    if best is None:
        return None
    # Leave as late as the first start allows: the same day, less waiting at the first stop.
    if stops:
        first = best[1][0]
        later = first - legs[0] - (day.break_minutes if best_gap == 0 else 0)
        if later > day.shift_start:
            res = _simulate(day, stops, legs, later, best_gap, step)
            if res is not None and res[1][0] == first:
                return _timing(res, later, best_gap, day, drive)
    return _timing(best, day.shift_start, best_gap, day, drive)


def _timing(res, leave: int, gap: int, day: DaySpec, drive: int) -> Timing:
    arrive, start, end, back, brk = res
    return Timing(
        leave=leave,
        back=back,
        arrive=tuple(arrive),
        start=tuple(start),
        end=tuple(end),
        break_start=brk,
        break_end=None if brk is None else brk + day.break_minutes,
        drive_minutes=drive,
    )


#: Published times read better on round figures ("9 h 15", not "9 h 06"): the plan uses
#: the first of these steps a van-day can hold, the exact minute as a last resort.
PUBLIC_TIME_STEPS = (15, 5, 1)


def schedule_day_rounded(day: DaySpec, stops: Sequence[StopSpec], leg_minutes: LegMinutes) -> Timing | None:
    """Like :func:`schedule_day`, with service starts on the roundest step the day allows."""
    for step in PUBLIC_TIME_STEPS:
        timing = schedule_day(day, stops, leg_minutes, step)
        if timing is not None:
            return timing
    return None
