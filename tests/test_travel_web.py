"""Seasons plan on road times when the app has road data (issue 15), and the desk says so."""

from __future__ import annotations

from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AuthActions
from tests.desk_helpers import operator
from tests.road import DEPOT, SEA, STOPS
from tests.test_travel import Counting

DESK = "/operateur/planification"


def _helsinki_season(make: Any, stops: list[tuple[str, float, float]]) -> Any:
    from web.extensions import db

    make.van("van-1", depot_label=DEPOT["label"], depot_lat=DEPOT["lat"], depot_lon=DEPOT["lon"])
    season = make.season("s1", start=date(2027, 3, 1), end=date(2027, 3, 12))
    for i, (name, lat, lon) in enumerate(stops):
        commune = make.commune(f"48{i + 1:03d}", name=f"Quartier {name}", lat=lat, lon=lon)
        make.request(season, commune, label=f"Atelier {name}", duration_minutes=60)
    db.session.commit()
    return season


def _plan(season: Any) -> Any:
    from web.tours.operations import plan_season

    return plan_season(season, time_limit=1.0, created_by="test@ops", today=date(2026, 11, 1))


def _swap_router(app: Any) -> Counting:
    """Count what the app's router is asked (it is built once per app, then kept)."""
    from web.travel.operations import configured_router

    configured_router()
    key = next(k for k in app.extensions if isinstance(k, tuple) and k[0] == "tourplan_router")
    counting = Counting(app.extensions[key])
    app.extensions[key] = counting
    return counting


def test_a_season_plans_on_road_legs_and_the_desk_says_so(make_app: Any, road_tiles: Path) -> None:
    from tests.conftest import Make

    app = make_app(TOURPLAN_VALHALLA_TILES=str(road_tiles))
    client = app.test_client()
    with app.app_context():
        season = _helsinki_season(Make(), STOPS[:6])
        router = _swap_router(app)
        version = _plan(season)
        travel = version.problem_json["travel"]
        assert travel["model"] == "matrix" and len(travel["points"]) == 7
        assert version.travel_source.startswith("Valhalla valhalla:")
        assert version.served == 6
        assert router.pairs == 7 * 7
        operator()
        version_id = version.id
    AuthActions(client).login()
    html = unescape(client.get(f"{DESK}/versions/{version_id}").get_data(as_text=True))
    trajets = html.split('id="trajets">')[1].split("</dd>")[0]
    assert "par la route, calculés par Valhalla (graphe routier construit le " in trajets
    assert "les contributeurs d'OpenStreetMap" in trajets


def test_a_replan_after_one_new_request_asks_only_its_legs(make_app: Any, road_tiles: Path) -> None:
    from tests.conftest import Make
    from web.extensions import db

    app = make_app(TOURPLAN_VALHALLA_TILES=str(road_tiles))
    with app.app_context():
        make = Make()
        season = _helsinki_season(make, STOPS[:6])
        router = _swap_router(app)
        first = _plan(season).problem_json["travel"]
        name, lat, lon = STOPS[6]
        make.request(season, make.commune("48099", name="Quartier g", lat=lat, lon=lon), label="Atelier g")
        db.session.commit()
        router.pairs = router.calls = 0
        second = _plan(season).problem_json["travel"]
    # The new point's row (to the 8 points) and column (from the 7 others), nothing more.
    assert router.pairs == 8 + 7
    old = {(p["lat"], p["lon"]): i for i, p in enumerate(first["points"])}
    for i, p in enumerate(second["points"]):
        for j, q in enumerate(second["points"]):
            a, b = old.get((p["lat"], p["lon"])), old.get((q["lat"], q["lon"]))
            if a is not None and b is not None:
                assert second["minutes"][i][j] == first["minutes"][a][b]


def test_a_request_in_the_sea_refuses_the_plan_in_french(make_app: Any, road_tiles: Path) -> None:
    from sqlalchemy import func, select

    from tests.conftest import Make
    from web.core.errors import OperationError
    from web.extensions import db
    from web.tours.models import TourVersion

    app = make_app(TOURPLAN_VALHALLA_TILES=str(road_tiles))
    with app.app_context():
        season = _helsinki_season(Make(), [*STOPS[:2], ("au large", *SEA)])
        with pytest.raises(OperationError) as e:
            _plan(season)
        assert "la demande « Atelier au large » (60.120000, 24.950000)" in e.value.message
        assert "d'aucune route" in e.value.message
        assert db.session.scalar(select(func.count()).select_from(TourVersion)) == 0


def test_without_road_data_the_desk_says_straight_lines(app: Any, client: Any, make: Any) -> None:
    from tests.desk_helpers import draft, small_season

    version = draft(small_season(make)["season"])
    assert version.problem_json["travel"]["model"] == "haversine" and version.travel_source == ""
    operator()
    AuthActions(client).login()
    html = unescape(client.get(f"{DESK}/versions/{version.id}").get_data(as_text=True))
    trajets = html.split('id="trajets">')[1].split("</dd>")[0]
    assert "à vol d'oiseau × 1,3 à 50 km/h" in trajets
    assert "OpenStreetMap" not in trajets


