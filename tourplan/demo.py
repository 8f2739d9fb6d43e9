"""A realistic demo problem built from real communes (``python -m tourplan demo-problem``).

The same seed always gives the same problem (given the same start date), so
demos, screenshots and bug reports can be reproduced.  What makes it realistic:
real town-hall points (corrected, see :mod:`tourplan.communes`), requests
drawn mostly from small rural communes, the activity catalogue's durations and
equipment, the town hall's opening days, French public holidays.
"""

from __future__ import annotations

import json
import math
import random
from datetime import date, timedelta
from typing import Any

from tourplan.activities import ACTIVITIES, ACTIVITY_BY_KEY, Activity
from tourplan.calendar import local_today, public_holidays
from tourplan.communes import CommuneRecord, load_communes, normalise_department
from tourplan.problem import Point, ProblemError, format_time, haversine_km, parse_date, problem_from_json

# The van and its day (problem-format v1 vocabulary).
SHIFT = (8 * 60, 18 * 60 + 30)
BREAK = (12 * 60, 14 * 60, 45)  # earliest, latest, minutes
MAX_DRIVE_MINUTES = 240
TRAVEL = {"model": "haversine", "circuity": 1.3, "speed_kmh": 50}
MAIN_VAN_EQUIPMENT = ("3d-printer", "laptops", "robots", "satellite-uplink", "tablets")
SECOND_VAN_EQUIPMENT = ("laptops", "robots", "satellite-uplink", "tablets")  # one 3D printer only
SERVICE_WEEKDAYS = (1, 2, 3, 4, 5)

# How often each activity is asked for, and the smallest commune that would host it
# (a school for robots, a hall and an audience for a fablab day).
MIX = {"demarches": 30, "seniors": 20, "impression-3d": 14, "robots-ecole": 16, "france-services": 12, "fablab": 8}
MIN_POPULATION = {"robots-ecole": 150, "fablab": 400, "impression-3d": 100}

# A second van joins when one van would need more than this many visits a service day.
VISITS_PER_VAN_DAY = 3.0
SECOND_DEPOT_MIN_KM = 30.0

def next_monday(today: date | None = None) -> date:
    """The Monday after ``today`` (a week later when today is a Monday)."""
    today = today or local_today()
    return today + timedelta(days=7 - today.weekday())


def build_demo_problem(
    department: str = "48", weeks: int = 13, requests: int = 120, seed: int = 1, start: str | None = None
) -> dict[str, Any]:
    """A problem-format v1 problem for one département, validated, deterministic for a seed and start."""
    dep = normalise_department(department)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 106:
        raise ProblemError(f"expected a number of weeks from 1 to 106, got {weeks!r}", where="weeks")
    if isinstance(requests, bool) or not isinstance(requests, int) or not 0 <= requests <= 20000:
        raise ProblemError(f"expected a number of requests from 0 to 20000, got {requests!r}", where="requests")
    try:
        first = parse_date(start) if start is not None else next_monday()
    except ValueError as e:
        raise ProblemError(str(e), where="start") from None
    last = first + timedelta(days=7 * weeks - 1)

    load = load_communes([dep])
    communes = [c for c in load.records if c.population != 0]  # war-destroyed villages of the Meuse: nobody lives there
    if not communes:
        raise ProblemError(f"no inhabited commune in département {dep}", where="department")
    rng = random.Random(f"tourplan-demo:{dep}:{seed}")

    closed = [d for d in public_holidays(dep, first, last) if d.isoweekday() in SERVICE_WEEKDAYS]
    service_days = sum(
        1 for k in range(7 * weeks)
        if (first + timedelta(days=k)).isoweekday() in SERVICE_WEEKDAYS and first + timedelta(days=k) not in closed
    )

    activities = _draw_activities(rng, requests)
    occurrences = [_occurrences(rng, a, weeks) for a in activities]
    two_vans = sum(occurrences) > VISITS_PER_VAN_DAY * max(1, service_days)

    home = load.prefecture(dep) or max(communes, key=lambda c: c.population or 0)
    vans = [_van("truck-1", "Tiers-Truck", home, MAIN_VAN_EQUIPMENT, rng, first, weeks)]
    if two_vans:
        second = _second_depot(communes, home)
        vans.append(_van("truck-2", "Tiers-Truck 2", second, SECOND_VAN_EQUIPMENT, rng, first, weeks))

    reqs = []
    used: set[tuple[str, str]] = set()
    for i, (activity, k) in enumerate(zip(activities, occurrences, strict=True)):
        commune = _pick_commune(rng, communes, activity, vans, used)
        used.add((commune.insee, activity.key))
        reqs.append(_request(rng, i, activity, k, commune, first, last, weeks))
    _mark_required(rng, reqs, vans)

    data: dict[str, Any] = {
        "version": 1,
        "name": f"demo-{dep}-{first.isoformat()}-seed{seed}",
        "timezone": _timezone(dep),
        "horizon": {
            "start": first.isoformat(),
            "end": last.isoformat(),
            "weekdays": list(SERVICE_WEEKDAYS),
            "closed_dates": [d.isoformat() for d in closed],
        },
        "travel": dict(TRAVEL),
        "vans": vans,
        "requests": reqs,
        "locked": [],
    }
    problem_from_json(data, source="demo-problem")  # the generator must never hand out an invalid problem
    return data


