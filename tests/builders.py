"""Small problems for tests, built in a line each (PyVRP's ``Model`` habit), and the hand-checked one.

``ProblemBuilder().van().request("r1", at(0.1)).build()`` is a validated
:class:`tourplan.problem.Problem` (``.data()`` its JSON dict, to break on purpose): one van
at ``DEPOT`` working 8:00–18:00 with a 45-min lunch break, Monday 1 to Friday 5 March 2027,
haversine travel (circuity 1.3, 50 km/h), 90-min visits of priority 1, unless told otherwise.

The hand-checked problem (:func:`problem_data`, :func:`plan_data`), matrix travel:
depot→A 30 min / 25 km, A→B 20 min / 15 km, B→depot 45 min / 40 km. Tests copy and
mutate these dictionaries to build the case they need.
"""

from __future__ import annotations

import copy
from typing import Any, Self

from tourplan.problem import Problem, problem_from_json

#: The depot of the built problems.
DEPOT = {"lat": 44.5, "lon": 3.5}


def at(dlat: float, dlon: float = 0.0) -> dict[str, float]:
    """A point ``dlat``/``dlon`` degrees from :data:`DEPOT` (0.1° of latitude: about 11 km)."""
    return {"lat": DEPOT["lat"] + dlat, "lon": DEPOT["lon"] + dlon}


def van_data(id: str = "v1", *, lunch: bool = True, **fields: Any) -> dict[str, Any]:
    """A van's JSON: 8:00–18:00 from :data:`DEPOT`, carrying laptops; ``lunch=False``: no break."""
    d: dict[str, Any] = {
        "id": id,
        "depot": dict(DEPOT),
        "shift": {"start": "08:00", "end": "18:00"},
        "break": {"earliest": "12:00", "latest": "14:00", "minutes": 45} if lunch else None,
        "equipment": ["laptops"],
    }
    d.update(fields)
    return d


def request_data(id: str, location: dict[str, float], **fields: Any) -> dict[str, Any]:
    """A request's JSON: a 90-min visit of priority 1 at ``location``."""
    return {"id": id, "location": location, "duration_minutes": 90, "priority": 1, **fields}


class ProblemBuilder:
    """A problem put together call by call; every call returns the builder."""

    def __init__(self, name: str = "t", *, version: int = 1) -> None:
        self._data: dict[str, Any] = {
            "version": version,
            "name": name,
            "horizon": {"start": "2027-03-01", "end": "2027-03-05"},
            "travel": {"model": "haversine", "circuity": 1.3, "speed_kmh": 50},
            "vans": [],
            "requests": [],
        }

    def horizon(self, start: str, end: str | None = None, *, closed: tuple[str, ...] = ()) -> Self:
        """Service from ``start`` to ``end`` (default: that one day), ``closed`` dates excepted."""
        self._data["horizon"] = {"start": start, "end": end or start}
        if closed:
            self._data["horizon"]["closed_dates"] = list(closed)
        return self

    def travel(self, **travel: Any) -> Self:
        """The travel section as given (``model="matrix", points=…, km=…, minutes=…``)."""
        self._data["travel"] = travel
        return self

    def van(self, id: str = "v1", *, lunch: bool = True, **fields: Any) -> Self:
        """One more van (:func:`van_data`)."""
        self._data["vans"].append(van_data(id, lunch=lunch, **fields))
        return self

    def vans(self, *vans: dict[str, Any]) -> Self:
        """Vans given as JSON dicts."""
        self._data["vans"] += [copy.deepcopy(v) for v in vans]
        return self

    def request(self, id: str, location: dict[str, float], **fields: Any) -> Self:
        """One more request (:func:`request_data`)."""
        self._data["requests"].append(request_data(id, location, **fields))
        return self

    def requests(self, *requests: dict[str, Any]) -> Self:
        """Requests given as JSON dicts."""
        self._data["requests"] += [copy.deepcopy(r) for r in requests]
        return self

    def set(self, **fields: Any) -> Self:
        """Top-level fields as given: ``locked``, ``history``, ``published``, ``stability``…"""
        self._data.update(copy.deepcopy(fields))
        return self

    def data(self) -> dict[str, Any]:
        """The problem's JSON (a copy: change it freely); one default van when none was added."""
        data = copy.deepcopy(self._data)
        if not data["vans"]:
            data["vans"] = [van_data()]
        return data

    def build(self) -> Problem:
        """The validated problem (:class:`tourplan.problem.ProblemError` when it is not valid)."""
        return problem_from_json(self.data())


