"""The season's travel: by road when the settings name road data, else straight lines.

``TOURPLAN_VALHALLA_TILES`` (a folder built by ``python -m tourplan travel tiles``) runs
Valhalla inside the app; ``TOURPLAN_ROUTING_URL`` asks a Valhalla or OSRM server
(``TOURPLAN_ROUTING_ENGINE=osrm`` or ``valhalla`` when its URL does not say). Legs are kept in
:class:`RoadLeg` so that a re-plan asks the engine only for points it has not seen.
Operations never commit: the planning view or job that exports the season owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from tourplan.problem import Point
from tourplan.travel import Router, TravelError, UnreachablePoint, road_matrix, router_from_settings
from tourplan.travel.engine import SNAP_LIMIT_M
from tourplan.travel.matrix import KEY_DECIMALS, Pair, point_key
from web.core.errors import OperationError
from web.core.formats import paris_datetime
from web.extensions import db
from web.travel.models import RoadLeg

#: What a plan made without road data says it used (the problem format's default model).
STRAIGHT_LINES = {"model": "haversine", "circuity": 1.3, "speed_kmh": 50}
_SCALE = 10**KEY_DECIMALS


def configured_router() -> Router | None:
    """The app's router (built once per app: opening the tiles costs a little), or None."""
    cfg = current_app.config
    tiles, url = cfg.get("TOURPLAN_VALHALLA_TILES"), cfg.get("TOURPLAN_ROUTING_URL")
    if not tiles and not url:
        return None
    key = ("tourplan_router", tiles, url)
    router = current_app.extensions.get(key)
    if router is None:
        try:
            router = router_from_settings(tiles=tiles, url=url, engine=cfg.get("TOURPLAN_ROUTING_ENGINE"))
        except TravelError as e:
            raise OperationError(engine_failure("les données routières sont inutilisables", e), "travel") from None
        current_app.extensions[key] = router
    return router


def unreachable(names: str, point: Point) -> str:
    """Plain French for a point the road graph cannot reach, naming it and where it is."""
    return (f"{names} ({point.lat:.6f}, {point.lon:.6f}) n'est à moins de {SNAP_LIMIT_M} m d'aucune route "
            "que le camion peut prendre, ou n'est relié(e) aux autres par aucune route")


def engine_failure(what: str, error: TravelError) -> str:
    """Plain French for a routing engine that cannot answer. The engine speaks English and
    in its own terms: its words go to the server log, for whoever runs the server."""
    current_app.logger.warning("road data: %s", error)
    return f"{what} : le moteur d'itinéraires n'a pas répondu (le détail est dans le journal du serveur)"


def _stored(key: tuple[float, float]) -> tuple[int, int]:
    return round(key[0] * _SCALE), round(key[1] * _SCALE)


class DatabaseLegCache:
    """The leg cache of :mod:`tourplan.travel.matrix` in the ``road_legs`` table."""

    def get(self, graph_version: str, pairs: Iterable[Pair]) -> dict[Pair, tuple[float, float]]:
        # Compared as whole numbers, as stored: no float rounding between the two sides.
        pairs = list(pairs)
        stored = {k: _stored(k) for k in {k for pair in pairs for k in pair}}
        wanted = {(*stored[a], *stored[b]): (a, b) for a, b in pairs}
        lats = sorted({s[0] for s in stored.values()})
        legs = RoadLeg.__table__.c
        found: dict[Pair, tuple[float, float]] = {}
        # Core rows, not ORM objects (a 300-point season reads 90,000 legs); chunks of IN lists,
        # as a database limits the parameters of one statement.
        connection = db.session.connection()
        for i in range(0, len(lats), 500):
            rows = connection.execute(
                select(legs.from_lat, legs.from_lon, legs.to_lat, legs.to_lon, legs.km, legs.minutes)
                .where(legs.graph_version == graph_version, legs.from_lat.in_(lats[i:i + 500]))
            ).all()
            for fa, fo, ta, to, km, minutes in rows:
                pair = wanted.get((fa, fo, ta, to))
                if pair is not None:
                    found[pair] = (km, minutes)
        return found

    def put(self, graph_version: str, legs: Mapping[Pair, tuple[float, float]]) -> None:
        rows = [{"graph_version": graph_version, "from_lat": fa, "from_lon": fo, "to_lat": ta, "to_lon": to,
                 "km": km, "minutes": minutes}
                for (a, b), (km, minutes) in legs.items() for (fa, fo), (ta, to) in [(_stored(a), _stored(b))]]
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        # Two plans of the same graph may store the same legs at once: the first one stays.
        statement = dialect.insert(RoadLeg).on_conflict_do_nothing()
        for i in range(0, len(rows), 5000):
            db.session.execute(statement, rows[i:i + 5000])


def season_travel(data: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """The travel of an exported problem and the words saying which model it is.

    ``labels`` names each request id for the operator. Returns the problem-format travel
    object and the travel source kept on the version ("" for straight lines, else
    "<engine> <graph version>").
    """
    router = configured_router()
    if router is None:
        return dict(STRAIGHT_LINES), ""
    named = [(Point(v["depot"]["lat"], v["depot"]["lon"]), f"le dépôt de {v['name']}") for v in data["vans"]]
    named += [(Point(r["location"]["lat"], r["location"]["lon"]), f"la demande « {labels.get(r['id'], r['id'])} »")
              for r in data["requests"]]
    points = list({point_key(p): p for p, _ in named}.values())
    try:
        legs = road_matrix(points, router, DatabaseLegCache())
    except UnreachablePoint as e:
        names = " et ".join(n for p, n in named if point_key(p) == point_key(e.point)) or "un point"
        raise OperationError(f"{unreachable(names, e.point)} : corrigez son emplacement", "travel") from None
    except TravelError as e:
        raise OperationError(engine_failure("le calcul des trajets par la route a échoué", e), "travel") from None
    travel = {"model": "matrix", "points": [p.to_json() for p in points], "km": legs.km, "minutes": legs.minutes}
    return travel, f"{router.engine} {router.graph_version}"


def travel_description(travel_source: str) -> dict[str, Any]:
    """How the desk says which travel model a version used, in plain French.

    ``road`` tells the template to credit OpenStreetMap (its licence asks for it wherever
    its data is used)."""
    if not travel_source:
        return {"road": False, "text": "à vol d'oiseau × 1,3 à 50 km/h (aucune donnée routière n'est configurée)"}
    engine, _, graph = travel_source.partition(" ")
    kind, _, stamp = graph.partition(":")
    if kind == "valhalla" and stamp.isdigit():
        when = paris_datetime(datetime.fromtimestamp(int(stamp), tz=UTC))
        return {"road": True, "text": f"par la route, calculés par {engine} (graphe routier construit le {when})"}
    if kind == "osrm":  # OSRM tells no graph date: its server stands for the graph
        return {"road": True, "text": f"par la route, calculés par {engine} (serveur {stamp})"}
    return {"road": True, "text": f"par la route, calculés par {engine} (graphe routier {graph})"}
