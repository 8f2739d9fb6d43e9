"""Road travel (issue 15): tiles from a real OpenStreetMap extract, a road matrix, plans on it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.road import DEPOT, SEA, STOPS, helsinki_extract, helsinki_problem, valhalla_server
from tourplan.cli import main
from tourplan.problem import Point
from tourplan.travel import MemoryLegCache, road_matrix
from tourplan.travel.engine import SNAP_LIMIT_M, Legs, ValhallaRouter


def _write(tmp_path: Path, data: dict[str, Any], name: str = "problem.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _matrix(tmp_path: Path, tiles: Path, data: dict[str, Any]) -> tuple[int, Path]:
    out = tmp_path / "road.json"
    return main(["travel", "matrix", str(_write(tmp_path, data)), "--tiles", str(tiles), "-o", str(out)]), out


def _direct(tiles: Path, a: Point, b: Point) -> tuple[float, float]:
    """One leg asked of pyvalhalla's Actor without tourplan's code: (km, seconds)."""
    import valhalla

    actor = valhalla.Actor(json.loads((tiles / "valhalla.json").read_text()))
    cell = actor.matrix({"sources": [{"lat": a.lat, "lon": a.lon}], "targets": [{"lat": b.lat, "lon": b.lon}],
                         "costing": "auto", "units": "km"})["sources_to_targets"][0][0]
    return cell["distance"], cell["time"]


def test_matrix_has_every_point_and_the_engines_own_legs(tmp_path: Path, road_tiles: Path) -> None:
    code, out = _matrix(tmp_path, road_tiles, helsinki_problem())
    assert code == 0
    travel = json.loads(out.read_text())["travel"]
    assert travel["model"] == "matrix"
    points = [Point(p["lat"], p["lon"]) for p in travel["points"]]
    assert points[0] == Point(DEPOT["lat"], DEPOT["lon"])
    assert {(p.lat, p.lon) for p in points[1:]} == {(lat, lon) for _, lat, lon in STOPS}
    for i, j in [(0, 1), (1, 0), (2, 5), (7, 3), (4, 8)]:
        km, seconds = _direct(road_tiles, points[i], points[j])
        assert travel["km"][i][j] == pytest.approx(km, abs=1e-3)
        assert travel["minutes"][i][j] == pytest.approx(seconds / 60, abs=0.05)
    # Minutes keep one decimal (whole minutes would be far off on these short legs).
    assert any(m != int(m) for row in travel["minutes"] for m in row)
    assert all(row[i] == 0 for i, row in enumerate(travel["km"]))


def test_a_plan_on_road_times_passes_the_checker(tmp_path: Path, road_tiles: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, road = _matrix(tmp_path, road_tiles, helsinki_problem())
    assert code == 0
    plan = tmp_path / "plan.json"
    assert main(["solve", str(road), "-o", str(plan), "-q", "--seed", "1", "--max-iterations", "5"]) == 0
    served = json.loads(plan.read_text())["stats"]["served"]
    assert served == len(STOPS)
    capsys.readouterr()
    assert main(["check", str(road), str(plan)]) == 0


def test_a_point_in_the_sea_is_one_line_naming_the_request(tmp_path: Path, road_tiles: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _matrix(tmp_path, road_tiles, helsinki_problem([*STOPS, ("sea", *SEA)]))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "req-sea" in err and "60.120000, 24.950000" in err and f"no road within {SNAP_LIMIT_M} m" in err
    assert not out.exists()


def test_bad_extract_and_bad_tiles_folder_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_osm = _write(tmp_path, {"not": "osm"}, "city.osm.pbf")
    assert main(["travel", "tiles", str(not_osm), str(tmp_path / "t")]) == 2
    assert main(["travel", "tiles", str(tmp_path / "missing.osm.pbf"), str(tmp_path / "t")]) == 2
    code, _ = _matrix(tmp_path, tmp_path / "t", helsinki_problem())
    assert code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert "is not a usable OpenStreetMap extract" in lines[0]
    assert "no such file" in lines[1]
    assert "is not a tiles folder" in lines[2]


def test_tiles_command_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "tiles"
    assert main(["travel", "tiles", str(helsinki_extract()), str(target)]) == 0
    assert (target / "valhalla.json").is_file()
    assert ValhallaRouter(tiles=target).legs([Point(*STOPS[0][1:])], [Point(*STOPS[1][1:])]).km[0][0] > 0


def test_the_server_path_gives_the_same_legs(road_tiles: Path) -> None:
    points = [Point(DEPOT["lat"], DEPOT["lon"])] + [Point(lat, lon) for _, lat, lon in STOPS]
    embedded = road_matrix(points, ValhallaRouter(tiles=road_tiles))
    with valhalla_server(road_tiles) as url:
        server = ValhallaRouter(url=url)
        assert server.graph_version == ValhallaRouter(tiles=road_tiles).graph_version
        assert road_matrix(points, server) == embedded


class Counting:
    """A router that counts the legs it is asked for."""

    engine = "Valhalla"

    def __init__(self, inner: Any) -> None:
        self.inner, self.graph_version, self.pairs, self.calls = inner, inner.graph_version, 0, 0

    def legs(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
        self.calls += 1
        self.pairs += len(sources) * len(targets)
        return self.inner.legs(sources, targets)


def test_the_cache_asks_only_for_a_new_points_legs(road_tiles: Path) -> None:
    points = [Point(lat, lon) for _, lat, lon in STOPS]
    router, cache = Counting(ValhallaRouter(tiles=road_tiles)), MemoryLegCache()
    first = road_matrix(points[:-1], router, cache)
    assert router.pairs == 7 * 7
    router.pairs = router.calls = 0
    again = road_matrix(points[:-1], router, cache)
    assert (router.calls, again) == (0, first)
    second = road_matrix(points, router, cache)
    # The new point's row (to all 8) and column (from the 7 others): nothing else.
    assert router.pairs == 8 + 7
    assert second == road_matrix(points, ValhallaRouter(tiles=road_tiles))
    other_graph = Counting(ValhallaRouter(tiles=road_tiles))
    other_graph.graph_version = "valhalla:rebuilt"
    road_matrix(points, other_graph, cache)
    assert other_graph.pairs == 8 * 8


class Crow:
    """A router that answers straight-line legs (km, and minutes = km) and counts them."""

    engine, graph_version = "Crow", "crow:1"

    def __init__(self) -> None:
        self.pairs = 0

    def legs(self, sources: Sequence[Point], targets: Sequence[Point]) -> Legs:
        from tourplan.problem import haversine_km

        self.pairs += len(sources) * len(targets)
        km = [[round(haversine_km(a, b), 3) for b in targets] for a in sources]
        return Legs(km=km, minutes=[row[:] for row in km])


def test_a_place_given_twice_has_its_row_and_column_twice() -> None:
    """Two requests at one town hall: one point of the matrix, its row and column repeated."""
    a, b, c = Point(44.5181, 3.5006), Point(44.5539, 3.2914), Point(44.3254, 3.5934)
    router, cache = Crow(), MemoryLegCache()
    legs = road_matrix([a, b, Point(44.518101, 3.500601), c], router, cache)  # the third is a, to 1e-5 degree
    assert router.pairs == 3 * 3  # asked once per distinct point
    single = road_matrix([a, b, c], router, cache)
    assert router.pairs == 3 * 3  # ... and the second time not at all
    at = [0, 1, 0, 2]
    assert legs.km == [[single.km[i][j] for j in at] for i in at]
    assert legs.minutes == [[single.minutes[i][j] for j in at] for i in at]
    assert legs.km[0][2] == legs.km[2][0] == 0.0 and legs.km[1][0] == legs.km[1][2] > 0
