"""GET /api/v1/seasons/<slug>/coverage: the figures of the hand-worked territory, as documented."""

from __future__ import annotations

from typing import Any

import pytest

from tests.coverage_helpers import desk_session


@pytest.fixture
def territory(app: Any, client: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import web.api.blueprint

    return desk_session(client, make, monkeypatch, web.api.blueprint)


def test_coverage_objects_per_commune(client: Any, territory: dict[str, Any]) -> None:
    r = client.get("/api/v1/seasons/s1/coverage")
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert (body["period_start"], body["period_end"], body["distance_method"]) == ("2027-03-01", "2027-03-31",
                                                                                   "à vol d'oiseau")
    by = {c["insee"]: c for c in body["communes"]}
    assert by["48001"] == {"insee": "48001", "name": "Aubrac", "population": 100, "visits_held": 1,
                           "visits_planned": 1, "visits_per_1000": 20.0, "days_since_last_visit": 10,
                           "nearest_place_km": 11.1, "need_score": 27.8}
    assert by["48002"]["need_score"] == 100.0 and by["48002"]["days_since_last_visit"] is None
    twelve = {c["insee"]: c for c in client.get("/api/v1/seasons/s1/coverage?period=12months").get_json()["communes"]}
    assert twelve["48003"]["visits_held"] == 1


def test_coverage_errors_are_json(client: Any, territory: dict[str, Any]) -> None:
    r = client.get("/api/v1/seasons/nope/coverage")
    assert r.status_code == 404 and r.get_json()["error"] == "aucune saison « nope »"
    r = client.get("/api/v1/seasons/s1/coverage?period=forever")
    assert r.status_code == 400 and r.get_json()["field"] == "period"


def test_coverage_is_in_the_openapi_document(client: Any, territory: dict[str, Any]) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "get" in doc["paths"]["/api/v1/seasons/{slug}/coverage"]
    fields = doc["components"]["schemas"]["CommuneCoverageOut"]["properties"]
    assert set(fields) == {"insee", "name", "population", "visits_held", "visits_planned", "visits_per_1000",
                           "days_since_last_visit", "nearest_place_km", "need_score"}
    items = doc["components"]["schemas"]["Coverage"]["properties"]["communes"]["items"]
    assert items == {"$ref": "#/components/schemas/CommuneCoverageOut"}