def with_rhythms(data: dict[str, Any], share: float = 1 / 3) -> dict[str, Any]:
    """The same problem (as version 2) where ``share`` of the recurring requests ask for a rhythm,
    as courses and rounds do: at most a quarter more days between visits than the least
    (two days at least), the same weekday when the gap is whole weeks, starts within 30 min.

    Everything else is left as it is, so the two problems measure what the rhythm costs."""
    out = json.loads(json.dumps(data))
    out["version"] = 2
    out["name"] = f"{data['name']}-rhythms"
    recurring = [r for r in out["requests"] if r.get("occurrences", 1) > 1]
    step = max(1, round(1 / share)) if share > 0 else 0
    for r in recurring[::step] if step else []:
        gap = r.get("min_days_between", 0)
        r["max_days_between"] = gap + max(2, gap // 4)
        if gap and gap % 7 == 0:
            r["same_weekday"] = True
        r["same_start_within_minutes"] = 30
    problem_from_json(out, source="demo-problem")
    return out


# --------------------------------------------------------------------------- #
# Pieces
# --------------------------------------------------------------------------- #


def _timezone(dep: str) -> str:
    return {"971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
            "974": "Indian/Reunion", "976": "Indian/Mayotte"}.get(dep, "Europe/Paris")


def _draw_activities(rng: random.Random, n: int) -> list[Activity]:
    keys = list(MIX)
    return [ACTIVITY_BY_KEY[k] for k in rng.choices(keys, weights=[MIX[k] for k in keys], k=n)]


def _occurrences(rng: random.Random, activity: Activity, weeks: int) -> int:
    if not activity.recurring:
        return 1
    # All occurrences must fit in the horizon with their minimum gap.
    fit = 1 + (7 * weeks - 1) // max(1, activity.min_days_between)
    return max(1, min(rng.randint(activity.min_occurrences, activity.max_occurrences), fit))


def _point(c: CommuneRecord) -> Point:
    return Point(c.lat, c.lon)


def _van(
    vid: str, name: str, home: CommuneRecord, equipment: tuple[str, ...], rng: random.Random, first: date, weeks: int
) -> dict[str, Any]:
    # A maintenance day at the garage about every five weeks.
    off = sorted({(first + timedelta(days=7 * w + rng.randint(0, 4))).isoformat() for w in range(2, weeks, 5)})
    return {
        "id": vid,
        "name": name,
        "depot": {"lat": home.lat, "lon": home.lon, "label": home.name},
        "shift": {"start": format_time(SHIFT[0]), "end": format_time(SHIFT[1])},
        "break": {"earliest": format_time(BREAK[0]), "latest": format_time(BREAK[1]), "minutes": BREAK[2]},
        "max_drive_minutes": MAX_DRIVE_MINUTES,
        "equipment": list(equipment),
        "unavailable_dates": off,
    }


def _second_depot(communes: list[CommuneRecord], home: CommuneRecord) -> CommuneRecord:
    """The largest town far enough from the first depot to open another part of the map."""
    far = [c for c in communes if haversine_km(_point(c), _point(home)) >= SECOND_DEPOT_MIN_KM]
    pool = far or [c for c in communes if c.insee != home.insee] or [home]
    return max(pool, key=lambda c: (c.population or 0, c.insee))


def _weight(c: CommuneRecord) -> float:
    """Small rural communes ask most: weight falls slowly with population."""
    return 1.0 / math.sqrt(1.0 + (c.population or 0) / 500.0)


def _pick_commune(
    rng: random.Random,
    communes: list[CommuneRecord],
    activity: Activity,
    vans: list[dict[str, Any]],
    used: set[tuple[str, str]],
) -> CommuneRecord:
    """A commune for this activity: big enough to host it, not asking twice, reachable by a van.

    A real operator would not accept a day-long event three hours' drive away,
    so a draw that no van could serve even alone is drawn again (a few times).
    """
    floor = MIN_POPULATION.get(activity.key, 0)
    pool = [c for c in communes if (c.population or 0) >= floor] or communes
    weights = [_weight(c) for c in pool]
    choice = pool[0]
    for _ in range(40):
        choice = rng.choices(pool, weights=weights, k=1)[0]
        if (choice.insee, activity.key) in used:
            continue
        if any(_servable_alone(v, choice, activity) for v in vans):
            return choice
    return choice


def _drive_minutes(van: dict[str, Any], c: CommuneRecord) -> float:
    depot = Point(van["depot"]["lat"], van["depot"]["lon"])
    return haversine_km(depot, _point(c)) * TRAVEL["circuity"] / TRAVEL["speed_kmh"] * 60.0


def _servable_alone(van: dict[str, Any], c: CommuneRecord, a: Activity) -> bool:
    """Can this van serve one visit of ``a`` at ``c`` on an empty day, lunch break included?

    Nothing is served during the break, so either the visit ends early enough
    for the break to follow, or the break comes first (on the road or on site).
    """
    if not set(a.equipment) <= set(van["equipment"]):
        return False
    t = math.ceil(_drive_minutes(van, c))
    if 2 * t > MAX_DRIVE_MINUTES:
        return False
    shift_start, shift_end = SHIFT
    b_earliest, b_latest, b_minutes = BREAK
    d = a.duration_minutes
    # Visit first, break after it.
    s = max(a.earliest_start, shift_start + t)
    if s + d <= a.latest_end and s + d <= b_latest - b_minutes and s + d + t + b_minutes <= shift_end:
        return True
    # Break first, visit after it.
    s = max(a.earliest_start, shift_start + t, b_earliest + b_minutes)
    return s + d <= a.latest_end and s + d + t <= shift_end


def _request(
    rng: random.Random, i: int, a: Activity, occurrences: int, c: CommuneRecord, first: date, last: date, weeks: int
) -> dict[str, Any]:
    gap = a.min_days_between if occurrences > 1 else 0
    req: dict[str, Any] = {
        "id": f"req-{i + 1:04d}",
        "label": f"{a.name} — {c.name}",
        "commune": c.insee,
        "location": {"lat": c.lat, "lon": c.lon},
        "duration_minutes": a.duration_minutes,
    }
    windows = _windows(rng, first, last, weeks, need_days=(occurrences - 1) * gap + 1)
    if windows:
        req["windows"] = windows
    weekdays = _weekdays(rng, a, c)
    if weekdays:
        req["weekdays"] = weekdays
    req["hours"] = _hours(rng, a, c, weekdays)
    req["equipment"] = list(a.equipment)
    bump = rng.random()
    req["priority"] = min(5, a.priority + 1) if bump < 0.15 else max(1, a.priority - 1) if bump > 0.9 else a.priority
    req["occurrences"] = occurrences
    req["min_days_between"] = gap
    req["required"] = False
    return req


def _windows(rng: random.Random, first: date, last: date, weeks: int, need_days: int) -> list[dict[str, str]]:
    """None (the whole season), one period, or two periods apart — wished dates are rarely open-ended."""
    horizon = 7 * weeks
    shortest = min(horizon, max(14, need_days + 14))
    n = rng.choices((0, 1, 2), weights=(45, 40, 15))[0]
    if n == 2 and need_days > 1:
        n = 1  # a recurring permanence keeps one long period
    if n == 2 and horizon < 6 * 7:
        n = 1
    if n == 0:
        return []

    def window(lo: int, hi: int, min_len: int) -> dict[str, str]:
        length = rng.randint(min(min_len, hi - lo + 1), hi - lo + 1)
        off = rng.randint(lo, hi - length + 1)
        return {"start": (first + timedelta(days=off)).isoformat(),
                "end": (first + timedelta(days=off + length - 1)).isoformat()}

    if n == 1:
        return [window(0, horizon - 1, shortest)]
    cut = rng.randint(horizon // 3, 2 * horizon // 3)
    return [window(0, cut - 8, 10), window(cut, horizon - 1, 10)]  # at least a week apart


def _weekdays(rng: random.Random, a: Activity, c: CommuneRecord) -> list[int] | None:
    if a.weekdays is not None:
        return sorted(a.weekdays)
    if a.at_town_hall:
        days = sorted(d for d in c.opening_days if d in SERVICE_WEEKDAYS)
        return days or None
    if rng.random() < 0.5:
        return None
    return sorted(rng.sample(SERVICE_WEEKDAYS, 3))


def _hours(rng: random.Random, a: Activity, c: CommuneRecord, weekdays: list[int] | None) -> dict[str, str]:
    earliest, latest = a.earliest_start, a.latest_end
    if a.at_town_hall and weekdays:
        # A town hall open only in the morning on those days hosts morning visits.
        spans = [s for d in weekdays for s in c.opening_hours.get(d, ())]
        if spans and max(b for _, b in spans) <= 13 * 60 and 9 * 60 + a.duration_minutes <= 12 * 60 + 30:
            latest = 12 * 60 + 30
    elif a.key == "seniors" and rng.random() < 0.3:
        earliest, latest = 14 * 60, 17 * 60 + 30  # after lunch, when the club meets
    return {"earliest_start": format_time(earliest), "latest_end": format_time(latest)}


def _mark_required(rng: random.Random, reqs: list[dict[str, Any]], vans: list[dict[str, Any]]) -> None:
    """A few visits the operator has promised: only easy ones, so the demo stays feasible."""
    want = len(reqs) // 40 if len(reqs) >= 40 else min(1, len(reqs))
    van = vans[0]
    depot = Point(van["depot"]["lat"], van["depot"]["lon"])
    easy = [
        r for r in reqs
        if r["occurrences"] == 1
        and "windows" not in r
        and len(r.get("weekdays") or SERVICE_WEEKDAYS) >= 2
        and r["duration_minutes"] <= 150
        and set(r["equipment"]) <= set(van["equipment"])
        and haversine_km(depot, Point(r["location"]["lat"], r["location"]["lon"])) <= 30.0
    ]
    for r in rng.sample(easy, min(want, len(easy))):
        r["required"] = True


__all__ = ["ACTIVITIES", "build_demo_problem", "next_monday", "with_rhythms"]