def test_a_valhalla_server_gives_the_season_the_same_road_legs(make_app: Any, road_tiles: Path) -> None:
    from tests.conftest import Make
    from tests.road import valhalla_server
    from web.extensions import db

    embedded = make_app(TOURPLAN_VALHALLA_TILES=str(road_tiles))
    with embedded.app_context():
        season = _helsinki_season(Make(), STOPS[:4])
        first = _plan(season)
        local, local_source = first.problem_json["travel"], first.travel_source
        db.session.remove()
    with valhalla_server(road_tiles) as url:
        served = make_app(TOURPLAN_ROUTING_URL=url)
        with served.app_context():
            from web.seasons.models import Season
            from web.travel.models import RoadLeg

            # Emptied, so that every leg of this plan comes from the server.
            db.session.execute(db.delete(RoadLeg))
            second = _plan(db.session.scalar(db.select(Season)))
            remote, remote_source = second.problem_json["travel"], second.travel_source
    assert remote == local
    assert remote_source == local_source


def test_with_road_data_the_coverage_measures_by_road_and_says_so(make_app: Any, road_tiles: Path) -> None:
    from sqlalchemy import func, select

    from tests.conftest import Make
    from tourplan.coverage import distances_km
    from tourplan.problem import Point
    from web.coverage.models import FixedPlace
    from web.coverage.operations import coverage
    from web.extensions import db
    from web.travel.models import RoadLeg

    app = make_app(TOURPLAN_VALHALLA_TILES=str(road_tiles))
    with app.app_context():
        season = _helsinki_season(Make(), STOPS[:2])
        _name, lat, lon = STOPS[7]
        db.session.add(FixedPlace(source="operator", source_id="1", name="Bibliothèque", lat=lat, lon=lon))
        db.session.flush()
        cov = coverage(season, date(2027, 3, 1))
        assert cov.distance_method.startswith("par la route (Valhalla")
        for row, (_n, a_lat, a_lon) in zip(sorted(cov.rows, key=lambda r: r.insee), STOPS[:2], strict=True):
            straight = distances_km([Point(a_lat, a_lon)], [Point(lat, lon)])[0][0]
            # A road is never shorter than the straight line (km kept to one decimal).
            assert row.nearest_place == "Bibliothèque" and row.nearest_place_km >= round(straight, 1) - 0.05
        assert db.session.scalar(select(func.count()).select_from(RoadLeg)) == 2  # kept for the next page


def test_a_town_hall_beyond_every_road_gives_straight_lines_and_says_which_in_french(
        make_app: Any, road_tiles: Path) -> None:
    from tests.conftest import Make
    from web.coverage.models import FixedPlace
    from web.coverage.operations import coverage
    from web.extensions import db

    app = make_app(TOURPLAN_VALHALLA_TILES=str(road_tiles))
    with app.app_context():
        season = _helsinki_season(Make(), [STOPS[0], ("au large", *SEA)])
        _name, lat, lon = STOPS[7]
        db.session.add(FixedPlace(source="operator", source_id="1", name="Bibliothèque", lat=lat, lon=lon))
        db.session.flush()
        cov = coverage(season, date(2027, 3, 1))
    assert cov.distance_method.startswith("à vol d'oiseau (la mairie de Quartier au large (60.120000, 24.950000)")
    assert "d'aucune route" in cov.distance_method
    assert all(row.nearest_place == "Bibliothèque" for row in cov.rows)  # the page still has its figures


def test_a_routing_server_that_does_not_answer_is_said_in_french_and_logged(
        make_app: Any, caplog: Any) -> None:
    from tests.conftest import Make
    from tests.desk_helpers import small_season
    from web.core.errors import OperationError

    # Nothing listens on port 9 of this machine: the engine's error is English, the user's is not.
    app = make_app(TOURPLAN_ROUTING_URL="http://127.0.0.1:9", TOURPLAN_ROUTING_ENGINE="osrm")
    with app.app_context():
        season = small_season(Make())["season"]
        with pytest.raises(OperationError) as e:
            _plan(season)
    assert e.value.message == ("le calcul des trajets par la route a échoué : le moteur d'itinéraires n'a pas "
                               "répondu (le détail est dans le journal du serveur)")
    assert any("road data" in r.getMessage() and "no answer" in r.getMessage() for r in caplog.records)


def test_the_leg_table_gives_back_each_stored_leg_by_graph_and_point(app: Any) -> None:
    """Points west of Greenwich and south of the equator, a metre apart, sharing a latitude:
    each leg comes back for its own two points, on its own graph only."""
    from web.extensions import db
    from web.travel.operations import DatabaseLegCache

    keys = [(48.39, -4.48), (48.39, -4.47999), (48.39001, -4.48), (-21.11, 55.53), (0.0, 0.0), (44.5, 3.5)]
    asked, other = keys[:5], keys[5]
    legs = {(a, b): (float(i * 10 + j), float(j)) for i, a in enumerate(keys) for j, b in enumerate(keys) if a != b}
    with app.app_context():
        cache = DatabaseLegCache()
        cache.put("g1", legs)
        cache.put("g1", {(keys[0], keys[1]): (999.0, 999.0)})  # stored already: the first value stays
        cache.put("g2", {(keys[0], keys[1]): (5.0, 5.0)})
        db.session.commit()
        among = sorted(cache.among("g1", asked))
        assert among == [(i, j, float(i * 10 + j), float(j)) for i in range(5) for j in range(5) if i != j]
        assert list(cache.among("g2", asked)) == [(0, 1, 5.0, 5.0)]
        assert list(cache.among("g3", asked)) == []
        wanted = [(keys[0], keys[1]), (keys[3], other), (other, keys[4]), (keys[2], (10.0, 10.0))]
        assert cache.get("g1", wanted) == {p: legs[p] for p in wanted[:3]}
