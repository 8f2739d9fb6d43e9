"""One small interface to a road router: ``legs(sources, targets) -> km and minutes``.

Three back-ends answer it: Valhalla embedded (pyvalhalla's Actor on a tiles folder),
a Valhalla server and an OSRM server (both through routingpy). The embedded engine and
a Valhalla server receive the very same request body, so they give the same legs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tourplan.problem import Point, ProblemError

# How far a point may lie from the nearest road and still be snapped to it. Valhalla's
# default (35 km) would quietly route a point in the sea or on a causse path from some far
# road. A town hall, a library or a village square is rarely more than a few hundred metres
# from a drivable road; 1 km keeps every such point and still refuses a point that no van
# can reach (the operator then fixes the point instead of trusting a wrong leg).
SNAP_LIMIT_M = 1000

# Valhalla's matrix limits its requests to 2 500 pairs and 400 km by default; a season of
# 300 points needs 90 000 pairs within one département. The embedded engine gets room for
# that; a server keeps its own limits, so requests to it go in blocks of SERVER_BLOCK pairs.
EMBEDDED_LIMITS = {"max_matrix_location_pairs": 1_000_000, "max_matrix_distance": 2_000_000.0}
SERVER_BLOCK_PAIRS = 2_500


class TravelError(ProblemError):
    """Road data that cannot answer: a bad extract, tiles folder or server. One line."""


class UnreachablePoint(TravelError):
    """A point the road network cannot reach (no road within the snapping limit, or an island)."""

    def __init__(self, point: Point, why: str) -> None:
        self.point, self.why = point, why
        super().__init__(f"{point.lat:.6f}, {point.lon:.6f}: {why}")


@dataclass(frozen=True)
class Legs:
    """Road distance (km) and driving time (minutes) for every source × target."""

    km: list[list[float]]
    minutes: list[list[float]]


class Router(Protocol):
    """What the matrix builder needs from a routing engine."""

    engine: str          # "Valhalla" or "OSRM", as the desk names it
    graph_version: str   # changes whenever the road graph is rebuilt: cached legs key on it

    def legs(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs: ...


def _valhalla_body(sources: Sequence[Point], targets: Sequence[Point]) -> dict[str, Any]:
    def loc(p: Point) -> dict[str, Any]:
        return {"lat": p.lat, "lon": p.lon, "search_cutoff": SNAP_LIMIT_M}

    return {"sources": [loc(p) for p in sources], "targets": [loc(p) for p in targets],
            "costing": "auto", "units": "km"}


def _valhalla_legs(response: dict[str, Any], sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
    rows = response["sources_to_targets"]
    gaps = [(i, j) for i, row in enumerate(rows) for j, c in enumerate(row)
            if c.get("time") is None or c.get("distance") is None]
    if gaps:
        raise _isolated(gaps, sources, targets)
    return Legs(km=[[round(float(c["distance"]), 3) for c in row] for row in rows],
                minutes=[[round(c["time"] / 60.0, 1) for c in row] for row in rows])


def _isolated(gaps: list[tuple[int, int]], sources: Sequence[Point], targets: Sequence[Point]) -> UnreachablePoint:
    """A leg with no route: blame the point that has the most of them (an island, a lone path)."""
    count: dict[Point, int] = {}
    for i, j in gaps:
        count[sources[i]] = count.get(sources[i], 0) + 1
        count[targets[j]] = count.get(targets[j], 0) + 1
    worst = max(count, key=lambda p: count[p])
    return UnreachablePoint(worst, "no road links this point to the others")


class ValhallaRouter:
    """Valhalla, embedded on a tiles folder (``tiles``) or as a server (``url``)."""

    engine = "Valhalla"

    def __init__(self, tiles: str | Path | None = None, url: str | None = None) -> None:
        if (tiles is None) == (url is None):
            raise ValueError("give either a tiles folder or a server URL")
        self._actor = _actor(Path(tiles)) if tiles is not None else None
        self._client = None
        if url is not None:
            from routingpy import Valhalla

            self._client = Valhalla(base_url=url.rstrip("/"), timeout=120)
        self.graph_version = f"valhalla:{self._status().get('tileset_last_modified', 'unknown')}"

    def _status(self) -> dict[str, Any]:
        if self._actor is not None:
            return self._actor.status({})
        return self._call("/status", {})

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        from routingpy.exceptions import RouterError, RouterServerError, Timeout

        assert self._client is not None
        try:
            return self._client.client._request(path, post_params=body)
        except RouterError as e:  # 4xx: Valhalla says what is wrong in the body
            raise TravelError(_valhalla_message(e.message), source="valhalla server") from None
        except (RouterServerError, Timeout, OSError) as e:
            raise TravelError(f"no answer ({e})", source="valhalla server") from None

    def legs(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
        if self._actor is None:
            return _in_blocks(self._server_legs, sources, targets)
        from valhalla import ValhallaError

        try:
            response = self._actor.matrix(_valhalla_body(sources, targets))
        except ValhallaError as e:
            raise self._explain(str(e), sources, targets) from None
        return _valhalla_legs(response, sources, targets)

    def _server_legs(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
        try:
            response = self._call("/sources_to_targets", _valhalla_body(sources, targets))
        except TravelError as e:
            raise self._explain(e.message, sources, targets) from None
        return _valhalla_legs(response, sources, targets)

    def _explain(self, message: str, sources: Sequence[Point], targets: Sequence[Point]) -> TravelError:
        """Which point has no road near it: Valhalla names none, so ask it point by point."""
        points = list(dict.fromkeys([*sources, *targets]))
        for p in points:
            if not self._snaps(p):
                return UnreachablePoint(p, f"no road within {SNAP_LIMIT_M} m")
        return TravelError(_valhalla_message(message), source="valhalla")

    def _snaps(self, p: Point) -> bool:
        body = {"locations": [{"lat": p.lat, "lon": p.lon, "search_cutoff": SNAP_LIMIT_M}],
                "costing": "auto", "verbose": False}
        try:
            found = self._actor.locate(body) if self._actor is not None else self._call("/locate", body)
        except Exception:  # noqa: BLE001 - any refusal of one point means it does not snap
            return False
        return bool(found and found[0].get("edges"))


def _valhalla_message(raw: Any) -> str:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        return str(data.get("error") or data)
    except (ValueError, AttributeError):
        return str(raw)


def _actor(tiles: Path) -> Any:
    """pyvalhalla's Actor on a tiles folder built by ``travel tiles``; one clear line if it is not one."""
    config_file = tiles / "valhalla.json"
    if not tiles.is_dir() or not config_file.is_file():
        raise TravelError("is not a tiles folder (build one with: python -m tourplan travel tiles "
                          "EXTRACT.osm.pbf DIR)", source=str(tiles))
    import valhalla

    config = json.loads(config_file.read_text(encoding="utf-8"))
    # The folder may have moved since it was built: its tiles are where the config is.
    config["mjolnir"]["tile_dir"] = str(tiles.resolve())
    config["service_limits"]["auto"].update(EMBEDDED_LIMITS)
    try:
        return valhalla.Actor(config)
    except (valhalla.ValhallaError, RuntimeError, FileNotFoundError, AttributeError) as e:
        raise TravelError(f"the routing engine cannot open it ({e})", source=str(tiles)) from None


