"""Coverage figures and need scores of a small territory, worked out by hand (tests/coverage_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.coverage_helpers import TODAY, small_territory
from tourplan.coverage import NeedWeights, distances_km
from tourplan.problem import Point


def test_straight_line_distance_is_the_great_circle() -> None:
    # 1° of latitude on the sphere of radius 6371.0088 km: 6371.0088 × π / 180.
    assert distances_km([Point(44.0, 3.0)], [Point(45.0, 3.0)])[0][0] == pytest.approx(111.19508, abs=1e-4)


def test_season_coverage_by_hand(make: Any) -> None:
    from web.coverage.operations import coverage

    t = small_territory(make)
    rows = {r.insee: r for r in coverage(t["season"], TODAY).rows}
    a, b, c = rows["48001"], rows["48002"], rows["48003"]
    assert (a.visits_held, a.visits_planned, a.visits_per_1000) == (1, 1, 20.0)  # 2 visits × 1000 / 100
    assert a.days_since_last_visit == 10
    assert a.nearest_place_km == 11.1 and a.nearest_place == "France services Chanac"
    # far 11.1195/30, stale 10/365, people ln 101 / ln 10001; weights 3, 2, 1.
    assert a.need_score == 27.8
    assert (b.visits_held, b.visits_planned, b.days_since_last_visit, b.nearest_place_km) == (0, 0, None, 44.5)
    assert b.need_score == 100.0  # farthest (> 30 km), never visited, the largest population
    # The September visit is of another season: not counted, but it is the last time the van came.
    assert (c.visits_held, c.visits_per_1000, c.days_since_last_visit, c.nearest_place_km) == (0, None, 180, 0.0)
    assert c.need_score == 16.4  # 100 × 2 × (180/365) / 6: no distance, no population known


def test_twelve_months_count_every_season(make: Any) -> None:
    from web.coverage.operations import coverage

    t = small_territory(make)
    rows = {r.insee: r for r in coverage(t["season"], TODAY, period="12mois").rows}
    assert (rows["48003"].visits_held, rows["48001"].visits_held, rows["48001"].visits_planned) == (1, 1, 1)


def test_weights_change_the_score(make: Any) -> None:
    from web.coverage.operations import coverage, save_weights

    t = small_territory(make)
    save_weights(t["season"], NeedWeights(far=0, stale=1, people=0), "ops@example.fr")
    rows = {r.insee: r for r in coverage(t["season"], TODAY).rows}
    assert rows["48003"].need_score == round(100 * 180 / 365, 1)
    assert rows["48001"].need_score == round(100 * 10 / 365, 1)


def test_without_any_fixed_place_every_commune_is_far(make: Any) -> None:
    from web.coverage.models import FixedPlace
    from web.coverage.operations import coverage
    from web.extensions import db

    t = small_territory(make)
    db.session.query(FixedPlace).delete()
    rows = {r.insee: r for r in coverage(t["season"], TODAY).rows}
    assert rows["48003"].nearest_place_km is None
    # far 1, stale 180/365, people 0.
    assert rows["48003"].need_score == round(100 * (3 + 2 * 180 / 365) / 6, 1)


@pytest.mark.parametrize("weights", [NeedWeights(0, 0, 0), NeedWeights(11, 1, 1), NeedWeights(-1, 2, 2)])
def test_weights_out_of_range_are_refused(weights: NeedWeights) -> None:
    assert weights.check() is not None


def test_outlines_are_kept_in_the_instance_folder_for_the_next_process(tmp_path: Any, monkeypatch: Any) -> None:
    import tourplan.outlines as outlines

    monkeypatch.setattr(outlines, "_cache", {})  # this process may have read them for another test
    first = outlines.commune_outlines(["48"], tmp_path)
    assert len(first) == 152 and (tmp_path / f"outlines-48-{outlines.TOLERANCE:g}.json").is_file()
    outlines._cache.clear()  # a new process: only the file is left
    again = outlines.commune_outlines(["48"], tmp_path)
    assert set(again) == set(first)
    assert again["48095"].equals_exact(first["48095"], 1e-9)
    (tmp_path / f"outlines-48-{outlines.TOLERANCE:g}.json").write_text("{half a file", encoding="utf-8")
    outlines._cache.clear()
    assert len(outlines.commune_outlines(["48"], tmp_path)) == 152  # a damaged file: read the package again
    assert outlines.commune_outlines(["zz"], tmp_path) == {}  # not a département: no outline, no error