# --------------------------------------------------------------------------- #
# The hand-checked problem and plan
# --------------------------------------------------------------------------- #

#: The hand problem's depot and its two sites.
HAND_DEPOT, A, B = {"lat": 44.0, "lon": 3.0}, {"lat": 44.1, "lon": 3.0}, {"lat": 44.2, "lon": 3.0}
HAND_POINTS = [HAND_DEPOT, A, B]


def problem_data() -> dict[str, Any]:
    """The hand problem's JSON: one van ``v1``, requests rA (laptops), rB (Mon–Tue, 1–5 March),
    rC (two visits a week apart); 3 March closed, the van away on the 4th."""
    return (
        ProblemBuilder("hand")
        .horizon("2027-03-01", "2027-03-12", closed=("2027-03-03",))
        .travel(model="matrix", points=HAND_POINTS, km=[[0, 25, 40], [25, 0, 15], [40, 15, 0]],
                minutes=[[0, 30, 45], [30, 0, 20], [45, 20, 0]])
        .van(depot={**HAND_DEPOT, "label": "Mende"}, max_drive_minutes=240, unavailable_dates=["2027-03-04"])
        .request("rA", A, label="Démarches — A", duration_minutes=120,
                 hours={"earliest_start": "09:00", "latest_end": "17:00"}, equipment=["laptops"], priority=3)
        .request("rB", B, label="Seniors — B", duration_minutes=60, priority=2, weekdays=[1, 2],
                 windows=[{"start": "2027-03-01", "end": "2027-03-05"}])
        .request("rC", A, label="Permanence — A", duration_minutes=60, priority=1,
                 hours={"earliest_start": "09:00"}, occurrences=2, min_days_between=7)
        .data()
    )


def plan_data() -> dict[str, Any]:
    """A correct plan of the hand problem, checked by hand: rA and rB on the 1st, rC#0 on the 8th."""
    return {
        "version": 1,
        "problem": "hand",
        "status": "feasible",
        "stats": {"visits": 4, "served": 3, "unserved": 1, "served_priority": 6, "total_priority": 7,
                  "distance_km": 130.0, "drive_minutes": 155, "van_days": 2, "solve_seconds": 0},
        "routes": [
            {"van": "v1", "date": "2027-03-01", "leave": "08:30", "back": "13:50",
             "distance_km": 80.0, "drive_minutes": 95,
             "stops": [
                 {"request": "rA", "occurrence": 0, "arrive": "09:00", "start": "09:00", "end": "11:00"},
                 {"request": "rB", "occurrence": 0, "arrive": "11:20", "start": "11:20", "end": "12:20"},
             ],
             "break": {"start": "12:20", "end": "13:05"}},
            {"van": "v1", "date": "2027-03-08", "leave": "08:00", "back": "10:30",
             "distance_km": 50.0, "drive_minutes": 60,
             "stops": [{"request": "rC", "occurrence": 0, "arrive": "08:30", "start": "09:00", "end": "10:00"}],
             "break": {"start": "12:00", "end": "12:45"}},
        ],
        "unserved": [{"request": "rC", "occurrence": 1, "reason": "capacity", "detail": ""}],
    }


def v2(problem: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """``problem`` (default: the hand problem) as version 2, with top-level ``fields`` set."""
    data = copy.deepcopy(problem or problem_data())
    data["version"] = 2
    data.update(copy.deepcopy(fields))
    return data


def v2_plan(moved: int = 0, objective: float | None = None, **stats: Any) -> dict[str, Any]:
    """The hand plan as version 2: ``moved`` published visits, its objective, ``stats`` overridden."""
    plan = plan_data()
    plan["version"] = 2
    plan["stats"].update(stats)
    plan["stats"]["moved"] = moved
    plan["stats"]["objective"] = plan["stats"]["served_priority"] - moved if objective is None else objective
    return plan
