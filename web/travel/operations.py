"""The season's travel: by road when the settings name road data, else straight lines.

``TOURPLAN_VALHALLA_TILES`` (a folder built by ``python -m tourplan travel tiles``) runs
Valhalla inside the app; ``TOURPLAN_ROUTING_URL`` asks a Valhalla or OSRM server
(``TOURPLAN_ROUTING_ENGINE=osrm`` or ``valhalla`` when its URL does not say). Legs are kept in
:class:`RoadLeg` so that a re-plan asks the engine only for points it has not seen.
Operations never commit: the planning view or job that exports the season owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import BigInteger, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite

from tourplan.problem import Point
from tourplan.travel import Router, TravelError, UnreachablePoint, road_matrix, router_from_settings
from tourplan.travel.engine import SNAP_LIMIT_M
from tourplan.travel.matrix import KEY_DECIMALS, Key, Pair, point_key
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


#: The columns of a leg after its graph version, in the order ``put`` sends them.
_LEG_COLUMNS = ("from_lat", "from_lon", "to_lat", "to_lon", "km", "minutes")


def _stored(key: tuple[float, float]) -> tuple[int, int]:
    return round(key[0] * _SCALE), round(key[1] * _SCALE)


#: A stored point read as one whole number, lat × 2^26 + lon: two points never share one, as
#: stored longitudes (±18,000,000) are less than 2^25 either way.
_LON_BITS = 26


def _pack(lat: Any, lon: Any) -> Any:
    """A stored point packed by the database (in 64 bits: PostgreSQL's integers have 32)."""
    return cast(lat, BigInteger) * (1 << _LON_BITS) + lon


class DatabaseLegCache:
    """The leg cache of :mod:`tourplan.travel.matrix` in the ``road_legs`` table."""

    def get(self, graph_version: str, pairs: Iterable[Pair]) -> dict[Pair, tuple[float, float]]:
        wanted = set(pairs)
        keys = {k for pair in wanted for k in pair}
        found: dict[Pair, tuple[float, float]] = {}
        for a, b, km, minutes in self._legs(graph_version, {k: k for k in keys}):
            if (a, b) in wanted:
                found[a, b] = (km, minutes)
        return found

    def among(self, graph_version: str, keys: Sequence[Key]) -> Iterator[tuple[int, int, float, float]]:
        for i, j, km, minutes in self._legs(graph_version, {k: i for i, k in enumerate(keys)}):
            if i != j:
                yield i, j, km, minutes

    @staticmethod
    def _legs(graph_version: str, points: Mapping[Key, Any]) -> Iterator[tuple[Any, Any, float, float]]:
        """The stored legs of the graph between two of ``points`` (key -> what to give for
        it), as ``(from, to, km, minutes)``.

        One statement (the latitudes are whole numbers written into it: no database's
        limit on parameters applies) reads the legs between the points' latitudes, a
        superset of the wanted ones, as plain rows: a 300-point season reads 89,700 legs.
        Each end comes back packed into one integer, so a row is matched by two lookups."""
        stored = {k: _stored(k) for k in points}
        at = {(lat << _LON_BITS) + lon: points[k] for k, (lat, lon) in stored.items()}.get
        lats = bindparam("lats", sorted({lat for lat, _ in stored.values()}), literal_execute=True, expanding=True)
        legs = RoadLeg.__table__.c
        rows = db.session.connection().execute(
            select(_pack(legs.from_lat, legs.from_lon), _pack(legs.to_lat, legs.to_lon), legs.km, legs.minutes)
            .where(legs.graph_version == graph_version, legs.from_lat.in_(lats), legs.to_lat.in_(lats))
        ).all()  # one fetch: a quarter faster than row by row with psycopg
        for a, b, km, minutes in rows:
            i, j = at(a), at(b)
            if i is not None and j is not None:
                yield i, j, km, minutes

    def put(self, graph_version: str, legs: Mapping[Pair, tuple[float, float]]) -> None:
        if not legs:
            return
        stored = {k: _stored(k) for k in {k for pair in legs for k in pair}}
        rows = [(*stored[a], *stored[b], km, minutes) for (a, b), (km, minutes) in legs.items()]
        connection = db.session.connection()
        # Two plans of the same graph may store the same legs at once: the first one stays.
        if connection.dialect.name == "postgresql":
            # One statement, an array per column: psycopg would send a statement per leg.
            columns = dict(zip(_LEG_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
            connection.execute(_postgresql_insert(), {"graph_version": graph_version, **columns})
            return
        statement = sqlite.insert(RoadLeg.__table__).on_conflict_do_nothing()  # Core: the ORM's costs 3x per row
        for i in range(0, len(rows), 5000):
            connection.execute(statement, [{"graph_version": graph_version, **dict(zip(_LEG_COLUMNS, row, strict=True))}
                                           for row in rows[i:i + 5000]])


def _postgresql_insert() -> Any:
    """``INSERT INTO road_legs SELECT :graph_version, * FROM unnest(<an array per column>)
    ON CONFLICT DO NOTHING``."""
    table = RoadLeg.__table__
    arrays = [bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in _LEG_COLUMNS]
    new = func.unnest(*arrays).table_valued(*_LEG_COLUMNS).render_derived(name="new")
    source = select(bindparam("graph_version", type_=table.c.graph_version.type), *new.c)
    return postgresql.insert(table).from_select(["graph_version", *_LEG_COLUMNS], source).on_conflict_do_nothing()


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
