"""The OSRM server path of road travel (issue 15): those who already run OSRM point the app
at it with TOURPLAN_ROUTING_URL. A real osrm-routed (the osrm-bindings wheel ships it) serves
a graph built from the Helsinki extract."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AuthActions
from tests.desk_helpers import operator
from tests.road import DEPOT, STOPS, build_osrm_graph, helsinki_extract, osrm_server
from tests.test_travel_web import DESK, _helsinki_season, _plan
from tourplan.problem import Point
from tourplan.travel.engine import OsrmRouter, UnreachablePoint

# OSRM snaps each point to its nearest segment; in this clipped extract, "a", "b" and "d"
# snap to one-way streets that lead out of it. These are joined both ways.
JOINED = [STOPS[2], *STOPS[4:8]]


@pytest.fixture(scope="module")
def osrm_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_osrm_graph(helsinki_extract(), tmp_path_factory.mktemp("osrm"))


@pytest.fixture(scope="module")
def osrm_url(osrm_graph: Path) -> Iterator[str]:
    with osrm_server(osrm_graph) as url:
        yield url


def _engine_table(graph: Path, points: list[Point]) -> tuple[list[list[float]], list[list[float]]]:
    """The same table from the OSRM engine itself, through its own Python binding (no server)."""
    import osrm

    engine = osrm.OSRM(storage_config=str(graph), algorithm="MLD", use_shared_memory=False)
    answer = engine.Table(osrm.TableParameters(coordinates=[(p.lon, p.lat) for p in points],
                                               annotations=["distance", "duration"]))
    return [list(row) for row in answer["distances"]], [list(row) for row in answer["durations"]]


def test_the_osrm_client_gives_the_engines_legs_in_km_and_tenths_of_minutes(osrm_graph: Path, osrm_url: str) -> None:
    points = [Point(DEPOT["lat"], DEPOT["lon"]), *(Point(lat, lon) for _, lat, lon in JOINED)]
    legs = OsrmRouter(osrm_url).legs(points, points)
    metres, seconds = _engine_table(osrm_graph, points)
    assert legs.km == [[round(m / 1000, 3) for m in row] for row in metres]
    assert legs.minutes == [[round(s / 60, 1) for s in row] for row in seconds]
    assert all(legs.km[i][j] > 0 for i in range(len(points)) for j in range(len(points)) if i != j)


def test_a_point_the_graph_does_not_join_is_named(osrm_url: str) -> None:
    a = Point(STOPS[0][1], STOPS[0][2])
    with pytest.raises(UnreachablePoint) as e:
        OsrmRouter(osrm_url).legs([a, Point(DEPOT["lat"], DEPOT["lon"])], [a, Point(DEPOT["lat"], DEPOT["lon"])])
    assert e.value.point == a


def test_a_season_plans_on_an_osrm_server_and_the_desk_says_so(make_app: Any, osrm_url: str) -> None:
    from tests.conftest import Make
    from tourplan.checker import check_plan
    from tourplan.plan import plan_from_json
    from tourplan.problem import problem_from_json

    app = make_app(TOURPLAN_ROUTING_URL=osrm_url, TOURPLAN_ROUTING_ENGINE="osrm")
    client = app.test_client()
    with app.app_context():
        version = _plan(_helsinki_season(Make(), JOINED))
        assert version.problem_json["travel"]["model"] == "matrix"
        assert version.travel_source == f"OSRM osrm:{osrm_url}"
        assert version.served == len(JOINED)
        assert check_plan(problem_from_json(version.problem_json), plan_from_json(version.plan_json)).ok
        operator()
        version_id = version.id
    AuthActions(client).login()
    html = unescape(client.get(f"{DESK}/versions/{version_id}").get_data(as_text=True))
    trajets = html.split('id="trajets">')[1].split("</dd>")[0]
    assert f"par la route, calculés par OSRM (serveur {osrm_url})" in trajets
    assert "les contributeurs d'OpenStreetMap" in trajets


def test_a_request_the_osrm_graph_does_not_join_refuses_the_plan_in_french(make_app: Any, osrm_url: str) -> None:
    from tests.conftest import Make
    from web.core.errors import OperationError

    app = make_app(TOURPLAN_ROUTING_URL=osrm_url, TOURPLAN_ROUTING_ENGINE="osrm")
    with app.app_context():
        season = _helsinki_season(Make(), [*JOINED[:2], STOPS[0]])
        with pytest.raises(OperationError) as e:
            _plan(season)
    assert e.value.message.startswith("la demande « Atelier a » (60.165000, 24.936000) n'est à moins de")
    assert e.value.message.endswith(": corrigez son emplacement")