class OsrmRouter:
    """An OSRM server (its ``table`` service, through routingpy)."""

    engine = "OSRM"

    def __init__(self, url: str, profile: str = "driving") -> None:
        from routingpy import OSRM

        self._client = OSRM(base_url=url.rstrip("/"), timeout=120)
        self._profile = profile
        # OSRM reports no graph date; its URL stands for the graph (rebuild → new URL or version).
        self.graph_version = f"osrm:{url.rstrip('/')}"

    def legs(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
        return _in_blocks(self._block, sources, targets)

    def _block(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
        from routingpy.exceptions import RouterError, RouterServerError, Timeout

        points = [*sources, *targets]
        try:
            m = self._client.matrix(
                locations=[[p.lon, p.lat] for p in points], profile=self._profile,
                radiuses=[SNAP_LIMIT_M] * len(points), sources=list(range(len(sources))),
                destinations=list(range(len(sources), len(points))))
        except RouterError as e:
            raise TravelError(f"a point has no road within {SNAP_LIMIT_M} m or the request was refused "
                              f"({_valhalla_message(e.message)})", source="osrm server") from None
        except (RouterServerError, Timeout, OSError) as e:
            raise TravelError(f"no answer ({e})", source="osrm server") from None
        gaps = [(i, j) for i, row in enumerate(m.durations) for j, x in enumerate(row)
                 if x is None or m.distances[i][j] is None]
        if gaps:
            raise _isolated(gaps, sources, targets)
        return Legs(km=[[round(x / 1000.0, 3) for x in row] for row in m.distances],
                    minutes=[[round(x / 60.0, 1) for x in row] for row in m.durations])


def _in_blocks(ask: Any, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
    """A server's matrix limit is a number of pairs: ask row blocks that fit within it."""
    rows = max(1, SERVER_BLOCK_PAIRS // max(1, len(targets)))
    km: list[list[float]] = []
    minutes: list[list[float]] = []
    for start in range(0, len(sources), rows):
        for col in range(0, len(targets), SERVER_BLOCK_PAIRS):
            block = ask(sources[start:start + rows], targets[col:col + SERVER_BLOCK_PAIRS])
            _merge(km, block.km, start, col)
            _merge(minutes, block.minutes, start, col)
    return Legs(km=km, minutes=minutes)


def _merge(into: list[list[float]], block: list[list[float]], row0: int, col0: int) -> None:
    for i, row in enumerate(block):
        if col0 == 0:
            into.append(list(row))
        else:
            into[row0 + i].extend(row)


def router_from_settings(tiles: str | None = None, url: str | None = None,
                         engine: str | None = None) -> Router | None:
    """The router the settings ask for: a tiles folder, a server URL, or none (straight lines).

    ``engine`` picks the server kind ("valhalla" or "osrm"); without it a URL naming OSRM
    (``http://host/osrm/``) is OSRM, any other Valhalla.
    """
    if tiles:
        return ValhallaRouter(tiles=tiles)
    if not url:
        return None
    kind = (engine or ("osrm" if "osrm" in url.lower() else "valhalla")).lower()
    if kind not in ("osrm", "valhalla"):
        raise TravelError(f"unknown routing engine {engine!r}: 'valhalla' or 'osrm'", source="TOURPLAN_ROUTING_ENGINE")
    if kind == "osrm":
        return OsrmRouter(url)
    return ValhallaRouter(url=url)
