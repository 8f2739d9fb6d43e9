"""A small problem with round numbers, and a correct plan for it checked by hand.

Matrix travel: depot→A 30 min / 25 km, A→B 20 min / 15 km, B→depot 45 min / 40 km.
Tests copy and mutate these dictionaries to build the case they need.
"""

from __future__ import annotations

import copy
from typing import Any

DEPOT, A, B = {"lat": 44.0, "lon": 3.0}, {"lat": 44.1, "lon": 3.0}, {"lat": 44.2, "lon": 3.0}


def problem_data() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "hand",
        "horizon": {"start": "2027-03-01", "end": "2027-03-12", "closed_dates": ["2027-03-03"]},
        "travel": {
            "model": "matrix",
            "points": [DEPOT, A, B],
            "km": [[0, 25, 40], [25, 0, 15], [40, 15, 0]],
            "minutes": [[0, 30, 45], [30, 0, 20], [45, 20, 0]],
        },
        "vans": [
            {
                "id": "v1",
                "depot": {**DEPOT, "label": "Mende"},
                "shift": {"start": "08:00", "end": "18:00"},
                "break": {"earliest": "12:00", "latest": "14:00", "minutes": 45},
                "max_drive_minutes": 240,
                "equipment": ["laptops"],
                "unavailable_dates": ["2027-03-04"],
            }
        ],
        "requests": [
            {"id": "rA", "label": "Démarches — A", "location": A, "duration_minutes": 120,
             "hours": {"earliest_start": "09:00", "latest_end": "17:00"}, "equipment": ["laptops"], "priority": 3},
            {"id": "rB", "label": "Seniors — B", "location": B, "duration_minutes": 60, "priority": 2,
             "weekdays": [1, 2], "windows": [{"start": "2027-03-01", "end": "2027-03-05"}]},
            {"id": "rC", "label": "Permanence — A", "location": A, "duration_minutes": 60, "priority": 1,
             "hours": {"earliest_start": "09:00"}, "occurrences": 2, "min_days_between": 7},
        ],
    }


def plan_data() -> dict[str, Any]:
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
