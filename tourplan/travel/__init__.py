"""Road travel from OpenStreetMap: build a road graph, ask a routing engine for legs.

No Flask here: the web app, the CLI and the benchmark all go through :func:`road_matrix`.
"""

from tourplan.travel.engine import (
    SNAP_LIMIT_M,
    Legs,
    Router,
    TravelError,
    UnreachablePoint,
    router_from_settings,
)
from tourplan.travel.matrix import LegCache, MemoryLegCache, rewrite_problem_travel, road_matrix

__all__ = [
    "SNAP_LIMIT_M", "Legs", "Router", "TravelError", "UnreachablePoint", "router_from_settings",
    "LegCache", "MemoryLegCache", "rewrite_problem_travel", "road_matrix",
]
